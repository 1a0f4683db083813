"""A revised plan never moves, erases or duplicates recorded work (issue 12).

The revisions are made from the 003 source itself (insert, delete, swap, edit, agency rename) and
from its fixture (zone dropped, the same zone in a second plan), over a database where 西青 has
reports, milestones, coordination requests, an outcome, a closed and a withdrawn task, approved
adjustments and an agency link added by hand.
"""

import datetime
import itertools
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from core.roles import Role
from measures import services
from measures.choices import AdjustmentKind, OutcomeType, TaskStatus
from measures.models import (
    CoordinationRequest,
    InnovationOutcome,
    Milestone,
    PlanAdjustment,
    ProgressReport,
    ReportingPeriod,
    Task,
    TaskAgency,
)
from measures.periods.services import quarter_bounds
from notifications.choices import Audience, ChannelKind
from notifications.models import Channel, Notification
from plans.models import PlanRevision
from plans.revision import prepare
from tests.conftest import PLAN_FIXTURE, require_sources
from tests.factories import make_user
from zones.models import Agency, AgencyAlias, Zone

pytestmark = pytest.mark.django_db

FIXTURE_ARGS = ["--code", "second-batch", "--issuer", "天津市商务局", "--title-en",
                "Construction plan for the second batch of Tianjin FTZ linked innovation zones"]  # fmt: skip

# Headings that end a task's paragraphs in an annex: the next task, category or part.
HEAD = re.compile(r"^(?=\d+\. |（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、)", re.M)
NEW_TASK = (
    "1. 建设集成电路保税研发公共服务平台。支持区内集成电路企业开展保税研发，探索研发用料件分类监管，"
    "建立研发耗材核销便利机制。\n\n（支持单位：市商务局、天津海关）\n\n"
)


def revise_annex(text, annex, edit):
    """Apply `edit` to the annex's paragraphs (a list of strings), then renumber its tasks 1, 2, …"""
    start = text.index(f"附件 {annex}\n")
    following = text.find(f"附件 {annex + 1}\n", start)
    end = following if following != -1 else len(text)
    chunks = edit(HEAD.split(text[start:end]))
    counter = itertools.count(1)
    chunks = [re.sub(r"^\d+\. ", lambda _m: f"{next(counter)}. ", chunk) for chunk in chunks]
    return text[:start] + "".join(chunks) + text[end:]


def at(chunks, words):
    hits = [i for i, chunk in enumerate(chunks) if words in chunk and re.match(r"\d+\. ", chunk)]
    assert len(hits) == 1, words
    return hits[0]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def fixture_of(tmp_plan, tmp_path, text, name="revised"):
    target = tmp_path / f"{name}.json"
    run("import_plan", str(tmp_plan(text, name=f"{name}.txt")), *FIXTURE_ARGS, "--output", str(target))
    return target


def xiqing(title):
    return Task.objects.get(zone__code="xiqing", title=title)


T1 = "构建京津冀集成电路产业协同开放新高地"
T2 = "激活要素动能强化产业支撑"
T3 = "优化原材料进口通关便利化措施"
T4 = "构建生物制品开放创新体系"
T5 = "创新生物制品通关便利化服务"
T6 = "构建未来产业创新生态"
T7 = "构建开放型生产性服务业体系"
T8 = "强化科技创新与人才招引"
T9 = "支持拓宽跨境投融资渠道"


@pytest.fixture
def recorded():
    """What people recorded on 西青's tasks before the revision."""
    zone = Zone.objects.get(code="xiqing")
    officer = make_user(Role.OFFICER, zones=[zone])
    manager = make_user(Role.MANAGER)
    today = timezone.localdate()
    start, end = quarter_bounds(today.year, (today.month - 1) // 3 + 1)
    period = ReportingPeriod.objects.create(
        plan=zone.plan, name="本季度", start=start, end=end, deadline=end + datetime.timedelta(15)
    )
    tasks = list(zone.tasks.order_by("number"))
    for task in tasks:
        services.save_report(
            task=task,
            period=period,
            user=officer,
            data={
                "status": TaskStatus.ON_TRACK,
                "percent_complete": 10 + task.number,
                "progress": task.title,
            },
        )
    due = today + datetime.timedelta(60)
    for title in (T1, T5, T8):
        services.add_milestone(
            confirm_past=True, task=xiqing(title), user=officer, title=f"节点：{title}", due=due
        )
    agency = Agency.objects.get(name="天津海关")
    for title in (T1, T5):
        services.ask_agency(task=xiqing(title), user=officer, agency=agency, question=f"协调：{title}")
    services.create_outcome(
        zone=zone,
        user=officer,
        title="集成电路保税研发经验",
        description="经验总结。",
        type=OutcomeType.INSTITUTIONAL,
        tasks=[xiqing(T2), xiqing(T3), xiqing(T5)],
    )
    # 销号 by hand (the workflow's close needs an accepted completed report; the loader must not care).
    Task.objects.filter(pk=xiqing(T4).pk).update(
        closed_at=timezone.now(), closed_by=manager, close_note="完成"
    )
    withdrawal = services.propose_adjustment(
        task=xiqing(T9), user=officer, kind=AdjustmentKind.WITHDRAWAL, reason="不再推进"
    )
    services.approve_adjustment(adjustment=withdrawal, user=manager)
    adjusted_text = xiqing(T8).text.replace("推动自贸试验区", "全面推动自贸试验区")
    services.approve_adjustment(
        adjustment=services.propose_adjustment(
            task=xiqing(T8), user=officer, kind=AdjustmentKind.TEXT, reason="表述更新", text=adjusted_text
        ),
        user=manager,
    )
    task7 = xiqing(T7)
    hand = Agency.objects.get(name="市科技局")
    TaskAgency.objects.create(task=task7, agency=hand, position=task7.agency_links.count() + 1)
    return {"zone": zone, "officer": officer, "manager": manager, "period": period, "adjusted": adjusted_text}


def ledger():
    """Each recorded object with the task it hangs on, by the task's row and lead sentence."""
    return {
        "reports": {
            r.pk: (r.task_id, r.task.title, r.percent_complete) for r in ProgressReport.objects.all()
        },
        "milestones": {m.pk: (m.task_id, m.task.title, m.title) for m in Milestone.objects.all()},
        "requests": {c.pk: (c.task_id, c.task.title, c.question) for c in CoordinationRequest.objects.all()},
        "outcome links": sorted(
            (o.pk, t.pk, t.title) for o in InnovationOutcome.objects.all() for t in o.tasks.all()
        ),
        "adjustments": {a.pk: (a.task_id, a.state) for a in PlanAdjustment.objects.all()},
    }


def dump():
    out = StringIO()
    call_command("dumpdata", "zones", "measures", "plans", "auth.user", stdout=out, indent=0)
    return out.getvalue()


def test_unchanged_reload_writes_nothing_and_keeps_what_people_own(recorded):
    before = dump()
    history = Task.history.count()
    revisions = PlanRevision.objects.count()
    output = run("load_plan", str(PLAN_FIXTURE))
    assert "No changes: the database already holds this version of the plan." in output
    assert dump() == before
    assert (Task.history.count(), PlanRevision.objects.count()) == (history, revisions)
    assert xiqing(T4).is_closed and xiqing(T9).is_withdrawn
    assert xiqing(T8).text == recorded["adjusted"]
    assert "市科技局" in [a.name for a in xiqing(T7).ordered_agencies]


def test_unchanged_reload_through_import_plan_writes_nothing(recorded, tmp_plan, tmp_path, source_text):
    fixture = fixture_of(tmp_plan, tmp_path, source_text, name="same")
    before = dump()
    assert "No changes" in run("load_plan", str(fixture))
    assert dump() == before


def test_reload_without_revision_record_still_keeps_adjustments(recorded):
    """A database loaded before revisions were recorded: the base comes from the adjustments."""
    PlanRevision.objects.all().delete()
    before = dump()
    assert "No changes" in run("load_plan", str(PLAN_FIXTURE))
    assert dump() == before


def test_revision_of_a_database_without_revision_record(recorded, tmp_plan, tmp_path, source_text):
    PlanRevision.objects.all().delete()
    ledger_before = ledger()
    run("load_plan", str(fixture_of(tmp_plan, tmp_path, _revised_source(source_text))))
    assert ledger() == ledger_before
    assert xiqing(T8).text == recorded["adjusted"] and xiqing(T4).is_closed and xiqing(T9).is_withdrawn
    assert "市科技局" in [a.name for a in xiqing(T7).ordered_agencies]
    assert "进一步加大" in xiqing(T3).text and xiqing(T5).is_withdrawn


def _revised_source(source_text):
    def edit(chunks):
        chunks.insert(at(chunks, T1), NEW_TASK)  # a new first task in the first category
        del chunks[at(chunks, T5)]  # 5 dropped
        i, j = at(chunks, T6), at(chunks, T7)
        chunks[i], chunks[j] = chunks[j], chunks[i]  # 6 and 7 swapped
        k = at(chunks, T3)
        chunks[k] = chunks[k].replace(
            "加大对战略性新兴产业的扶持力度", "进一步加大对战略性新兴产业的扶持力度"
        )
        return chunks

    return revise_annex(source_text, 1, edit)


def test_revision_keeps_every_record_on_its_task(recorded, tmp_plan, tmp_path, source_text):
    fixture = fixture_of(tmp_plan, tmp_path, _revised_source(source_text))
    before = ledger()
    numbers = {t.title: (t.pk, t.number) for t in Task.objects.filter(zone__code="xiqing")}
    tasks_before = Task.objects.count()
    other_zones = dict(Task.objects.exclude(zone__code="xiqing").values_list("pk", "number"))

    output = run("load_plan", str(fixture))

    after = ledger()
    assert after == before  # every report, milestone, request, outcome link and adjustment where it was
    assert Task.objects.count() == tasks_before + 1
    assert dict(Task.objects.exclude(zone__code="xiqing").values_list("pk", "number")) == other_zones
    new = Task.objects.get(zone__code="xiqing", number=1)
    assert new.title.startswith("建设集成电路保税研发公共服务平台") and new.pk not in [
        p for p, _n in numbers.values()
    ]
    assert not new.reports.exists() and [a.name for a in new.ordered_agencies] == ["市商务局", "天津海关"]
    # Renumbered rows keep their identity: the old 1 is now 2, and so on.
    assert xiqing(T1).pk == numbers[T1][0] and xiqing(T1).number == 2
    assert xiqing(T7).number == 6 and xiqing(T6).number == 7  # swapped, rows kept
    dropped = xiqing(T5)
    assert dropped.pk == numbers[T5][0] and dropped.is_withdrawn
    assert "revised.txt" in dropped.withdraw_reason or "revised.json" in dropped.withdraw_reason
    assert dropped.reports.count() == 1 and dropped.milestones.count() == 1
    assert dropped.number > Task.objects.filter(zone__code="xiqing", withdrawn_at__isnull=True).count()
    edited = xiqing(T3)
    assert "进一步加大" in edited.text and edited.revised_in is not None
    assert edited.history.filter(history_change_reason__startswith="Plan revision #").exists()
    assert "加大对战略性" in edited.history.earliest().text and "进一步" not in edited.history.earliest().text
    # What people and workflows own stays.
    assert xiqing(T4).is_closed and xiqing(T9).is_withdrawn and "不再推进" in xiqing(T9).withdraw_reason
    assert xiqing(T8).text == recorded["adjusted"]
    assert "市科技局" in [a.name for a in xiqing(T7).ordered_agencies]
    revision = PlanRevision.objects.latest()
    assert (revision.tasks_added, revision.tasks_withdrawn, revision.tasks_changed) == (1, 1, 1)
    assert revision.tasks_renumbered >= 4 and len(revision.source_sha256) == 64
    assert revision.source_name == "revised.json" and revision.applied_via.startswith("load_plan")
    assert "Tasks: 1 added, 1 changed" in output and "Applied as plan revision" in output
    # Reloading the same revision changes nothing more, and the version it replaced (make run loads
    # the committed fixture on every start) is not applied again unless asked for.
    snapshot = dump()
    assert "No changes" in run("load_plan", str(fixture))
    assert dump() == snapshot
    assert "Not loaded; give --reapply" in run("load_plan", str(PLAN_FIXTURE))
    assert dump() == snapshot


def test_dry_run_lists_the_changes_and_writes_nothing(recorded, tmp_plan, tmp_path, source_text):
    fixture = fixture_of(tmp_plan, tmp_path, _revised_source(source_text))
    before = dump()
    output = run("load_plan", str(fixture), "--dry-run")
    assert dump() == before
    assert "xiqing 1 [added] 建设集成电路保税研发公共服务平台" in output
    assert f"xiqing 1→2 [renumbered] {T1}" in output
    assert re.search(rf"xiqing 5→\d+ \[withdrawn\] {T5}", output)
    assert "carries 1 reports, 1 milestones, 1 requests, 1 outcome links" in output
    assert "[text, renumbered] 优化原材料进口通关便利化措施" in output or "[text] 优化原材料" in output
    assert "+…战略性新兴产业的扶持力度" not in output and "[进一步]" in output
    assert "Dry run: nothing written." in output
    # import_plan --dry-run shows the same list against the database.
    preview = run(
        "import_plan", str(tmp_plan(_revised_source(source_text), name="r.txt")), *FIXTURE_ARGS, "--dry-run"
    )
    assert f"xiqing 1→2 [renumbered] {T1}" in preview
    assert dump() == before


def test_revision_that_also_changes_adjusted_text_is_a_conflict(recorded, tmp_plan, tmp_path, source_text):
    def edit(chunks):
        k = at(chunks, T8)
        chunks[k] = chunks[k].replace("推动自贸试验区", "推动自由贸易试验区", 1)
        return chunks

    fixture = fixture_of(tmp_plan, tmp_path, revise_annex(source_text, 1, edit))
    output = run("load_plan", str(fixture))
    assert "[conflict]" in output and "kept as adjusted" in output
    assert xiqing(T8).text == recorded["adjusted"]
    assert PlanRevision.objects.latest().conflicts == 1


def test_uncertain_pairing_is_refused_until_confirmed(recorded, tmp_plan, tmp_path, source_text):
    task = xiqing(T2)
    text = task.text
    half = len(text) // 2
    # A new lead sentence and half the old text: neither clearly the same task nor clearly another.
    rewritten = "培育集成电路产业发展新动能。" + text[half:]

    def edit(chunks):
        k = at(chunks, T2)
        body = chunks[k]
        agencies = body[body.index("（支持单位") :]
        chunks[k] = f"2. {rewritten}\n\n{agencies}"
        return chunks

    fixture = fixture_of(tmp_plan, tmp_path, revise_annex(source_text, 1, edit))
    before = dump()
    with pytest.raises(CommandError, match="uncertain task pairings"):
        run("load_plan", str(fixture))
    assert dump() == before
    uncertain = prepare(fixture).changes.as_dict()
    assert [c["choice"] for c in uncertain["tasks"] if "uncertain" in c["kinds"]] == ["xiqing:2=2"]
    assert uncertain["problems"] and json.dumps(uncertain, ensure_ascii=False)
    output = run("load_plan", str(fixture), "--match", "xiqing:2=2")
    assert "[text]" in output
    task.refresh_from_db()
    assert task.text == rewritten and task.title == "培育集成电路产业发展新动能" and task.reports.count() == 1


def test_different_task_by_mapping_withdraws_the_old_one(recorded, tmp_plan, tmp_path, source_text):
    task = xiqing(T2)

    def edit(chunks):
        k = at(chunks, T2)
        chunks[k] = chunks[k].replace("优化完善产业链创新环境", "优化产业链创新环境", 1)
        return chunks

    fixture = fixture_of(tmp_plan, tmp_path, revise_annex(source_text, 1, edit))
    run("load_plan", str(fixture), "--match", "xiqing:2=new")
    task.refresh_from_db()
    assert task.is_withdrawn and task.reports.count() == 1
    assert Task.objects.get(zone__code="xiqing", number=2).pk != task.pk


def test_agency_rename_keeps_the_row_and_its_links(recorded, tmp_plan, tmp_path, source_text):
    agency = Agency.objects.get(name="市药监局")
    liaison = make_user(Role.LIAISON, agency=agency)
    links = set(agency.task_links.values_list("task_id", flat=True))
    fixture = fixture_of(tmp_plan, tmp_path, source_text.replace("市药监局", "市药品监督管理局"))
    preview = run("load_plan", str(fixture), "--dry-run")
    assert "agency not known: 市药品监督管理局" in preview and "closest known" in preview
    with pytest.raises(CommandError, match="--strict"):
        run("load_plan", str(fixture), "--strict")
    run("load_plan", str(fixture), "--agency-rename", "市药监局=市药品监督管理局")
    agency.refresh_from_db()
    assert agency.name == "市药品监督管理局"
    assert AgencyAlias.objects.get(alias="市药监局").agency == agency
    assert set(agency.task_links.values_list("task_id", flat=True)) == links
    assert liaison.profile.agency_id == agency.pk
    assert not Agency.objects.filter(name="市药监局").exists()


def test_unknown_agency_is_created_and_listed_by_default(recorded, tmp_plan, tmp_path, source_text):
    text = source_text.replace("（支持单位：市规划资源局）", "（支持单位：市规划资源局、市测绘院）", 1)
    fixture = fixture_of(tmp_plan, tmp_path, text)
    output = run("load_plan", str(fixture))
    assert "agency not known: 市测绘院: created" in output
    assert Agency.objects.filter(name="市测绘院").exists()


def test_unknown_agency_mapped_as_alias(recorded, tmp_plan, tmp_path, source_text):
    fixture = fixture_of(tmp_plan, tmp_path, source_text.replace("天津海关", "海关总署天津海关"))
    links = TaskAgency.objects.count()
    run("load_plan", str(fixture), "--agency-alias", "海关总署天津海关=天津海关")
    assert AgencyAlias.objects.get(alias="海关总署天津海关").agency.name == "天津海关"
    assert TaskAgency.objects.count() == links


def _records():
    return json.loads(PLAN_FIXTURE.read_text(encoding="utf-8"))


def _write(tmp_path, records, name):
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_zone_dropped_withdraws_its_tasks_and_keeps_them(recorded, tmp_path):
    records = [
        r for r in _records()
        if not (r["model"] == "zones.zone" and r["fields"]["code"] == "dongli")
        and (r["fields"].get("zone") or r["fields"].get("task") or r["fields"].get("block") or [None])[0] != "dongli"
    ]  # fmt: skip
    dongli = set(Task.objects.filter(zone__code="dongli").values_list("pk", flat=True))
    output = run("load_plan", str(_write(tmp_path, records, "no-dongli.json")))
    assert "zone no longer in the plan (its tasks are withdrawn): dongli" in output
    tasks = Task.objects.filter(pk__in=dongli)
    assert tasks.count() == len(dongli) and all(t.is_withdrawn for t in tasks)
    assert Zone.objects.get(code="dongli").plan.code == "second-batch"


def test_same_zone_in_a_second_plan(recorded, tmp_path, client):
    records = [
        r for r in _records()
        if r["model"] in ("zones.plan", "zones.agency", "zones.agencyalias")
        or (r["fields"].get("zone") or r["fields"].get("task") or r["fields"].get("block") or [None])[0] == "xiqing"
        or (r["model"] == "zones.zone" and r["fields"]["code"] == "xiqing")
    ]  # fmt: skip
    for record in records:
        if record["model"] == "zones.plan":
            record["fields"].update(code="third-batch", title="第三批联动创新区建设方案")
        if record["model"] == "zones.zone":
            record["fields"]["plan"] = ["third-batch"]
    second = {z.code: (z.pk, z.plan_id) for z in Zone.objects.all()}
    # Loaded as it is, the later plan's 西青 gets a code of its own; 西青 of the second batch stays.
    output = run("load_plan", str(_write(tmp_path, records, "third.json")))
    assert (
        "zone code xiqing is 西青经开区 of plan second-batch: this plan's zone gets xiqing-third-batch"
        in output
    )
    assert Zone.objects.get(code="xiqing-third-batch").plan.code == "third-batch"
    assert "No changes" in run("load_plan", str(tmp_path / "third.json"))
    assert {z.code: (z.pk, z.plan_id) for z in Zone.objects.exclude(code="xiqing-third-batch")} == second

    # Or with the code chosen on import.
    for record in records:
        if record["model"] == "zones.plan":
            record["fields"]["code"] = "fourth-batch"
        if record["model"] == "zones.zone":
            record["fields"]["plan"] = ["fourth-batch"]
    second = {z.code: (z.pk, z.plan_id) for z in Zone.objects.all()}
    text = (
        json.dumps(records, ensure_ascii=False)
        .replace('["xiqing"', '["xiqing-3"')
        .replace('"code": "xiqing"', '"code": "xiqing-3"')
    )
    path = tmp_path / "third-renamed.json"
    path.write_text(text, encoding="utf-8")
    run("load_plan", str(path))
    assert {z.code: (z.pk, z.plan_id) for z in Zone.objects.exclude(code="xiqing-3")} == second
    third = Zone.objects.get(code="xiqing-3")
    assert third.plan.code == "fourth-batch" and third.same_zone_as.code == "xiqing"
    assert third.tasks.count() == Zone.objects.get(code="xiqing").tasks.count()
    # 西青's officers see the tasks of both plans.
    officer = type(recorded["officer"]).objects.get(pk=recorded["officer"].pk)  # a new request's user
    visible = Task.objects.visible_to(officer).values("zone__code").annotate(n=Count("pk"))
    assert {row["zone__code"] for row in visible} == {"xiqing", "xiqing-3", "xiqing-third-batch"}
    client.force_login(officer)
    assert client.get("/zones/xiqing-3/tasks/1/").status_code == 200
    listed = client.get("/tasks/?zone=xiqing-3")
    assert listed.status_code == 200 and third.tasks.get(number=1).title in listed.content.decode()
    # Reloading the second batch leaves the third plan's zone alone.
    assert "No changes" in run("load_plan", str(PLAN_FIXTURE))
    assert Zone.objects.get(code="xiqing-3").plan.code == "fourth-batch"


def test_field_too_long_is_refused_before_saving(tmp_path):
    records = _records()
    task = next(r for r in records if r["model"] == "measures.task")
    task["fields"]["title"] = "长" * 400
    before = dump()
    with pytest.raises(CommandError, match="nothing changed"):
        run("load_plan", str(_write(tmp_path, records, "long.json")))
    assert dump() == before


def test_task_page_names_the_revision(recorded, client, tmp_plan, tmp_path, source_text):
    fixture = fixture_of(tmp_plan, tmp_path, _revised_source(source_text))
    run("load_plan", str(fixture))
    revision = PlanRevision.objects.latest()
    task = xiqing(T1)
    client.force_login(recorded["manager"])
    page = client.get(f"/zones/xiqing/tasks/{task.number}/").content.decode()
    assert f"plan revision #{revision.pk} (revised.json," in page or f"#{revision.pk}（revised.json" in page
    untouched = Task.objects.get(zone__code="wuqing", number=1)
    assert "plan revision #" not in client.get(f"/zones/wuqing/tasks/{untouched.number}/").content.decode()


def test_admin_merges_agencies_keeping_every_link(recorded, client):
    admin_user = make_user(Role.ADMINISTRATOR)
    client.force_login(admin_user)
    target = Agency.objects.get(name="市商务局")
    duplicate = Agency.objects.create(name="天津市商务局")
    liaison = make_user(Role.LIAISON, agency=duplicate)
    task = xiqing(T6)
    TaskAgency.objects.create(task=task, agency=duplicate, position=task.agency_links.count() + 1)
    request = services.ask_agency(task=task, user=recorded["officer"], agency=duplicate, question="请协调")
    # Rows that point at the agency without a reverse name: the merge must move them, not cascade.
    notice = Notification.objects.filter(agency=duplicate).get()
    channel = Channel.objects.create(
        name="商务局群",
        audience=Audience.AGENCY,
        agency=duplicate,
        kind=ChannelKind.WEBHOOK,
        url="http://127.0.0.1:9/",
    )
    links = TaskAgency.objects.count()
    url = "/admin/zones/agency/"
    page = client.post(url, {"action": "merge_selected", "_selected_action": [target.pk, duplicate.pk]})
    assert page.status_code == 200 and "天津市商务局" in page.content.decode()
    client.post(
        url,
        {
            "action": "merge_selected",
            "_selected_action": [target.pk, duplicate.pk],
            "target": target.pk,
            "confirm": "yes",
        },
    )
    assert not Agency.objects.filter(pk=duplicate.pk).exists()
    assert AgencyAlias.objects.get(alias="天津市商务局").agency == target
    request.refresh_from_db()
    liaison.profile.refresh_from_db()
    assert request.agency == target and liaison.profile.agency == target
    notice.refresh_from_db()
    channel.refresh_from_db()
    assert notice.agency == target and channel.agency == target
    assert target in task.supporting_agencies.all() and TaskAgency.objects.count() == links


def test_admin_rename_keeps_the_old_name_as_alias(client):
    client.force_login(make_user(Role.ADMINISTRATOR))
    agency = Agency.objects.get(name="市药监局")
    links = agency.task_links.count()
    response = client.post(
        f"/admin/zones/agency/{agency.pk}/change/",
        {
            "name": "市药品监督管理局",
            "name_en": agency.name_en,
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
            "aliases-MIN_NUM_FORMS": "0",
            "aliases-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.name == "市药品监督管理局" and agency.task_links.count() == links
    assert AgencyAlias.objects.get(alias="市药监局").agency == agency


def test_import_plan_gives_a_second_plan_its_own_zone_codes(tmp_plan, tmp_path, source_text):
    target = tmp_path / "third.json"
    args = ["--code", "third-batch", "--output", str(target)]
    output = run("import_plan", str(tmp_plan(source_text)), *args, "--zone-code", "西青经开区=xiqing-3")
    assert "zone code wuqing is a zone of plan second-batch: 武清经开区 gets wuqing-third-batch" in output
    codes = [r["fields"]["code"] for r in json.loads(target.read_text()) if r["model"] == "zones.zone"]
    assert codes[:2] == ["xiqing-3", "wuqing-third-batch"]
    run("load_plan", str(target))
    assert Zone.objects.get(code="xiqing").plan.code == "second-batch"
    assert Zone.objects.get(code="xiqing-3").same_zone_as == Zone.objects.get(code="xiqing")
    with pytest.raises(CommandError, match="up to 40 lowercase letters"):
        run("import_plan", str(tmp_plan(source_text)), *args, "--zone-code", f"西青经开区={'x' * 41}")


def test_import_fyp_of_another_plan_leaves_the_ftz_zones_alone(tmp_path):
    from tests.plans.test_fyp_import import SOURCE_FYP, TITLE

    require_sources(SOURCE_FYP)
    run("load_plan", str(PLAN_FIXTURE.with_name("ftz-14th-fyp.json")))
    target = tmp_path / "district.json"
    output = run(
        "import_fyp", str(SOURCE_FYP), "--code", "district", "--title", TITLE, "--output", str(target)
    )
    assert "zone code dongjiang is a zone of plan ftz-14th-fyp" in output
    run("load_plan", str(target))
    assert Zone.objects.get(code="dongjiang").plan.code == "ftz-14th-fyp"
    assert Zone.objects.get(code="dongjiang-district").plan.code == "district"


def test_match_file_confirms_pairings_and_agency_changes_get_history(
    recorded, tmp_plan, tmp_path, source_text
):
    task = xiqing(T2)
    half = len(task.text) // 2
    rewritten = "培育集成电路产业发展新动能。" + task.text[half:]

    def edit(chunks):
        k = at(chunks, T2)
        chunks[k] = f"2. {rewritten}\n\n（支持单位：市工业和信息化局、市科技局、市商务局）\n\n"
        return chunks

    fixture = fixture_of(tmp_plan, tmp_path, revise_annex(source_text, 1, edit))
    mapping = tmp_path / "pairs.txt"
    mapping.write_text("# 西青: the rewritten task 2 is the old task 2\nxiqing:2=2\n", encoding="utf-8")
    output = run("load_plan", str(fixture), "--match-file", str(mapping))
    assert "agencies added: 市商务局" in output
    task.refresh_from_db()
    assert task.text == rewritten and [a.name for a in task.ordered_agencies][-1] == "市商务局"
    assert task.history.filter(history_change_reason__startswith="Plan revision #").exists()


def test_revisions_in_the_admin_are_read_only(client):
    revision = PlanRevision.objects.latest()
    url = f"/admin/plans/planrevision/{revision.pk}/change/"
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    client.force_login(make_user(Role.MANAGER))
    assert client.get(url).status_code in (302, 403)
    client.force_login(make_user(Role.ADMINISTRATOR))
    assert client.get("/admin/plans/planrevision/").status_code == 200
    page = client.get(url)
    assert page.status_code == 200 and revision.source_sha256 in page.content.decode()
    assert client.get("/admin/plans/planrevision/add/").status_code == 403


def test_committed_fixture_is_not_reloaded_over_a_revision_of_an_older_database(
    recorded, tmp_plan, tmp_path, source_text
):
    """A database loaded before revisions were recorded: after the final version is applied, the
    start-up load of the committed fixture (the version it replaced) must not undo it."""
    PlanRevision.objects.all().delete()
    fixture = fixture_of(tmp_plan, tmp_path, _revised_source(source_text))
    run("load_plan", str(fixture))
    snapshot = dump()
    assert "Not loaded; give --reapply" in run("load_plan", str(PLAN_FIXTURE))
    assert dump() == snapshot
    output = run("load_plan", str(PLAN_FIXTURE), "--reapply", "--dry-run")
    assert "1 withdrawn" in output and "Dry run" in output


def test_a_task_back_in_the_plan_stays_withdrawn_and_is_said_once(recorded, tmp_plan, tmp_path, source_text):
    def drop(chunks):
        del chunks[at(chunks, T5)]
        return chunks

    run("load_plan", str(fixture_of(tmp_plan, tmp_path, revise_annex(source_text, 1, drop), name="without")))
    assert xiqing(T5).is_withdrawn
    back = fixture_of(tmp_plan, tmp_path, source_text, name="with")
    output = run("load_plan", str(back))
    assert "withdrawn earlier" in output and xiqing(T5).is_withdrawn
    assert Task.objects.filter(zone__code="xiqing", title=T5).count() == 1
    snapshot = dump()
    assert "No changes" in run("load_plan", str(back))
    assert dump() == snapshot


def _link_records(records, zone, number):
    return [
        r for r in records if r["model"] == "measures.taskagency" and r["fields"]["task"] == [zone, number]
    ]


def test_a_revision_that_only_changes_a_role_is_detected_and_applied(recorded, tmp_path):
    records = _records()
    link = _link_records(records, "xiqing", 3)[0]
    agency = link["fields"]["agency"][0]
    link["fields"]["role"] = "lead"
    before = ledger()
    out = run("load_plan", str(_write(tmp_path, records, "lead.json")), "--dry-run")
    assert f"role of {agency}: supporting → lead" in out
    run("load_plan", str(_write(tmp_path, records, "lead.json")))
    task = Task.objects.get(zone__code="xiqing", number=3)
    assert task.agency_links.get(agency__name=agency).role == "lead"
    assert ledger() == before
    revision = PlanRevision.objects.latest("pk")
    assert revision.tasks_changed == 1
    assert revision.snapshot[str(task.pk)]["roles"][
        str(task.agency_links.get(agency__name=agency).agency_id)
    ] == ("lead")
    assert task.history.first().history_change_reason.endswith("(agencies)")

    # The next revision drops the role again: the snapshot knew it was the plan's, so it goes.
    del link["fields"]["role"]
    run("load_plan", str(_write(tmp_path, records, "supporting.json")))
    assert task.agency_links.get(agency__name=agency).role == "supporting"


def test_a_role_set_by_hand_survives_reloading_the_same_file(recorded, tmp_path):
    records = _records()
    link = _link_records(records, "xiqing", 3)[0]
    agency = link["fields"]["agency"][0]
    link["fields"]["role"] = "lead"
    path = _write(tmp_path, records, "lead.json")
    run("load_plan", str(path))
    task = Task.objects.get(zone__code="xiqing", number=3)
    TaskAgency.objects.filter(task=task, agency__name=agency).update(role="responsible")
    out = run("load_plan", str(path))
    assert "No changes" in out
    assert task.agency_links.get(agency__name=agency).role == "responsible"
    # A new version that leaves the role as it was keeps the hand-set one too.
    plan = next(r for r in records if r["model"] == "zones.plan")
    plan["fields"]["status"] = "修订稿"
    out = run("load_plan", str(_write(tmp_path, records, "retitled.json")))
    assert "No changes" not in out and "role of" not in out
    assert task.agency_links.get(agency__name=agency).role == "responsible"


def test_a_first_revision_over_an_old_snapshot_applies_only_roles_it_names(recorded, tmp_path):
    """Before snapshots kept roles, only a new file's named role counts (silence never demotes)."""
    latest = PlanRevision.objects.filter(plan__code="second-batch").latest("pk")
    latest.snapshot = {
        pk: {key: value for key, value in base.items() if key != "roles"}
        for pk, base in latest.snapshot.items()
    }
    latest.save()
    records = _records()
    first, second = _link_records(records, "xiqing", 3)[:2]
    TaskAgency.objects.filter(
        task__zone__code="xiqing", task__number=3, agency__name=second["fields"]["agency"][0]
    ).update(role="lead")
    first["fields"]["role"] = "cooperating"
    run("load_plan", str(_write(tmp_path, records, "cooperating.json")))
    task = Task.objects.get(zone__code="xiqing", number=3)
    assert task.agency_links.get(agency__name=first["fields"]["agency"][0]).role == "cooperating"
    assert task.agency_links.get(agency__name=second["fields"]["agency"][0]).role == "lead"
