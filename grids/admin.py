"""Admin registration. Object permissions are not edited here: they follow posts,
which change only through the portal's actions so that grants stay in step."""

from django.contrib import admin

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


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "community", "household_target"]
    list_filter = ["kind", "community__street"]
    search_fields = ["code", "name", "community__name"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]


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
