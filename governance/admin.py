from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.calendar import workdays
from governance.models import CalendarDay, Event, EventCategory, EventStep, TimeLimit


class DateHierarchyChangeList(ChangeList):
    """Django's admin builds a date from the year, month and day of a date-hierarchy link and
    catches only some of the errors: a year past 9999 (OverflowError) or 9999 itself (the
    year after it is out of range) were server errors. Here they are an unknown filter, which
    the admin answers by showing the list without it."""

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


def guard_date_hierarchies(site: admin.AdminSite) -> None:
    """Every registered list with a date hierarchy, the portal's and its libraries' (django-axes)."""
    for model_admin in site._registry.values():
        if model_admin.date_hierarchy and model_admin.get_changelist(None) is ChangeList:
            model_admin.get_changelist = lambda request, **kwargs: DateHierarchyChangeList


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["note"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Say plainly which years count only weekends, so the next year's arrangement gets entered.
        this_year = timezone.localdate().year
        unknown = [year for year in (this_year, this_year + 1) if not workdays.year_is_known(year)]
        if unknown:
            self.message_user(
                request,
                _(
                    "The holidays of %(years)s are not known yet: deadlines in those years count Monday to Friday "
                    "only. Enter the State Council's holidays and make-up working days here."
                )
                % {"years": "、".join(str(y) for y in unknown)},
                level="warning",
            )
        return super().changelist_view(request, extra_context)


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0


@admin.register(EventCategory)
class EventCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "order"]
    list_editable = ["is_active", "order"]
    inlines = [TimeLimitInline]


class EventStepInline(admin.TabularInline):
    model = EventStep
    extra = 0
    can_delete = False
    readonly_fields = ["action", "by", "at", "from_status", "to_status", "from_level", "level", "departments", "note"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only here: events change only through the portal's transitions, which keep the timeline."""

    list_display = ["id", "category", "grid", "status", "level", "reported_at"]
    list_filter = ["status", "level", "category"]
    list_select_related = ["category", "grid"]
    inlines = [EventStepInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
