from typing import Any

import axes.apps
from django.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from django.contrib import admin

        from governance.admin import guard_date_hierarchies
        from governance.events import sections as event_sections
        from governance.events.demo import seed_events
        from governance.models import Event
        from grids import access
        from grids.shared import sections
        from grids.shared.seeders import register_seeder

        # A department sees only the events given to it; the tree sees the events of its grids.
        access.register(
            Event,
            {
                "street": ("grid__community__street_id",),
                "community": ("grid__community_id",),
                "grid": ("grid_id",),
                "department": ("assignments__department_id",),
            },
        )
        register_seeder(seed_events)
        # The grid and department pages show events without grids importing them.
        sections.register(
            sections.GRID,
            sections.Section(
                "events", "governance/events/_grid_events.html", event_sections.grid_page_section, order=20
            ),
        )
        sections.register(
            sections.DEPARTMENT,
            sections.Section(
                "events", "governance/events/_department_events.html", event_sections.department_page_section
            ),
        )
        sections.register_activity(sections.GRID, "events", event_sections.grid_activity)

        # The admin's autodiscovery (django.contrib.admin is ready first) has registered every list.
        guard_date_hierarchies(admin.site)


def _when(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


class LockoutConfig(axes.apps.AppConfig):
    """django-axes, named in Chinese in the admin (INSTALLED_APPS points here instead of "axes").

    Its records name themselves in English in the admin's titles, breadcrumbs and delete
    confirmations; they are given Chinese names here, which changes no table or migration.
    """

    # Not a candidate when Django picks the governance app's own config from this module.
    default = False
    verbose_name = _("Login lockouts")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        AccessAttempt.__str__ = lambda self: gettext("%(username)s from %(ip)s: %(n)d failed logins") % {
            "username": self.username,
            "ip": self.ip_address,
            "n": self.failures_since_start,
        }
        AccessFailureLog.__str__ = lambda self: gettext("Failed login of %(username)s at %(time)s") % {
            "username": self.username,
            "time": _when(self.attempt_time),
        }
        AccessLog.__str__ = lambda self: gettext("Login of %(username)s at %(time)s") % {
            "username": self.username,
            "time": _when(self.attempt_time),
        }
