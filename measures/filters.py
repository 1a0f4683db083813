import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zones.models import Agency, Plan, Zone
from zones.widgets import QuickSelect

from .choices import OutcomeState, OutcomeType, TaskStatus
from .models import InnovationOutcome, ProgressReport, ReportingPeriod, Task, TaskCategory
from .scoping import visible_agencies, visible_zones


def plans_of(zones):
    """The plans the given zones belong to, for a plan choice that offers only what can match."""
    return Plan.objects.filter(pk__in=zones.values("plan_id")).order_by("code")


class TaskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.all(),
        field_name="zone__plan",
        to_field_name="code",
        label=_("Plan"),
        empty_label=_("All plans"),
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.order_by("plan__code", "annex_number"),
        to_field_name="code",
        label=_("Zone"),
        empty_label=_("All zones"),
        widget=QuickSelect,
    )
    category = django_filters.ModelChoiceFilter(
        queryset=TaskCategory.objects.select_related("zone").order_by("zone__annex_number", "number"),
        label=_("Category"),
        empty_label=_("All categories"),
        widget=QuickSelect,
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.order_by("name"),
        field_name="agency_links__agency",
        label=_("Supporting agency"),
        empty_label=_("All agencies"),
        widget=QuickSelect,
    )

    class Meta:
        model = Task
        fields = ["q", "plan", "zone", "category", "agency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        fields = self.form.fields
        # Offer only what the user may see, named in the page's language.
        if user is not None:
            fields["zone"].queryset = visible_zones(user).order_by("plan__code", "annex_number")
            fields["agency"].queryset = visible_agencies(user).order_by("name")
            fields["category"].queryset = fields["category"].queryset.filter(zone__in=fields["zone"].queryset)
        fields["plan"].queryset = plans_of(fields["zone"].queryset)
        fields["plan"].label_from_instance = lambda plan: plan.display_title
        fields["zone"].label_from_instance = lambda zone: zone.display_name
        fields["agency"].label_from_instance = lambda agency: agency.display_name
        fields["category"].label_from_instance = lambda category: (
            f"{category.zone.short_name} {category.display_number} {category.display_title}"
        )
        # With a plan chosen, only its zones and categories can match; with a zone, its categories.
        plan_code = self.data.get("plan") if self.data else None
        if plan_code:
            fields["zone"].queryset = fields["zone"].queryset.filter(plan__code=plan_code)
            fields["category"].queryset = fields["category"].queryset.filter(zone__plan__code=plan_code)
        zone_code = self.data.get("zone") if self.data else None
        if zone_code:
            narrowed = fields["category"].queryset.filter(zone__code=zone_code)
            if narrowed.exists():
                fields["category"].queryset = narrowed
        # The choices show a name or two: a zone's plan texts and a category's introduction are
        # long, and building the 1,000 choice objects of 200 zones with every column took most of
        # the filter's time.
        fields["zone"].queryset = fields["zone"].queryset.only("plan_id", "code", "name", "name_en")
        fields["category"].queryset = fields["category"].queryset.only(
            "zone_id", "number", "code", "title", "title_en", "zone__name", "zone__name_en"
        )
        fields["agency"].queryset = fields["agency"].queryset.only("name", "name_en")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = (
            Q(title__icontains=value)
            | Q(title_en__icontains=value)
            | Q(text__icontains=value)
            | Q(source_ref__icontains=value)
        )
        if value.isdigit():
            condition |= Q(number=int(value))
        return queryset.filter(condition)


class AgencyTaskFilter(django_filters.FilterSet):
    """The tasks an agency supports, on its page: search, zone, this period's status, sorting."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(), to_field_name="code", label=_("Zone"), empty_label=_("All zones")
    )
    status = django_filters.ChoiceFilter(
        choices=[*TaskStatus.choices, ("none", _("No report"))],
        method="by_status",
        label=_("Status this period"),
        empty_label=_("Any status"),
    )
    sort = django_filters.OrderingFilter(
        fields=(("zone__annex_number", "zone"), ("report_percent", "percent"), ("report_status", "status")),
        field_labels={
            "zone__annex_number": _("Zone and number"),
            "report_percent": _("Percent complete"),
            "report_status": _("Status"),
        },
        label=_("Sort by"),
        empty_label=_("Zone and number"),
    )

    class Meta:
        model = Task
        fields = ["q", "zone", "status"]

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["zone"].queryset = zones
        self.form.fields["zone"].label_from_instance = lambda zone: zone.display_name

    search = TaskFilter.search

    def by_status(self, queryset, name, value):
        if value == "none":
            return queryset.filter(report_status__isnull=True)
        return queryset.filter(report_status=value)

    @property
    def qs(self):
        # Within a zone the plan's numbering is the natural secondary order.
        return super().qs.order_by(*super().qs.query.order_by, "zone__annex_number", "number")


class OutcomeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    plan = django_filters.ModelChoiceFilter(
        queryset=Plan.objects.all(),
        field_name="zone__plan",
        to_field_name="code",
        label=_("Plan"),
        empty_label=_("All plans"),
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.none(), to_field_name="code", label=_("Zone"), empty_label=_("All zones")
    )
    type = django_filters.ChoiceFilter(
        choices=OutcomeType.choices, label=_("Type"), empty_label=_("All types")
    )
    state = django_filters.ChoiceFilter(
        choices=OutcomeState.choices, label=_("State"), empty_label=_("All states")
    )
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.none(), label=_("Period"), empty_label=_("All periods")
    )

    class Meta:
        model = InnovationOutcome
        fields = ["q", "plan", "zone", "type", "state", "period"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        zones = visible_zones(user).order_by("plan__code", "annex_number") if user else Zone.objects.none()
        self.form.fields["plan"].queryset = plans_of(zones)
        self.form.fields["plan"].label_from_instance = lambda plan: plan.display_title
        plan_code = self.data.get("plan") if self.data else None
        if plan_code:
            zones = zones.filter(plan__code=plan_code)
        self.form.fields["zone"].queryset = zones
        self.form.fields["zone"].label_from_instance = lambda zone: zone.display_name
        self.form.fields["period"].queryset = (
            ReportingPeriod.objects.filter(plan__in=zones.values("plan"))
            .select_related("plan")
            .order_by("plan__code", "-start")
        )
        # Both plans have a 2026年第四季度: the plan's name tells them apart.
        self.form.fields["period"].label_from_instance = lambda period: (
            f"{period.name} · {period.plan.display_title}"
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))


class ReviewQueueFilter(django_filters.FilterSet):
    """The managers' queue of submitted reports on /my/, narrowed to one period (so to its
    plan) by the dashboard's 待审核 link, so the list shows what the card counted."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.select_related("plan"), label=_("Period")
    )
    zone = django_filters.ModelChoiceFilter(
        queryset=Zone.objects.all(), field_name="task__zone", to_field_name="code", label=_("Zone")
    )

    class Meta:
        model = ProgressReport
        fields = ["q", "period", "zone"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(task__title__icontains=value)
