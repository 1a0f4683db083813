from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.db.models import Count
from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """?page=N, 50 rows a page by default; a caller may ask for up to 200 with ?page_size=."""

    page_size_query_param = "page_size"
    max_page_size = 200


class PeriodFirstPaginator(Paginator):
    """Pages of a queryset ordered by the period's start first (latest first), each read from the
    reports of the periods it spans only, by `period_id` (an index): the count is one grouped query
    and a page sorts one period's reports instead of every report (500,000 sorted for every page of
    50). Same rows, order, count and links as slicing the whole ordered queryset: periods of several
    plans starting on the same day are read together, as the order interleaves them."""

    @property
    def groups(self):
        """[(period ids, reports)] a start day each, latest first."""
        if not hasattr(self, "_groups"):
            if tuple(self.object_list.query.order_by[:1]) != ("-period__start",):
                raise ImproperlyConfigured(
                    f"{type(self).__name__} pages a list ordered by -period__start first"
                )
            by_start = {}
            for period_id, start, n in (
                self.object_list.order_by()
                .values_list("period_id", "period__start")
                .annotate(n=Count("pk"))
                .values_list("period_id", "period__start", "n")
            ):
                ids, total = by_start.get(start, ([], 0))
                by_start[start] = ([*ids, period_id], total + n)
            self._groups = [by_start[start] for start in sorted(by_start, reverse=True)]
        return self._groups

    @property
    def count(self):
        return sum(n for _ids, n in self.groups)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        spanned, skip, position = [], 0, 0
        for ids, n in self.groups:
            if position + n > bottom and position < top:
                if not spanned:
                    skip = bottom - position
                spanned += ids
            position += n
        rows = self.object_list.filter(period_id__in=spanned)[skip : skip + top - bottom] if spanned else []
        return self._get_page(rows, number, self)


class ReportPagination(ApiPagination):
    """The reports list, latest period first: each page read from the periods it spans."""

    django_paginator_class = PeriodFirstPaginator
