"""Plan documents, their zones, land blocks and the agencies they name."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.i18n import localized

from .choices import ZoneKind


class PlanManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Plan(models.Model):
    """A source document such as 第二批天津自贸试验区联动创新区建设方案."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=300, blank=True)
    issuer = models.CharField(_("issuing body"), max_length=200, blank=True)
    status = models.CharField(
        _("document status"), max_length=60, blank=True, help_text=_("As printed, e.g. 征求意见稿.")
    )
    source_file = models.CharField(_("source file"), max_length=200, blank=True)
    preamble = models.TextField(_("preamble"), blank=True)
    # A fresh install must not owe the year's earlier periods: by default tracking starts on the
    # day the plan is loaded, so the period being reported that day is the first one owed.
    tracking_start = models.DateField(
        _("tracking starts"),
        default=timezone.localdate,
        help_text=_(
            "Reports are owed for the periods whose deadline is on or after this date. Earlier periods "
            "are not owed, not counted in reporting rates and not chased."
        ),
    )
    # 主体责任: the zone answers for its report, so its leader may have to sign it off first.
    requires_signoff = models.BooleanField(
        _("zone leader signs off reports"),
        default=False,
        help_text=_(
            "A submitted report waits for a zone leader of its zone (or their deputy) to sign it off "
            "before it reaches the managers' review."
        ),
    )

    objects = PlanManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("zones:list") + f"#plan-{self.code}"

    def natural_key(self):
        return (self.code,)

    @property
    def display_title(self):
        return localized(self.title, self.title_en)


class ZoneQuerySet(models.QuerySet):
    def with_totals(self):
        """Stated area beside the sum of the blocks, and how much plan hangs off each zone.

        Subqueries rather than joined Counts: joining blocks and tasks in one
        GROUP BY would multiply the rows and inflate every sum.
        """

        def count_of(related_name):
            # Through the relation rather than an import: the measures app builds on zones, not back.
            model = self.model._meta.get_field(related_name).related_model
            return models.Subquery(
                model.objects.filter(zone=models.OuterRef("pk"))
                .order_by()
                .values("zone")
                .annotate(n=models.Count("pk"))
                .values("n"),
                output_field=models.IntegerField(),
            )

        blocks = Block.objects.filter(zone=models.OuterRef("pk")).order_by().values("zone")
        return self.select_related("plan").annotate(
            block_count=models.functions.Coalesce(
                models.Subquery(blocks.annotate(n=models.Count("pk")).values("n")), 0
            ),
            blocks_area=models.Subquery(
                blocks.annotate(s=Sum("area_km2")).values("s"),
                output_field=models.DecimalField(max_digits=9, decimal_places=2),
            ),
            category_count=models.functions.Coalesce(count_of("categories"), 0),
            task_count=models.functions.Coalesce(count_of("tasks"), 0),
        )


class ZoneManager(models.Manager.from_queryset(ZoneQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Zone(models.Model):
    """A linked innovation zone: one annex of a plan, built on a development zone."""

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="zones", verbose_name=_("plan"))
    annex_number = models.PositiveSmallIntegerField(_("annex"))
    kind = models.CharField(_("kind"), max_length=20, choices=ZoneKind.choices, default=ZoneKind.LINKED_ZONE)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    annex_title = models.CharField(_("annex title"), max_length=200, blank=True)
    dev_zone_name = models.CharField(_("development zone"), max_length=120, blank=True)
    area_km2 = models.DecimalField(
        _("stated area (km²)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The total area exactly as the plan states it."),
    )
    stated_block_count = models.PositiveSmallIntegerField(_("stated number of blocks"), null=True, blank=True)
    guiding_principles = models.TextField(_("guiding principles"), blank=True)
    development_goals = models.TextField(_("development goals"), blank=True)
    lead_industries = models.TextField(_("lead industries"), blank=True)
    scope_text = models.TextField(_("implementation scope"), blank=True)
    work_requirements = models.TextField(_("work requirements"), blank=True)
    # The same zone as it takes part in an earlier plan (西青经开区 of the second batch, named again
    # in a later plan): each plan keeps its own annex data, and officers of either see both.
    same_zone_as = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="in_other_plans",
        verbose_name=_("same zone as"),
        help_text=_("This zone in an earlier plan; its officers see the tasks of both."),
    )

    objects = ZoneManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan__code", "annex_number"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        constraints = [
            models.UniqueConstraint(fields=["plan", "annex_number"], name="zone_unique_annex_per_plan"),
            models.CheckConstraint(condition=Q(area_km2__gte=0), name="zone_area_not_negative"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("zones:detail", args=[self.code])

    def natural_key(self):
        return (self.code,)

    @property
    def display_name(self):
        return localized(self.name, self.name_en)

    @property
    def short_name(self):
        """西青经开区 / Xiqing ETDZ: for table cells and page titles."""
        return localized(
            self.name, self.name_en.replace("Economic and Technological Development Zone", "ETDZ")
        )

    @property
    def summed_area(self):
        """Sum of block areas; uses the with_totals() annotation when present."""
        if hasattr(self, "blocks_area"):
            total = self.blocks_area
        else:
            total = self.blocks.aggregate(s=Sum("area_km2"))["s"]
        # SQLite hands back sums with float noise; the plan's figures have two decimals.
        return None if total is None else Decimal(total).quantize(Decimal("0.01"))

    @property
    def area_difference(self):
        """Stated minus summed area, or None when either figure is missing."""
        summed = self.summed_area
        if self.area_km2 is None or summed is None:
            return None
        return self.area_km2 - summed

    @property
    def area_mismatch(self):
        difference = self.area_difference
        return difference is not None and difference != Decimal("0")


class BlockManager(models.Manager):
    def get_by_natural_key(self, zone_code, number):
        return self.get(zone__code=zone_code, number=number)


class Block(models.Model):
    """A 区块 of a zone, with its area and boundary (四至) as the plan writes them."""

    zone = models.ForeignKey(Zone, models.CASCADE, related_name="blocks", verbose_name=_("zone"))
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=9, decimal_places=2, null=True, blank=True)
    boundary = models.TextField(_("boundary"), blank=True)
    text = models.TextField(_("text as written"), blank=True)

    objects = BlockManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["zone__plan__code", "zone__annex_number", "number"]
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["zone", "number"], name="block_unique_number_per_zone"),
            models.CheckConstraint(condition=Q(area_km2__gte=0), name="block_area_not_negative"),
        ]

    def __str__(self):
        return f"{self.zone} · {_('Block')} {self.number}"

    def get_absolute_url(self):
        return reverse("zones:detail", args=[self.zone.code]) + f"#block-{self.number}"

    def natural_key(self):
        return (self.zone.code, self.number)

    natural_key.dependencies = ["zones.zone"]


class SubPlot(models.Model):
    """A 地块 of a block, where the plan splits a block and gives each part its own boundary."""

    block = models.ForeignKey(Block, models.CASCADE, related_name="subplots", verbose_name=_("block"))
    number = models.PositiveSmallIntegerField(_("number"))
    boundary = models.TextField(_("boundary"))

    class Meta:
        ordering = ["block", "number"]
        verbose_name = _("plot")
        verbose_name_plural = _("plots")
        constraints = [
            models.UniqueConstraint(fields=["block", "number"], name="subplot_unique_number_per_block"),
        ]

    def __str__(self):
        return f"{self.block} · {_('Plot')} {self.number}"

    def get_absolute_url(self):
        return self.block.get_absolute_url()


class AgencyQuerySet(models.QuerySet):
    def resolve(self, name):
        """The agency a name refers to, by canonical name or alias, or None."""
        name = name.strip()
        return self.filter(Q(name=name) | Q(aliases__alias=name)).distinct().first()


class AgencyManager(models.Manager.from_queryset(AgencyQuerySet)):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Agency(models.Model):
    """A supporting agency (支持单位), named once however the plans spell it."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    name_en = models.CharField(_("English name"), max_length=250, blank=True)

    objects = AgencyManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("zones:agency-detail", args=[self.pk])

    def natural_key(self):
        return (self.name,)

    @property
    def display_name(self):
        return localized(self.name, self.name_en)


class AgencyAliasManager(models.Manager):
    def get_by_natural_key(self, alias):
        return self.get(alias=alias)


class AgencyAlias(models.Model):
    """Another spelling of an agency's name, e.g. 市网信办 for 市委网信办."""

    agency = models.ForeignKey(Agency, models.CASCADE, related_name="aliases", verbose_name=_("agency"))
    alias = models.CharField(_("alias"), max_length=120, unique=True)

    objects = AgencyAliasManager()

    class Meta:
        ordering = ["alias"]
        verbose_name = _("agency alias")
        verbose_name_plural = _("agency aliases")

    def __str__(self):
        return f"{self.alias} → {self.agency}"

    def get_absolute_url(self):
        return self.agency.get_absolute_url()

    def natural_key(self):
        return (self.alias,)

    natural_key.dependencies = ["zones.agency"]


class Profile(models.Model):
    """Links a user to the zones they report for, or the agency they liaise for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    zones = models.ManyToManyField(Zone, blank=True, related_name="officers", verbose_name=_("zones"))
    agency = models.ForeignKey(
        Agency, models.SET_NULL, null=True, blank=True, related_name="liaisons", verbose_name=_("agency")
    )

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return str(self.user)

    def get_absolute_url(self):
        return reverse("admin:zones_profile_change", args=[self.pk])


class PlanUpload(models.Model):
    """A plan document an administrator uploaded: its preview until confirmed, then the record of
    the import. Pending previews expire (FTZ_IMPORT_PREVIEW_MINUTES) and are deleted; a cancelled
    one is deleted at once, so cancelling leaves nothing."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("preview expires at"))
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    layout = models.CharField(_("layout"), max_length=20)
    plan_code = models.SlugField(_("plan code"), max_length=60)
    revision_of = models.ForeignKey(
        Plan, models.SET_NULL, null=True, blank=True, related_name="uploads", verbose_name=_("revision of")
    )
    payload = models.JSONField(_("preview"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    summary = models.JSONField(_("rows written"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("plan upload")
        verbose_name_plural = _("plan uploads")

    def __str__(self):
        return f"{self.file_name} → {self.plan_code}"

    @property
    def is_applied(self):
        return self.applied_at is not None
