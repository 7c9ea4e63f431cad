from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Territory and people")

    def ready(self) -> None:
        from grids.residents import sections
        from grids.shared import lookups
        from grids.visits import queries as visit_queries

        lookups.register()

        sections.register(
            sections.Section("visits", "grids/visits/_resident_visits.html", visit_queries.resident_page_section)
        )
