import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filters import DisplayNamesFilterSet
from core.roles import Role

from .models import Agency, Zone


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


class UserFilter(DisplayNamesFilterSet):
    """The administrators' user list: search, role, zone, agency and whether the account is active."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    role = django_filters.ChoiceFilter(
        choices=Role.choices, method="by_role", label=pgettext_lazy("user", "Role"), empty_label=_("Any role")
    )
    zone = django_filters.ModelChoiceFilter(
        field_name="profile__zones",
        queryset=Zone.objects.select_related("plan").order_by("plan__code", "annex_number"),
        label=_("Zone"),
        empty_label=_("All zones"),
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="profile__agency",
        queryset=Agency.objects.order_by("name"),
        label=_("Agency"),
        empty_label=_("All agencies"),
    )
    active = django_filters.ChoiceFilter(
        choices=[("1", _("Active")), ("0", _("Deactivated"))],
        method="by_active",
        label=_("Account"),
        empty_label=_("Active or not"),
    )

    class Meta:
        model = get_user_model()
        fields = ["q", "role", "zone", "agency", "active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )

    def by_role(self, queryset, name, value):
        role = Role(value)
        chosen = Q(groups__name=role.group_name)
        if role == Role.ADMINISTRATOR:
            chosen |= Q(is_superuser=True)
        return queryset.filter(pk__in=queryset.model.objects.filter(chosen).values("pk"))

    def by_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")

    def filter_queryset(self, queryset):
        # Filtering on zones joins the profile's zones: one row per user all the same.
        return super().filter_queryset(queryset).distinct()
