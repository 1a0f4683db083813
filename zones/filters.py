import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Agency


class AgencyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Agency
        fields = ["q"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(name_en__icontains=value) | Q(aliases__alias__icontains=value)
        ).distinct()
