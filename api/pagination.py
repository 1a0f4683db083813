from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.db.models import Count
from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """?page=N, 50 rows a page by default; a caller may ask for up to 200 with ?page_size=."""

    page_size_query_param = "page_size"
    max_page_size = 200


class LeadingKeyPaginator(Paginator):
    """Pages of a queryset whose order starts with `lead` (descending), each read from the rows of
    the lead values it spans only: the count is one grouped query, and the page sorts those rows
    instead of every row (the reports of all periods: 500,000 sorted for every page of 50).
    Same rows, order and count as slicing the whole ordered queryset."""

    lead = None

    @property
    def groups(self):
        """[(lead value, rows)], in the queryset's order."""
        if not hasattr(self, "_groups"):
            if tuple(self.object_list.query.order_by[:1]) != (f"-{self.lead}",):
                raise ImproperlyConfigured(
                    f"{type(self).__name__} pages a queryset ordered by -{self.lead} first"
                )
            self._groups = list(
                self.object_list.order_by()
                .values_list(self.lead)
                .annotate(n=Count("pk"))
                .order_by(f"-{self.lead}")
                .values_list(self.lead, "n")
            )
        return self._groups

    @property
    def count(self):
        return sum(n for _key, n in self.groups)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys, skip, position = [], 0, 0
        for key, n in self.groups:
            if position + n > bottom and position < top:
                if not keys:
                    skip = bottom - position
                keys.append(key)
            position += n
        rows = (
            self.object_list.filter(**{f"{self.lead}__in": keys})[skip : skip + top - bottom] if keys else []
        )
        return self._get_page(rows, number, self)


class PeriodFirstPaginator(LeadingKeyPaginator):
    lead = "period__start"


class ReportPagination(ApiPagination):
    """The reports list, latest period first: each page read from the periods it spans."""

    django_paginator_class = PeriodFirstPaginator
