"""In Chromium: a manager schedules a stocktake meeting (调度会) for a zone; its pack opens with the
items of the previous meeting and lists the zone's red tasks; the manager assigns an item (交办),
the zone's officer finds it on My work and reports progress with a file, and the manager closes it
with the evidence and a confirmation."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.roles import Role
from measures import services as measures_services
from stocktakes import services
from stocktakes.choices import ItemEventKind, ItemState
from stocktakes.models import AssignedItem, Stocktake
from tests.e2e.test_reporting_loop import sign_in, sign_out
from tests.factories import make_period, make_user
from tests.measures.upload_samples import PDF
from zones.models import Plan, Zone

pytestmark = pytest.mark.e2e


def test_stocktake_pack_to_assigned_item_to_close(
    live_server, loaded_plan, page, screenshot, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    plan = Plan.objects.get(code="second-batch")
    xiqing = Zone.objects.get(plan=plan, code="xiqing")
    today = timezone.localdate()
    # A period whose deadline has passed with nothing submitted: the zone's tasks are red in the pack.
    make_period(plan, deadline=today - datetime.timedelta(days=2))
    manager = make_user(Role.MANAGER, username="st.manager", first_name="孙调度")
    make_user(Role.OFFICER, zones=[xiqing], username="st.officer", first_name="钱承办")
    earlier = services.schedule_stocktake(
        user=manager,
        plan=plan,
        zone=xiqing,
        title="十一月调度会",
        held_on=today - datetime.timedelta(days=30),
    )
    services.assign_item(
        stocktake=earlier,
        user=manager,
        title="梳理重点项目清单",
        zone=xiqing,
        due=today - datetime.timedelta(days=3),
    )
    officer = User.objects.get(username="st.officer")
    task = xiqing.tasks.order_by("number").first()
    measures_services.raise_matter(
        zone=xiqing, task=task, user=officer, title="集成电路保税研发用地待协调", description="需市级协调"
    )
    base = live_server.url

    sign_in(page, base, "st.manager")
    page.click("nav.mainnav a[href='/stocktakes/']")
    page.click("text=安排调度会")
    page.fill("#id_title", "十二月调度会")
    page.fill("#id_held_on", today.isoformat())
    page.select_option("#id_plan", str(plan.pk))
    page.select_option("#id_zone", str(xiqing.pk))
    page.click("form.report-form button[type=submit]")
    meeting = Stocktake.objects.get(title="十二月调度会")
    page.wait_for_url(f"{base}/stocktakes/{meeting.pk}/")
    previous = page.locator("#previous-items")
    assert "梳理重点项目清单" in previous.inner_text() and "已逾期" in previous.inner_text()
    assert page.locator("#red-tasks li a").count() == xiqing.tasks.count()
    assert "集成电路保税研发用地待协调" in page.locator("#matters").inner_text()
    page.fill("#id_title", "完成跨境电商平台对接")
    page.fill("#id_due", (today + datetime.timedelta(days=14)).isoformat())
    page.fill("#id_description", "两周内完成并报送佐证")
    page.click("#assign-form button[type=submit]")
    page.wait_for_url(f"{base}/stocktakes/{meeting.pk}/#items")
    assert "完成跨境电商平台对接" in page.locator("#items table").inner_text()
    screenshot("stocktake-pack")
    sign_out(page)

    sign_in(page, base, "st.officer")
    page.goto(f"{base}/my/")
    page.click("#assigned-items a:has-text('完成跨境电商平台对接')")
    item = AssignedItem.objects.get(title="完成跨境电商平台对接")
    page.wait_for_url(f"{base}/assigned/{item.pk}/")
    proof = tmp_path / "平台上线说明.pdf"
    proof.write_bytes(PDF)
    page.fill("#id_note", "平台已上线，附上线说明")
    page.set_input_files("#id_file", str(proof))
    page.fill("#id_description", "上线说明")
    page.click("#progress button[type=submit]")
    page.wait_for_url(f"{base}/assigned/{item.pk}/")
    assert "平台上线说明.pdf" in page.locator("#evidence").inner_text()
    sign_out(page)

    sign_in(page, base, "st.manager")
    page.goto(f"{base}/assigned/{item.pk}/")
    page.fill("#id_note", "经核实已办结")
    page.click("#close button[type=submit]")
    assert "确认" in page.locator("#close").inner_text()  # no confirmation: refused, text kept
    assert page.locator("#id_note").input_value() == "经核实已办结"
    box, label = (
        page.locator("#id_confirmed").bounding_box(),
        page.locator("label[for=id_confirmed]").bounding_box(),
    )
    # Not stretched across the column with the box drawn in its middle.
    assert abs(box["x"] - label["x"]) < 8 and box["width"] < 40, box
    page.check("#id_confirmed")
    page.click("#close button[type=submit]")
    page.wait_for_url(f"{base}/assigned/{item.pk}/")
    assert page.locator("#item-state").inner_text() == "已办结"
    screenshot("stocktake-item-closed")
    item.refresh_from_db()
    assert item.state == ItemState.CLOSED
    assert list(item.events.values_list("kind", flat=True)) == [
        ItemEventKind.ASSIGNED,
        ItemEventKind.PROGRESS,
        ItemEventKind.CLOSED,
    ]
