"""The history's "who did what, when" sentences are worded and spaced in one place
(measures.templatetags.reporting.history_line, core.i18n.cjk_spacing): in Chinese a name sits
against its verb without spaces and a date or Latin name is set off by one space, whichever
page or catalogue entry the sentence comes from; English reads as written."""

import re

import pytest
from django.utils import timezone, translation

from core.i18n import cjk_spacing
from core.roles import Role
from measures import services
from measures.choices import TaskStatus
from measures.models import Task
from tests.factories import CLOSE_OFF_LINK, make_period, make_user
from zones.models import Plan, Zone


@pytest.mark.parametrize(
    ("written", "spaced"),
    [
        ("张三于2026-04-05 10:00退回。", "张三于 2026-04-05 10:00 退回。"),
        ("单位负责人 张三 于 2026-04-05 10:00 退回。", "单位负责人张三于 2026-04-05 10:00 退回。"),
        ("由 张三 于 2026-04-05 销号。", "由张三于 2026-04-05 销号。"),
        ("manager于2026-04-05 10:00报送。", "manager 于 2026-04-05 10:00 报送。"),
        ("赵副（代 张三）", "赵副（代张三）"),
        ("赵副（代 manager）", "赵副（代 manager）"),
    ],
)
def test_chinese_sentences_are_spaced_one_way(written, spaced):
    with translation.override("zh-hans"):
        assert cjk_spacing(written) == spaced
        assert cjk_spacing(spaced) == spaced
    with translation.override("en"):
        assert cjk_spacing(written) == written


@pytest.fixture
def trail(db):
    """xiqing 1: written and submitted by 张三, returned by 李四, then completed, accepted and
    closed off by 李四."""
    today = timezone.localdate()
    period = make_period(Plan.objects.get(code="second-batch"), today.year, (today.month - 1) // 3 + 1)
    officer = make_user(Role.OFFICER, zones=[Zone.objects.get(code="xiqing")], first_name="张三")
    manager = make_user(Role.MANAGER, first_name="李四")
    task = Task.objects.get(zone__code="xiqing", number=1)
    data = {"status": TaskStatus.ON_TRACK, "percent_complete": 50, "progress": "推进中。"}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    services.return_report(
        report=services.submit_report(report=report, user=officer), user=manager, note="补充"
    )
    return task, period, officer, manager


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_task_page_history_lines(client, trail, language):
    task, period, officer, manager = trail
    client.force_login(manager)
    client.cookies["django_language"] = language
    page = text_of(client.get(task.get_absolute_url(), {"period": period.pk}).content.decode())
    if language == "en":
        assert "Submitted by 张三 on " in page and "Returned by 李四 on " in page
        return
    # The report's trail: the name against its verb, the date set off by spaces.
    assert re.search(r"张三于 \d{4}-\d\d-\d\d \d\d:\d\d 报送。", page)
    assert re.search(r"李四于 \d{4}-\d\d-\d\d \d\d:\d\d 退回。", page)
    assert "张三 于" not in page and "李四 于" not in page
    # Closed off: the catalogue's 由 %(who)s 于 %(when)s 销号 reads the same way.
    data = {"status": TaskStatus.COMPLETED, "percent_complete": 100, "progress": "完成。"}
    report = services.save_report(task=task, period=period, user=officer, data=data)
    services.accept_report(report=services.submit_report(report=report, user=officer), user=manager)
    services.close_task(url=CLOSE_OFF_LINK, task=task, user=manager)
    page = text_of(client.get(task.get_absolute_url(), {"period": period.pk}).content.decode())
    assert re.search(r"由李四于 \d{4}-\d\d-\d\d 销号。", page)
