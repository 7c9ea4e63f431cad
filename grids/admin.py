"""Admin registration. Object permissions are not edited here: they follow posts,
which change only through the portal's actions so that grants stay in step."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError

from grids.models import Community, Department, Grid, PopulationTag, Post, Street, Visit


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "street"]
    list_filter = ["kind", "street"]
    search_fields = ["code", "name"]
    list_select_related = ["street"]


class IdAutocompleteSelect(AutocompleteSelect):
    """Django's widget looks up the posted value as it is when the form is shown again with
    its errors; a value that is no id (tampered) made that a server error."""

    def optgroups(self, name: str, value: list[Any], attr: dict[str, Any] | None = None) -> Any:
        return super().optgroups(name, [v for v in value if self._is_id(v)], attr)

    def _is_id(self, value: Any) -> bool:
        try:
            self.field.target_field.to_python(value)
        except ValidationError:
            return False
        return True


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "community", "household_target"]
    list_filter = ["kind", "community__street"]
    search_fields = ["code", "name", "community__name"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = IdAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "street"]
    search_fields = ["code", "name"]
    list_select_related = ["street"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Read-only here: posts change through the portal so grants stay in step."""

    list_display = ["user", "role", "street", "community", "grid", "department", "start_date", "end_date", "granted"]
    list_filter = ["role", "granted"]
    search_fields = ["user__username", "user__first_name"]
    list_select_related = ["user", "street", "community", "grid", "department"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["visited_on", "grid", "household", "resident", "kind", "by"]
    list_filter = ["kind", "grid"]
    raw_id_fields = ["household", "resident"]
    list_select_related = ["grid", "household", "resident", "by"]


@admin.register(PopulationTag)
class PopulationTagAdmin(admin.ModelAdmin):
    """Tags and their visit rules are edited here (README); retire a tag with 'in use' rather than deleting it."""

    list_display = ["name", "visit_interval_days", "is_active", "sort_order"]
    list_editable = ["visit_interval_days", "is_active", "sort_order"]
    search_fields = ["name"]
