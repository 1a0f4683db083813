"""Filter helpers every list's FilterSet may use."""

import django_filters
from django.forms.utils import pretty_name
from django.utils.functional import lazy
from django.utils.translation import gettext


def _descending(label):
    return gettext("%s (descending)") % label


descending = lazy(_descending, str)


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter's, with its descending labels ("… (descending)", 「…（降序）」) in each request's
    language: django-filter formats them once, when the FilterSet class is defined, in whatever
    language is active at that moment."""

    def build_choices(self, fields, labels):
        labels = dict(labels)
        for field, param in fields.items():
            labels.setdefault(f"-{param}", descending(labels.get(field, pretty_name(param))))
        return super().build_choices(fields, labels)


def show_display_names(fields):
    """Model choices named in the user's language: plans by display_title, zones, agencies and
    periods by display_name ("Q4 2026", "Xiqing ETDZ"). Their __str__ stays the Chinese name the
    admin, the history and the exports keep."""
    for field in fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is None:
            continue
        for name in ("display_title", "display_name"):
            if hasattr(queryset.model, name):
                field.label_from_instance = lambda obj, name=name: getattr(obj, name)
                break


class DisplayNamesFilterSet(django_filters.FilterSet):
    """A FilterSet whose model choices read in the user's language (show_display_names)."""

    @property
    def form(self):
        if not hasattr(self, "_form"):
            show_display_names(super().form.fields)
        return self._form
