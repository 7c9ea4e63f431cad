"""Events (事件): categories and their time limits, the events, their departments,
timeline and photos, and the in-app notifications they send."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.photos import StoredPhoto
from grids.residents.models import Resident
from grids.tree.models import Department, Grid
from grids.visits.models import Visit


class Level(models.TextChoices):
    """Where an event is being handled; a report goes up one level at a time (吹哨)."""

    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")
    DEPARTMENT = "department", _("Department")


class EventCategory(models.Model):
    name = models.CharField(_("name"), max_length=32, unique=True)
    is_active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class TimeLimit(models.Model):
    """How long a level has for an event of a category: to report in (报到) and to resolve."""

    category = models.ForeignKey(EventCategory, on_delete=models.CASCADE, related_name="limits")
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    respond_hours = models.PositiveSmallIntegerField(
        _("respond within (hours)"), help_text=_("Counted in clock hours from the moment it arrives.")
    )
    resolve_days = models.PositiveSmallIntegerField(
        _("resolve within (working days)"),
        help_text=_("Counted in working days of the official calendar, from the day it is accepted."),
    )

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(fields=["category", "level"], name="time_limit_unique_level"),
            models.CheckConstraint(condition=Q(respond_hours__gte=1), name="time_limit_respond_positive"),
            models.CheckConstraint(condition=Q(resolve_days__gte=1), name="time_limit_resolve_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.get_level_display()}"


class Event(models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ACCEPTED = "accepted", _("Accepted")
        ESCALATED = "escalated", _("Escalated")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        MERGED = "merged", _("Merged")

    class Source(models.TextChoices):
        GRID = "grid", _("Grid worker report")
        RESIDENT = "resident", _("Resident feedback")
        HOTLINE = "hotline", _("12345 hotline")
        DEPARTMENT = "department", _("Department referral")
        VISIT = "visit", _("Visit finding")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    # Not yet resolved: can still be cancelled or merged.
    UNRESOLVED = (Status.REPORTED, Status.ACCEPTED, Status.ESCALATED)
    OPEN = (*UNRESOLVED, Status.RESOLVED)

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="events", verbose_name=_("grid"))
    category = models.ForeignKey(
        EventCategory, on_delete=models.PROTECT, related_name="events", verbose_name=_("category")
    )
    description = models.TextField(_("description"), max_length=2000)
    address = models.CharField(_("address or place"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.GRID)
    solved_on_spot = models.BooleanField(_("solved on the spot"), default=False)
    residents = models.ManyToManyField(Resident, blank=True, related_name="events", verbose_name=_("residents"))
    # The household visit whose finding this event came from.
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="events", verbose_name=_("visit")
    )

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REPORTED)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, default=Level.COMMUNITY)
    # The level that whistled it to the current one, so that a return (退回) knows where to go.
    previous_level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    # Deadlines of the current level: to report in (while waiting for 受理 / 报到) and to resolve.
    stage_started_at = models.DateTimeField(_("stage started at"))
    respond_due = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    # Whichever of the two applies now (kept by save()): one indexed column for overdue lists.
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    result = models.TextField(_("result"), blank=True, max_length=2000)
    failed_verifications = models.PositiveSmallIntegerField(_("failed verifications"), default=0)
    supervised = models.BooleanField(_("under supervision"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A duplicate report merged into another: that one carries the handling for both.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    # Optimistic version: a page's action carries the version it was drawn from, so the
    # second of two people acting on one event is told it changed instead of acting twice.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["grid", "status", "-reported_at"], name="event_grid_status_idx"),
            # The to-do inbox: open events at a level, in some grids.
            # (The id is carried so that a department's to-do count needs no visit to the table.)
            models.Index(fields=["level", "status", "grid"], name="event_level_status_grid_idx", include=["id"]),
            # Newest first; carrying grid lets a deep page be found from the index alone.
            models.Index(fields=["-reported_at", "-id"], name="event_recent_idx", include=["grid"]),
            # Overdue lists: only open events have these deadlines set.
            models.Index(fields=["due_at"], name="event_due_idx", include=["grid"], condition=Q(due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.due_at = self.respond_due or self.resolve_due
        fields = kwargs.get("update_fields")
        if fields is not None and {"respond_due", "resolve_due"} & set(fields):
            kwargs["update_fields"] = {*fields, "due_at"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class EventAssignment(models.Model):
    """A department an event was whistled to; the first one named leads (牵头) and resolves it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="event_assignments")
    lead = models.BooleanField(default=False)
    assigned_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Ended when the event leaves the department level (returned, or resolved and closed).
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "department"], condition=Q(active=True), name="assignment_one_active_per_department"
            )
        ]
        # A department's events, found from the index alone (the gate's scope and the to-do list).
        indexes = [models.Index(fields=["department", "active"], name="assignment_department_idx", include=["event"])]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.department_id}"


class EventStep(models.Model):
    """One line of an event's timeline."""

    class Action(models.TextChoices):
        REPORT = "report", _("Reported")
        SOLVE_ON_SPOT = "solve_on_spot", _("Solved on the spot")
        ACCEPT = "accept", _("Accepted")
        WHISTLE = "whistle", _("Whistled up (吹哨)")
        ACKNOWLEDGE = "acknowledge", _("Reported in (报到)")
        RETURN = "return", _("Returned")
        RESOLVE = "resolve", _("Resolved")
        VERIFY_PASS = "verify_pass", _("Verified")
        VERIFY_FAIL = "verify_fail", _("Verification failed")
        SUPERVISE = "supervise", _("Put under supervision")
        CANCEL = "cancel", _("Cancelled")
        REOPEN = "reopen", _("Reopened")
        MERGE = "merge", _("Merged into another event")
        MERGED_IN = "merged_in", _("Duplicate report merged in")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=16, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True, max_length=2000)
    from_status = models.CharField(max_length=12, choices=Event.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Event.Status.choices)
    # Where the event was before this step (for a whistle: the level that whistled) and after it.
    from_level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    level = models.CharField(max_length=12, choices=Level.choices)
    departments = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["event", "at", "id"], name="event_step_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action}"


class EventPhoto(StoredPhoto):
    """A photo attached to a step of an event (the report, the fix); served only through
    the portal, to people who may see the event."""

    PHOTO_FOLDER = "events"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="photos")
    step = models.ForeignKey(EventStep, on_delete=models.CASCADE, related_name="photos")
    original_name = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event_id} photo {self.pk}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to you")
        ESCALATED = "escalated", _("Escalated to your level")
        RETURNED = "returned", _("Returned to you")
        VERIFY = "verify", _("Waiting for your verification")
        SUPERVISION = "supervision", _("Put under supervision")
        URGENT = "urgent", _("Urgent event")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.event_id}"
