from functools import cached_property, lru_cache

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.filters import DisplayNamesFilterSet, OrderingFilter
from core.instances import loaded
from core.widgets import QuickSelect, ReadyChoices, drawn_choice
from measures.choices import REPORTED_STATES, AgencyRole, ReportState, TaskStatus
from measures.dashboard.selectors import LIGHT_ORDER, NO_REPORT, drilled
from measures.models import Task, TaskAgency, TaskCategory
from measures.periods.selectors import current_periods
from measures.scoping import visible_agencies, visible_zones
from zones.models import Agency, Plan, Zone
from zones.numerals import typed_number

# The task list's filters that select the tasks behind a dashboard count.
DRILL = ("light", "status", "state", "reported")


def plans_of(zones):
    """The plans the given zones belong to, for a plan choice that offers only what can match."""
    return Plan.objects.filter(pk__in=zones.values("plan_id")).order_by("code")


# The filter's choices are read as plain rows on every request (so a change shows at once and
# visibility is decided by the scoping queries as before), and what is made of them, model
# instances and labels in each language, is kept per process under the rows themselves: the same
# rows give the same choices, other rows are another key. At 200 zones and 800 categories making
# them was a fifth of the task list's time. A few keys each: one per set of visible zones,
# chosen zone or plan in use at once. The kept instances are shared by every request and thread:
# they only label and check choices (the filters match on ids) and are never handed to a view,
# where loading a deferred field or a relation onto one would keep it past a change.
KEPT_CHOICES = 64
ZONE_COLUMNS = (
    "id",
    "plan_id",
    "annex_number",
    "code",
    "name",
    "name_en",
    "plan__code",
    "plan__title",
    "plan__title_en",
)
CATEGORY_COLUMNS = ("id", "zone_id", "number", "code", "title", "title_en")
AGENCY_COLUMNS = ("id", "name", "name_en")


@lru_cache(maxsize=KEPT_CHOICES)
def _zones_of(db, rows):
    """Zone instances with their plans (one instance a plan) from ZONE_COLUMNS rows
    (core.instances.loaded: no Model.__init__ for each)."""
    plans, zones = {}, []
    cache_plan = Zone.plan.field.set_cached_value
    for row in rows:
        values = dict(zip(ZONE_COLUMNS, row, strict=True))
        plan = {
            "id": values["plan_id"],
            **{k: values.pop(f"plan__{k}") for k in ("code", "title", "title_en")},
        }
        if plan["id"] not in plans:
            plans[plan["id"]] = loaded(Plan, plan, db=db)
        zone = loaded(Zone, values, db=db)
        cache_plan(zone, plans[plan["id"]])
        zones.append(zone)
    return tuple(zones)


@lru_cache(maxsize=KEPT_CHOICES)
def _categories_of(rows, db, zone_rows):
    zones = {zone.pk: zone for zone in _zones_of(db, zone_rows)}
    cache_zone = TaskCategory.zone.field.set_cached_value
    categories = []
    for row in rows:
        category = loaded(TaskCategory, dict(zip(CATEGORY_COLUMNS, row, strict=True)), db=db)
        if category.zone_id in zones:
            cache_zone(category, zones[category.zone_id])
        categories.append(category)
    return tuple(categories)


@lru_cache(maxsize=KEPT_CHOICES)
def _agencies_of(db, rows):
    return tuple(loaded(Agency, dict(zip(AGENCY_COLUMNS, row, strict=True)), db=db) for row in rows)


@lru_cache(maxsize=KEPT_CHOICES)
def _plan_labels(db, rows, language):
    return {
        zone.plan.pk: drawn_choice(zone.plan.code, zone.plan.display_title) for zone in _zones_of(db, rows)
    }


@lru_cache(maxsize=KEPT_CHOICES)
def _zone_labels(db, rows, language):
    return {zone.pk: drawn_choice(zone.code, zone.display_name) for zone in _zones_of(db, rows)}


@lru_cache(maxsize=KEPT_CHOICES)
def _category_labels(rows, db, zone_rows, language):
    return {
        category.pk: drawn_choice(
            category.pk, f"{category.zone.short_name} {category.display_number} {category.display_title}"
        )
        for category in _categories_of(rows, db, zone_rows)
    }


@lru_cache(maxsize=KEPT_CHOICES)
def _agency_labels(db, rows, language):
    return {agency.pk: drawn_choice(agency.pk, agency.display_name) for agency in _agencies_of(db, rows)}


def _labels_in(labels_of, rows, items):
    """The (value, label) choices of `items`, labelled in the active language and drawn once
    (core.widgets.drawn_choice)."""
    labels = labels_of(*rows, get_language())
    return ReadyChoices([labels[item.pk] for item in items])


class TaskFilter(django_filters.FilterSet):
    """The task list's filters. Plans and zones come from one read of the visible zones (with
    their plans), categories and agencies from one read each, made only when a value is checked
    or the form is drawn; each list serves both the <select> and the check of the value sent, so
    the filter's queries are the same whatever is chosen (and the API, which draws nothing, reads
    only what it is asked to check). Every <select> is a QuickSelect: drawn through Django's
    option templates, the six short ones took as long as the list's 25 rows."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    # The field names say what the value is (for the API schema); the methods filter on the ids
    # already read, so the task queries need no join to match a code.
    plan = django_filters.ChoiceFilter(
        field_name="zone__plan__code",
        method="by_plan",
        label=_("Plan"),
        empty_label=_("All plans"),
        widget=QuickSelect,
    )
    zone = django_filters.ChoiceFilter(
        field_name="zone__code",
        method="by_zone",
        label=_("Zone"),
        empty_label=_("All zones"),
        widget=QuickSelect,
    )
    category = django_filters.ChoiceFilter(
        field_name="category", label=_("Category"), empty_label=_("All categories"), widget=QuickSelect
    )
    agency = django_filters.ChoiceFilter(
        field_name="agency_links__agency",
        label=_("Supporting agency"),
        empty_label=_("All agencies"),
        widget=QuickSelect,
    )

    role = django_filters.ChoiceFilter(
        choices=AgencyRole.choices,
        method="by_role",
        label=_("Agency role"),
        empty_label=_("Any role"),
        widget=QuickSelect,
    )
    # The dashboard's counts, as filters (its links open them): the light, the counted status, the
    # report's state and its timeliness in `period` (the current one of each plan when not given),
    # all decided by the dashboard's own rule (dashboard.selectors.counted_in) in filter_queryset.
    period = django_filters.NumberFilter(method="by_period", label=_("Period"), widget=forms.HiddenInput)
    light = django_filters.ChoiceFilter(
        choices=[(light.value, light.label) for light in LIGHT_ORDER],
        method="drill",
        label=_("Light"),
        empty_label=_("Any light"),
        widget=QuickSelect,
    )
    status = django_filters.ChoiceFilter(
        choices=[*TaskStatus.choices, (NO_REPORT, _("Not submitted"))],
        method="drill",
        label=_("Reported status"),
        empty_label=_("Any status"),
        widget=QuickSelect,
    )
    state = django_filters.ChoiceFilter(
        choices=ReportState.choices,
        method="drill",
        label=_("Report state"),
        empty_label=_("Any state"),
        widget=QuickSelect,
    )
    # Selects nothing: shows the zones' unsubmitted reports in the rows to those who see them only
    # when they ask (reporting.unsubmitted_listed_for), as a filter by such a state does too.
    drafts = django_filters.BooleanFilter(
        method="keep", label=_("Show the zones' drafts"), widget=forms.CheckboxInput
    )
    reported = django_filters.ChoiceFilter(
        choices=[("on_time", _("On time")), ("late", _("Late")), ("missing", _("Missing"))],
        method="drill",
        label=_("Reported by the deadline"),
        empty_label=_("On time, late or missing"),
        widget=QuickSelect,
    )

    class Meta:
        model = Task
        fields = ["q", "plan", "zone", "category", "agency", "role", "period", *DRILL, "drafts"]

    def keep(self, queryset, name, value):
        return queryset

    def drafts_asked(self):
        """Whether the list is asked for unsubmitted reports: the choice, or a filter by a state
        that is not reported (a draft, returned, awaiting sign-off)."""
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        state = data.get("state")
        return bool(data.get("drafts")) or (bool(state) and state not in REPORTED_STATES)

    def by_role(self, queryset, name, value):
        """Tasks the chosen agency serves in this role, or any agency when none is chosen."""
        links = TaskAgency.objects.filter(role=value)
        agency = self._chosen("agency")
        agency_id = typed_number(str(agency)) if agency else None
        if agency_id is not None:
            links = links.filter(agency_id=agency_id)
        return queryset.filter(pk__in=links.values("task_id"))

    def __init__(self, *args, periods=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The view reads the periods it lists the tasks for (current_periods, `period` standing for
        # its plan) and passes them; the API's list reads them here when a filter needs them.
        self._periods = periods
        fields = self.form.fields
        # Callables: django's ChoiceField calls them each time the choices are read; the lists
        # behind them are read once a request, their labels made once a process for the same rows
        # and language.
        fields["plan"].choices = lambda: _labels_in(_plan_labels, self._zone_rows, self.plan_list)
        fields["zone"].choices = lambda: _labels_in(_zone_labels, self._zone_rows, self.zone_list)
        fields["category"].choices = lambda: _labels_in(
            _category_labels, (self._category_rows, *self._zone_rows), self.category_list
        )
        fields["agency"].choices = lambda: _labels_in(_agency_labels, self._agency_rows, self.agency_list)

    def get_form_class(self):
        # django-filter makes a new form class from the filters' fields on every request; they are
        # the same each time (the choices that differ are set on the form's own copies, above), so
        # each filter class makes it once. No filter here takes its field from the request (as a
        # ModelChoiceFilter with a callable queryset would): one that did could not be kept so.
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class

    @cached_property
    def periods(self):
        if self._periods is not None:
            return self._periods
        chosen = self._chosen("period")
        return current_periods(chosen=typed_number(str(chosen)) if chosen else None)

    def chosen_period(self, value):
        return next((p for p in self.periods.values() if p is not None and p.pk == value), None)

    def by_period(self, queryset, name, value):
        period = self.chosen_period(int(value)) if value == int(value) else None
        if period is None:
            return queryset.none()
        return queryset.filter(zone__plan_id=period.plan_id)

    def drill(self, queryset, name, value):
        # Applied together in filter_queryset: one grouped read whatever the number chosen.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        wanted = {name: self.form.cleaned_data.get(name) for name in DRILL}
        wanted = {name: value for name, value in wanted.items() if value}
        if not wanted:
            return queryset
        period_id = self.form.cleaned_data.get("period")
        user, today = self._user, timezone.localdate()
        tasks = Task.objects.visible_to(user) if user is not None else Task.objects.all()
        condition = Q(pk__in=[])
        for plan_id, period in self.periods.items():
            if period is None or (period_id is not None and period.pk != period_id):
                continue
            # The same lights and timeliness the dashboard counts (one query a plan), as a
            # subquery rather than a list of ids.
            condition |= Q(pk__in=drilled(tasks.filter(zone__plan_id=plan_id), period, today, **wanted))
        return queryset.filter(condition)

    @property
    def _user(self):
        return getattr(self.request, "user", None)

    def _chosen(self, name):
        return self.data.get(name) if self.data else None

    @cached_property
    def _zone_rows(self):
        """The visible zones with their plans, as plain rows: what the choices are made of, and
        the key under which what is made of them is kept (see ChoicesOf)."""
        user = self._user
        zones = visible_zones(user) if user is not None else Zone.objects.all()
        rows = zones.order_by("plan__code", "annex_number").values_list(*ZONE_COLUMNS)
        return zones.db, tuple(rows)

    @cached_property
    def visible_zone_list(self):
        """Every zone the user may see, with its plan; only the columns the choices show."""
        return _zones_of(*self._zone_rows)

    @cached_property
    def plan_list(self):
        """The plans of the visible zones: a plan choice offers only what can match."""
        plans = {}
        for zone in self.visible_zone_list:
            plans.setdefault(zone.plan.code, zone.plan)
        return list(plans.values())

    @cached_property
    def zone_list(self):
        """The visible zones; with a plan chosen, only its zones can match."""
        plan_code = self._chosen("plan")
        if plan_code:
            return [zone for zone in self.visible_zone_list if zone.plan.code == plan_code]
        return self.visible_zone_list

    def _chosen_zone(self):
        code = self._chosen("zone")
        return next((zone for zone in self.zone_list if zone.code == code), None) if code else None

    @cached_property
    def _category_rows(self):
        """The visible zones' categories; with a (valid) zone chosen, its own, with a plan, the
        plan's."""
        categories = TaskCategory.objects.all()
        order = ("zone__annex_number", "number")
        zone = self._chosen_zone()
        if zone is not None:
            # One zone: its numbers alone give the same order, without joining the zones.
            categories, order = categories.filter(zone_id=zone.pk), ("number",)
        else:
            if self._user is not None:
                categories = categories.filter(zone__in=visible_zones(self._user))
            plan_code = self._chosen("plan")
            if plan_code:
                categories = categories.filter(zone__plan__code=plan_code)
        rows = categories.order_by(*order).values_list(*CATEGORY_COLUMNS)
        return tuple(rows)

    @cached_property
    def category_list(self):
        """Each category gets its zone from visible_zone_list rather than a joined copy."""
        return _categories_of(self._category_rows, *self._zone_rows)

    @cached_property
    def _agency_rows(self):
        user = self._user
        agencies = visible_agencies(user) if user is not None else Agency.objects.all()
        return agencies.db, tuple(agencies.order_by("name").values_list(*AGENCY_COLUMNS))

    @cached_property
    def agency_list(self):
        return _agencies_of(*self._agency_rows)

    def by_plan(self, queryset, name, value):
        plan = next(plan for plan in self.plan_list if plan.code == value)
        return queryset.filter(zone__plan_id=plan.pk)

    def by_zone(self, queryset, name, value):
        zone = next(zone for zone in self.zone_list if zone.code == value)
        return queryset.filter(zone_id=zone.pk)

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
        if (number := typed_number(value)) is not None:
            condition |= Q(number=number)
        return queryset.filter(condition)


class AgencyTaskFilter(DisplayNamesFilterSet):
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
    sort = OrderingFilter(
        fields=(("zone__annex_number", "zone"), ("report_percent", "percent"), ("report_status", "status")),
        field_labels={
            "zone__annex_number": _("Zone and number"),
            "report_percent": _("Percent complete"),
            "report_status": _("Status"),
        },
        label=_("Sort by"),
        empty_label=_("Zone and number"),
    )

    # As the task list's: a manager sees the zones' unsubmitted reports here only when asked.
    drafts = django_filters.BooleanFilter(
        method="keep", label=_("Show the zones' drafts"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Task
        fields = ["q", "zone", "status", "drafts"]

    def keep(self, queryset, name, value):
        return queryset

    def drafts_asked(self):
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        return bool(data.get("drafts"))

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["zone"].queryset = zones

    search = TaskFilter.search

    def by_status(self, queryset, name, value):
        if value == "none":
            return queryset.filter(report_status__isnull=True)
        return queryset.filter(report_status=value)

    @property
    def qs(self):
        # Within a zone the plan's numbering is the natural secondary order; the key last, so the
        # order is total (two plans share annex and task numbers) and the page's pages cover every task.
        return super().qs.order_by(*super().qs.query.order_by, "zone__annex_number", "number", "pk")
