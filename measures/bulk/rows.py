"""Tasks and reports to template rows; uploaded rows to checked changes; changes to saved reports."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import access_for, can_report
from measures import services
from measures.bulk.columns import (
    FIELD_COLUMNS,
    NUMBER,
    PERCENT,
    STATUS,
    STATUS_LABELS,
    SUPPORT_AGENCY,
    TEXT_COLUMNS,
    VERSION,
    ZONE,
    clean_text,
    status_by_label,
)
from measures.choices import EDITABLE_STATES
from measures.models import ProgressReport, Task
from zones.models import Agency, Zone


@dataclass(frozen=True)
class RowError:
    row: int
    task: str
    column: str
    message: str


@dataclass(frozen=True)
class Change:
    row: int
    task: Task
    data: dict
    version: int


@dataclass
class Outcome:
    changes: list = field(default_factory=list)
    unchanged: int = 0
    errors: list = field(default_factory=list)


def reportable_tasks(user, period):
    """The tasks of the period's plan `user` may report on, closed-off ones included."""
    tasks = Task.objects.visible_to(user).filter(zone__plan_id=period.plan_id).select_related("zone")
    if access_for(user).is_liaison:
        # A liaison reports on the tasks its agency leads: the roles come with the tasks.
        tasks = tasks.with_agencies()
    return [task for task in tasks if can_report(user, task)]


def template_rows(tasks, period):
    """One row per task, holding its report for `period` as it stands (two queries in all)."""
    # Read by zone, not by a list of every task id: an administrator's template has all the
    # plan's tasks, more ids than SQLite takes as parameters of one query past 32,766.
    # Plain values, not report instances: a template needs nine fields of each report, and the
    # instances (with their dates converted and their agency's) were most of its time at 20,000.
    fields = ["task_id", "status", "percent_complete", *TEXT_COLUMNS, "support_agency__name", "version"]
    reports = {
        values[0]: values[1:]
        for values in ProgressReport.objects.filter(
            period=period, task__zone_id__in={t.zone_id for t in tasks}
        )
        .order_by()
        .values_list(*fields)
    }
    rows = []
    for task in tasks:
        report = reports.get(task.pk)
        if report is None:
            rows.append([task.zone.code, task.number, task.title, None, None, "", "", "", "", "", 0])
            continue
        status, percent, *texts, agency, version = report
        row = [task.zone.code, task.number, task.title, STATUS_LABELS[status], percent, *texts, agency or ""]
        rows.append([*row, version])
    return rows


def check_rows(sheet_rows, *, period, user):
    """Check every row against the database; nothing is written here."""
    checker = _Checker(sheet_rows, period=period, user=user)
    for row in sheet_rows:
        checker.check(row)
    return checker.outcome


class _Checker:
    def __init__(self, sheet_rows, *, period, user):
        self.user = user
        self.outcome = Outcome()
        self.statuses = status_by_label()
        self.agencies = {}
        self.seen = {}
        codes = {clean_text(row.cells[ZONE]).lower() for row in sheet_rows}
        self.zone_codes = set(
            Zone.objects.filter(plan_id=period.plan_id, code__in=codes).values_list("code", flat=True)
        )
        tasks = Task.objects.filter(zone__plan_id=period.plan_id, zone__code__in=self.zone_codes)
        self.tasks = {(t.zone.code, t.number): t for t in tasks.select_related("zone").with_agencies()}
        reports = ProgressReport.objects.filter(period=period, task__in=self.tasks.values())
        self.reports = {r.task_id: r for r in reports.select_related("updated_by")}

    def check(self, row):
        self.row = row
        self.label = f"{clean_text(row.cells[ZONE])} {clean_text(row.cells[NUMBER])}".strip()
        self.errors = []
        task = self._task()
        if task is None:
            return
        data = self._values(task)
        version = self._whole_number(
            VERSION, 0, None, _("The version must be a whole number; leave it as exported.")
        )
        if self.errors:
            return self._flush()
        report = self.reports.get(task.pk)
        if data is not None and report is not None:
            data = _changed(report, data)
        if not data:
            self.outcome.unchanged += 1
            return
        self._check_writable(task, report, version)
        if self.errors:
            return self._flush()
        self.outcome.changes.append(Change(row.number, task, data, version))

    def error(self, column, message):
        self.errors.append(RowError(self.row.number, self.label, column, message))

    def _flush(self):
        self.outcome.errors.extend(self.errors)

    def _task(self):
        # Zone codes are lower-case slugs; a spreadsheet program may have capitalised them.
        code = clean_text(self.row.cells[ZONE]).lower()
        if not clean_text(self.row.cells[NUMBER]):
            self.error(NUMBER, _("The task number is missing."))
        number = self._whole_number(NUMBER, None, None, _("The task number must be a whole number."))
        if not code:
            self.error(ZONE, _("The zone code is missing."))
        elif code not in self.zone_codes:
            self.error(ZONE, _("There is no zone %(code)s in this period's plan.") % {"code": code})
        elif number is not None and (code, number) not in self.tasks:
            self.error(NUMBER, _("Zone %(code)s has no task %(number)s.") % {"code": code, "number": number})
        if self.errors:
            return self._flush()
        task = self.tasks[(code, number)]
        if not can_report(self.user, task):
            self.error(
                ZONE, _("You cannot report on the tasks of %(zone)s.") % {"zone": task.zone.display_name}
            )
        elif task.pk in self.seen:
            message = _("This task is also in row %(row)s; keep one row per task.")
            self.error(NUMBER, message % {"row": self.seen[task.pk]})
        if self.errors:
            return self._flush()
        self.seen[task.pk] = self.row.number
        return task

    def _values(self, task):
        """The row's report fields, or None when the row leaves a report that does not exist empty."""
        cells = self.row.cells
        texts = {name: clean_text(cells[column]) for name, column in TEXT_COLUMNS.items()}
        raw = [clean_text(cells[column]) for column in (STATUS, PERCENT, SUPPORT_AGENCY)]
        if task.pk not in self.reports and not any(raw) and not any(texts.values()):
            return None
        return {
            "status": self._status(raw[0]),
            "percent_complete": self._percent(raw[1]),
            **texts,
            "support_agency": self._agency(task, raw[2]),
        }

    def _status(self, text):
        if not text:
            return self.error(STATUS, _("Choose a status."))
        status = self.statuses.get(text.lower())
        if status is None:
            choices = "、".join(STATUS_LABELS.values())
            self.error(
                STATUS,
                _("Unknown status “%(value)s”. Use one of: %(choices)s.")
                % {"value": text, "choices": choices},
            )
        return status

    def _percent(self, text):
        message = _("The percent complete must be a whole number from 0 to 100.")
        if not text:
            return self.error(PERCENT, message)
        return self._whole_number(PERCENT, None, 100, message, text=text.removesuffix("%").strip())

    def _whole_number(self, column, default, maximum, message, text=None):
        text = clean_text(self.row.cells[column]) if text is None else text
        if not text:
            return default
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not value.is_integer() or value < 0 or (maximum is not None and value > maximum):
            return self.error(column, message)
        return int(value)

    def _agency(self, task, name):
        if not name:
            return None
        if name not in self.agencies:
            self.agencies[name] = Agency.objects.resolve(name)
        agency = self.agencies[name]
        if agency is None:
            self.error(SUPPORT_AGENCY, _("Unknown agency “%(name)s”.") % {"name": name})
        elif agency not in task.ordered_agencies:
            self.error(
                SUPPORT_AGENCY, _("%(name)s is not a supporting agency of this task.") % {"name": name}
            )
        return agency

    def _check_writable(self, task, report, version):
        current = report.version if report else 0
        if version != current and report is None:
            self.error(VERSION, _("This task has no report for this period yet, so its version must be 0."))
        elif version != current:
            who = report.updated_by.get_full_name() or report.updated_by.get_username()
            message = _(
                "%(who)s changed this report at %(when)s, after the template was downloaded (version %(file)s in"
                " the file, %(current)s now). Download a fresh template and make your changes there."
            )
            when = timezone.localtime(report.updated_at).strftime("%Y-%m-%d %H:%M")
            self.error(VERSION, message % {"who": who, "when": when, "file": version, "current": current})
        elif task.is_withdrawn:
            self.error("", _("This task has been withdrawn from the plan; it is no longer reported on."))
        elif task.is_closed:
            self.error("", _("This task has been closed off; reopen it before changing it."))
        elif report is not None and report.state not in EDITABLE_STATES:
            message = _("This report has been %(state)s and can no longer be edited.")
            self.error("", message % {"state": report.get_state_display().lower()})


def _changed(report, data):
    """Only the fields the row changes, so an unchanged field leaves no trace in the history."""
    current = {name: getattr(report, name) for name in ("status", "percent_complete")}
    current.update({name: clean_text(getattr(report, name)) for name in TEXT_COLUMNS})
    changed = {
        name: value for name, value in data.items() if name != "support_agency" and current[name] != value
    }
    agency = data["support_agency"]
    if (agency.pk if agency else None) != report.support_agency_id:
        changed["support_agency"] = agency
    return changed


class _RollBack(Exception):
    """Raised once every row has been tried, so all the service's objections are reported together."""


def check_upload(sheet_rows, *, period, user, submit):
    """Every problem of the file at once: the rows' own checks, then, for the rows that pass
    them, what the services would refuse (已完成 below 100%, submitting without progress),
    found by applying those rows and undoing them. Returns (outcome, errors); nothing is saved."""
    outcome = check_rows(sheet_rows, period=period, user=user)
    if not outcome.errors:
        return outcome, []
    later, _submitted = apply_changes(outcome.changes, user=user, period=period, submit=submit, dry_run=True)
    return outcome, sorted([*outcome.errors, *later], key=lambda error: error.row)


def apply_changes(changes, *, user, period, submit, dry_run=False):
    """Save (and optionally submit) every change in one transaction: all of them, or none.

    Returns (errors, number submitted). Each row runs in its own savepoint so that after one row
    fails the others are still tried and their errors reported; any error undoes the whole upload,
    and `dry_run` undoes it even without one (check_upload() uses it to find every objection).
    """
    errors = []
    try:
        with transaction.atomic():
            for change in changes:
                try:
                    with transaction.atomic():
                        report = services.save_report(
                            task=change.task,
                            period=period,
                            user=user,
                            data=change.data,
                            expected_version=change.version,
                        )
                        if submit:
                            services.submit_report(report=report, user=user)
                except services.ReportConflict:
                    label = f"{change.task.zone.code} {change.task.number}"
                    message = _(
                        "Someone saved this report while the file was being applied. Upload it again."
                    )
                    errors.append(RowError(change.row, label, VERSION, message))
                except ValidationError as error:
                    errors.extend(_service_errors(change, error))
            if errors or dry_run:
                raise _RollBack
    except _RollBack:
        return errors, 0
    return [], len(changes) if submit else 0


def _service_errors(change, error):
    label = f"{change.task.zone.code} {change.task.number}"
    if not hasattr(error, "error_dict"):
        return [RowError(change.row, label, "", message) for message in error.messages]
    return [
        RowError(change.row, label, FIELD_COLUMNS.get(name, ""), message)
        for name, messages in error.message_dict.items()
        for message in messages
    ]
