"""import_plan and load_plan as an administrator runs them."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from measures.models import Task, TaskAgency
from tests.conftest import PLAN_FIXTURE, SOURCE_DIR, SOURCE_PLAN, require_sources
from zones.models import Agency, Block, SubPlot, Zone

FIXTURE_ARGS = [
    "--code",
    "second-batch",
    "--issuer",
    "天津市商务局",
    "--title-en",
    "Construction plan for the second batch of Tianjin FTZ linked innovation zones",
]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_committed_fixture_is_what_import_plan_writes(tmp_path):
    require_sources(SOURCE_PLAN)
    target = tmp_path / "second-batch.json"
    run("import_plan", str(SOURCE_PLAN), *FIXTURE_ARGS, "--output", str(target))
    assert json.loads(target.read_text()) == json.loads(PLAN_FIXTURE.read_text())


@pytest.mark.django_db
def test_dry_run_prints_summary_and_writes_nothing(tmp_path):
    require_sources(SOURCE_PLAN)
    target = tmp_path / "out.json"
    output = run("import_plan", str(SOURCE_PLAN), "--dry-run", "--output", str(target))
    assert "Zones: 5  Blocks: 24 (plots: 7)  Categories: 22  Tasks: 58  Agencies: 32" in output
    assert "附件3 beichen" in output
    assert (
        "line 215: 北辰经开区: stated total area 49.75 km² differs from the sum of its blocks 49.74 km²"
        in output
    )
    assert "alias 市网信办 → 市委网信办" in output
    assert "New agencies not seen before: none" in output
    assert not target.exists()


@pytest.mark.django_db
def test_new_agencies_are_reported(tmp_plan, source_text):
    path = tmp_plan(source_text.replace("（支持单位：市规划资源局）", "（支持单位：市规划资源局、市测绘院）"))
    output = run("import_plan", str(path), "--dry-run")
    assert "New agencies not seen before: 市测绘院" in output


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("附件 ", "附录 ", 3, "no annexes"),
        ("3. 优化原材料", "5. 优化原材料", 71, "out of sequence"),
        ("总面积18.88平方公里", "总面积18,88平方公里", 39, "total area"),
        (
            "（支持单位：市商务局、天津海关）\n\n（二）",
            "（支持单位：市商务局、天津海关\n\n（二）",
            71,
            "no closing bracket",
        ),
    ],
)
def test_bad_input_names_the_line_and_writes_nothing(tmp_plan, source_text, tmp_path, old, new, line, words):
    bad = source_text.replace(old, new)
    assert bad != source_text
    path = tmp_plan(bad)
    target = tmp_path / "out.json"
    target.write_text("previous content")
    with pytest.raises(CommandError) as caught:
        call_command("import_plan", str(path), "--output", str(target), stdout=StringIO())
    assert f"plan.txt: line {line}:" in str(caught.value)
    assert words in str(caught.value)
    assert target.read_text() == "previous content"


@pytest.mark.django_db
def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_plan", str(tmp_path / "nope.txt"), stdout=StringIO())
    # GBK is read: what is wrong is the content, named by its line.
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("附件 1".encode("gbk"))
    with pytest.raises(CommandError, match="line 1: annex 1 is empty"):
        call_command("import_plan", str(gbk), stdout=StringIO())
    unreadable = tmp_path / "bytes.txt"
    unreadable.write_bytes("计划".encode() + b"\xff\xfe\xfd" * 3 + b"\x81\x30")
    with translation.override("en"), pytest.raises(CommandError, match="Save it as “UTF-8”"):
        call_command("import_plan", str(unreadable), stdout=StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["docx", "gb18030", "utf-16"])
def test_other_files_write_the_same_fixture(source_text, tmp_path, kind):
    from tests.plans import corpus

    source = tmp_path / f"plan.{'docx' if kind == 'docx' else 'txt'}"
    source.write_bytes(corpus.docx_bytes(source_text) if kind == "docx" else source_text.encode(kind))
    target = tmp_path / "second-batch.json"
    run("import_plan", str(source), *FIXTURE_ARGS, "--output", str(target))
    written = [r for r in json.loads(target.read_text()) if r["model"] != "zones.plan"]
    committed = [r for r in json.loads(PLAN_FIXTURE.read_text()) if r["model"] != "zones.plan"]
    assert written == committed


@pytest.mark.django_db
def test_task_list_layout_from_the_command_line(tmp_path):
    from tests.plans.test_documents import TASK_LIST_PLAN

    source = tmp_path / "fengong.txt"
    source.write_bytes(TASK_LIST_PLAN.encode("gbk"))
    target = tmp_path / "fengong.json"
    output = run("import_plan", str(source), "--code", "fengong", "--output", str(target))
    assert "任务分工方案" in output and "Encoding: GB18030" in output
    records = json.loads(target.read_text())
    links = [r["fields"] for r in records if r["model"] == "measures.taskagency"]
    assert links[0] == {"task": ["fengong", 1], "agency": ["市商务局"], "position": 1, "role": "lead"}
    run("load_plan", str(target))
    assert Task.objects.filter(zone__code="fengong").count() == 5


def _counts():
    return {
        model.__name__: model.objects.count() for model in (Zone, Block, SubPlot, Agency, Task, TaskAgency)
    }


@pytest.mark.django_db
def test_reload_is_idempotent():
    before = _counts()
    pks = dict(Task.objects.values_list("source_ref", "pk"))
    output = run("load_plan", str(PLAN_FIXTURE))
    assert "0 rows created" not in output  # links are re-inserted
    assert (
        _counts()
        == before
        == {
            "Zone": 5,
            "Block": 24,
            "SubPlot": 7,
            "Agency": 32,
            "Task": 58,
            "TaskAgency": 171,
        }
    )
    assert dict(Task.objects.values_list("source_ref", "pk")) == pks


@pytest.mark.django_db
def test_corrected_plan_updates_in_place(tmp_plan, source_text, tmp_path):
    task = Task.objects.get(zone__code="xiqing", number=3)
    corrected = source_text.replace(
        "优化原材料进口通关便利化措施。加大对战略性新兴产业的扶持力度",
        "优化原材料进口通关便利化措施。进一步加大对战略性新兴产业的扶持力度",
    ).replace(
        "（支持单位：市商务局、天津海关）\n\n（二）", "（支持单位：天津海关、市商务局、市科技局）\n\n（二）"
    )
    fixture = tmp_path / "corrected.json"
    run("import_plan", str(tmp_plan(corrected)), "--code", "second-batch", "--output", str(fixture))
    before = _counts()
    run("load_plan", str(fixture))
    task.refresh_from_db()
    assert "进一步加大" in task.text
    assert [a.name for a in task.ordered_agencies] == ["天津海关", "市商务局", "市科技局"]
    after = _counts()
    assert after["Task"] == before["Task"] and after["Zone"] == before["Zone"]
    assert after["TaskAgency"] == before["TaskAgency"] + 1


@pytest.mark.django_db
def test_load_of_a_broken_fixture_changes_nothing(tmp_path):
    before = _counts()
    records = json.loads(PLAN_FIXTURE.read_text())
    records.append({"model": "measures.task", "fields": {"zone": ["nowhere"], "number": 1}})
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(records, ensure_ascii=False))
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("load_plan", str(broken), stdout=StringIO())
    assert _counts() == before


@pytest.mark.django_db
def test_the_five_year_plan_is_written_with_its_targets(tmp_path):
    """import_plan on the 十四五 plan writes its fixture and its targets beside it (the helper it
    shares with import_fyp was once imported from a module that no longer exists)."""
    source = SOURCE_DIR / "004_6f279094ef53df13.txt"
    require_sources(source)
    # A title line, as a published copy opens (the 004 text starts with the preamble).
    titled = tmp_path / "fyp.txt"
    titled.write_text(
        "中国（天津）自由贸易试验区“十四五”发展规划\n\n" + source.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    target = tmp_path / "fyp.json"
    call_command("import_plan", str(titled), "--output", str(target), stdout=StringIO())
    assert json.loads(target.read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "fyp.targets.json").read_text(encoding="utf-8"))
