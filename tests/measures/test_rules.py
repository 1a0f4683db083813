"""Rules about a report's state are named once (measures.choices) and used by name everywhere."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from measures.choices import (
    AWAITING_SIGNOFF_STATES,
    EDITABLE_STATES,
    REPORTED_STATES,
    ReportState,
    TaskStatus,
)
from measures.exports.rows import REPORT_COLUMNS
from measures.models import ProgressReport, ReportEvent, Task
from measures.reporting.forms import ReportForm
from measures.reporting.models import REPORT_FIELDS
from tests.factories import make_user

ROOT = Path(settings.BASE_DIR)
PACKAGES = ["core", "zones", "measures", "indicators", "api", "portal", "ops"]


def state_literals(path):
    """Tuples, lists and sets written out of two or more report states, as strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2:
            values = [elt.value for elt in node.elts if isinstance(elt, ast.Constant)]
            if len(values) == len(node.elts) and set(values) <= set(ReportState.values):
                yield node.lineno, values


def test_no_tuple_of_report_states_outside_the_rules():
    found = [
        f"{path.relative_to(ROOT)}:{line} {values}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line, values in state_literals(path)
    ]
    assert found == []


def test_the_check_finds_a_written_out_tuple(tmp_path):
    module = tmp_path / "view.py"
    module.write_text('editable = report.state in ("draft", "returned")\n')
    assert list(state_literals(module)) == [(1, ["draft", "returned"])]


def test_a_report_is_editable_or_awaits_signoff_or_counts_as_reported_one_only():
    rules = [EDITABLE_STATES, AWAITING_SIGNOFF_STATES, REPORTED_STATES]
    assert all(a.isdisjoint(b) for i, a in enumerate(rules) for b in rules[i + 1 :])
    assert set(ReportState) == EDITABLE_STATES | AWAITING_SIGNOFF_STATES | REPORTED_STATES


@pytest.mark.parametrize(
    ("state", "status", "closes"),
    [
        (ReportState.ACCEPTED, TaskStatus.COMPLETED, True),
        (ReportState.SUBMITTED, TaskStatus.COMPLETED, False),
        (ReportState.ACCEPTED, TaskStatus.ON_TRACK, False),
        (ReportState.RETURNED, TaskStatus.COMPLETED, False),
    ],
)
def test_only_an_accepted_report_that_says_completed_closes_off_its_task(state, status, closes):
    assert ProgressReport(state=state, status=status).closes_off_task is closes


def test_the_report_fields_are_the_forms_and_the_exports():
    assert ReportForm._meta.fields == REPORT_FIELDS
    exported = {ProgressReport._meta.get_field(name).attname for name in REPORT_FIELDS}
    assert exported <= set(REPORT_COLUMNS)


@pytest.mark.django_db
def test_an_unknown_event_kind_is_refused_in_python():
    event = ReportEvent(kind="teleported", actor=make_user(), task=Task.objects.first(), at=timezone.now())
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert set(caught.value.error_dict) == {"kind"}


def test_no_database_constraint_lists_the_event_kinds():
    # A new kind must not need a migration that rewrites a constraint over the whole history table.
    conditions = [str(getattr(constraint, "condition", "")) for constraint in ReportEvent._meta.constraints]
    assert conditions and not any("kind" in condition for condition in conditions)
