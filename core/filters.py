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
