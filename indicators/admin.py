from django.contrib import admin

from .models import Dimension, Indicator, IndicatorEvent, IndicatorValue


class IndicatorInline(admin.TabularInline):
    model = Indicator
    fields = ["code", "name", "unit", "computation", "target", "target_year"]
    extra = 0
    show_change_link = True


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "plan", "order"]
    list_filter = ["plan"]
    list_editable = ["order"]
    search_fields = ["name", "name_en"]
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "plan",
        "dimension",
        "unit",
        "direction",
        "target",
        "target_year",
        "computation",
        "is_default",
    ]
    list_filter = ["plan", "dimension", "computation", "direction", "is_default"]
    list_select_related = ["plan", "dimension"]
    search_fields = ["code", "name", "name_en", "source_ref"]


class IndicatorEventInline(admin.TabularInline):
    model = IndicatorEvent
    fields = ["at", "kind", "actor", "note", "changes"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    """Read-only: values change state only through the entry and review pages (indicators.services)."""

    list_display = ["indicator", "zone", "period", "value", "state", "submitted_at", "reviewed_at"]
    list_filter = ["state", "indicator__plan", "indicator__dimension", "zone"]
    list_select_related = ["indicator", "zone", "period"]
    search_fields = ["indicator__code", "indicator__name", "source", "note"]
    inlines = [IndicatorEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
