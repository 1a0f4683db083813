"""FilterSets for the API lists that have no page of their own. Tasks, outcomes and agencies use the
pages' FilterSets (the filters modules of measures' domain packages, zones.filters), so a filter means the same in both places."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators.filters import ValueFilter
from measures.choices import ReportState, TaskStatus
from measures.models import ProgressReport, ReportingPeriod, Task
from measures.scoping import visible_zones
from measures.tasks.filters import TaskFilter
from zones.choices import ZoneKind
from zones.models import Block, Plan, Zone


class PlanFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Plan
        fields = ["q"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(title_en__icontains=value) | Q(code=value))


class ZoneFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.all(), to_field_name="code", label=_("Plan")
    )
    kind = django_filters.ChoiceFilter(choices=ZoneKind.choices, label=_("Kind"))

    class Meta:
        model = Zone
        fields = ["q", "plan", "kind"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(name_en__icontains=value) | Q(dev_zone_name__icontains=value)
        )


def _scoped_zone_filter(filterset):
    """Offer only the zones the user may see: a foreign zone's code is refused as an invalid choice."""
    user = getattr(filterset.request, "user", None)
    filterset.form.fields["zone"].queryset = visible_zones(user) if user else Zone.objects.none()


class BlockFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(), to_field_name="code", label=_("Zone")
    )

    class Meta:
        model = Block
        fields = ["q", "zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _scoped_zone_filter(self)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(boundary__icontains=value) | Q(text__icontains=value)
        )


class ReportFilter(django_filters.FilterSet):
    """Reports of one period (the usual question), zone, task, status and review state."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    period = django_filters.ModelChoiceFilter(queryset=ReportingPeriod.objects.all(), label=_("Period"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(), field_name="task__zone", to_field_name="code", label=_("Zone")
    )
    task = django_filters.ModelChoiceFilter(queryset=Task.objects.none(), label=_("Task"))
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label=_("Status"))
    state = django_filters.ChoiceFilter(choices=ReportState.choices, label=_("State"))

    class Meta:
        model = ProgressReport
        fields = ["q", "period", "zone", "task", "status", "state"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _scoped_zone_filter(self)
        user = getattr(self.request, "user", None)
        self.form.fields["task"].queryset = Task.objects.visible_to(user) if user else Task.objects.none()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(progress__icontains=value)
            | Q(problems__icontains=value)
            | Q(next_steps__icontains=value)
            | Q(support_needed__icontains=value)
            | Q(task__title__icontains=value)
        )


class IndicatorValueFilter(ValueFilter):
    """The indicator review page's filters (zone, dimension, state, period, q) and the indicator's
    code. The page shows what waits for review when no state is chosen; the API lists every state."""

    indicator = django_filters.CharFilter(field_name="indicator__code", label=_("Indicator code"))

    class Meta(ValueFilter.Meta):
        fields = [*ValueFilter.Meta.fields, "indicator"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _scoped_zone_filter(self)

    @property
    def qs(self):
        return super(ValueFilter, self).qs


class ApiTaskFilter(TaskFilter):
    """The task list's filters, less its `drafts` choice: it only decides what the page's rows show
    of a zone's unsubmitted report, and the API gives every report with its state."""

    drafts = None

    class Meta(TaskFilter.Meta):
        fields = [name for name in TaskFilter.Meta.fields if name != "drafts"]
