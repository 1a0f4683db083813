"""The meeting pack's sections by scope: an agency's meeting reads the agency's tasks and requests only,
a zone's its own; overdue requests by the shared rule (request_overdue); indicator gaps from the scorecard."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from docx import Document

from indicators.choices import ValueState
from indicators.models import IndicatorValue
from measures import services as measures_services
from measures.models import CoordinationRequest, Task
from stocktakes import selectors, services
from tests.factories import make_period
from tests.indicators.conftest import make_indicator

pytestmark = pytest.mark.django_db


def ask(task, officer, agency, days_overdue):
    """A request whose reply-by date passed `days_overdue` days ago (negative: still to come)."""
    request = measures_services.ask_agency(task=task, user=officer, agency=agency, question="请支持")
    CoordinationRequest.objects.filter(pk=request.pk).update(
        reply_by=timezone.localdate() - datetime.timedelta(days=days_overdue)
    )
    return request


def test_an_agency_meeting_reads_the_agency_only(plan, xiqing, manager, officer, today):
    mine = Task.objects.filter(zone=xiqing).order_by("number").first()
    agency, other = [link.agency for link in mine.agency_links.order_by("position")[:2]]
    make_period(plan, deadline=today - datetime.timedelta(days=2))
    late = ask(mine, officer, agency, days_overdue=20)
    ask(mine, officer, other, days_overdue=20)
    ask(mine, officer, agency, days_overdue=-2)
    meeting = services.schedule_stocktake(
        user=manager, plan=plan, agency=agency, title="单位调度会", held_on=today
    )
    pack = selectors.pack(meeting)
    supported = set(
        Task.objects.filter(zone__plan=plan, agency_links__agency=agency).values_list("pk", flat=True)
    )
    assert {task.pk for task in pack.red} == supported and mine.pk in supported
    assert len(supported) < Task.objects.filter(zone__plan=plan).count()
    assert pack.requests == [late]
    assert pack.gaps == []


def test_overdue_requests_are_the_shared_rule(plan, xiqing, manager, officer, today):
    task = Task.objects.filter(zone=xiqing).order_by("number").first()
    request = ask(task, officer, task.agency_links.first().agency, days_overdue=0)
    meeting = services.schedule_stocktake(user=manager, plan=plan, zone=xiqing, title="会", held_on=today)
    assert selectors.pack(meeting).requests == []  # due today: not overdue yet
    CoordinationRequest.objects.filter(pk=request.pk).update(reply_by=today - datetime.timedelta(days=1))
    assert selectors.pack(meeting).requests == [request]
    assert list(CoordinationRequest.objects.overdue(today)) == [request]


def test_indicator_gaps_are_values_short_of_their_target(plan, xiqing, manager, today):
    period = make_period(plan, day=today)
    short = make_indicator(plan, name="实际利用外资", target=Decimal("100"), baseline=Decimal("0"))
    met = make_indicator(plan, name="进出口总额", target=Decimal("50"), baseline=Decimal("0"))
    make_indicator(plan, name="新增企业", target=Decimal("10"))  # no value: not a gap
    for indicator, value in ((short, "40"), (met, "60")):
        IndicatorValue.objects.create(
            indicator=indicator,
            zone=xiqing,
            period=period,
            value=Decimal(value),
            state=ValueState.ACCEPTED,
            entered_by=manager,
            entered_at=timezone.now(),
            updated_at=timezone.now(),
        )
    meeting = services.schedule_stocktake(user=manager, plan=plan, zone=xiqing, title="会", held_on=today)
    gaps = selectors.pack(meeting).gaps
    assert [(zone, row.indicator) for zone, row in gaps] == [(xiqing, short)]


def test_movers_are_the_changes_selectors(plan, xiqing, manager, officer, today):
    """The pack's movers are measures.changes' (one definition): a fall is listed among the losses
    and a status that worsened at the same percent among the status worsenings, not mixed with
    the gains by size; a task withdrawn before the period is left out (the old pack-only read
    listed all three as one list of percent moves, the last one too, and missed the second)."""
    from measures.changes.selectors import period_changes
    from measures.choices import TaskStatus
    from stocktakes.docx import sections

    period, previous = make_period(plan, day=today), make_period(plan, day=today, shift=-1)
    rising, falling, worsening, withdrawn = Task.objects.filter(zone=xiqing).order_by("number")[:4]
    moves = [
        (rising, (10, TaskStatus.ON_TRACK), (50, TaskStatus.ON_TRACK)),
        (falling, (60, TaskStatus.ON_TRACK), (40, TaskStatus.ON_TRACK)),
        (worsening, (30, TaskStatus.ON_TRACK), (30, TaskStatus.DELAYED)),
        (withdrawn, (0, TaskStatus.ON_TRACK), (90, TaskStatus.ON_TRACK)),
    ]
    for task, before, now in moves:
        for when, (percent, status) in ((previous, before), (period, now)):
            measures_services.save_and_submit_report(
                task=task,
                period=when,
                user=officer,
                data={"status": status, "percent_complete": percent, "progress": "进展", "problems": "问题"},
            )
    Task.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now() - datetime.timedelta(days=200))
    meeting = services.schedule_stocktake(user=manager, plan=plan, zone=xiqing, title="会", held_on=today)
    pack = selectors.pack(meeting)
    gains, losses, worsened = pack.movers
    assert [(row.task_id, row.delta) for row in gains] == [(rising.pk, 40)]
    assert [(row.task_id, row.delta) for row in losses] == [(falling.pk, -20)]
    assert [row.task_id for row in worsened] == [worsening.pk]
    changes = period_changes(tasks=Task.objects.filter(zone=xiqing), period=period)
    assert [[row.task_id for row in rows] for rows in pack.movers] == [
        [row.task_id for row in rows] for rows in (changes.gains(), changes.losses(), changes.worsened())
    ]
    with translation.override("en"):
        lines = dict(sections(pack))["Biggest movers"]
    assert len(lines) == 3 and lines[0].endswith("10% → 50% (+40)")


def test_indicator_gaps_read_as_typed_on_the_page_and_in_word(client, plan, xiqing, manager, today):
    # The column keeps four decimals (100.0000); the pack shows the figures as the scorecard does.
    period = make_period(plan, day=today)
    indicator = make_indicator(
        plan, name="实际利用外资", unit="亿美元", target=Decimal("100"), baseline=Decimal("0")
    )
    IndicatorValue.objects.create(
        indicator=indicator,
        zone=xiqing,
        period=period,
        value=Decimal("12.5"),
        state=ValueState.ACCEPTED,
        entered_by=manager,
        entered_at=timezone.now(),
        updated_at=timezone.now(),
    )
    meeting = services.schedule_stocktake(user=manager, plan=plan, zone=xiqing, title="会", held_on=today)
    client.force_login(manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("stocktakes:detail", args=[meeting.pk])).content.decode()
    gaps = page.split('id="gaps"')[1].split("</section>")[0]
    assert "12.5 / 100 × USD 100 million" in gaps and "0000" not in gaps
    response = client.get(reverse("stocktakes:pack-docx", args=[meeting.pk]))
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "12.5 / 100 × USD 100 million" in text and "0000" not in text


def _plan_pack_figures(pack):
    return (
        [task.pk for task in pack.red],
        [task.pk for task in pack.yellow],
        [(zone.pk, row.indicator.pk, row.latest, row.status) for zone, row in pack.gaps],
    )


def test_the_whole_plans_pack_reads_every_zone_at_once(plan, manager, today, monkeypatch):
    """A pack of the whole plan reads the indicator gaps of every zone at once (one scorecard a zone
    was ~3 queries × 200 zones): the same queries with more zones and values, the same gaps as each
    zone's scorecard gives, and each zone's red tasks capped with a link to the rest."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from indicators.selectors import scorecard
    from tests.factories import make_task, make_zone

    period = make_period(plan, deadline=today - datetime.timedelta(days=2))
    indicator = make_indicator(plan, name="实际利用外资", target=Decimal("100"), baseline=Decimal("0"))
    meeting = services.schedule_stocktake(user=manager, plan=plan, title="全市调度会", held_on=today)

    def add_zone_with_gap():
        zone = make_zone(plan)
        for _ in range(3):
            make_task(zone)
        IndicatorValue.objects.create(
            indicator=indicator,
            zone=zone,
            period=period,
            value=Decimal("40"),
            state=ValueState.ACCEPTED,
            entered_by=manager,
            entered_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return zone

    add_zone_with_gap()
    with CaptureQueriesContext(connection) as few:
        selectors.pack(meeting)
    added = [add_zone_with_gap() for _ in range(3)]
    with CaptureQueriesContext(connection) as many:
        pack = selectors.pack(meeting)
    assert len(many) == len(few)
    expected = [
        (zone, row.indicator)
        for zone in plan.zones.order_by("annex_number")
        for row in scorecard(zone=zone, today=today)["rows"]
        if row.latest is not None and row.status in selectors.GAP_STATUSES
    ]
    assert [(zone, row.indicator) for zone, row in pack.gaps] == expected
    assert {zone for zone, _row in pack.gaps} >= set(added)

    monkeypatch.setattr(selectors, "PER_ZONE", 2)
    groups = pack.red_by_zone
    assert len(groups) == plan.zones.count() and sum(group.total for group in groups) == len(pack.red)
    assert all(len(group.rows) == min(2, group.total) for group in groups)
    group = next(group for group in groups if group.owner == added[0])
    assert group.more == 1 and f"zone={added[0].code}" in group.url and "light=red" in group.url


def test_the_whole_plans_page_and_word_pack_link_to_the_rest(client, plan, manager, today, monkeypatch):
    make_period(plan, deadline=today - datetime.timedelta(days=2))
    meeting = services.schedule_stocktake(user=manager, plan=plan, title="全市调度会", held_on=today)
    monkeypatch.setattr(selectors, "PER_ZONE", 1)
    pack = selectors.pack(meeting)
    hidden = [task for group in pack.red_by_zone for task in group.rows[1:]]
    group = next(group for group in pack.red_by_zone if group.more)
    client.force_login(manager)
    with translation.override("en"):
        page = client.get(reverse("stocktakes:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert f"{group.more} more in the task list" in html and group.url.replace("&", "&amp;") in html
    shown = Task.objects.filter(zone=group.owner).order_by("number").first()
    assert shown.get_absolute_url() in html
    assert not [task for task in hidden if f'href="{task.get_absolute_url()}"' in html]
    response = client.get(reverse("stocktakes:pack-docx", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert f"{group.name}: {group.more} more in the task list" in text


def test_red_and_yellow_are_those_of_lighting_every_task(plan, xiqing, manager, officer, today):
    """The pack reads only the tasks the dashboard's rule counts red or yellow; they must be exactly
    the red and yellow tasks of lighting every task of the scope (attach_lights), as before."""
    from measures.choices import Light, TaskStatus
    from measures.models import ReportingPeriod
    from measures.tasks.selectors import attach_lights, with_period_report

    period = make_period(plan, deadline=today - datetime.timedelta(days=2))
    tasks = list(Task.objects.filter(zone=xiqing).order_by("number")[:8])
    for task, status in zip(
        tasks,
        [TaskStatus.ON_TRACK, TaskStatus.DELAYED, TaskStatus.BLOCKED, TaskStatus.COMPLETED],
        strict=False,
    ):
        measures_services.save_and_submit_report(
            task=task,
            period=period,
            user=officer,
            data={
                "status": status,
                "percent_complete": 100 if status == TaskStatus.COMPLETED else 50,
                "progress": "进展",
                "problems": "问题",
            },
        )
    measures_services.save_report(
        task=tasks[4], period=period, user=officer, data={"status": TaskStatus.DELAYED, "percent_complete": 5}
    )
    Task.objects.filter(pk=tasks[5].pk).update(withdrawn_at=timezone.now())
    Task.objects.filter(pk=tasks[6].pk).update(closed_at=timezone.now())
    for scope in ({"zone": xiqing}, {}):
        meeting = services.schedule_stocktake(user=manager, plan=plan, title="会", held_on=today, **scope)
        pack = selectors.pack(meeting)
        current = pack.period
        assert current == ReportingPeriod.objects.get(pk=period.pk) or current is not None
        every = attach_lights(
            list(
                with_period_report(selectors.scope_tasks(meeting), [current.pk], today).order_by(
                    "zone__annex_number", "number"
                )
            ),
            {plan.pk: current},
            today,
        )
        assert [t.pk for t in pack.red] == [t.pk for t in every if t.light == Light.RED]
        assert [t.pk for t in pack.yellow] == [t.pk for t in every if t.light == Light.YELLOW]
        assert pack.red and pack.yellow


def test_a_whole_plans_page_caps_requests_matters_and_items_per_zone_and_the_word_pack_keeps_all(
    client, plan, xiqing, wuqing, agency, manager, officer, foreign_officer, today, monkeypatch
):
    """Each zone's (or agency's) first PER_ZONE overdue requests, open matters and items on the page,
    a link to the rest in its filtered list (which lists them), and every one of them in the Word pack."""
    meeting = services.schedule_stocktake(user=manager, plan=plan, title="全市调度会", held_on=today)
    requests, matters, items = [], [], []
    for zone, person in ((xiqing, officer), (wuqing, foreign_officer)):
        task = Task.objects.filter(zone=zone).order_by("number").first()
        for k in range(3):
            requests.append(ask(task, person, task.agency_links.first().agency, days_overdue=k + 1))
            matters.append(
                measures_services.raise_matter(
                    zone=zone, user=person, title=f"事项{zone.code}{k}", description="说明"
                )
            )
            items.append(
                services.assign_item(
                    stocktake=meeting, user=manager, title=f"交办{zone.code}{k}", zone=zone, due=today
                )
            )
    for k in range(3):
        items.append(
            services.assign_item(stocktake=meeting, user=manager, title=f"单位{k}", agency=agency, due=today)
        )
    monkeypatch.setattr(selectors, "PER_ZONE", 2)
    pack = selectors.pack(meeting)
    zones = sorted([xiqing, wuqing], key=lambda zone: zone.annex_number)
    assert [group.owner for group in pack.requests_by_zone] == zones
    assert [group.owner for group in pack.items_by_assignee] == [*zones, agency]
    client.force_login(manager)
    with translation.override("en"):
        html = client.get(
            reverse("stocktakes:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    sections = (
        (pack.requests_by_zone, pack.requests, requests, lambda request: request.task.zone),
        (pack.matters_by_zone, pack.matters, matters, lambda matter: matter.zone),
        (pack.items_by_assignee, pack.items, items, lambda item: item.assignee),
    )
    for groups, rows, made, owner in sections:
        assert sorted(row.pk for row in rows) == sorted(row.pk for row in made)
        for group in groups:
            own = [row for row in rows if owner(row) == group.owner]
            assert group.total == 3 and group.rows == own[:2] and group.more == 1
            assert own[0].get_absolute_url() in html and f'href="{own[2].get_absolute_url()}"' not in html
            assert group.url.replace("&", "&amp;") in html
            listed = client.get(group.url).content.decode()
            assert all(row.get_absolute_url() in listed for row in own)
    assert html.count("1 more in the full list") == 7
    response = client.get(reverse("stocktakes:pack-docx", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert all(row.title in text for row in items + matters) and text.count("请支持") == len(requests)


def test_a_pack_of_many_zones_shows_each_zones_count_linking_to_its_rows(
    client, plan, xiqing, wuqing, manager, officer, foreign_officer, today, monkeypatch
):
    """Past PER_SECTION rows' worth of zones the page lists no rows, only each zone's count and
    its link; the page reads only those rows (Pack.listed), the Word pack all of them."""
    meeting = services.schedule_stocktake(user=manager, plan=plan, title="全市调度会", held_on=today)
    made = []
    for zone, person in ((xiqing, officer), (wuqing, foreign_officer)):
        task = Task.objects.filter(zone=zone).order_by("number").first()
        made += [ask(task, person, task.agency_links.first().agency, days_overdue=k + 1) for k in range(2)]
    monkeypatch.setattr(selectors, "PER_SECTION", 1)
    page = selectors.pack(meeting, page=True)
    assert page.requests == [] and page.counts["requests"] == len(made)
    groups = page.requests_by_zone
    assert [(group.total, group.rows) for group in groups] == [(2, []), (2, [])]
    client.force_login(manager)
    with translation.override("en"):
        html = client.get(
            reverse("stocktakes:detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert "each zone's count opens its rows" in html
    assert all(group.url.replace("&", "&amp;") in html for group in groups)
    assert not [request for request in made if request.get_absolute_url() in html]
    assert sorted(request.pk for request in selectors.pack(meeting).requests) == sorted(r.pk for r in made)


@pytest.mark.parametrize("rows", [1, 3])
def test_a_whole_plans_page_queries_stay_fixed(
    client,
    plan,
    xiqing,
    wuqing,
    agency,
    manager,
    officer,
    foreign_officer,
    today,
    rows,
    django_assert_num_queries,
):
    from tests.helpers import SESSION

    make_period(plan, deadline=today - datetime.timedelta(days=2))
    meeting = services.schedule_stocktake(user=manager, plan=plan, title="全市调度会", held_on=today)
    for zone, person in ((xiqing, officer), (wuqing, foreign_officer)):
        task = Task.objects.filter(zone=zone).order_by("number").first()
        for k in range(rows):
            ask(task, person, task.agency_links.first().agency, days_overdue=k + 1)
            measures_services.raise_matter(zone=zone, user=person, title=f"事项{k}", description="说明")
            services.assign_item(stocktake=meeting, user=manager, title=f"交办{k}", zone=zone, due=today)
            services.assign_item(stocktake=meeting, user=manager, title=f"单位{k}", agency=agency, due=today)
    client.force_login(manager)
    # As a zone's meeting page (no period before this one: no movers), plus for a pack of several
    # zones the agencies items are assigned to and a listing (pk, owner) of each section that has
    # rows (red tasks, matters, requests, items: no yellow task here, no previous meeting).
    with django_assert_num_queries(SESSION + 23):
        page = client.get(reverse("stocktakes:detail", args=[meeting.pk]))
    assert page.context["pack"].counts["items"] == 4 * rows
