"""Reminders before a deadline, chase notices (催办) after it, and the two scheduling commands."""

import datetime
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone, translation

from core.roles import Role
from measures import services
from measures.choices import EventKind, ReminderKind, TaskStatus
from measures.followup.services import reminders as reminders_module
from measures.models import Reminder, ReportEvent, ReportingPeriod, Task
from notifications.choices import NoticeKind
from tests.factories import make_period, make_plan, make_user
from zones.models import Plan, Zone

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 10, 8)
XIQING_TASKS = 12


@pytest.fixture
def clock(monkeypatch):
    """Stand in for the server clock, so "run the daily command on day D" means D everywhere:
    in the service's decisions and in the sent_at of the rows that later runs look back on."""

    class Clock:
        def set(self, day):
            self.now = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=datetime.UTC)

    clock = Clock()
    clock.set(TODAY)
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def run(clock, mailoutbox):
    """The daily job on `day` (TODAY by default); returns the reminders it recorded."""

    def run(day=TODAY, **options):
        clock.set(day)
        return services.send_reminders(today=day, **{"days_before": 7, "chase_every": 7, **options})

    return run


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing], email="li.ming@xiqing.example.cn")


@pytest.fixture
def officer_without_email(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing], email="")


@pytest.fixture
def bystanders(xiqing):
    """People who must never get a zone's notices: a deactivated officer, a liaison, a manager."""
    make_user(Role.OFFICER, zones=[xiqing], email="left@xiqing.example.cn", is_active=False)
    make_user(
        Role.LIAISON, agency=Task.objects.get(zone=xiqing, number=1).ordered_agencies[0], email="l@x.cn"
    )
    make_user(Role.MANAGER, email="boss@example.cn")


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, email="manager@example.cn")


def submit(task, period, user):
    report = services.save_report(
        task=task,
        period=period,
        user=user,
        data={"status": TaskStatus.ON_TRACK, "percent_complete": 50, "progress": "按计划推进"},
    )
    return services.submit_report(report=report, user=user)


def listed_numbers(body):
    return [int(n) for n in re.findall(r"^ +(\d+)\. ", body, flags=re.MULTILINE)]


# --- reminders before the deadline ----------------------------------------------------------


def test_reminder_goes_out_once_when_the_deadline_is_near(
    run, mailoutbox, officer, officer_without_email, bystanders
):
    period = make_period(deadline=TODAY + datetime.timedelta(days=7))
    sent = run()
    assert {r.recipient: r.delivered for r in sent} == {officer: True, officer_without_email: False}
    assert [m.to for m in mailoutbox] == [["li.ming@xiqing.example.cn"]]
    assert Reminder.objects.filter(period=period).count() == 2

    # The job runs daily: the same day again, the next day, and the deadline day add nothing.
    for day in (TODAY, TODAY + datetime.timedelta(days=1), period.deadline):
        assert run(day) == []
    assert len(mailoutbox) == 1
    assert Reminder.objects.count() == 2


@pytest.mark.parametrize(("days_left", "sent"), [(30, False), (8, False), (7, True), (3, True), (0, True)])
def test_reminder_window(run, officer, days_left, sent):
    make_period(deadline=TODAY + datetime.timedelta(days=days_left))
    assert bool(run()) is sent
    assert Reminder.objects.exists() is sent


def test_days_before_is_configurable(run, officer):
    make_period(deadline=TODAY + datetime.timedelta(days=5))
    assert run(days_before=3) == []
    assert len(run(days_before=5)) == 1


def test_reminder_rows_record_what_was_sent(run, mailoutbox, officer, officer_without_email, xiqing):
    period = make_period(deadline=TODAY + datetime.timedelta(days=3))
    run()
    mailed = Reminder.objects.get(recipient=officer)
    assert (mailed.kind, mailed.period, mailed.zone, mailed.email) == (
        ReminderKind.REMINDER,
        period,
        xiqing,
        "li.ming@xiqing.example.cn",
    )
    assert mailed.task_count == XIQING_TASKS and mailed.sent_by is None and mailed.delivered
    assert mailed.sent_at == timezone.now()
    [message] = mailoutbox
    assert mailed.subject == message.subject
    unmailed = Reminder.objects.get(recipient=officer_without_email)
    assert (unmailed.email, unmailed.delivered, unmailed.task_count) == ("", False, XIQING_TASKS)


def test_email_names_the_zone_period_and_outstanding_tasks(run, mailoutbox, officer, xiqing):
    period = make_period(deadline=TODAY + datetime.timedelta(days=3))
    for number in (1, 2):
        submit(Task.objects.get(zone=xiqing, number=number), period, officer)
    run()
    [message] = mailoutbox
    assert message.subject.startswith("【提醒】")
    assert "西青经开区" in message.subject and period.name in message.subject
    assert "10" in message.subject.replace(period.name, "")  # twelve tasks, two submitted
    assert listed_numbers(message.body) == list(range(3, XIQING_TASKS + 1))
    assert Task.objects.get(zone=xiqing, number=3).title in message.body
    # Links are absolute: the mail is read outside the site.
    assert settings.FTZ_SITE_URL.rstrip("/") + "/zones/xiqing/tasks/3/" in message.body
    assert settings.FTZ_SITE_URL.rstrip("/") + "/zones/xiqing/tasks/1/" not in message.body
    assert period.deadline.isoformat() in message.body
    assert Reminder.objects.get(recipient=officer).task_count == 10


def cjk_outside(text, *names):
    """The Chinese characters of `text` apart from the given names: the wording itself."""
    for name in names:
        text = text.replace(name, "")
    return re.findall(r"[\u4e00-\u9fff]", text)


def test_notice_is_chinese_whatever_the_senders_language(clock, mailoutbox, manager, officer, xiqing):
    period = make_period(deadline=TODAY - datetime.timedelta(days=2))
    # A manager browsing in English still sends the zone a Chinese notice.
    with translation.override("en"):
        services.chase_zone(period=period, zone=xiqing, user=manager)
    [message] = mailoutbox
    assert message.subject.startswith("【催办】")
    assert cjk_outside(message.subject, "【催办】", xiqing.name, period.name)
    first_paragraph = message.body.split("\n\n")[0]
    assert cjk_outside(first_paragraph, xiqing.name, period.name)
    assert Reminder.objects.get(recipient=officer).subject == message.subject


def test_notice_counts_days_from_the_given_day_not_the_server_clock(clock, mailoutbox, officer):
    # `send_reminders --today` on a server whose clock says otherwise.
    period = make_period(deadline=TODAY + datetime.timedelta(days=3))
    clock.set(TODAY + datetime.timedelta(days=40))
    services.send_reminders(today=TODAY, days_before=7, chase_every=7)
    [message] = mailoutbox
    first_paragraph = message.body.split("\n\n")[0]
    assert period.deadline.isoformat() in first_paragraph
    assert re.search(r"(?<![\d-])3(?!\d)", first_paragraph), first_paragraph
    assert "37" not in first_paragraph  # what the server clock would have said


def test_zone_with_everything_submitted_gets_nothing(run, mailoutbox, officer, xiqing):
    period = make_period(deadline=TODAY + datetime.timedelta(days=2))
    for task in Task.objects.filter(zone=xiqing):
        submit(task, period, officer)
    assert run() == []
    assert run(TODAY + datetime.timedelta(days=5)) == []  # after the deadline: no chase either
    assert mailoutbox == [] and not Reminder.objects.exists()


def test_locked_period_gets_no_reminders(run, mailoutbox, officer, manager):
    period = make_period(deadline=TODAY + datetime.timedelta(days=2))
    services.lock_period(period=period, user=manager)
    assert run() == [] and run(TODAY + datetime.timedelta(days=10)) == []
    assert mailoutbox == []


def test_mail_failure_is_recorded_not_raised(run, monkeypatch, officer):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(reminders_module, "send_mail", refuse)
    make_period(deadline=TODAY + datetime.timedelta(days=3))
    [reminder] = run()
    assert reminder.email == officer.email and not reminder.delivered
    # It was due and recorded: tomorrow's run does not try again and flood the zone when the
    # server comes back.
    assert run(TODAY + datetime.timedelta(days=1)) == []


# --- chase notices after the deadline -------------------------------------------------------


def test_chase_after_the_deadline_repeats_every_chase_every_days(run, mailoutbox, officer):
    period = make_period(deadline=TODAY - datetime.timedelta(days=1))
    [first] = run()
    assert first.kind == ReminderKind.CHASE and first.period == period
    assert mailoutbox[0].subject.startswith("【催办】")
    for days in range(1, 7):
        assert run(TODAY + datetime.timedelta(days=days)) == [], days
    [second] = run(TODAY + datetime.timedelta(days=7))
    assert second.kind == ReminderKind.CHASE
    assert len(mailoutbox) == 2
    assert Reminder.objects.filter(kind=ReminderKind.CHASE).count() == 2


def test_reminder_before_the_deadline_does_not_stop_the_first_chase(run, mailoutbox, officer):
    period = make_period(deadline=TODAY + datetime.timedelta(days=2))
    [reminder] = run()
    [chase] = run(period.deadline + datetime.timedelta(days=1))
    assert (reminder.kind, chase.kind) == (ReminderKind.REMINDER, ReminderKind.CHASE)
    assert [m.subject[:4] for m in mailoutbox] == ["【提醒】", "【催办】"]


def test_chase_every_is_configurable(run, officer):
    make_period(deadline=TODAY - datetime.timedelta(days=1))
    run(chase_every=3)
    assert run(TODAY + datetime.timedelta(days=2), chase_every=3) == []
    assert len(run(TODAY + datetime.timedelta(days=3), chase_every=3)) == 1


def test_chase_stops_once_everything_is_submitted(run, officer, xiqing):
    period = make_period(deadline=TODAY - datetime.timedelta(days=1))
    run()
    for task in Task.objects.filter(zone=xiqing):
        submit(task, period, officer)
    assert run(TODAY + datetime.timedelta(days=7)) == []


# --- a manager's one-click chase ------------------------------------------------------------


def test_manager_chase_records_sender_and_event(
    clock, mailoutbox, manager, officer, officer_without_email, xiqing
):
    period = make_period(deadline=TODAY - datetime.timedelta(days=4))
    result = services.chase_zone(period=period, zone=xiqing, user=manager)
    assert {r.recipient for r in result.reminders} == {officer, officer_without_email}
    assert result.skipped_without_email == 1
    rows = Reminder.objects.filter(period=period)
    assert {(r.kind, r.sent_by, r.zone) for r in rows} == {(ReminderKind.CHASE, manager, xiqing)}
    [message] = mailoutbox
    assert message.subject.startswith("【催办】") and message.to == [officer.email]
    assert listed_numbers(message.body) == list(range(1, XIQING_TASKS + 1))
    [event] = ReportEvent.objects.filter(kind=EventKind.CHASED)
    assert (event.actor, event.period, event.task) == (manager, period, None)
    assert event.changes == {"zone": "xiqing", "tasks": XIQING_TASKS, "recipients": 2}


def test_manager_chase_does_not_suppress_the_scheduled_one(clock, run, manager, officer, xiqing):
    period = make_period(deadline=TODAY - datetime.timedelta(days=1))
    services.chase_zone(period=period, zone=xiqing, user=manager)
    [scheduled] = run()
    assert scheduled.sent_by is None


@pytest.mark.parametrize("role", [Role.OFFICER, Role.LIAISON])
def test_only_managers_chase(clock, mailoutbox, officer, xiqing, role):
    period = make_period(deadline=TODAY - datetime.timedelta(days=4))
    user = make_user(role, zones=[xiqing] if role == Role.OFFICER else ())
    with pytest.raises(PermissionDenied):
        services.chase_zone(period=period, zone=xiqing, user=user)
    assert mailoutbox == [] and not Reminder.objects.exists()
    assert not ReportEvent.objects.filter(kind=EventKind.CHASED).exists()


def test_nothing_to_chase(clock, mailoutbox, manager, officer, xiqing):
    period = make_period(deadline=TODAY - datetime.timedelta(days=4))
    for task in Task.objects.filter(zone=xiqing):
        submit(task, period, officer)
    with pytest.raises(ValidationError):
        services.chase_zone(period=period, zone=xiqing, user=manager)
    assert mailoutbox == [] and not Reminder.objects.exists()
    assert not ReportEvent.objects.filter(kind=EventKind.CHASED).exists()


def test_zone_without_officers_cannot_be_chased(clock, mailoutbox, manager):
    period = make_period(deadline=TODAY - datetime.timedelta(days=4))
    with pytest.raises(ValidationError):
        services.chase_zone(period=period, zone=Zone.objects.get(code="dongli"), user=manager)
    assert mailoutbox == [] and not Reminder.objects.exists()


# --- send_reminders command -----------------------------------------------------------------


def command(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_send_reminders_command_prints_each_notice_and_a_summary(
    clock, mailoutbox, officer, officer_without_email
):
    make_period(deadline=TODAY + datetime.timedelta(days=5))
    output = command("send_reminders", "--today", TODAY.isoformat())
    lines = output.strip().splitlines()
    assert len(lines) == 3
    assert (
        f"reminder: xiqing 西青经开区 → {officer.username} <li.ming@xiqing.example.cn>, 12 reports" in output
    )
    assert f"{officer_without_email.username} <->" in output and "no e-mail" in output
    assert lines[-1].startswith("Sent 2 notices")
    assert len(mailoutbox) == 1 and Reminder.objects.count() == 2
    # A second run the same day has nothing to do.
    assert command("send_reminders", "--today", TODAY.isoformat()).strip().startswith("Sent 0 notices")


def test_send_reminders_dry_run_sends_and_records_nothing(clock, mailoutbox, officer):
    make_period(deadline=TODAY - datetime.timedelta(days=2))
    output = command("send_reminders", "--today", TODAY.isoformat(), "--dry-run")
    assert f"would send chase: xiqing 西青经开区 → {officer.username}" in output
    assert "Dry run: would send 1 notices" in output
    assert mailoutbox == [] and not Reminder.objects.exists()
    # Having recorded nothing, the real run still sends.
    command("send_reminders", "--today", TODAY.isoformat())
    assert len(mailoutbox) == 1 and Reminder.objects.count() == 1


def test_send_reminders_defaults_come_from_settings(clock, mailoutbox, officer):
    make_period(deadline=TODAY + datetime.timedelta(days=5))
    with override_settings(FTZ_REMIND_DAYS_BEFORE=3):
        command("send_reminders", "--today", TODAY.isoformat())
    assert mailoutbox == []
    command("send_reminders", "--today", TODAY.isoformat(), "--days-before", "5")
    assert len(mailoutbox) == 1


def test_send_reminders_without_today_uses_the_clock(clock, mailoutbox, officer):
    make_period(deadline=TODAY + datetime.timedelta(days=1))
    command("send_reminders")
    # Before the deadline by the clock, so a reminder rather than a chase.
    assert Reminder.objects.get().kind == ReminderKind.REMINDER
    assert mailoutbox[0].subject.startswith("【提醒】")


@pytest.mark.parametrize("value", ["2026-13-01", "08/10/2026", "tomorrow", ""])
def test_send_reminders_rejects_a_bad_date(clock, mailoutbox, officer, value):
    make_period(deadline=TODAY + datetime.timedelta(days=1))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        command("send_reminders", "--today", value)
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("args", "message"), [(["--days-before", "-1"], "negative"), (["--chase-every", "0"], "at least")]
)
def test_send_reminders_rejects_bad_numbers(clock, args, message):
    with pytest.raises(CommandError, match=message):
        command("send_reminders", *args)


# --- create_periods command -----------------------------------------------------------------


def test_create_periods_is_idempotent():
    output = command("create_periods", "--plan", "second-batch", "--year", "2027")
    plan = Plan.objects.get(code="second-batch")
    assert ReportingPeriod.objects.filter(plan=plan).count() == 4
    assert "second-batch: created 2027年第一季度 (2027-01-01 – 2027-03-31), due 2027-04-15" in output
    assert output.strip().endswith("4 periods created.")
    again = command("create_periods", "--plan", "second-batch", "--year", "2027")
    assert "already exist" in again and again.strip().endswith("0 periods created.")
    assert ReportingPeriod.objects.filter(plan=plan).count() == 4


def test_create_periods_defaults_to_every_plan_and_this_year(clock):
    clock.set(datetime.date(2028, 2, 1))
    other = make_plan(code="third-batch")
    command("create_periods", "--deadline-days", "10")
    for plan in (Plan.objects.get(code="second-batch"), other):
        periods = ReportingPeriod.objects.filter(plan=plan).order_by("start")
        assert [p.start for p in periods] == [datetime.date(2028, m, 1) for m in (1, 4, 7, 10)]
        assert periods[0].deadline == datetime.date(2028, 4, 10)
    assert ReportingPeriod.objects.count() == 8


def test_create_periods_unknown_plan_lists_the_known_ones():
    make_plan(code="third-batch")
    with pytest.raises(CommandError) as caught:
        command("create_periods", "--plan", "first-batch", "--year", "2027")
    assert "first-batch" in str(caught.value)
    assert "second-batch" in str(caught.value) and "third-batch" in str(caught.value)
    assert not ReportingPeriod.objects.exists()


@pytest.mark.parametrize("args", [["--year", "226"], ["--deadline-days", "-5"]])
def test_create_periods_rejects_bad_numbers(args):
    with pytest.raises(CommandError):
        command("create_periods", *args)
    assert not ReportingPeriod.objects.exists()


# --- wording by the deadline, and who a chase reached (issue 14, item 11) ----------------------


def first_paragraph_of(message):
    return message.body.split("\n\n")[0]


def test_manager_chase_before_the_deadline_reads_as_a_reminder_with_days_left(
    clock, mailoutbox, manager, officer, xiqing
):
    period = make_period(deadline=TODAY + datetime.timedelta(days=41))
    with translation.override("en"):
        services.chase_zone(period=period, zone=xiqing, user=manager)
    [message] = mailoutbox
    assert message.subject.startswith("【提醒】")
    text = first_paragraph_of(message)
    assert "-41" not in text and "已过" not in text
    assert "还有 41 天" in text
    # The officers learn who asked.
    assert manager.username in message.body


def test_chase_after_the_deadline_counts_days_overdue(clock, mailoutbox, manager, officer, xiqing):
    period = make_period(deadline=TODAY - datetime.timedelta(days=9))
    services.chase_zone(period=period, zone=xiqing, user=manager)
    [message] = mailoutbox
    assert message.subject.startswith("【催办】")
    assert "逾期 9 天" in first_paragraph_of(message)


def test_notice_on_the_deadline_day_says_today(run, mailoutbox, officer):
    make_period(deadline=TODAY)
    run()
    [message] = mailoutbox
    text = first_paragraph_of(message)
    assert message.subject.startswith("【提醒】")
    assert "今天" in text and "0 天" not in text


def test_english_wording_by_the_deadline(clock, mailoutbox, manager, officer, xiqing, settings):
    settings.FTZ_NOTICE_LANGUAGE = "en"
    before = make_period(deadline=TODAY + datetime.timedelta(days=1))
    services.chase_zone(period=before, zone=xiqing, user=manager)
    after = make_period(deadline=TODAY - datetime.timedelta(days=3))
    services.chase_zone(period=after, zone=xiqing, user=manager)
    first, second = (first_paragraph_of(m) for m in mailoutbox)
    assert "in 1 day." in first and "overdue" not in first
    assert "3 days overdue" in second and "ago" not in second


def test_chase_to_officers_without_email_tells_the_manager_who_and_how(client, clock, manager, xiqing):
    nobody = make_user(Role.OFFICER, zones=[xiqing], email="", first_name="芳", last_name="王")
    period = make_period(deadline=TODAY - datetime.timedelta(days=4))
    client.force_login(manager)
    response = client.post(f"/zones/{xiqing.code}/chase/", {"period": period.pk, "next": "/"}, follow=True)
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    levels = [level for level, _text in shown]
    assert "error" in levels  # nobody was e-mailed, said plainly
    [warning] = [text for level, text in shown if level == "warning"]
    assert nobody.get_full_name() in warning
    assert "My work" in warning or "我的工作" in warning
    # And the officer is reached that way: the notice waits on their My work page.
    client.force_login(nobody)
    [notice] = client.get("/my/").context["notices"]
    assert (notice.kind, notice.zone, notice.actor, notice.needs_action) == (
        NoticeKind.CHASE,
        xiqing,
        manager,
        True,
    )


def test_chase_names_the_officers_e_mailed(client, clock, manager, officer, officer_without_email, xiqing):
    period = make_period(deadline=TODAY - datetime.timedelta(days=4))
    client.force_login(manager)
    response = client.post(f"/zones/{xiqing.code}/chase/", {"period": period.pk, "next": "/"}, follow=True)
    shown = {m.level_tag: str(m) for m in response.context["messages"]}
    assert officer.email in shown["success"]
    assert officer_without_email.username in shown["warning"]
    assert "error" not in shown


def test_a_line_break_in_the_zone_name_still_sends_the_reminder(run, mailoutbox, officer, xiqing):
    """A line break in a header makes Django refuse the mail (BadHeaderError): no one was told."""
    xiqing.name = "西青\n经开区"
    xiqing.save(update_fields=["name"])
    make_period(deadline=TODAY + datetime.timedelta(days=7))
    run()
    assert [m.to for m in mailoutbox] == [["li.ming@xiqing.example.cn"]]
    assert "\n" not in mailoutbox[0].subject and "西青 经开区" in mailoutbox[0].subject
