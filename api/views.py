"""Read-only endpoints. Each reads through api.selectors, which scope rows exactly like the pages:
an object outside the user's scope is absent from lists and 404 on its own URL."""

from rest_framework import viewsets

from measures.outcomes.filters import OutcomeFilter
from measures.zone_pages.filters import AgencyListFilter

from . import selectors
from .filters import ApiTaskFilter, BlockFilter, IndicatorValueFilter, PlanFilter, ReportFilter, ZoneFilter
from .pagination import ReportPagination
from .serializers import (
    AgencySerializer,
    BlockSerializer,
    IndicatorValueSerializer,
    OutcomeSerializer,
    PlanSerializer,
    ReportSerializer,
    TaskSerializer,
    ZoneSerializer,
)


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    selector = None

    def get_queryset(self):
        return type(self).selector(self.request.user)


class PlanViewSet(ReadOnlyViewSet):
    selector = selectors.plans
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    lookup_field = "code"


class ZoneViewSet(ReadOnlyViewSet):
    selector = selectors.zones
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilter
    lookup_field = "code"


class BlockViewSet(ReadOnlyViewSet):
    selector = selectors.blocks
    serializer_class = BlockSerializer
    filterset_class = BlockFilter


class AgencyViewSet(ReadOnlyViewSet):
    selector = selectors.agencies
    serializer_class = AgencySerializer
    filterset_class = AgencyListFilter


class TaskViewSet(ReadOnlyViewSet):
    """Tasks with their latest report; filters as on the /tasks/ page (q, zone, category, agency)."""

    selector = selectors.tasks
    serializer_class = TaskSerializer
    filterset_class = ApiTaskFilter

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.with_latest_reports(page)

    def get_object(self):
        return selectors.with_latest_reports([super().get_object()])[0]


class ReportViewSet(ReadOnlyViewSet):
    selector = selectors.reports
    pagination_class = ReportPagination
    serializer_class = ReportSerializer
    filterset_class = ReportFilter


class OutcomeViewSet(ReadOnlyViewSet):
    """Innovation outcomes; filters as on the /outcomes/ page (q, zone, type, state, period)."""

    selector = selectors.outcomes
    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilter


class IndicatorValueViewSet(ReadOnlyViewSet):
    """Values the zones entered for the evaluation indicators (computed indicators are on the
    zones' scorecard pages, not stored values)."""

    selector = selectors.indicator_values
    serializer_class = IndicatorValueSerializer
    filterset_class = IndicatorValueFilter
