"""Plan import with Chromium: a PDF printed by the browser reads as the source does, a scan is
refused with what to do, and an administrator imports a revised plan's .docx through the web."""

import pytest
from django.utils import translation

from core.roles import Role
from measures.models import Task
from plans.documents import DocumentError, read_document
from plans.layouts import LINKED_ZONE, detect_layout, parse_lines
from plans.plan_parser import parse_plan
from tests.factories import make_user
from tests.plans import corpus
from zones.models import AgencyAlias, Plan, PlanUpload

pytestmark = pytest.mark.e2e

HEADER = "第二批天津自贸试验区联动创新区建设方案"
FURNITURE = {
    "display_header_footer": True,
    "header_template": f"<div style='font-size:8px;width:100%;text-align:center'>{HEADER}</div>",
    "footer_template": (
        "<div style='font-size:8px;width:100%;text-align:center'>— <span class='pageNumber'></span> —</div>"
    ),
    "margin": {"top": "20mm", "bottom": "20mm", "left": "15mm", "right": "15mm"},
}


def print_pdf(browser, html, **options):
    page = browser.new_page()
    try:
        page.set_content(html)
        return page.pdf(format="A4", **options)
    finally:
        page.close()


def test_printed_pdf_with_header_and_page_numbers_reads_as_the_source(browser, source_text):
    data = print_pdf(browser, corpus.html_for_pdf(source_text), **FURNITURE)
    document = read_document("plan.pdf", data)
    assert document.kind == "pdf"
    # The header above every page and the — N — below it are gone, the title under the first header stays.
    pages = max(document.pages)
    assert pages > 5
    assert sum(1 for _, _, why in document.removed if why == "page number") == pages
    assert sum(1 for _, _, why in document.removed if why == "running header") == pages
    layout = detect_layout(document.lines)
    assert layout == LINKED_ZONE
    parsed = parse_lines(document.lines, layout)
    reference = parse_plan(source_text)
    assert parsed.title == reference.title and parsed.status == reference.status
    assert corpus.counts(parsed) == (5, 24, 22, 58)
    assert corpus.summary(parsed) == corpus.summary(reference)
    # Errors point at the PDF's own lines and pages.
    first_task = parsed.zones[0].tasks[0]
    assert document.lines[first_task.line - 1].startswith("1. 构建京津冀集成电路产业协同开放新高地")
    assert document.label(first_task.line).endswith(f"(p. {document.pages[first_task.line - 1]})")


def test_pdf_without_text_is_refused_with_what_to_do(browser):
    html = "<!doctype html><body>" + "<div style='height:250mm;background:#333'></div>" * 3 + "</body>"
    data = print_pdf(browser, html)
    with translation.override("en"), pytest.raises(DocumentError) as error:
        read_document("scan.pdf", data)
    assert "no text layer" in error.value.message and ".docx" in error.value.message


def test_administrator_imports_a_revised_docx_and_maps_an_agency(
    live_server, loaded_plan, page, source_text, tmp_path, screenshot
):
    make_user(Role.ADMINISTRATOR, username="admin.li")
    revised = source_text.replace("激活要素动能强化产业支撑", "激活要素动能全面强化产业支撑").replace(
        "（支持单位：市工业和信息化局、市科技局）", "（支持单位：天津市工信局、市科技局）", 1
    )
    path = tmp_path / "第二批方案（修订稿）.docx"
    path.write_bytes(corpus.docx_bytes(revised))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin.li")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("form.stack button[type=submit]")
    page.goto(f"{live_server.url}/zones/")
    page.click("#plan-import-link")
    page.wait_for_url("**/plans/import/")

    page.set_input_files("#id_file", str(path))
    page.check("input[name=mode][value=revision]")
    page.select_option("#id_plan", label=str(Plan.objects.get(code="second-batch")))
    page.click("#plan-import-form button[type=submit]")
    page.wait_for_url("**/plans/import/*/")
    assert "联动创新区建设方案" in page.locator("#import-layout").inner_text()
    assert page.locator("#import-task-count").inner_text() == "58"
    changes = page.locator("#import-changes tbody tr")
    assert changes.count() == 1 and "激活要素动能全面强化产业支撑" in changes.first.inner_text()
    # The unknown agency, with the registry's agency suggested first.
    select = page.locator("#import-agencies select").first
    assert "天津市工信局" in page.locator("#import-agencies").inner_text()
    suggested = select.locator("optgroup").first.locator("option").first
    assert suggested.inner_text().startswith("市工业和信息化局")
    select.select_option(suggested.get_attribute("value"))
    screenshot("plan-import-preview")
    # Nothing has changed before confirming.
    assert Task.objects.get(zone__code="xiqing", number=2).title == "激活要素动能强化产业支撑"

    page.click("#import-confirm")
    page.wait_for_url("**/zones/#plan-second-batch")
    assert "已从" in page.locator(".messages").inner_text()
    assert AgencyAlias.objects.get(alias="天津市工信局").agency.name == "市工业和信息化局"
    assert PlanUpload.objects.get().applied_at is not None

    page.goto(f"{live_server.url}/zones/xiqing/tasks/2/")
    assert page.locator("h1").inner_text() == "激活要素动能全面强化产业支撑"
    assert page.locator(".agency-list li a").all_inner_texts() == ["市工业和信息化局", "市科技局"]


def test_administrator_settles_an_uncertain_pairing_in_the_preview(
    live_server, loaded_plan, page, source_text, tmp_path, screenshot
):
    from tests.plans.test_plan_import_web import _rewritten_task_two

    make_user(Role.ADMINISTRATOR, username="admin.li")
    task, rewritten, text = _rewritten_task_two(source_text)
    path = tmp_path / "第二批方案（修订稿）.docx"
    path.write_bytes(corpus.docx_bytes(text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin.li")
    page.fill("#id_password", "pw-for-tests-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/**")
    page.goto(f"{live_server.url}/plans/import/")
    page.set_input_files("#id_file", str(path))
    page.check("input[name=mode][value=revision]")
    page.select_option("#id_plan", label=str(Plan.objects.get(code="second-batch")))
    page.click("#plan-import-form button[type=submit]")
    page.wait_for_url("**/plans/import/*/")
    assert page.locator("#import-pairings-needed").is_visible()
    pairing = page.locator("#pairing-xiqing-2")
    assert "%" in pairing.locator("legend").inner_text()

    # Confirming without a decision is refused on the page, and nothing changes.
    page.click("#import-confirm")
    page.wait_for_load_state()
    assert page.locator("#pairing-xiqing-2 .field-error").inner_text() == "请判断是否为同一任务。"
    task.refresh_from_db()
    assert task.text != rewritten

    page.locator("#pairing-xiqing-2 input[value=same]").check()
    screenshot("plan-import-pairing-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("plan-import-pairing-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("#import-confirm")
    page.wait_for_url("**/zones/#plan-second-batch")
    task.refresh_from_db()
    assert task.text == rewritten and not task.is_withdrawn
