"""Plans as offices hand them over read like the source: encodings, Word, tables, page furniture,
numbering and bracket styles, areas, wrapped headings. Or they fail naming the line."""

import pytest
from django.utils import translation

from plans.documents import DocumentError, read_document
from plans.layouts import FIVE_YEAR, LINKED_ZONE, TASK_LIST, TASK_TABLE, detect_layout, parse_lines
from plans.plan_parser import PlanFormatError, parse_plan
from tests.plans import corpus

KNOWN = {"市工业和信息化局", "天津海关", "市科技局", "市商务局"}


@pytest.fixture(scope="module")
def reference(source_text):
    return parse_plan(source_text)


def read(name, data):
    document = read_document(name, data)
    layout = detect_layout(document.lines)
    return document, layout, parse_lines(document.lines, layout, KNOWN, fallback_title=name)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 (BOM)"),
        ("gb18030", "GB18030"),
        ("gbk", "GB18030"),
        ("utf-16", "UTF-16 LE"),
        ("utf-16-be", "UTF-16-BE"),
    ],
)
def test_every_common_encoding_reads_as_the_source(source_text, reference, encoding, expected):
    data = source_text.encode(encoding)
    document, layout, parsed = read("plan.txt", data)
    assert document.encoding == expected
    assert layout == LINKED_ZONE
    assert parsed.title == reference.title == "第二批天津自贸试验区联动创新区建设方案"
    assert parsed.status == "征求意见稿"
    assert corpus.summary(parsed) == corpus.summary(reference)
    assert corpus.counts(parsed) == (5, 24, 22, 58)


def test_windows_line_endings_keep_line_numbers(source_text):
    document = read_document("plan.txt", source_text.replace("\n", "\r\n").encode("gbk"))
    assert document.lines[214] == source_text.split("\n")[214]


def test_invisible_characters_are_removed(source_text, reference):
    _, _, parsed = read("plan.txt", corpus.with_invisible_characters(source_text).encode("utf-8"))
    assert parsed.title == reference.title
    assert corpus.summary(parsed) == corpus.summary(reference)


def test_page_furniture_is_dropped_before_parsing(source_text, reference):
    text = corpus.with_page_furniture(source_text)
    document, _, parsed = read("plan.txt", text.encode("utf-8"))
    assert corpus.summary(parsed) == corpus.summary(reference)
    whys = {why for _, _, why in document.removed}
    assert whys == {"page number", "running header"}
    # Every header and page number went; the title at the top stayed.
    assert len(document.removed) == 2 * (len(source_text.split("\n")) // 23)
    assert parsed.title == reference.title
    for zone in parsed.zones:
        for task in zone.tasks:
            assert "页" not in task.text.replace("页岩", "") and "—" not in "".join(task.agencies)


def test_page_furniture_in_an_agency_list_does_not_make_an_agency(source_text):
    # A page break in the middle of （支持单位：…） leaves "— 3 —" between its lines.
    text = source_text.replace(
        "（支持单位：市工业和信息化局、市科技局）", "（支持单位：市工业和信息化局、\n— 3 —\n市科技局）", 1
    )
    _, _, parsed = read("plan.txt", text.encode("utf-8"))
    assert parsed.zones[0].tasks[1].agencies == ["市工业和信息化局", "市科技局"]


@pytest.mark.parametrize("style", ["dun", "paren", "circled", "full-width"])
def test_task_numbering_styles(source_text, reference, style):
    _, _, parsed = read("plan.txt", corpus.renumbered(source_text, style).encode("utf-8"))
    assert corpus.summary(parsed) == corpus.summary(reference)


def test_numbering_restarting_in_each_category(source_text, reference):
    text = corpus.restarted_per_category(source_text)
    assert "\n1. 优化原材料" not in text and "\n1. **" in text
    _, _, parsed = read("plan.txt", text.encode("utf-8"))
    assert corpus.summary(parsed) == corpus.summary(reference)
    # The tasks keep running numbers in the zone; the reference says where the plan puts them.
    xiqing = parsed.zones[0]
    assert [task.number for task in xiqing.tasks] == list(range(1, 13))
    assert xiqing.tasks[3].source_ref == "附件1 二（二）第1项"


@pytest.mark.parametrize("whole_lead", [False, True])
def test_bold_around_the_task_number(source_text, reference, whole_lead):
    text = corpus.bold_around_number(source_text, whole_lead)
    assert ("**1. 构建" if whole_lead else "**1.** 构建") in text
    _, _, parsed = read("plan.txt", text.encode("utf-8"))
    assert corpus.summary(parsed) == corpus.summary(reference)


@pytest.mark.parametrize(
    ("style", "roles_of_first"),
    [
        ("responsible", ["responsible", "responsible"]),
        ("tortoise", ["responsible", "responsible"]),
        ("lead-and-cooperating", ["lead", "cooperating"]),
        ("verbs", ["lead", "responsible"]),
    ],
)
def test_agency_bracket_styles(source_text, reference, style, roles_of_first):
    _, _, parsed = read("plan.txt", corpus.with_agency_style(source_text, style).encode("utf-8"))
    assert corpus.summary(parsed) == corpus.summary(reference)
    task = parsed.zones[0].tasks[1]
    assert task.agencies == ["市工业和信息化局", "市科技局"]
    assert task.roles == roles_of_first


def test_source_agencies_are_supporting(reference):
    assert {role for zone in reference.zones for task in zone.tasks for role in task.roles} == {"supporting"}


def test_area_styles(source_text, reference):
    _, _, parsed = read("plan.txt", corpus.with_area_styles(source_text).encode("utf-8"))
    assert corpus.summary(parsed) == corpus.summary(reference)
    xiqing = parsed.zones[0]
    assert str(xiqing.area) == "18.88"
    assert [str(block.area) for block in xiqing.blocks[:3]] == ["7.8", "0.66", "1.17"]
    # The block's text stays as written.
    assert xiqing.blocks[1].text.startswith("区块二：面积为66公顷")


def test_wrapped_title_and_category_heading(source_text, reference):
    _, _, parsed = read("plan.txt", corpus.with_wrapped_headings(source_text).encode("utf-8"))
    assert parsed.title == reference.title
    assert corpus.summary(parsed) == corpus.summary(reference)


def test_docx_reads_as_the_source(source_text, reference):
    document, layout, parsed = read("plan.docx", corpus.docx_bytes(source_text))
    assert document.kind == "docx" and layout == LINKED_ZONE
    assert corpus.summary(parsed) == corpus.summary(reference)
    # Line numbers are paragraph numbers: one paragraph per source line here.
    assert [task.line for task in parsed.zones[2].tasks] == [task.line for task in reference.zones[2].tasks]


def test_single_zone_plan_without_annexes(source_text, reference):
    lines = source_text.split("\n")
    start, end = lines.index("附件 2") + 1, lines.index("附件 3")
    text = "\n".join(lines[start:end])
    document, layout, parsed = read("wuqing.txt", text.encode("utf-8"))
    assert layout == LINKED_ZONE
    assert len(parsed.zones) == 1
    zone = parsed.zones[0]
    assert corpus.summary(parsed)[0][1:] == corpus.summary(reference)[1][1:]
    assert zone.tasks[0].line == reference.zones[1].tasks[0].line - start
    assert parsed.title.startswith("中国（天津）自由贸易试验区武清经开区")


def test_key_tasks_instead_of_main_tasks(source_text, reference):
    _, _, parsed = read("plan.txt", source_text.replace("二、主要任务", "二、重点任务").encode("utf-8"))
    assert corpus.summary(parsed) == corpus.summary(reference)


def test_five_year_plan_is_recognised():
    from tests.conftest import SOURCE_DIR

    data = (SOURCE_DIR / "004_6f279094ef53df13.txt").read_bytes()
    _, layout, parsed = read("fyp.txt", data.decode("utf-8").encode("gb18030"))
    assert layout == FIVE_YEAR
    assert len(parsed.measures) == 91


TASK_LIST_PLAN = """\
天津市推进自贸试验区提升战略
重点任务分工方案
（试行）

为贯彻落实自贸试验区提升战略，制定本方案。

一、总体要求

坚持系统集成，推动制度创新。

二、重点任务

（一）推进制度型开放

1. 对接国际高标准经贸规则。开展压力测试。（牵头单位：市商务局；配合单位：天津海关、市发展改革委）

2. 深化投资管理制度改革。（市发展改革委牵头，市商务局、市市场监管委按职责分工负责）

（二）提升贸易便利化

（1）优化通关流程，推广“提前申报”。〔责任单位：天津海关和市科技局〕

（2）发展数字贸易，培育数字贸易企业，建设数字贸易

示范区。

（责任单位：市商务局（牵头）、市委网信办等）

（3）推动工业互联网发展。（配合单位：市工业和信息化局）

三、保障措施

加强组织领导，各单位按分工抓好落实。
"""


def test_task_division_plan():
    document, layout, parsed = read("fengong.txt", TASK_LIST_PLAN.encode("gbk"))
    assert layout == TASK_LIST
    assert parsed.title == "天津市推进自贸试验区提升战略重点任务分工方案"
    assert parsed.status == "试行"
    [zone] = parsed.zones
    assert [c.title for c in zone.categories] == ["推进制度型开放", "提升贸易便利化"]
    tasks = zone.tasks
    assert [t.number for t in tasks] == [1, 2, 3, 4, 5]
    assert [t.source_ref for t in tasks] == [
        "二、（一）第1项",
        "二、（一）第2项",
        "二、（二）第1项",
        "二、（二）第2项",
        "二、（二）第3项",
    ]
    assert tasks[0].title == "对接国际高标准经贸规则"
    assert tasks[0].text == "对接国际高标准经贸规则。开展压力测试。"
    assert list(zip(tasks[0].agencies, tasks[0].roles, strict=True)) == [
        ("市商务局", "lead"),
        ("天津海关", "cooperating"),
        ("市发展改革委", "cooperating"),
    ]
    assert list(zip(tasks[1].agencies, tasks[1].roles, strict=True)) == [
        ("市发展改革委", "lead"),
        ("市商务局", "responsible"),
        ("市市场监管委", "responsible"),
    ]
    assert tasks[2].agencies == ["天津海关", "市科技局"]
    assert tasks[2].agencies_text == "〔责任单位：天津海关和市科技局〕"
    assert tasks[3].text == "发展数字贸易，培育数字贸易企业，建设数字贸易示范区。"
    assert list(zip(tasks[3].agencies, tasks[3].roles, strict=True)) == [
        ("市商务局", "lead"),
        ("市委网信办", "responsible"),
    ]
    # 和 inside a name is not a list.
    assert tasks[4].agencies == ["市工业和信息化局"]
    assert zone.guiding_principles == "坚持系统集成，推动制度创新。"
    assert zone.work_requirements == "加强组织领导，各单位按分工抓好落实。"
    assert any("等 dropped" in message for _, message in parsed.warnings)


def test_task_division_plan_out_of_sequence_names_the_line():
    text = TASK_LIST_PLAN.replace("（3）推动工业互联网", "（5）推动工业互联网")
    with pytest.raises(PlanFormatError) as error:
        read("fengong.txt", text.encode("utf-8"))
    assert (
        error.value.line
        == text.split("\n").index("（5）推动工业互联网发展。（配合单位：市工业和信息化局）") + 1
    )
    assert "task number 5 is out of sequence (expected 3)" in error.value.message


HEADER = ["序号", "重点任务", "牵头单位", "责任/配合单位", "完成时限"]
ROWS = [
    ["1", "推进跨境贸易便利化。", "天津海关", "市商务局、市口岸办", "2025年12月"],
    ["2", "建设国际航运枢纽。", "市交通运输委", "", "2026年6月"],
    ["3", "优化营商环境。", "市政务服务办（牵头）", "各区政府", ""],
]


@pytest.mark.parametrize("kind", ["xlsx", "csv", "docx"])
def test_task_table(kind):
    title = "自贸试验区重点任务清单"
    if kind == "xlsx":
        data = corpus.xlsx_bytes(title, HEADER, ROWS)
    elif kind == "csv":
        lines = [",".join(HEADER)] + [",".join(row) for row in ROWS]
        data = "\n".join(lines).encode("gbk")
    else:
        data = corpus.docx_table_bytes(title, HEADER, ROWS)
    document, layout, parsed = read(f"tasks.{kind}", data)
    assert layout == TASK_TABLE
    [zone] = parsed.zones
    tasks = zone.tasks
    assert [t.number for t in tasks] == [1, 2, 3]
    assert tasks[0].text == "推进跨境贸易便利化。（完成时限：2025年12月）"
    assert list(zip(tasks[0].agencies, tasks[0].roles, strict=True)) == [
        ("天津海关", "lead"),
        ("市商务局", "responsible"),
        ("市口岸办", "responsible"),
    ]
    assert tasks[1].agencies == ["市交通运输委"]
    assert tasks[2].roles == ["lead", "responsible"]
    if kind != "csv":
        assert parsed.title == title


def test_task_table_row_without_text_names_the_row():
    data = corpus.xlsx_bytes("清单", HEADER, [*ROWS, ["4", "", "市商务局", "", ""]])
    with pytest.raises(PlanFormatError) as error:
        read("tasks.xlsx", data)
    assert error.value.line == 6
    assert "row 4 has no task text" in error.value.message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xd0\xcf\x11\xe0" + b"\0" * 600, "Save as"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
        (b"", "empty"),
        (b"PK\x03\x04broken", "damaged"),
        (b"%PDF-1.4\nnot really", "PDF"),
    ],
)
def test_files_that_are_not_plans_say_what_to_do(data, words):
    with translation.override("en"), pytest.raises(DocumentError) as error:
        read_document("plan.doc", data)
    assert words in error.value.message


def test_undecodable_text_says_how_to_save_it():
    # Bytes no text encoding reads: not UTF-8, and GB18030 refuses \x81\x30 at the end.
    data = "计划".encode() + b"\xff\xfe\xfd" * 3 + b"\x81\x30"
    with translation.override("en"), pytest.raises(DocumentError) as error:
        read_document("plan.txt", data)
    assert "UTF-8" in error.value.message


def test_errors_in_a_docx_name_the_paragraph(source_text):
    text = source_text.replace("\n6. ", "\n8. ", 1)
    line = text.split("\n").index(next(line for line in text.split("\n") if line.startswith("8. "))) + 1
    with pytest.raises(PlanFormatError) as error:
        read("plan.docx", corpus.docx_bytes(text))
    assert error.value.line == line
    assert "task number 8 is out of sequence (expected 6)" in error.value.message


def test_tasks_numbered_in_an_unread_way_are_an_error_not_an_empty_zone(source_text):
    # Task numbers written as 一是 … 二是 … are not a numbering the parser reads.
    lines = source_text.split("\n")
    start, end = lines.index("附件 2") + 1, lines.index("附件 3")
    annex = [corpus.TASK_LINE_RE.sub("一是", line) for line in lines[start:end]]
    with pytest.raises(PlanFormatError) as error:
        read("wuqing.txt", "\n".join(annex).encode())
    assert "no numbered tasks found" in error.value.message
    assert annex[error.value.line - 1].startswith("（一）")


def test_a_long_zone_name_gets_a_code_that_fits(source_text):
    from plans.plan_parser import zone_code

    name = "滨海新区中心商务区于家堡金融区响螺湾商务区天碱商业区大沽口生态区联动创新区"
    assert len("".join(__import__("pypinyin").lazy_pinyin(name))) > 40
    code = zone_code(name)
    assert len(code) <= 40 and code.isalnum() and code.startswith("bhxqzxsw")
    text = source_text.replace(
        "自由贸易试验区西青经开区 联动创新区总体方案", f"自由贸易试验区{name[:-5]}联动创新区总体方案"
    )
    _, _, parsed = read("plan.txt", text.encode())
    assert parsed.zones[0].code == zone_code(name[:-5]) and len(parsed.zones[0].code) <= 40


def test_docx_with_word_list_numbering(source_text, reference):
    lines = source_text.split("\n")
    start, end = lines.index("附件 2") + 1, lines.index("附件 3")
    annex = "\n".join(lines[start:end])
    data = corpus.docx_with_word_numbering(annex)
    import docx

    typed = [p.text for p in docx.Document(__import__("io").BytesIO(data)).paragraphs]
    assert not any(corpus.TASK_LINE_RE.match(text) for text in typed)  # the numbers are Word's
    _, _, parsed = read("wuqing.docx", data)
    assert corpus.summary(parsed)[0][1:] == corpus.summary(reference)[1][1:]


def test_consecutive_agency_clauses_and_generic_names():
    text = TASK_LIST_PLAN.replace(
        "（配合单位：市工业和信息化局）", "\n\n牵头单位：市工业和信息化局\n\n配合单位：市科技局、各有关部门"
    )
    _, _, parsed = read("fengong.txt", text.encode())
    task = parsed.zones[0].tasks[4]
    assert list(zip(task.agencies, task.roles, strict=True)) == [
        ("市工业和信息化局", "lead"),
        ("市科技局", "cooperating"),
    ]
    assert task.text == "推动工业互联网发展。"
    assert any("各有关部门" in message for _, message in parsed.warnings)


def test_task_table_with_a_title_and_a_measures_column():
    header = ["序号", "重点任务", "具体措施", "牵头单位", "配合单位", "完成时限"]
    rows = [
        ["1", "跨境贸易便利化", "推广“提前申报”，压缩通关时间。", "天津海关", "市商务局", "持续推进"],
        ["2", "航运枢纽", "建设国际航运枢纽。", "市交通运输委", "", ""],
    ]
    _, layout, parsed = read("tasks.xlsx", corpus.xlsx_bytes("任务清单", header, rows))
    assert layout == TASK_TABLE
    first = parsed.zones[0].tasks[0]
    assert first.title == "跨境贸易便利化"
    assert first.text == "推广“提前申报”，压缩通关时间。（完成时限：持续推进）"
    assert list(zip(first.agencies, first.roles, strict=True)) == [
        ("天津海关", "lead"),
        ("市商务局", "cooperating"),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("附件 2\n\n中国（天津）", "附件2：\n\n中国（天津）"),
        ("附件 2\n\n中国（天津）", "附件二\n\n中国（天津）"),
        ("附件 2\n\n中国（天津）", "附件 2 中国（天津）"),
    ],
)
def test_annex_heading_styles(source_text, reference, old, new):
    assert old in source_text
    _, _, parsed = read("plan.txt", source_text.replace(old, new).encode())
    assert corpus.summary(parsed) == corpus.summary(reference)
    assert parsed.zones[1].annex_title == reference.zones[1].annex_title


def test_planned_area_instead_of_total_area(source_text, reference):
    text = source_text.replace("联动创新区总面积18.88平方公里", "联动创新区规划面积为18.88平方公里")
    _, _, parsed = read("plan.txt", text.encode())
    assert parsed.zones[0].area == reference.zones[0].area


def test_an_annex_title_repeated_as_its_pages_header_stays_as_the_title(source_text, reference):
    title = "中国（天津）自由贸易试验区北辰经开区联动创新区总体方案"
    lines = source_text.split("\n")
    start = lines.index("附件 3")
    out = []
    for index, line in enumerate(lines):
        out.append(line)
        if start + 5 < index < start + 80 and index % 15 == 0:
            out.append(title)
    _, _, parsed = read("plan.txt", "\n".join(out).encode())
    assert corpus.summary(parsed) == corpus.summary(reference)
    assert parsed.zones[2].name == "北辰经开区"


def test_repeated_ends_of_agency_lists_are_not_taken_for_headers(source_text, reference):
    # The same tail of a split agency list three times: content, not page furniture.
    text = source_text
    for old in ("（支持单位：市商务局、天津海关）",) * 3:
        text = text.replace(old, "（支持单位：市商务局、\n天津海关）", 1)
    document, _, parsed = read("plan.txt", text.encode())
    assert document.removed == []
    assert corpus.summary(parsed) == corpus.summary(reference)
