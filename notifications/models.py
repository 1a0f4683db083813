"""Notices to people, the channels they go out by, and the escalation ladder (三色督办).

Nothing here knows the models of the apps that send notices: a notice keeps the URL of its object
and the zone or agency it belongs to, which is all the centre needs to link and scope it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Audience, ChannelKind, DeliveryStatus, Level, Mode, NoticeKind, Subject


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def needing_action(self):
        return self.unread().filter(needs_action=True)


class Notification(models.Model):
    """One notice of one event to one person."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True, default="")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # The scope of the object the notice is about: the centre shows it only while the recipient
    # still sees that zone or agency.
    zone = models.ForeignKey(
        "zones.Zone", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("zone")
    )
    agency = models.ForeignKey(
        "zones.Agency", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("agency")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Names the event, so the same event never makes two notices for one person.
    key = models.CharField(_("event key"), max_length=200, blank=True)
    needs_action = models.BooleanField(_("needs action"), default=False)
    # Reminders, chases and major matters are e-mailed by their own services already.
    mailed_elsewhere = models.BooleanField(_("e-mailed by its service"), default=False)
    # Addressed to the managers as a body: it goes to the managers' channel, not the zone's group.
    to_managers = models.BooleanField(_("for the managers"), default=False)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    routed_at = models.DateTimeField(_("routed to channels at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(
                fields=["routed_at"], name="notification_routed", condition=Q(routed_at__isnull=True)
            ),
        ]

    def __str__(self):
        return self.title


def validate_webhook_url(value):
    URLValidator(schemes=["http", "https"])(value)


class Channel(models.Model):
    """A group robot or webhook that receives digests of the notices of a zone, an agency or the managers."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=[(k.value, k.label) for k in ChannelKind if k != ChannelKind.EMAIL],
    )
    url = models.CharField(_("webhook address"), max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk: the robot's 加签 secret (SEC…). Leave empty when the robot has none."),
    )
    audience = models.CharField(_("for"), max_length=10, choices=Audience.choices)
    zone = models.ForeignKey(
        "zones.Zone", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("zone")
    )
    agency = models.ForeignKey(
        "zones.Agency", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("agency")
    )
    kinds = models.JSONField(
        _("kinds of notice"),
        default=list,
        blank=True,
        help_text=_("Leave empty for every kind."),
    )
    window_minutes = models.PositiveIntegerField(
        _("digest window (minutes)"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Notices within one window go out as one message: robots accept about 20 a minute."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self):
        errors = {}
        if self.audience == Audience.ZONE and not self.zone_id:
            errors["zone"] = _("Choose the zone this channel is for.")
        if self.audience == Audience.AGENCY and not self.agency_id:
            errors["agency"] = _("Choose the agency this channel is for.")
        if self.audience != Audience.ZONE and self.zone_id:
            errors["zone"] = _("Only a channel for a zone names a zone.")
        if self.audience != Audience.AGENCY and self.agency_id:
            errors["agency"] = _("Only a channel for an agency names an agency.")
        if self.secret and self.kind != ChannelKind.DINGTALK:
            errors["secret"] = _("Only DingTalk robots sign their messages with a secret.")
        unknown = set(self.kinds or []) - set(NoticeKind.values)
        if not isinstance(self.kinds, list) or unknown:
            errors["kinds"] = _('A list of notice kinds, e.g. ["escalation", "chase"].')
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One message to one channel or one person's e-mail: a single notice or a digest of several."""

    kind = models.CharField(_("channel kind"), max_length=10, choices=ChannelKind.choices)
    channel = models.ForeignKey(
        Channel, models.CASCADE, null=True, blank=True, related_name="deliveries", verbose_name=_("channel")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    # The digest window (or the single notice) this message carries: one message per channel and window.
    window = models.CharField(_("window"), max_length=60)
    notifications = models.ManyToManyField(Notification, blank=True, related_name="deliveries")
    is_test = models.BooleanField(_("test message"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    send_after = models.DateTimeField(_("send after"), db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    item_count = models.PositiveIntegerField(_("notices"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "window"],
                condition=Q(channel__isnull=False),
                name="delivery_once_per_window",
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "window"],
                condition=Q(recipient__isnull=False),
                name="delivery_once_per_person_window",
            ),
        ]

    def __str__(self):
        target = self.channel or self.recipient
        return f"{target} · {self.window}"


class Preference(models.Model):
    """How a person wants a kind of notice: e-mailed at once, in a daily digest, or only in the app."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notice_preferences", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices)
    mode = models.CharField(_("delivery"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")]

    def __str__(self):
        return f"{self.user} · {self.kind}: {self.mode}"


class JobRun(models.Model):
    """A periodic job claimed for one window: the unique key is what keeps two hosts from both running it."""

    job = models.CharField(_("job"), max_length=40)
    window = models.CharField(_("window"), max_length=40)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        constraints = [models.UniqueConstraint(fields=["job", "window"], name="jobrun_once_per_window")]

    def __str__(self):
        return f"{self.job} {self.window}"


class EscalationRule(models.Model):
    """When a plan's overdue items climb the ladder: blue to the officer, yellow to the zone's leader
    and the officer, red to the managers."""

    plan = models.OneToOneField(
        "zones.Plan", models.CASCADE, related_name="escalation_rule", verbose_name=_("plan")
    )
    blue_days = models.PositiveIntegerField(_("blue after (days)"), default=3)
    yellow_days = models.PositiveIntegerField(_("yellow after (days)"), default=10)
    red_days = models.PositiveIntegerField(_("red after (days)"), default=20)
    include_requests = models.BooleanField(_("coordination requests"), default=True)
    request_reply_days = models.PositiveIntegerField(
        _("reply expected within (days)"),
        default=10,
        help_text=_("A request without a reply-by date lapses this many days after it was asked."),
    )
    include_milestones = models.BooleanField(_("milestones"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self):
        return str(self.plan)

    def clean(self):
        if not (self.blue_days < self.yellow_days < self.red_days):
            raise ValidationError(_("Blue must come before yellow, and yellow before red."))

    def steps(self):
        return [(Level.BLUE, self.blue_days), (Level.YELLOW, self.yellow_days), (Level.RED, self.red_days)]


class EscalationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(settled_at__isnull=True)

    def red(self):
        return self.filter(level=Level.RED)


class Escalation(models.Model):
    """One step of the ladder for one lapse of one item; the unique key makes it impossible to issue twice."""

    subject = models.CharField(_("about"), max_length=10, choices=Subject.choices)
    object_id = models.PositiveBigIntegerField(_("item"))
    # The date the item lapsed (a deadline, a reply-by date, a due date): a new deadline is a new lapse.
    lapse = models.DateField(_("lapsed on"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    # Whose item it is: a zone (reports, milestones, a zone's assigned items), an agency (an
    # agency's assigned items) or both (a coordination request: the asking zone's task, the agency
    # asked). The plan is kept on the row, as an agency belongs to no plan.
    # PROTECT: a step is part of the record; a plan or zone with steps is not deleted with them.
    plan = models.ForeignKey("zones.Plan", models.PROTECT, related_name="+", verbose_name=_("plan"))
    zone = models.ForeignKey(
        "zones.Zone", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("zone")
    )
    # PROTECT and a reverse name, so that merging agencies (plans.agencies) moves the steps too.
    agency = models.ForeignKey(
        "zones.Agency",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations",
        verbose_name=_("agency"),
    )
    task_id = models.PositiveBigIntegerField(_("task"), null=True, blank=True)
    period_id = models.PositiveBigIntegerField(_("period"), null=True, blank=True)
    label = models.CharField(_("item"), max_length=300)
    url = models.CharField(_("link"), max_length=500)
    days_late = models.PositiveIntegerField(_("days late"))
    issued_at = models.DateTimeField(_("issued at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "object_id", "lapse", "level"], name="escalation_once_per_lapse"
            ),
            models.CheckConstraint(
                condition=Q(zone__isnull=False) | Q(agency__isnull=False),
                name="escalation_has_zone_or_agency",
            ),
        ]
        indexes = [models.Index(fields=["settled_at", "level"], name="escalation_open_level")]

    def __str__(self):
        return f"{self.get_level_display()}: {self.label}"
