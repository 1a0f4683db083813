"""The managers' dashboard at `/`: the period at a glance, with charts and their numbers."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Subquery
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core.access import access_for, can_review
from core.views import ensure
from measures.changes import asof
from measures.changes.forms import AsOfForm
from measures.changes.selectors import period_changes, summed_changes
from measures.choices import Light, TaskStatus
from measures.dashboard import selectors as reads
from measures.dashboard.forms import DashboardForm
from measures.models import Task
from measures.periods.selectors import current_of
from measures.review.selectors import verification_gaps
from notifications.models import Escalation
from zones.models import Plan, Zone

RED_LIMIT = 20
# The session key of the plan a manager chose last on the dashboard.
PLAN_KEY = "dashboard_plan"
# Colours are named by their CSS custom property in static/css/app.css, where they are defined;
# dashboard.js reads the value from the stylesheet.
LIGHT_COLOURS = {light: f"--light-{light}" for light in ("red", "yellow", "green", "none", "closed")}
STATUS_COLOURS = {
    "not_started": "--light-none",
    "on_track": "--light-green",
    "delayed": "--light-yellow",
    "blocked": "--light-red",
    "completed": "--brand",
    "none": "--status-none",
}


def _chosen(request):
    """(form, plan, period, the as-of form, its day): what both dashboard pages show, from the
    query or the plan chosen last."""
    # The plans with tasks and how many of their zones have any: an EXISTS per zone, not a join
    # of every task (20,000 at 200 zones) grouped back by plan.
    zones_with_tasks = (
        Zone.objects.filter(plan=OuterRef("pk"))
        .filter(Exists(Task.objects.filter(zone=OuterRef("pk"))))
        .order_by()
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    plans = reads.with_latest_reporting(
        Plan.objects.annotate(zone_count=Subquery(zones_with_tasks)).filter(zone_count__gt=0).order_by("code")
    )
    data = remembered_plan(request)
    plans = list(plans)
    # Neither chosen nor remembered (a first visit): the plan with reporting to show, not the
    # first by code (the five-year plan, often with nothing reported yet).
    chosen = data.get("plan") if data else None
    default = None if chosen in {p.code for p in plans} else reads.plan_with_reporting(plans)
    form = DashboardForm(data, plans=plans, default=default)
    plan, period = form.chosen()
    # Saved only when it changes: a session write is a query on every page that makes one.
    if plan is not None and request.GET.get("plan") == plan.code != request.session.get(PLAN_KEY):
        request.session[PLAN_KEY] = plan.code
    # ?as_of=YYYY-MM-DD: the page as it stood at the end of that day (measures.changes.asof).
    as_of_form = AsOfForm(request.GET or None)
    day = as_of_form.day()
    if day is not None and plan is not None and not form["period"].value():
        period = current_of(form.periods, today=day)
    return form, plan, period, as_of_form, day


@asof.paused_when_asked
def dashboard(request):
    ensure(can_review(request.user))
    form, plan, period, as_of_form, day = _chosen(request)
    access = access_for(request.user)
    context = {"form": form, "plan": plan, "access": access, "as_of_form": as_of_form}
    context["as_of"] = day
    context["tables_url"] = _same_choice(reverse("measures:dashboard-tables"), plan, period, day)
    if period is not None:
        tasks = Task.objects.visible_to(request.user)
        if day is None:
            # The tables by category and by agency are a page of their own (dashboard_tables).
            data = reads.dashboard(
                tasks=tasks,
                plan=plan,
                period=period,
                periods=form.periods,
                complete=access.sees_everything,
                breakdown=False,
            )
        else:
            data = asof.dashboard_as_of(
                tasks=tasks,
                plan=plan,
                period=period,
                periods=form.periods,
                day=day,
                complete=access.sees_everything,
                breakdown=False,
            )
        snapshot = data.pop("snapshot", None)
        zones = {row["zone"].pk: row["zone"] for row in data["zones"]}
        if snapshot is None:
            # The page shows the zones' tallies and the biggest movers only: summed and limited in
            # the database, not a row per task (20,000 of them at 200 zones).
            context["changes"] = summed_changes(tasks=tasks, period=period, periods=form.periods, zones=zones)
        else:
            context["changes"] = period_changes(
                tasks=tasks.filter(zone__plan=plan),
                period=period,
                periods=form.periods,
                reports=snapshot.counted(),
                milestones=snapshot.milestone_rows(),
                tasks_then=snapshot.then,
                zones=zones,
            )
        context.update(data)
        context["chart_data"] = chart_data(data)
        context["status_labels"] = [(value, label) for value, label in TaskStatus.choices] + [
            ("none", _("Not submitted"))
        ]
        context["light_labels"] = [(light.value, light.label) for light in reads.LIGHT_ORDER]
        # Red escalations (红色督办) still open in this plan, the oldest first: read (one query) only
        # when the top bar's count of open red escalations says there are any.
        red = (
            Escalation.objects.open().red().filter(plan=plan).order_by("issued_at")
            if day is None
            else asof.open_red_escalations(plan, day)
        )
        context["red_escalations"] = SimpleLazyObject(lambda: list(red[: RED_LIMIT + 1]))
        context["red_limit"] = RED_LIMIT
        # Verified progress beside self-reported, per zone (issue 18); as of a day, rebuilt with
        # the rest of the page (asof.verification_gaps_as_of).
        context["gaps"] = (
            verification_gaps(period, [row["zone"] for row in data["zones"]]) if day is None else data["gaps"]
        )
    return render(request, "measures/dashboard.html", context)


@login_required
@asof.paused_when_asked
def dashboard_tables(request):
    """The dashboard's tables by category and by supporting agency (800 categories and 60,000
    task-agency pairs at 200 zones): linked from the dashboard rather than counted and written on
    every view of it, for the same plan, period and day."""
    ensure(can_review(request.user))
    form, plan, period, as_of_form, day = _chosen(request)
    context = {"form": form, "plan": plan, "as_of_form": as_of_form, "as_of": day, "period": period}
    context["dashboard_url"] = _same_choice(reverse("home"), plan, period, day)
    if period is not None:
        tasks = Task.objects.visible_to(request.user)
        if day is None:
            data = reads.breakdown(tasks=tasks, plan=plan, period=period)
        else:
            data = asof.dashboard_as_of(
                tasks=tasks,
                plan=plan,
                period=period,
                periods=form.periods,
                day=day,
                complete=access_for(request.user).sees_everything,
            )
        context.update(
            {key: data[key] for key in ("owed", "deadline_passed", "total", "categories", "agencies")}
        )
        context["light_labels"] = [(light.value, light.label) for light in reads.LIGHT_ORDER]
    return render(request, "measures/dashboard_tables.html", context)


def _same_choice(url, plan, period, day):
    """`url` for the plan, period and day shown, so each page links to the other's same view."""
    query = {"plan": plan.code if plan else None, "period": period.pk if period else None, "as_of": day}
    query = {key: value for key, value in query.items() if value is not None}
    return f"{url}?{urlencode(query)}" if query else url


def remembered_plan(request):
    """The dashboard's query, with the plan chosen last time (kept in the session) when none is
    asked for: a manager following one plan need not choose it on every visit."""
    remembered = request.session.get(PLAN_KEY)
    if "plan" in request.GET or not remembered:
        return request.GET or None
    data = request.GET.copy()
    data["plan"] = remembered
    return data


def chart_data(data):
    """What the charts draw; the same numbers are in the tables next to them."""
    zones = [row["zone"].short_name for row in data["zones"]]
    status_names = dict(TaskStatus.choices) | {"none": _("Not submitted")}
    return {
        "zones": zones,
        "status": [
            {
                "label": str(status_names[status]),
                "colour": STATUS_COLOURS[status],
                "values": [row["tally"].by_status.get(status, 0) for row in data["zones"]],
            }
            for status in reads.STATUS_ORDER
        ],
        "reporting": [
            {
                "label": _("On time"),
                "colour": LIGHT_COLOURS["green"],
                "values": [r["tally"].on_time for r in data["zones"]],
            },
            {
                "label": _("Late"),
                "colour": LIGHT_COLOURS["yellow"],
                "values": [r["tally"].late for r in data["zones"]],
            },
            {
                # Red only once the deadline has passed; before it, nothing is late yet.
                "label": _("Missing") if data["deadline_passed"] else _("Not yet due"),
                "colour": LIGHT_COLOURS["red"] if data["deadline_passed"] else LIGHT_COLOURS["none"],
                "values": [r["tally"].missing for r in data["zones"]],
            },
        ],
        "progress": {
            "periods": [period.display_name for period in data["history"]["periods"]],
            "series": [
                {
                    "label": series["zone"].short_name,
                    "values": [point["average"] for point in series["points"]],
                }
                for series in data["history"]["series"]
            ],
        },
        "lights": [
            {"label": str(Light(light).label), "colour": LIGHT_COLOURS[light]} for light in reads.LIGHT_ORDER
        ],
    }
