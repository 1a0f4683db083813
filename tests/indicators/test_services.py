"""Each step of an indicator value as a service: history row, version, permissions, evidence."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from core.roles import Role
from indicators import services
from indicators.choices import Computation, IndicatorEventKind, ValueState
from indicators.models import Indicator, IndicatorEvent, IndicatorValue
from tests.factories import make_user
from tests.indicators.conftest import VALUE, make_indicator
from tests.measures.upload_samples import PDF, upload

pytestmark = pytest.mark.django_db


def save(ind, user=None, data=VALUE, **kwargs):
    return services.save_value(
        indicator=ind.indicator,
        zone=ind.zone,
        period=ind.period,
        user=user or ind.officer,
        data=data,
        **kwargs,
    )


def kinds(value):
    return list(
        IndicatorEvent.objects.filter(value=value).order_by("at", "pk").values_list("kind", flat=True)
    )


def test_save_creates_a_draft_with_its_history(ind):
    value = save(ind)
    assert (value.state, value.value, value.version) == (ValueState.DRAFT, Decimal("6.5"), 1)
    assert value.entered_by == ind.officer
    assert kinds(value) == [IndicatorEventKind.CREATED]


def test_edit_bumps_the_version_and_records_what_changed(ind):
    value = save(ind)
    value = save(ind, data={**VALUE, "value": "7"}, expected_version=1)
    assert value.version == 2
    event = IndicatorEvent.objects.filter(value=value).latest("pk")
    assert event.kind == IndicatorEventKind.EDITED
    assert Decimal(event.changes["value"][1]) == Decimal("7")


def test_saving_the_same_figures_again_writes_nothing(ind):
    value = save(ind)
    save(ind, expected_version=value.version)
    assert kinds(value) == [IndicatorEventKind.CREATED]
    assert IndicatorValue.objects.get().version == 1


def test_a_stale_save_is_a_conflict_and_writes_nothing(ind):
    save(ind)
    save(ind, data={**VALUE, "value": "7"}, expected_version=1)
    with pytest.raises(services.ValueConflict) as caught:
        save(ind, data={**VALUE, "value": "9"}, expected_version=1)
    assert caught.value.value.version == 2
    assert IndicatorValue.objects.get().value == Decimal("7")


def test_submit_needs_a_source(ind):
    value = save(ind, data={**VALUE, "source": "  "})
    with pytest.raises(ValidationError) as caught:
        services.submit_value(value=value, user=ind.officer)
    assert "source" in caught.value.error_dict
    assert IndicatorValue.objects.get().state == ValueState.DRAFT


def test_full_cycle_submit_return_resubmit_accept(ind):
    value = save(ind)
    value = services.submit_value(value=value, user=ind.officer)
    assert value.state == ValueState.SUBMITTED and value.submitted_at
    with pytest.raises(ValidationError):
        save(ind, data={**VALUE, "value": "1"})
    with pytest.raises(ValidationError) as caught:
        services.return_value(value=value, user=ind.manager, note=" ")
    assert "note" in caught.value.error_dict
    value = services.return_value(value=value, user=ind.manager, note="请注明统计口径")
    assert (value.state, value.review_note, value.reviewed_by) == (
        ValueState.RETURNED,
        "请注明统计口径",
        ind.manager,
    )
    value = save(ind, data={**VALUE, "note": "按新口径"}, expected_version=value.version)
    value = services.submit_value(value=value, user=ind.officer)
    value = services.accept_value(value=value, user=ind.manager, note="")
    assert value.state == ValueState.ACCEPTED
    assert kinds(value) == [
        IndicatorEventKind.CREATED,
        IndicatorEventKind.SUBMITTED,
        IndicatorEventKind.RETURNED,
        IndicatorEventKind.EDITED,
        IndicatorEventKind.RESUBMITTED,
        IndicatorEventKind.ACCEPTED,
    ]


def test_only_a_submitted_value_can_be_reviewed(ind):
    value = save(ind)
    with pytest.raises(ValidationError):
        services.accept_value(value=value, user=ind.manager)
    with pytest.raises(ValidationError):
        services.return_value(value=value, user=ind.manager, note="x")


def test_review_with_a_stale_version_is_a_conflict(ind):
    value = services.submit_value(value=save(ind), user=ind.officer)
    with pytest.raises(services.ValueConflict):
        services.accept_value(value=value, user=ind.manager, expected_version=value.version - 1)


def test_a_computed_indicator_takes_no_values(ind):
    computed = make_indicator(ind.plan, code="count", computation=Computation.OUTCOME_COUNT)
    with pytest.raises(ValidationError):
        services.save_value(
            indicator=computed, zone=ind.zone, period=ind.period, user=ind.officer, data=VALUE
        )
    value = IndicatorValue(
        indicator=computed,
        zone=ind.zone,
        period=ind.period,
        value=1,
        entered_by=ind.officer,
        entered_at=timezone.now(),
        updated_at=timezone.now(),
    )
    with pytest.raises(ValidationError) as caught:
        value.full_clean()
    assert "indicator" in caught.value.error_dict


@pytest.mark.parametrize("who", ["foreign", "manager", "liaison", "nobody"])
def test_only_the_zones_officers_enter(ind, who):
    user = {
        "foreign": lambda: make_user(Role.OFFICER, zones=[ind.wuqing]),
        "manager": lambda: ind.manager,
        "liaison": lambda: make_user(Role.LIAISON),
        "nobody": lambda: make_user(),
    }[who]()
    with pytest.raises(PermissionDenied):
        save(ind, user=user)


def test_admin_may_enter_and_officers_may_not_review(ind):
    value = save(ind, user=make_user(Role.ADMINISTRATOR))
    value = services.submit_value(value=value, user=ind.officer)
    with pytest.raises(PermissionDenied):
        services.accept_value(value=value, user=ind.officer)


def test_a_locked_period_refuses_changes(ind):
    value = save(ind)
    ind.period.locked_at = timezone.now()
    ind.period.save(update_fields=["locked_at"])
    with pytest.raises(ValidationError):
        save(ind, data={**VALUE, "value": "1"})
    with pytest.raises(ValidationError):
        services.submit_value(value=value, user=ind.officer)


def test_evidence_is_stored_and_recorded(ind):
    value = save(ind)
    value = services.add_value_evidence(
        value=value, user=ind.officer, uploaded_file=upload(PDF, "统计表.pdf")
    )
    assert value.evidence_name == "统计表.pdf" and value.evidence_sha256
    assert default_storage.exists(value.evidence_file.name)
    assert kinds(value)[-1] == IndicatorEventKind.EVIDENCE_ADDED


def test_a_rejected_file_is_never_stored(ind, tmp_path):
    value = save(ind)
    with pytest.raises(ValidationError):
        services.add_value_evidence(
            value=value, user=ind.officer, uploaded_file=upload(b"MZ not a pdf", "x.pdf")
        )
    assert not list(tmp_path.rglob("*.pdf"))


def test_the_file_is_deleted_when_recording_fails(ind, tmp_path):
    value = services.submit_value(value=save(ind), user=ind.officer)
    with pytest.raises(ValidationError):
        services.add_value_evidence(value=value, user=ind.officer, uploaded_file=upload(PDF, "统计表.pdf"))
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    assert IndicatorValue.objects.get().evidence_file == ""


def test_a_value_outside_the_indicators_range_is_refused_with_a_clear_message(ind, settings):
    settings.LANGUAGE_CODE = "en"
    fdi = make_indicator(ind.plan, code="fdi", name="实际利用外资", unit="亿美元", min_value=0)
    with pytest.raises(ValidationError) as error:
        services.save_value(
            indicator=fdi, zone=ind.zone, period=ind.period, user=ind.officer, data={**VALUE, "value": "-5"}
        )
    assert error.value.message_dict["value"] == ["实际利用外资 cannot be below 0 亿美元; you entered -5."]
    share = make_indicator(ind.plan, code="share", name="贸易额占比", min_value=0, max_value=100)
    with pytest.raises(ValidationError, match="cannot be above 100 %"):
        services.save_value(
            indicator=share,
            zone=ind.zone,
            period=ind.period,
            user=ind.officer,
            data={**VALUE, "value": "101"},
        )
    assert not IndicatorValue.objects.exists()
    # A growth rate has no lower bound: a fall is a figure like any other.
    growth = make_indicator(ind.plan, code="growth", name="外贸进出口年均增速")
    value = services.save_value(
        indicator=growth, zone=ind.zone, period=ind.period, user=ind.officer, data={**VALUE, "value": "-3.2"}
    )
    assert value.value == Decimal("-3.2")


def test_an_indicators_range_cannot_be_upside_down(ind):
    indicator = Indicator(
        plan=ind.plan, dimension=ind.indicator.dimension, code="bad", name="占比", min_value=10, max_value=5
    )
    with pytest.raises(ValidationError, match="允许的最大值小于最小值"):
        indicator.full_clean()
