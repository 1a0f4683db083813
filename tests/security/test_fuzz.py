"""Property-based fuzzing of every filter page and the main task-page forms.

Whatever a user (or a scanner) puts in a query string or a form, the answer is never a server
error, and a form that is refused changes nothing. Each property runs a bounded number of
examples so the whole security suite stays quick; failures print the smallest input found.
Hypothesis' example database is off, so no .hypothesis/ folder appears in the checkout.
"""

import importlib
import pkgutil
from contextlib import contextmanager

import django_filters
import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measures
from measures import services
from measures.adjustments.filters import AdjustmentFilter
from measures.choices import TaskStatus
from measures.followup.filters import RequestFilter
from measures.matters.filters import MatterFilter
from measures.models import ReportingPeriod, TaskCategory
from measures.outcomes.filters import OutcomeFilter
from measures.reporting.filters import ReviewQueueFilter
from measures.review.filters import WorkbenchFilter
from measures.signoff.filters import SignoffQueueFilter
from measures.tasks.filters import AgencyTaskFilter, TaskFilter
from measures.zone_pages.filters import AgencyListFilter
from stocktakes import filters as stocktakes_filters
from stocktakes.filters import ItemFilter, StocktakeFilter
from zones import filters as zones_filters
from zones.filters import UserFilter
from zones.models import Agency, Plan, Zone

from .conftest import task_state

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Anything a URL or form can carry: NUL and other control characters, CJK, emoji, RTL marks;
# not lone surrogates, which no browser can send (they cannot be encoded as UTF-8).
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
NUMBERS = st.integers(min_value=-(2**70), max_value=2**70).map(str)
NASTY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1.5",
        "1e9",
        "NaN",
        "\x00",
        "%00",
        "' OR 1=1 --",
        "../../etc/passwd",
        "<script>x</script>",
    ]
)


def value(valid):
    single = st.one_of(TEXT, NUMBERS, NASTY, st.sampled_from(valid) if valid else NASTY)
    # A repeated parameter (?zone=a&zone=b) as well as a single one.
    return st.one_of(single, st.lists(single, min_size=2, max_size=3))


def query(valid_by_name):
    return st.fixed_dictionaries({}, optional={name: value(valid) for name, valid in valid_by_name.items()})


@contextmanager
def rolled_back():
    """Each example starts from the same world: whatever a request wrote is undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- GET: every filter and list page --------------------------------------------------------


def pks(queryset):
    return [str(pk) for pk in queryset.values_list("pk", flat=True)[:20]]


def filter_values(w):
    """Valid values for each parameter name, so examples also reach the filtering code."""
    return {
        "q": ["集成电路", "1", "海关"],
        "zone": list(Zone.objects.values_list("code", flat=True)),
        "category": pks(TaskCategory.objects.filter(zone=w.zone)),
        "agency": pks(Agency.objects.all()),
        "status": [*TaskStatus.values, "none"],
        "sort": ["zone", "-zone", "percent", "-percent", "status", "-status"],
        "type": [],
        "state": [],
        "light": ["red", "yellow", "green", "none", "closed"],
        "reported": ["on_time", "late", "missing"],
        "period": pks(ReportingPeriod.objects.all()),
        "plan": list(Plan.objects.values_list("code", flat=True)),
        "page": ["1", "2", "999"],
        "kind": ["text", "agencies", "milestones", "withdrawal"],
        "urgency": ["normal", "urgent", "critical"],
        "overdue": ["true", "false", "unknown"],
        "held_after": ["2026-01-01", "2026-13-01"],
        "task": pks(w.zone.tasks.all()),
    }


# (page, role, url, parameters, the FilterSet it exercises if any)
PAGES = [
    ("task-list", "manager", lambda w: reverse("measures:task-list"), TaskFilter),
    ("task-list-officer", "officer", lambda w: reverse("measures:task-list"), TaskFilter),
    (
        "task-list-export",
        "officer",
        lambda w: reverse("measures:task-list-export", args=["csv"]),
        TaskFilter,
    ),
    (
        "agency-detail",
        "manager",
        lambda w: reverse("zones:agency-detail", args=[w.customs.pk]),
        AgencyTaskFilter,
    ),
    ("agency-list", "manager", lambda w: reverse("zones:agency-list"), AgencyListFilter),
    ("outcome-list", "manager", lambda w: reverse("measures:outcome-list"), OutcomeFilter),
    (
        "adjustment-list",
        "manager",
        lambda w: reverse("measures:adjustment-list"),
        AdjustmentFilter,
    ),
    ("matter-list", "officer", lambda w: reverse("measures:matter-list"), MatterFilter),
    ("review-queue", "manager", lambda w: reverse("measures:my"), ReviewQueueFilter),
    ("request-list", "manager", lambda w: reverse("measures:request-list"), RequestFilter),
    ("user-list", "administrator", lambda w: reverse("people:list"), UserFilter),
    ("stocktake-list", "manager", lambda w: reverse("stocktakes:list"), StocktakeFilter),
    ("assigned-items", "officer", lambda w: reverse("stocktakes:items"), ItemFilter),
    ("signoff-queue", "leader", lambda w: reverse("measures:signoff-list"), SignoffQueueFilter),
    ("review-workbench", "manager", lambda w: reverse("measures:review-queue"), WorkbenchFilter),
    ("task-page", "officer", lambda w: w.task.get_absolute_url(), ["period"]),
    ("dashboard", "manager", lambda w: "/", ["plan", "period"]),
    ("reports", "manager", lambda w: reverse("measures:period-report"), ["period", "zone"]),
    (
        "period-report",
        "officer",
        lambda w: reverse("measures:period-report-html", args=[w.period.pk]),
        ["zone"],
    ),
    (
        "bulk-template",
        "officer",
        lambda w: reverse("measures:bulk-template-csv", args=[w.period.pk]),
        ["zone"],
    ),
]


def parameters(source):
    if isinstance(source, list):
        return source
    names = list(source.base_filters)
    return [*names, "page"]


# Each domain package of measures keeps its lists' filters in its own filters module.
MEASURES_FILTER_MODULES = [
    importlib.import_module(info.name)
    for info in pkgutil.walk_packages(measures.__path__, "measures.")
    if info.name.endswith(".filters")
]


def test_every_filterset_is_fuzzed():
    defined = {
        cls
        for module in (*MEASURES_FILTER_MODULES, zones_filters, stocktakes_filters)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, django_filters.FilterSet)
        and cls.__module__ == module.__name__
    }
    fuzzed = {source for *_, source in PAGES if not isinstance(source, list)}
    # A FilterSet extended by a fuzzed one is fuzzed with it.
    fuzzed |= {base for cls in fuzzed for base in cls.__mro__[1:] if base in defined}
    assert defined == fuzzed


@pytest.mark.parametrize(("page", "role", "url", "source"), PAGES, ids=[page[0] for page in PAGES])
@FUZZ
@given(data=st.data())
def test_get_parameters_never_cause_a_server_error(client, world, page, role, url, source, data):
    client.force_login(getattr(world, role))
    valid = filter_values(world)
    params = data.draw(query({name: valid.get(name, []) for name in parameters(source)}), label="params")
    with rolled_back():
        response = client.get(url(world), params)
    assert response.status_code < 500
    # Bad filter input narrows or ignores, it never becomes an error page (404 is "not yours").
    assert response.status_code in {200, 302, 400, 404}


# --- POST: the task page's forms ------------------------------------------------------------


@pytest.fixture
def submitted(world):
    world.report = services.submit_report(report=world.report, user=world.officer)
    return world


def report_url(name, w):
    return reverse(f"measures:{name}", args=[w.zone.code, w.task.number, w.period.pk])


def task_url(name, w):
    return reverse(f"measures:{name}", args=[w.zone.code, w.task.number])


FORMS = [
    (
        "report-edit",
        "officer",
        lambda w: report_url("report-edit", w),
        lambda w: {
            "status": [*TaskStatus.values],
            "percent_complete": ["0", "40", "100", "101", "-1"],
            "progress": ["完成集成电路产业政策梳理"],
            "problems": [""],
            "next_steps": ["推进保税研发试点"],
            "support_needed": [""],
            "support_agency": pks(Agency.objects.filter(task_links__task=w.task)),
            "version": [str(w.report.version), "0"],
            "save": [""],
            "submit": [""],
        },
    ),
    (
        "milestone-add",
        "officer",
        lambda w: task_url("milestone-add", w),
        lambda w: {"title": ["完成验收"], "due": ["2030-01-31", "2030-02-30", "1-1-1", "9999-12-31"]},
    ),
    (
        "request-add",
        "officer",
        lambda w: task_url("request-add", w),
        lambda w: {
            "agency": pks(Agency.objects.filter(task_links__task=w.task)) + pks(Agency.objects.all()),
            "question": ["请协调通关便利"],
        },
    ),
    (
        "review",
        "manager",
        lambda w: report_url("report-review", w),
        lambda w: {
            "action": ["accept", "return", "comment", "ACCEPT"],
            "note": ["请补充材料"],
            "version": [str(w.report.version), "0"],
        },
    ),
    (
        "evidence-link",
        "officer",
        lambda w: report_url("evidence-add-link", w),
        lambda w: {
            "url": [
                "https://www.tj.gov.cn/",
                "javascript:alert(1)",
                "data:text/html,x",
                "//evil.example",
                "ftp://x",
            ],
            "description": ["政府网站通报"],
        },
    ),
]


def post_and_compare(client, world, role, url, valid, data):
    client.force_login(getattr(world, role))
    body = data.draw(query(valid(world)), label="body")
    with rolled_back():
        before = task_state(world.task)
        response = client.post(url(world), body)
        after = task_state(world.task)
    assert response.status_code in {302, 400, 409}
    if response.status_code != 302:
        assert after == before


OFFICER_FORMS = [form for form in FORMS if form[1] == "officer"]


@pytest.mark.parametrize(("form", "role", "url", "valid"), OFFICER_FORMS, ids=[f[0] for f in OFFICER_FORMS])
@FUZZ
@given(data=st.data())
def test_officer_forms_never_fail_and_refused_input_changes_nothing(
    client, world, form, role, url, valid, data
):
    post_and_compare(client, world, role, url, valid, data)


@pytest.mark.parametrize(("form", "role", "url", "valid"), [FORMS[3]], ids=["review"])
@FUZZ
@given(data=st.data())
def test_review_form_never_fails_and_refused_input_changes_nothing(
    client, submitted, form, role, url, valid, data
):
    post_and_compare(client, submitted, role, url, valid, data)


def test_evidence_links_only_accept_web_addresses(client, world):
    # The property above allows any accepted link; this pins what "accepted" means for the
    # dangerous schemes, since a stored link is rendered as <a href> on the task page.
    client.force_login(world.officer)
    url = report_url("evidence-add-link", world)
    for link in [
        "javascript:alert(1)",
        "data:text/html,<script>x</script>",
        "vbscript:x",
        "file:///etc/passwd",
    ]:
        before = task_state(world.task)
        response = client.post(url, {"url": link, "description": "x"})
        assert response.status_code == 400, link
        assert task_state(world.task) == before
