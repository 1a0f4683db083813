"""Reads of the notification centre."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from . import registry
from .choices import Level, NoticeKind
from .models import Notification


def notices_for(user):
    """The user's own notices, limited to those whose object they still see."""
    return Notification.objects.filter(registry.scope_for(user), recipient=user)


def unread_action_items(user, limit=20):
    return list(notices_for(user).needing_action().select_related("zone")[:limit])


class NotificationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[("unread", _("Unread")), ("read", _("Read"))],
        method="filter_state",
        empty_label=_("All"),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=NoticeKind.choices, empty_label=_("Any kind"))
    level = django_filters.ChoiceFilter(
        label=_("Escalation"), choices=[c for c in Level.choices if c[0]], empty_label=_("Any")
    )
    action = django_filters.BooleanFilter(
        field_name="needs_action", label=_("Needs action"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Notification
        fields = ["state", "kind", "level", "action"]

    def filter_state(self, queryset, _name, value):
        return queryset.filter(read_at__isnull=value == "unread")
