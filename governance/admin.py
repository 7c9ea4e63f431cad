from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from governance.calendar import workdays
from governance.models import CalendarDay, Event, EventCategory, EventStep, TimeLimit

admin.site.site_header = gettext_lazy("Community governance portal · system administration")
admin.site.site_title = gettext_lazy("Community governance portal")
admin.site.index_title = gettext_lazy("System administration")

# django-axes ships no Simplified Chinese catalogue, and Django 5.2's admin has a few strings its
# own catalogue has not translated yet. These are their msgids exactly as they use them: listed
# here, `make messages` keeps them in the project's catalogue, which Django consults before any
# app's, so the lockout records read in Chinese without a copy of the third-party code.
THIRD_PARTY_MSGIDS = (
    # axes.models
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    # axes.admin
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    # django.contrib.admin (app_list.html, read out by screen readers)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)


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


# Axes registers its own admin unless AXES_ENABLE_ADMIN is off; these add Chinese captions to
# the columns and the message that axes builds from method names and an f-string.
@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.action(description=gettext_lazy("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext("%(n)d expired record cleaned up.", "%(n)d expired records cleaned up.", count) % {"n": count},
        )

    @admin.display(description=gettext_lazy("Expires at"))
    def expiration(self, obj: AccessAttempt) -> Any:
        return obj.expiration.expires_at if hasattr(obj, "expiration") else _("Not set")

    @admin.display(description=gettext_lazy("Status"))
    def status(self, obj: AccessAttempt) -> str:
        left = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if left > 0:
            return ngettext("%(n)d attempt left", "%(n)d attempts left", left) % {"n": left}
        return _("Locked out")


admin.site.register(AccessFailureLog, AccessFailureLogAdmin)
admin.site.register(AccessLog, AccessLogAdmin)
