from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Territory and people")

    def ready(self) -> None:
        from grids.residents import queries as resident_queries
        from grids.shared import lookups, sections
        from grids.visits import queries as visit_queries

        lookups.register()

        sections.register(
            sections.RESIDENT,
            sections.Section("visits", "grids/visits/_resident_visits.html", visit_queries.resident_page_section),
        )
        sections.register(
            sections.GRID,
            sections.Section(
                "residents", "grids/residents/_grid_residents.html", resident_queries.grid_page_section, order=10
            ),
        )
        sections.register(
            sections.GRID,
            sections.Section(
                "visits_due", "grids/visits/_grid_visits_due.html", visit_queries.grid_page_section, order=30
            ),
        )
        sections.register_activity(sections.GRID, "residents", resident_queries.grid_activity)
        sections.register_activity(sections.GRID, "visits", visit_queries.grid_activity)
