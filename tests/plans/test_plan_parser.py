"""The parser against the real source and against malformed copies of it."""

from decimal import Decimal

import pytest

from plans.plan_parser import PlanFormatError, parse_plan, zone_code
from zones.numerals import from_chinese, to_chinese

EXPECTED = {
    # code: (annex, name, dev zone, stated area, blocks, categories, tasks)
    "xiqing": (1, "西青经开区", "西青经济技术开发区", "18.88", 8, 5, 12),
    "wuqing": (2, "武清经开区", "武清经济技术开发区", "37.78", 2, 3, 9),
    "beichen": (3, "北辰经开区", "北辰经济技术开发区", "49.75", 7, 4, 9),
    "ziya": (4, "子牙经开区", "天津子牙经济技术开发区", "22.86", 2, 6, 16),
    "dongli": (5, "东丽经开区", "东丽经济技术开发区", "20.94", 5, 4, 12),
}


@pytest.fixture(scope="module")
def plan(source_text):
    return parse_plan(source_text)


def test_front_matter(plan):
    assert plan.title == "第二批天津自贸试验区联动创新区建设方案"
    assert plan.status == "征求意见稿"
    assert plan.preamble.startswith("为贯彻落实党中央、国务院")
    # The page break inside 细化/工作安排 is joined back together.
    assert "细化工作安排" in plan.preamble


def test_zones_as_in_the_plan(plan):
    got = {
        z.code: (
            z.annex_number,
            z.name,
            z.dev_zone_name,
            str(z.area),
            len(z.blocks),
            len(z.categories),
            len(z.tasks),
        )
        for z in plan.zones
    }
    assert got == EXPECTED


def test_tasks_are_numbered_from_one_in_each_zone(plan):
    for zone in plan.zones:
        assert [task.number for task in zone.tasks] == list(range(1, len(zone.tasks) + 1))


def test_block_areas_names_and_boundaries(plan):
    xiqing, wuqing, beichen, _, dongli = plan.zones
    assert [str(b.area) for b in xiqing.blocks] == [
        "7.8",
        "0.66",
        "1.17",
        "1.51",
        "1.81",
        "1.17",
        "1.38",
        "3.38",
    ]
    assert xiqing.blocks[0].boundary == "东至津港大道和泽恩路、南至赛达南道、西至津淄公路、北至梨双路"
    # 武清 writes the area without 面积 and names its blocks.
    assert wuqing.blocks[0].name == "武清经开区建成区"
    assert wuqing.blocks[0].area == Decimal("36.88")
    assert wuqing.blocks[1].boundary.startswith("主要包括佛罗伦萨小镇")
    # 北辰 block 4's boundary is split by a page break.
    assert beichen.blocks[3].boundary == "东至滨湖路、南至郎园引河、西至通正路、北至永宁道"
    assert beichen.blocks[3].name == "智能制造谷"
    assert [len(b.subplots) for b in dongli.blocks] == [0, 2, 3, 0, 2]
    plot = dongli.blocks[2].subplots[2]
    # The stray closing bracket after 宝能城 is a PDF artefact and is not part of the boundary.
    assert plot.boundary == "东至西一经路，西至空地、南至南坨村北侧空地、北至宝能城"
    assert dongli.blocks[1].subplots[0].boundary == "东至迭山道，西至跃进路，南至胜林北苑，北至好新家园"


def test_area_flag_only_for_beichen(plan):
    assert {z.code: str(z.blocks_area) for z in plan.zones} == {
        "xiqing": "18.88",
        "wuqing": "37.78",
        "beichen": "49.74",
        "ziya": "22.86",
        "dongli": "20.94",
    }
    area_warnings = [w for w in plan.warnings if "differs from the sum" in w[1]]
    assert len(area_warnings) == 1
    line, message = area_warnings[0]
    assert "北辰" in message and "49.75" in message and "49.74" in message
    assert line == 215


def test_bold_and_plain_titles(plan):
    xiqing = plan.zones[0]
    assert xiqing.tasks[0].title == "构建京津冀集成电路产业协同开放新高地"
    assert xiqing.tasks[0].text.startswith("构建京津冀集成电路产业协同开放新高地。作为")
    assert "**" not in xiqing.tasks[0].text
    assert xiqing.tasks[2].title == "优化原材料进口通关便利化措施"


def test_agencies_across_page_breaks_and_half_width_brackets(plan):
    xiqing = plan.zones[0]
    assert xiqing.tasks[7].agencies == [
        "市科技局",
        "市知识产权局",
        "市人社局",
        "市委组织部",
        "市外办",
        "市公安局",
        "天津海关",
        "市公安局出入境管理局",
    ]
    # Half-width brackets, colon and spaces: (支持单位: 人民银行天津市分行、…)
    assert xiqing.tasks[8].agencies == ["人民银行天津市分行", "市地方金融管理局", "自贸试验区管委会"]
    # A list on its own line after a page break.
    assert xiqing.tasks[1].agencies == ["市工业和信息化局", "市科技局"]
    # 武清 task 3 closes with ）。
    assert plan.zones[1].tasks[2].agencies[-1] == "天津海关"
    assert plan.zones[1].tasks[2].text.endswith("纳入医保支付范围。")


def test_category_intro_and_source_reference(plan):
    beichen = plan.zones[2]
    assert beichen.categories[0].title == "联动赋能主导产业升级"
    assert beichen.categories[0].intro.startswith("充分发挥联动创新区在智能制造")
    assert beichen.categories[1].tasks[0].source_ref == "附件3 二（二）第5项"
    # Half-width category heading: (五) 拓展全球网络, 塑造开放型经济发展新优势
    assert plan.zones[0].categories[4].title.startswith("拓展全球网络")


def test_work_requirements_kept(plan):
    ziya = plan.zones[3]
    assert "评估指标体系" in ziya.work_requirements
    assert "市高水平开放高质量发展领导小组办公室" in plan.zones[0].work_requirements


def test_zone_codes_from_pinyin():
    assert zone_code("西青经开区") == "xiqing"
    assert zone_code("滨海高新区") == "binhaigaoxinqu"


@pytest.mark.parametrize("number", [1, 2, 9, 10, 11, 20, 35, 99])
def test_chinese_numerals_round_trip(number):
    assert from_chinese(to_chinese(number)) == number


def test_two_written_liang():
    assert from_chinese("两") == 2
    assert from_chinese("一四") is None


def _error(text):
    with pytest.raises(PlanFormatError) as caught:
        parse_plan(text)
    return caught.value


def test_no_annexes(source_text):
    text = source_text.replace("附件 ", "附录 ")
    error = _error(text)
    assert "no annexes" in error.message
    assert error.line == 3


def test_task_number_out_of_sequence(source_text):
    lines = source_text.splitlines()
    assert lines[70].startswith("3. 优化原材料")
    lines[70] = lines[70].replace("3. ", "4. ", 1)
    error = _error("\n".join(lines))
    assert error.line == 71
    assert "task number 4 is out of sequence (expected 3)" in error.message


def test_unreadable_total_area(source_text):
    text = source_text.replace("总面积18.88平方公里", "总面积十八点八八平方公里")
    error = _error(text)
    assert error.line == 39
    assert "total area" in error.message


def test_unreadable_block_area(source_text):
    text = source_text.replace("区块二：面积0.66平方公里", "区块二：面积约零点六六平方公里")
    error = _error(text)
    assert error.line == 43
    assert "区块二" in error.message


def test_agency_list_without_closing_bracket(source_text):
    text = source_text.replace(
        "（支持单位：市商务局、天津海关）\n\n（二）联动自贸平台",
        "（支持单位：市商务局、天津海关\n\n（二）联动自贸平台",
    )
    assert text != source_text
    error = _error(text)
    assert error.line == 71
    assert "no closing bracket" in error.message


def test_agency_list_opened_on_a_later_line_names_that_line(source_text):
    text = source_text.replace(
        "（支持单位：市工业和信息化局、市科技局）\n", "（支持单位：市工业和信息化局、市科技局\n", 1
    )
    error = _error(text)
    assert error.line == 69


def test_block_out_of_sequence(source_text):
    text = source_text.replace("区块三：面积1.17", "区块四：面积1.17", 1)
    error = _error(text)
    assert error.line == 45
