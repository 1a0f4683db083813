import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zones.models import Agency, Zone

from .models import Task, TaskCategory


class TaskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.order_by("plan__code", "annex_number"),
        to_field_name="code",
        label=_("Zone"),
        empty_label=_("All zones"),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=TaskCategory.objects.select_related("zone").order_by("zone__annex_number", "number"),
        label=_("Category"),
        empty_label=_("All categories"),
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.order_by("name"),
        field_name="agency_links__agency",
        label=_("Supporting agency"),
        empty_label=_("All agencies"),
    )

    class Meta:
        model = Task
        fields = ["q", "zone", "category", "agency"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = (
            Q(title__icontains=value)
            | Q(title_en__icontains=value)
            | Q(text__icontains=value)
            | Q(source_ref__icontains=value)
        )
        if value.isdigit():
            condition |= Q(number=int(value))
        return queryset.filter(condition)
