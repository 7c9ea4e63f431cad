from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from django.contrib import admin

        from governance.admin import guard_date_hierarchies
        from governance.events.demo import seed_events
        from governance.models import Event
        from grids import access
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
        # The admin's autodiscovery (django.contrib.admin is ready first) has registered every list.
        guard_date_hierarchies(admin.site)
