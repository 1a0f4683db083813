"""Evaluation indicators (评估指标体系): dimensions, indicators with targets, and zone values per period.

Values change only through indicators.services, which writes an IndicatorEvent in the same
transaction as each step.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.i18n import localized, unit_name
from measures.choices import OutcomeType

from .choices import Computation, Direction, IndicatorEventKind, ValueState

DECIMAL = {"max_digits": 18, "decimal_places": 4}
# Units of whole-number counts: 项 (items), 家 (enterprises), 个 (projects).
COUNT_UNITS = {"项", "家", "个"}


class Dimension(models.Model):
    """A group of indicators such as 制度创新; four per plan by default, administrators add more."""

    plan = models.ForeignKey("zones.Plan", models.CASCADE, related_name="dimensions", verbose_name=_("plan"))
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["plan", "order", "pk"]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="dimension_unique_name_per_plan")
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("admin:indicators_dimension_change", args=[self.pk])

    @property
    def display_name(self):
        return localized(self.name, self.name_en)


class Indicator(models.Model):
    """One measurable indicator of a plan, with its target; manual ones take values from the zones."""

    plan = models.ForeignKey("zones.Plan", models.CASCADE, related_name="indicators", verbose_name=_("plan"))
    dimension = models.ForeignKey(
        Dimension, models.PROTECT, related_name="indicators", verbose_name=_("dimension")
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    baseline = models.DecimalField(_("baseline"), null=True, blank=True, **DECIMAL)
    target = models.DecimalField(_("target"), null=True, blank=True, **DECIMAL)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    source_ref = models.TextField(
        _("source in the plan"), blank=True, help_text=_("The plan's wording, verbatim.")
    )
    computation = models.CharField(
        _("computation"), max_length=30, choices=Computation.choices, default=Computation.MANUAL
    )
    outcome_type = models.CharField(
        _("outcome type"),
        max_length=20,
        choices=OutcomeType.choices,
        blank=True,
        help_text=_("For a count of outcomes: only this type; leave empty to count every type."),
    )
    min_value = models.DecimalField(
        _("lowest allowed value"),
        null=True,
        blank=True,
        help_text=_("Entered values below it are refused; 0 for amounts, counts and shares."),
        **DECIMAL,
    )
    max_value = models.DecimalField(
        _("highest allowed value"),
        null=True,
        blank=True,
        help_text=_("Entered values above it are refused, e.g. 100 for a share in percent."),
        **DECIMAL,
    )
    is_default = models.BooleanField(
        _("suggested default"),
        default=False,
        # A database default too: during a rolling upgrade, the old code inserts rows without it.
        db_default=False,
        help_text=_(
            "Not named in the plan: a default the app suggests, which an administrator may change or remove."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["plan", "dimension__order", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_unique_code_per_plan"),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="indicator_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(computation__in=Computation.values), name="indicator_computation_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome_type="") | Q(computation=Computation.OUTCOME_COUNT),
                name="indicator_outcome_type_only_for_counts",
            ),
            models.CheckConstraint(
                condition=Q(outcome_type="") | Q(outcome_type__in=OutcomeType.values),
                name="indicator_outcome_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="indicator_min_not_above_max",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("admin:indicators_indicator_change", args=[self.pk])

    def clean(self):
        if self.dimension_id and self.plan_id and self.dimension.plan_id != self.plan_id:
            raise ValidationError({"dimension": _("The dimension belongs to another plan.")})
        if self.outcome_type and self.computation != Computation.OUTCOME_COUNT:
            raise ValidationError({"outcome_type": _("Only a count of outcomes has an outcome type.")})
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValidationError({"max_value": _("The highest allowed value is below the lowest.")})
        if self.pk and self.computation != Computation.MANUAL and self.values.exists():
            raise ValidationError(
                {"computation": _("The zones have entered values for this indicator, so it stays entered.")}
            )

    @property
    def display_name(self):
        return localized(self.name, self.name_en)

    @property
    def display_unit(self):
        """The unit as the plan writes it (项, 亿美元), in English in the English UI."""
        return unit_name(self.unit)

    @property
    def is_manual(self):
        return self.computation == Computation.MANUAL

    @property
    def is_count(self):
        """Whole numbers only (outcomes, enterprises): its chart gets integer ticks."""
        return self.computation == Computation.OUTCOME_COUNT or self.unit in COUNT_UNITS

    def range_error(self, value):
        """Why `value` is outside the allowed range, or None."""
        low, high, unit = self.min_value, self.max_value, self.unit
        if low is not None and value < low:
            return _("%(name)s cannot be below %(low)s %(unit)s; you entered %(value)s.") % {
                "name": self.display_name,
                "low": plain_number(low),
                "unit": unit,
                "value": plain_number(value),
            }
        if high is not None and value > high:
            return _("%(name)s cannot be above %(high)s %(unit)s; you entered %(value)s.") % {
                "name": self.display_name,
                "high": plain_number(high),
                "unit": unit,
                "value": plain_number(value),
            }
        return None


class IndicatorValue(models.Model):
    """A zone's value of a manual indicator for one period, reviewed like a progress report."""

    indicator = models.ForeignKey(
        Indicator, models.PROTECT, related_name="values", verbose_name=_("indicator")
    )
    zone = models.ForeignKey(
        "zones.Zone", models.PROTECT, related_name="indicator_values", verbose_name=_("zone")
    )
    period = models.ForeignKey(
        "measures.ReportingPeriod", models.PROTECT, related_name="indicator_values", verbose_name=_("period")
    )
    value = models.DecimalField(_("value"), **DECIMAL)
    source = models.CharField(_("source of the figure"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    evidence_file = models.FileField(_("evidence file"), max_length=200, blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    evidence_type = models.CharField(_("evidence content type"), max_length=100, blank=True)
    evidence_size = models.PositiveBigIntegerField(_("evidence size in bytes"), null=True, blank=True)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=ValueState.choices, default=ValueState.DRAFT)
    # Bumped on every write; a save carrying an older version is a conflict, never a silent overwrite.
    version = models.PositiveIntegerField(_("version"), default=1)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    entered_at = models.DateTimeField(_("entered at"))
    updated_at = models.DateTimeField(_("updated at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["indicator", "zone", "-period__start"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "zone", "period"], name="indicator_value_unique_per_zone_period"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ValueState.values), name="indicator_value_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=ValueState.RETURNED) | ~Q(review_note=""),
                name="indicator_value_return_has_note",
            ),
            models.CheckConstraint(
                condition=Q(evidence_file="") | ~Q(evidence_sha256=""),
                name="indicator_value_evidence_has_hash",
            ),
        ]
        indexes = [models.Index(fields=["state", "period"], name="indicator_value_state_period")]

    def __str__(self):
        return f"{self.indicator.code} · {self.zone} · {self.period}"

    def get_absolute_url(self):
        return (
            reverse("indicators:enter", args=[self.zone.code, self.period_id]) + f"#value-{self.indicator_id}"
        )

    def clean(self):
        errors = {}
        indicator = self.indicator if self.indicator_id else None
        if indicator is not None and not indicator.is_manual:
            errors["indicator"] = _("This indicator is computed by the app; it takes no entered values.")
        if indicator is not None and self.zone_id and self.zone.plan_id != indicator.plan_id:
            errors["zone"] = _("The zone belongs to another plan than the indicator.")
        if indicator is not None and self.period_id and self.period.plan_id != indicator.plan_id:
            errors["period"] = _("The period belongs to another plan than the indicator.")
        # A value clean_fields could not read stays as typed; its own error says so already.
        if indicator is not None and isinstance(self.value, Decimal | int):
            problem = indicator.range_error(self.value)
            if problem:
                errors["value"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def is_editable(self):
        return self.state in (ValueState.DRAFT, ValueState.RETURNED)

    @property
    def display_value(self):
        """The figure as typed: 4.8, not the column's 4.8000."""
        return plain_number(self.value)


def plain_number(value):
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class IndicatorEvent(models.Model):
    """One step in a value's history, written in the same transaction as the step itself."""

    value = models.ForeignKey(IndicatorValue, models.CASCADE, related_name="events", verbose_name=_("value"))
    kind = models.CharField(_("kind"), max_length=20, choices=IndicatorEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["value", "at", "pk"]
        verbose_name = _("indicator event")
        verbose_name_plural = _("indicator events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=IndicatorEventKind.values), name="indicator_event_kind_valid"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.value_id}"

    def get_absolute_url(self):
        return self.value.get_absolute_url()
