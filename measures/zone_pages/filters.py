import django_filters
from django.utils.translation import gettext_lazy as _

from measures.choices import AgencyRole
from measures.models import TaskAgency
from zones.filters import AgencyFilter


class AgencyListFilter(AgencyFilter):
    """The agency list's filters: the registry's search, and the role agencies have on tasks."""

    role = django_filters.ChoiceFilter(
        choices=AgencyRole.choices, method="by_role", label=_("Role on tasks"), empty_label=_("Any role")
    )

    class Meta(AgencyFilter.Meta):
        fields = ["q", "role"]

    def by_role(self, queryset, name, value):
        return queryset.filter(pk__in=TaskAgency.objects.filter(role=value).values("agency_id"))
