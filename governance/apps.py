from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
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
