"""The period report before its deadline says it is provisional (截至 <today>), and can count
accepted reports only, in every format, by zone and in the summary alike."""

import datetime
import io

import docx
import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from measures.exports.rows import period_rows, period_summary
from measures.models import ReportingPeriod
from tests.factories import make_user
from tests.measures.exports.test_period_report_consistency import entered, manager, period  # noqa: F401 (fixtures)
from zones.models import Zone

pytestmark = pytest.mark.django_db


def today_zh():
    today = timezone.localdate()
    return f"截至{today.year}年{today.month}月{today.day}日"


def page(client, shown, **params):
    return client.get(
        reverse("measures:period-report-html", args=[shown.pk]), params, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )


def test_before_the_deadline_the_report_says_it_is_provisional(client, manager, entered):  # noqa: F811
    client.force_login(manager)
    for params in ({}, {"zone": "xiqing"}):
        html = page(client, entered, **params).content.decode()
        assert today_zh() in html
    word = client.get(reverse("measures:period-report-docx", args=[entered.pk]), {"zone": "xiqing"})
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert today_zh() in text
    english = client.get(
        reverse("measures:period-report-html", args=[entered.pk]),
        {"zone": "xiqing"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert f"as of {timezone.localdate().isoformat()}" in english.content.decode()
    # Once the deadline has passed the report is final: no "as of".
    ReportingPeriod.objects.filter(pk=entered.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert today_zh() not in page(client, entered, zone="xiqing").content.decode()


def test_accepted_only_counts_a_report_once_accepted(client, manager, entered):  # noqa: F811
    # xiqing 1 accepted, 3 resubmitted (awaiting review), 7 accepted and closed off.
    every = period_rows(manager, entered)
    accepted = period_rows(manager, entered, accepted_only=True)
    assert every.timeliness()["on_time"] == 2 and accepted.timeliness()["on_time"] == 1
    row = next(r for r in accepted.rows if r.task.zone.code == "xiqing" and r.task.number == 3)
    assert row.report is None and row.timeliness == "missing" and row.state == "submitted"
    # The summary of several zones counts the same way.
    summary = period_summary(manager, entered, accepted_only=True)
    assert summary.timeliness() == accepted.timeliness()
    assert summary.by_status() == accepted.by_status() and summary.by_light() == accepted.by_light()
    client.force_login(manager)
    html = page(client, entered, accepted="1").content.decode()
    assert "仅统计已审核通过的报告" in html
    # The downloads and each zone's page keep the choice.
    assert f"/reports/period/{entered.pk}/xlsx?accepted=1" in html and "zone=xiqing&amp;accepted=1" in html
    workbook = client.get(reverse("measures:period-report-csv", args=[entered.pk]), {"accepted": "1"})
    assert workbook.status_code == 200
    assert "仅统计已审核通过的报告" not in page(client, entered).content.decode()


def test_the_options_keep_the_report_scoped(client, entered):  # noqa: F811
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    client.force_login(officer)
    assert page(client, entered, zone="xiqing", accepted="1").status_code == 404
    assert page(client, entered, zone="wuqing", accepted="1").status_code == 200
    client.logout()
    assert page(client, entered, accepted="1").status_code == 302
