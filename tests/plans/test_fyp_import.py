"""The FTZ's five-year plan (004): parser, import_fyp, the fixture checked against the source
text itself (by separate regexes, not the parser), loading beside the second-batch plan, pages."""

import json
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils.html import escape

from core.roles import Role
from measures.models import Task, TaskCategory
from plans.fyp_parser import parse_fyp
from plans.plan_parser import PlanFormatError
from plans.revision import prepare
from tests.conftest import SOURCE_DIR, require_sources, squash
from tests.factories import make_user
from zones.models import Plan, Zone
from zones.numerals import from_chinese
from zones.numerals import to_chinese as _cn

SOURCE_FYP = SOURCE_DIR / "004_6f279094ef53df13.txt"
FIXTURE_DIR = settings.PLAN_FIXTURE_DIR
TITLE = "中国（天津）自由贸易试验区“十四五”发展规划"
TITLE_EN = (
    "China (Tianjin) Pilot Free Trade Zone Development Plan for the 14th Five-Year Plan Period (2021–2025)"
)
FYP_ARGS = ["--code", "ftz-14th-fyp", "--title", TITLE, "--title-en", TITLE_EN]
NUMERAL = "[一二三四五六七八九十]+"
# Sections whose one paragraph opens without a lead sentence: titled with the section title.
NO_LEAD = {"9.3.1", "12.1.1", "12.2.1", "12.3.1"}


@pytest.fixture(scope="module")
def fyp_text():
    require_sources(SOURCE_FYP)
    return SOURCE_FYP.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def fyp_lines(fyp_text):
    return fyp_text.splitlines()


@pytest.fixture(scope="module")
def scan(fyp_lines):
    """Headings straight from the source: [(chapter no, title, line, [(section no, title, line)])]."""
    chapters = []
    for number, raw in enumerate(fyp_lines, start=1):
        match = re.fullmatch(rf"\s*第({NUMERAL})(章|节) (\S+)\s*", raw)
        if match and match.group(2) == "章":
            chapters.append((from_chinese(match.group(1)), match.group(3), number, []))
        elif match:
            chapters[-1][3].append((from_chinese(match.group(1)), match.group(3), number))
    return chapters


@pytest.fixture(scope="module")
def fixture_records():
    return json.loads((FIXTURE_DIR / "ftz-14th-fyp.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def targets_file():
    return json.loads((FIXTURE_DIR / "ftz-14th-fyp.targets.json").read_text(encoding="utf-8"))


@pytest.fixture
def loaded(db):
    return prepare(FIXTURE_DIR / "ftz-14th-fyp.json").apply()


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _records(records, model):
    return [record["fields"] for record in records if record["model"] == model]


# The structure, against an independent scan of the headings.


def test_chapters_and_sections_match_the_source(fyp_text, scan):
    parsed = parse_fyp(fyp_text)
    assert len(scan) == 12 and sum(len(sections) for *_, sections in scan) == 39
    assert [(c.number, c.title, c.line) for c in parsed.chapters] == [(n, t, line) for n, t, line, _ in scan]
    assert [[(s.number, s.title, s.line) for s in c.sections] for c in parsed.chapters] == [
        sections for *_, sections in scan
    ]
    assert [c.is_context for c in parsed.chapters] == [True, True] + [False] * 10
    assert (scan[10][1], scan[11][1]) == ("打造国际一流营商环境", "保障措施")


def test_categories_are_the_sections_of_chapters_3_to_12(fixture_records, scan):
    categories = _records(fixture_records, "measures.taskcategory")
    expected = [
        (f"{chapter}.{section}", f"第{_cn(chapter)}章 {chapter_title} · 第{_cn(section)}节 {section_title}")
        for chapter, chapter_title, _, sections in scan[2:]
        for section, section_title, _ in sections
    ]
    assert [(c["code"], c["title"]) for c in categories] == expected
    assert [c["number"] for c in categories] == list(range(1, 33))
    assert {c["zone"][0] for c in categories} == {"tianjin-ftz"}
    assert all(c["title_en"].startswith("Chapter ") for c in categories)


def test_category_intros_are_the_chapter_and_section_introductions(fixture_records, fyp_lines, scan):
    intros = {c["code"]: c["intro"] for c in _records(fixture_records, "measures.taskcategory")}
    for chapter, _, line, sections in scan[2:]:
        # The chapter's introduction is whatever stands between its heading and its first section.
        between = [text.strip() for text in fyp_lines[line : sections[0][2] - 1] if text.strip()]
        assert intros[f"{chapter}.1"].startswith("\n\n".join(between)), chapter
    assert intros["4.3"] == fyp_lines[136].strip()  # 开展组织形式、交易机制、交易标的创新，…
    assert intros["8.2"] == fyp_lines[235].strip()  # 顺应新科技革命和产业变革的前沿方向，…
    with_intro = {code for code, intro in intros.items() if intro}
    assert with_intro == {f"{n}.1" for n in range(3, 13)} | {"4.3", "8.2"}


# The measures.


def test_every_measure_is_a_whole_paragraph_of_the_source(fixture_records, fyp_text, fyp_lines):
    plain = squash(fyp_text)
    tasks = _records(fixture_records, "measures.task")
    assert len(tasks) == 91
    for task in tasks:
        assert squash(task["text"]) in plain, task["code"]
        # No measure of 004 is cut by a page break, so each is exactly the line it starts on.
        assert fyp_lines[task["source_line"] - 1].strip() == task["text"], task["code"]


def test_titles_are_the_lead_sentences(fixture_records, fyp_lines, scan):
    tasks = _records(fixture_records, "measures.task")
    section_titles = {f"{c}.{s}": title for c, _, _, sections in scan for s, title, _ in sections}
    # Lead sentences read by a separate rule: a comma-free clause closed by 。 that opens a line.
    first_measure_line = scan[2][2]
    leads = {
        number: match.group(1)
        for number, raw in enumerate(fyp_lines, start=1)
        if number > first_measure_line and (match := re.match(r"([^，。]+)。.", raw.strip()))
    }
    for task in tasks:
        if task["code"] in NO_LEAD:
            assert task["title"] == section_titles[task["code"].rsplit(".", 1)[0]]
        else:
            assert task["title"] == leads[task["source_line"]], task["code"]
            assert task["text"].startswith(task["title"] + "。"), task["code"]
    assert {t["source_line"] for t in tasks if t["code"] not in NO_LEAD} == set(leads)
    titles = {t["code"]: t["title"] for t in tasks}
    assert titles["4.2.2"] == "建设北方商业保理之都"
    assert titles["12.4.1"] == "坚持贯彻底线思维、系统思维与总体国家安全观"


def test_codes_numbers_and_references_run_in_sequence(fixture_records):
    tasks = _records(fixture_records, "measures.task")
    categories = {c["number"]: c["code"] for c in _records(fixture_records, "measures.taskcategory")}
    assert [t["number"] for t in tasks] == list(range(1, 92))
    previous = None
    for task in tasks:
        chapter, section, paragraph = map(int, task["code"].split("."))
        assert categories[task["category"][1]] == f"{chapter}.{section}"
        if previous and previous[:2] == (chapter, section):
            assert paragraph == previous[2] + 1, task["code"]
        else:
            assert paragraph == 1, task["code"]
            assert previous is None or (chapter, section) > previous[:2]
        assert task["source_ref"] == f"第{_cn(chapter)}章第{_cn(section)}节第{paragraph}段"
        previous = (chapter, section, paragraph)
    per_chapter = {}
    for task in tasks:
        per_chapter[int(task["code"].split(".")[0])] = per_chapter.get(int(task["code"].split(".")[0]), 0) + 1
    assert per_chapter == {3: 12, 4: 17, 5: 8, 6: 8, 7: 10, 8: 8, 9: 5, 10: 6, 11: 13, 12: 4}
    assert [t["source_line"] for t in tasks] == sorted(t["source_line"] for t in tasks)


# Zones and targets.


def test_zones_and_their_functions(fixture_records, fyp_lines):
    zones = {z["code"]: z for z in _records(fixture_records, "zones.zone")}
    assert [(z["annex_number"], code, z["name"], z["kind"]) for code, z in zones.items()] == [
        (0, "tianjin-ftz", "天津自贸试验区", "whole_ftz"),
        (1, "dongjiang", "天津港东疆片区", "ftz_area"),
        (2, "airport", "天津机场片区", "ftz_area"),
        (3, "cbd", "滨海新区中心商务片区", "ftz_area"),
        (4, "binhai-hitech", "滨海高新区", "linked_zone"),
        (5, "eco-city", "中新生态城", "linked_zone"),
    ]
    assert all(z["area_km2"] is None for z in zones.values())  # the plan states no area
    for code in ("dongjiang", "airport", "cbd"):
        assert zones[code]["development_goals"] in fyp_lines[61], code  # 第四节 片区功能
    for code in ("binhai-hitech", "eco-city"):
        assert zones[code]["development_goals"] in fyp_lines[63], code
    assert zones["cbd"]["development_goals"].startswith("中心商务片区重点发展")
    assert zones["eco-city"]["development_goals"].endswith("形成若干高水平创新成果")
    functions = fyp_lines[61] + fyp_lines[63]
    for code, end in [
        ("dongjiang", "；"),
        ("airport", "；"),
        ("cbd", "。"),
        ("binhai-hitech", "；"),
        ("eco-city", "。"),
    ]:
        # Each clause runs to the ； or 。 that ends it, and starts after the one before.
        assert re.search(rf"(^|[；。]){re.escape(zones[code]['development_goals'])}{end}", functions), code
    whole = zones["tianjin-ftz"]
    assert whole["guiding_principles"] == fyp_lines[40].strip()  # 第一节 指导思想
    assert whole["development_goals"].startswith(fyp_lines[67].strip())  # 第五节 发展目标
    assert whole["development_goals"].endswith(fyp_lines[74].strip())
    for name in (
        "天津港东疆片区",
        "天津机场片区",
        "滨海新区中心商务片区",
        "滨海高新区联动创新区",
        "中新生态城联动创新区",
    ):
        assert name in fyp_lines[2]  # the plan's spatial scope


def test_targets_as_written(targets_file, fyp_text):
    flat = re.sub(r"\s+", "", fyp_text)
    # Each figure read from the source by its own regex.
    written = {
        "institutional-innovations": re.search(r"实现制度创新成果(\d+)项", flat).group(1),
        "first-of-a-kind-innovations": re.search(r"其中首创性制度创新(\d+)项", flat).group(1),
        "stress-tests": re.search(r"重点领域开展压力测试(\d+)项", flat).group(1),
        "rule-alignment-innovations": re.search(r"主动衔接国际高水平经贸规则制度创新(\d+)项", flat).group(1),
        "foreign-trade-growth": re.search(r"外贸进出口年均增速达到(\d+)%", flat).group(1),
        "fdi-utilised": re.search(r"实际利用外资累计达到(\d+)亿美元", flat).group(1),
        "belt-and-road-trade-share": re.search(
            r"“一带一路”相关国家和地区经贸联系更加密切，贸易额占比达到(\d+)%", flat
        ).group(1),
    }
    assert written == {
        "institutional-innovations": "200",
        "first-of-a-kind-innovations": "25",
        "stress-tests": "30",
        "rule-alignment-innovations": "20",
        "foreign-trade-growth": "4",
        "fdi-utilised": "100",
        "belt-and-road-trade-share": "45",
    }
    targets = {t["code"]: t for t in targets_file["targets"]}
    assert {code: t["value"] for code, t in targets.items()} == written
    assert {code: t["unit"] for code, t in targets.items()} == {
        "institutional-innovations": "项",
        "first-of-a-kind-innovations": "项",
        "stress-tests": "项",
        "rule-alignment-innovations": "项",
        "foreign-trade-growth": "%",
        "fdi-utilised": "亿美元",
        "belt-and-road-trade-share": "%",
    }
    for target in targets.values():
        assert target["target_year"] == 2025
        assert target["sentence"] in flat
        assert target["indicator"] in target["sentence"]
        assert target["year_text"] in flat
        assert target["source_line"] in (70, 73, 75)
    assert [t["part_of"] for t in targets_file["targets"]] == [None] + ["institutional-innovations"] * 3 + [
        None
    ] * 3
    # The document words the rules target 衔接, not 对接.
    assert "对接" not in targets["rule-alignment-innovations"]["sentence"]
    assert targets_file["period"] == [2021, 2025]


# The command.


@pytest.mark.django_db
def test_committed_files_are_what_import_fyp_writes(tmp_path, fixture_records, targets_file):
    require_sources(SOURCE_FYP)
    target = tmp_path / "ftz-14th-fyp.json"
    output = run("import_fyp", str(SOURCE_FYP), *FYP_ARGS, "--output", str(target))
    assert json.loads(target.read_text()) == fixture_records
    assert json.loads((tmp_path / "ftz-14th-fyp.targets.json").read_text()) == targets_file
    assert "Wrote 130 objects" in output and "Wrote 7 targets" in output


@pytest.mark.django_db
def test_dry_run_prints_the_report_and_writes_nothing(tmp_path):
    require_sources(SOURCE_FYP)
    target = tmp_path / "out.json"
    output = run("import_fyp", str(SOURCE_FYP), *FYP_ARGS, "--dry-run", "--output", str(target))
    assert "Chapters: 12  Sections: 39  Categories: 32  Tasks (measures): 91  Targets: 7" in output
    assert "第四章 建设服务实体的金融开放创新高地 (line 110): 17 measures (4.1:4 4.2:6 4.3:7)" in output
    assert "第二章 总体要求 (line 35): context, not measures" in output
    assert "belt-and-road-trade-share: 与“一带一路”相关国家和地区贸易额占比 45% by 2025" in output
    assert "Warnings: 8" in output
    assert "line 1: the document states no title" in output
    assert "line 62: 第四节 片区功能 calls it “中心商务片区”" in output
    assert (
        "line 137: 第四章 建设服务实体的金融开放创新高地 · 第三节 打造新型金融基础设施: opening paragraph"
        in output
    )
    assert "line 338: 第十二章 保障措施 · 第三节 加强组织实施: paragraph has no lead sentence" in output
    assert not target.exists()


@pytest.mark.django_db
def test_a_title_is_needed_when_the_document_has_none(tmp_path):
    require_sources(SOURCE_FYP)
    with pytest.raises(CommandError, match="states no title; give it with --title"):
        call_command("import_fyp", str(SOURCE_FYP), "--dry-run", stdout=StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("第五章 做优互联互通", "第六章 做优互联互通", 149, "第六章 is out of sequence (expected 第五章)"),
        (
            "第二节 鼓励发展特色金融业",
            "第三节 鼓励发展特色金融业",
            122,
            "第三节 is out of sequence (expected 第二节)",
        ),
        ("第十一章 打造国际一流营商环境", "第十一章", 290, "“第十一章” has no title"),
        ("第一章 发展基础", "第一节 发展基础", 5, "comes before any chapter"),
        ("第", "弟", 1, "no chapters found"),
    ],
)
def test_a_malformed_document_names_the_line_and_writes_nothing(tmp_path, fyp_text, old, new, line, words):
    bad = fyp_text.replace(old, new)
    assert bad != fyp_text
    path = tmp_path / "plan.txt"
    path.write_text(bad, encoding="utf-8")
    target = tmp_path / "out.json"
    target.write_text("previous content")
    with pytest.raises(CommandError) as caught:
        call_command("import_fyp", str(path), *FYP_ARGS, "--output", str(target), stdout=StringIO())
    assert f"plan.txt: line {line}:" in str(caught.value)
    assert words in str(caught.value)
    assert target.read_text() == "previous content"
    assert not (tmp_path / "out.targets.json").exists()


def test_a_section_without_text_is_an_error(fyp_text):
    bad = fyp_text.replace(fyp_text.splitlines()[329] + "\n", "")  # the one paragraph of 加强党的领导
    with pytest.raises(PlanFormatError) as caught:
        parse_fyp(bad)
    assert caught.value.line == 328 and "第一节 加强党的领导 has no text" in caught.value.message


def test_split_headings_and_page_breaks_are_rejoined_with_warnings(fyp_text):
    original = parse_fyp(fyp_text)
    broken = (
        fyp_text.replace("第十一章 打造国际一流营商环境", "第十一章 打造国际一流\n营商环境")
        .replace("第十二章 保障措施", "第十二章\n保障措施")
        .replace(
            "形成规模更大、集聚度更高的商业保理产业集群。推动大数据",
            "形成规模更大、集聚度更高的商业保理\n\n产业集群。推动大数据",
        )
    )
    parsed = parse_fyp(broken)
    assert [c.heading for c in parsed.chapters] == [c.heading for c in original.chapters]
    assert [(m.code, m.title, m.text) for m in parsed.measures] == [
        (m.code, m.title, m.text) for m in original.measures
    ]
    messages = dict(parsed.warnings)
    assert "line 126 ends without closing punctuation; line 128 taken as its continuation" in messages[128]
    assert "heading “第十一章 打造国际一流” continues on line 293 (“营商环境”): joined" in messages[292]
    assert "heading “第十二章” has its title on line 328: joined" in messages[327]


# Loading beside the second-batch plan, and the pages.


def _plan_counts():
    return {
        "zones": Zone.objects.filter(plan__code="ftz-14th-fyp").count(),
        "categories": TaskCategory.objects.filter(zone__code="tianjin-ftz").count(),
        "tasks": Task.objects.filter(zone__code="tianjin-ftz").count(),
        "second-batch zones": Zone.objects.filter(plan__code="second-batch").count(),
        "second-batch tasks": Task.objects.filter(zone__plan__code="second-batch").count(),
    }


def test_load_and_reload_in_place(loaded):
    expected = {"zones": 6, "categories": 32, "tasks": 91, "second-batch zones": 5, "second-batch tasks": 58}
    assert _plan_counts() == expected
    assert (loaded.tasks_added, loaded.plan.code) == (91, "ftz-14th-fyp")
    pks = dict(Task.objects.filter(zone__code="tianjin-ftz").values_list("code", "pk"))
    output = run("load_plan", str(FIXTURE_DIR / "ftz-14th-fyp.json"))
    assert "No changes: the database already holds this version of the plan." in output
    assert _plan_counts() == expected
    assert dict(Task.objects.filter(zone__code="tianjin-ftz").values_list("code", "pk")) == pks
    plan = Plan.objects.get(code="ftz-14th-fyp")
    assert (plan.title, plan.issuer, plan.status) == (TITLE, "", "")
    task = Task.objects.get(zone__code="tianjin-ftz", code="4.2.2")
    assert (task.title, task.source_ref, task.source_line) == (
        "建设北方商业保理之都",
        "第四章第二节第2段",
        126,
    )
    assert task.category.code == "4.2"


def test_pages_render_the_verbatim_text(loaded, client):
    client.force_login(make_user(Role.MANAGER))
    task = Task.objects.get(zone__code="tianjin-ftz", code="4.2.2")
    response = client.get("/zones/tianjin-ftz/")
    assert response.status_code == 200
    page = response.content.decode()
    assert escape(task.title) in page
    assert escape(task.category.title) in page
    intro = TaskCategory.objects.get(zone__code="tianjin-ftz", code="4.1").intro
    assert intro.startswith("坚持金融服务实体经济导向") and escape(intro) in page  # 第四章's introduction
    response = client.get(f"/zones/tianjin-ftz/tasks/{task.number}/")
    assert response.status_code == 200
    assert escape(task.text) in response.content.decode()
    for url in ("/", "/zones/", "/tasks/?zone=tianjin-ftz", "/zones/eco-city/"):
        assert client.get(url).status_code == 200, url
    assert TITLE in client.get("/zones/").content.decode()
    response = client.get("/zones/cbd/")
    assert response.status_code == 200
    assert escape(Zone.objects.get(code="cbd").development_goals) in response.content.decode()


def test_reload_of_a_revised_plan_keeps_progress_on_the_measure_code(loaded, tmp_path):
    """A revision inserts a measure at the head of 4.2: later running numbers move on, but
    each measure keeps its row (and what was reported against it) through its code."""
    records = json.loads((FIXTURE_DIR / "ftz-14th-fyp.json").read_text(encoding="utf-8"))
    before = dict(Task.objects.filter(zone__code="tianjin-ftz").values_list("code", "pk"))
    head = next(r for r in records if r["model"] == "measures.task" and r["fields"]["code"] == "4.2.1")
    tasks = [r for r in records if r["model"] == "measures.task"]
    for record in tasks:
        if record["fields"]["number"] >= head["fields"]["number"]:
            record["fields"]["number"] += 1
        section, paragraph = record["fields"]["code"].rsplit(".", 1)
        if section == "4.2":
            record["fields"]["code"] = f"4.2.{int(paragraph) + 1}"
    # The last measure of 12.x is dropped from the revision.
    dropped = tasks[-1]
    records.remove(dropped)
    inserted = json.loads(json.dumps(head))
    inserted["fields"].update(
        code="4.2.1", number=head["fields"]["number"] - 1, title="新增措施", text="新增措施。"
    )
    records.insert(records.index(head), inserted)
    revised = tmp_path / "revised.json"
    revised.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    output = run("load_plan", str(revised))

    assert "1 added, 0 changed, 74 renumbered, 1 withdrawn" in output
    after = dict(Task.objects.filter(zone__code="tianjin-ftz").values_list("code", "pk"))
    # 4.2.1 became 4.2.2, and so on; the new 4.2.1 is a new row.
    assert after["4.2.2"] == before["4.2.1"]
    assert after["4.2.3"] == before["4.2.2"]
    assert after["4.2.1"] not in before.values()
    assert Task.objects.get(pk=before["4.2.2"]).title == "建设北方商业保理之都"
    numbers = list(Task.objects.filter(zone__code="tianjin-ftz").values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 92 and max(numbers) == 92
    kept = Task.objects.get(pk=before[dropped["fields"]["code"]])
    assert kept.number == 92 and kept.is_withdrawn and "revised.json" in kept.withdraw_reason
