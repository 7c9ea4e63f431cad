"""The app's models, one module per feature; tables and migrations stay with the app."""

from governance.calendar.models import CalendarDay
from governance.events.models import (
    Event,
    EventAssignment,
    EventCategory,
    EventPhoto,
    EventStep,
    Level,
    Notification,
    TimeLimit,
)

__all__ = [
    "CalendarDay",
    "Event",
    "EventAssignment",
    "EventCategory",
    "EventPhoto",
    "EventStep",
    "Level",
    "Notification",
    "TimeLimit",
]
