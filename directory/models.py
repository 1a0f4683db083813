"""Sign-in through the office's directory (LDAP, OpenID Connect or CAS) and the rules that turn its
groups or claims into roles and zones/agency (core.roles, zones.models.Profile)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.roles import Role
from zones.models import Agency, Zone

from .dn import normalize_dn


class Source(models.TextChoices):
    LDAP = "ldap", _("LDAP directory")
    OIDC = "oidc", _("OpenID Connect")
    CAS = "cas", _("CAS")


class DirectoryRuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class DirectoryRule(models.Model):
    """One directory group (LDAP group DN) or claim value (OIDC) that grants a role, with the zones
    (for a zone officer) or the agency (for an agency liaison) it is bound to."""

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    claim = models.CharField(
        _("claim"),
        max_length=100,
        blank=True,
        help_text=_(
            "OpenID Connect: the claim to read, e.g. groups, roles or department. CAS: the attribute, "
            "e.g. memberOf."
        ),
    )
    value = models.CharField(
        _("group or value"),
        max_length=500,
        help_text=_(
            "LDAP: the group's DN, e.g. cn=xiqing-officers,ou=groups,dc=example,dc=gov (case and spaces "
            "do not matter). OpenID Connect and CAS: the value, exactly as the provider sends it."
        ),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    zones = models.ManyToManyField(
        Zone,
        blank=True,
        related_name="directory_rules",
        verbose_name=_("zones"),
        help_text=_("For zone officers."),
    )
    agency = models.ForeignKey(
        Agency,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="directory_rules",
        verbose_name=_("agency"),
        help_text=_("For agency liaisons."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = DirectoryRuleQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[zones])

    class Meta:
        ordering = ["source", "claim", "value", "pk"]
        verbose_name = _("directory rule")
        verbose_name_plural = _("directory rules")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "claim", "value", "role"], name="directory_rule_unique_match_role"
            )
        ]

    def __str__(self):
        match = f"{self.claim}={self.value}" if self.claim else self.value
        return f"{self.get_source_display()}: {match} → {self.get_role_display()}"

    def clean(self):
        errors = {}
        self.value = (self.value or "").strip()
        self.claim = (self.claim or "").strip()
        if self.source == Source.LDAP:
            if self.claim:
                errors["claim"] = _("An LDAP rule matches a group DN; leave the claim empty.")
            if self.value and normalize_dn(self.value) is None:
                errors["value"] = _(
                    "This is not a distinguished name (e.g. cn=officers,ou=groups,dc=example,dc=gov)."
                )
        elif self.source in (Source.OIDC, Source.CAS) and not self.claim:
            errors["claim"] = _("Name the claim to read, e.g. groups.")
        if self.role != Role.LIAISON and self.agency_id is not None:
            errors["agency"] = _("Only an agency liaison is bound to an agency.")
        if self.role == Role.LIAISON and self.agency_id is None:
            errors["agency"] = _("Choose the agency this liaison speaks for.")
        if errors:
            raise ValidationError(errors)

    def matches(self, source, values):
        """`values`: for LDAP the user's normalised group DNs; for OIDC the claims; for CAS the attributes."""
        if source != self.source:
            return False
        if source == Source.LDAP:
            return normalize_dn(self.value) in values
        found = values.get(self.claim)
        if isinstance(found, (list, tuple, set)):
            return any(str(item) == self.value for item in found)
        return found is not None and str(found) == self.value


class DirectoryAccount(models.Model):
    """The directory's identity of a user (LDAP user name, OIDC subject). A user linked here has
    their roles, zones and agency set by the rules at each sign-in; local accounts never are."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="directory_account", verbose_name=_("user")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    subject = models.CharField(_("directory identity"), max_length=255)
    linked_at = models.DateTimeField(_("linked at"))
    last_sign_in = models.DateTimeField(_("last sign-in"))

    class Meta:
        ordering = ["source", "subject"]
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")
        constraints = [
            models.UniqueConstraint(fields=["source", "subject"], name="directory_account_unique_subject")
        ]

    def __str__(self):
        return f"{self.get_source_display()}: {self.subject}"


class DirectorySignIn(models.Model):
    """Append-only trace of each directory sign-in: what the directory said, which rules matched,
    and the roles, zones and agency before and after."""

    # PROTECT, like the other history rows: a leaver's account is deactivated, not deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="directory_sign_ins", verbose_name=_("user")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    subject = models.CharField(_("directory identity"), max_length=255)
    at = models.DateTimeField(_("at"))
    directory_values = models.JSONField(_("groups or claims"), default=list, blank=True)
    rules = models.ManyToManyField(
        DirectoryRule, blank=True, related_name="sign_ins", verbose_name=_("rules")
    )
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("directory sign-in")
        verbose_name_plural = _("directory sign-ins")

    def __str__(self):
        return f"{self.user} · {self.get_source_display()} · {self.at:%Y-%m-%d %H:%M}"

    @property
    def changed(self):
        return self.before != self.after
