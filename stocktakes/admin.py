from django.contrib import admin

from .models import AssignedItem, ItemEvent, ItemEvidence, Stocktake


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ItemEventInline(ReadOnlyInline):
    model = ItemEvent
    fields = ["at", "kind", "actor", "note"]
    readonly_fields = fields


@admin.register(Stocktake)
class StocktakeAdmin(admin.ModelAdmin):
    """Read-only: meetings are scheduled on their pages (services), which check the scope."""

    list_display = ["title", "held_on", "plan", "zone", "agency"]
    list_filter = ["plan"]
    search_fields = ["title", "notes"]
    date_hierarchy = "held_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssignedItem)
class AssignedItemAdmin(admin.ModelAdmin):
    """Read-only: items change through their pages (services), each step with its history row."""

    list_display = ["title", "zone", "agency", "due", "state"]
    list_filter = ["state"]
    search_fields = ["title", "description"]
    inlines = [ItemEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ItemEvidence)
class ItemEvidenceAdmin(admin.ModelAdmin):
    list_display = ["item", "kind", "original_name", "url", "added_by", "added_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
