"""The review workbench's filters: every report waiting for a manager, narrowed."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import DisplayNamesFilterSet
from measures.choices import Light, TaskStatus
from measures.models import ProgressReport, ReportingPeriod
from measures.review.selectors import LIGHT_CHOICES, ROUNDS, lights_of
from zones.models import Plan, Zone


class WorkbenchFilter(DisplayNamesFilterSet):
    """Plan, period, zone, round (first submission or resubmitted after a return), reported status,
    light and submitted since. The light is the task's light in the report's period, worked out by
    the lights' one rule (light_for) in filter_queryset, so it cannot drift from the badges shown."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.order_by("code"),
        field_name="period__plan",
        to_field_name="code",
        label=_("Plan"),
        empty_label=_("All plans"),
    )
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.select_related("plan").order_by("plan__code", "-start"),
        label=_("Period"),
        empty_label=_("All periods"),
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.order_by("plan__code", "annex_number"),
        field_name="task__zone",
        to_field_name="code",
        label=_("Zone"),
        empty_label=_("All zones"),
    )
    state = django_filters.ChoiceFilter(
        choices=ROUNDS, method="by_round", label=_("Review round"), empty_label=_("Any round")
    )
    status = django_filters.ChoiceFilter(
        choices=TaskStatus.choices, label=_("Reported status"), empty_label=_("Any status")
    )
    light = django_filters.ChoiceFilter(
        choices=LIGHT_CHOICES, method="by_light", label=_("Light"), empty_label=_("Any light")
    )
    since = django_filters.DateFilter(
        field_name="submitted_on",
        lookup_expr="gte",
        label=_("Submitted since"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ProgressReport
        fields = ["q", "plan", "period", "zone", "state", "status", "light", "since"]

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        # Both plans have a 2026年第四季度: the plan's name tells them apart (the shared labels name
        # a period alone).
        self.form.fields["period"].label_from_instance = lambda p: (
            f"{p.display_name} · {p.plan.display_title}"
        )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(task__title__icontains=value) if value else queryset

    def by_round(self, queryset, name, value):
        return queryset.filter(resubmitted=(value == "resubmitted"))

    def by_light(self, queryset, name, value):
        # One read of what the light needs for the rows left by the other filters.
        wanted = Light(value)
        pks = [pk for pk, light in lights_of(queryset, self.today).items() if light == wanted]
        return queryset.filter(pk__in=pks)

    def filter_queryset(self, queryset):
        # The light is read over what every other filter left, so it is applied last.
        light = self.form.cleaned_data.pop("light", None)
        queryset = super().filter_queryset(queryset)
        self.form.cleaned_data["light"] = light
        return self.by_light(queryset, "light", light) if light else queryset
