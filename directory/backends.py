"""Authentication backends for the office's directory. Each creates or updates the Django user,
then hands the directory's groups, claims or attributes to services.sign_in_from_directory."""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django_auth_ldap.backend import LDAPBackend
from django_cas_ng.backends import CASBackend
from django_cas_ng.utils import get_cas_client
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .dn import normalize_dn
from .models import Source
from .services import LocalAccountConflict, local_account_blocks, sign_in_from_directory

log = logging.getLogger(__name__)


class DirectoryLDAPBackend(LDAPBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        existing = get_user_model().objects.filter(username__iexact=username.strip()).first()
        if existing is not None and local_account_blocks(existing, source=Source.LDAP):
            # Checked before django-auth-ldap touches the account (it would copy names and e-mail).
            log.warning("LDAP sign-in of %s refused: a local account has that name", username)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        group_dns = {normalize_dn(dn) for dn in ldap_user.group_dns} - {None}
        try:
            sign_in_from_directory(user=user, source=Source.LDAP, subject=ldap_user.dn, group_dns=group_dns)
        except LocalAccountConflict:
            return None
        return user


class DirectoryOIDCBackend(OIDCAuthenticationBackend):
    """Users are found by the provider's subject (`sub`), which never changes, rather than by
    e-mail, which can be reused or missing. The id token's audience and issuer are checked too
    (mozilla-django-oidc checks only the signature, expiry and nonce)."""

    def _verify_jws(self, payload, key):
        claims = super()._verify_jws(payload, key)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The id token was issued for another client.")
        if claims.get("iss") != settings.FTZ_OIDC_ISSUER:
            raise SuspiciousOperation("The id token was issued by another provider.")
        if "exp" not in claims:
            raise SuspiciousOperation("The id token has no expiry.")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: a userinfo answer about someone else must not be used.
            raise SuspiciousOperation("The userinfo subject differs from the id token's.")
        # Groups are often only in the id token; what the userinfo endpoint says is the fresher.
        return {**payload, **userinfo}

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        return get_user_model().objects.filter(
            directory_account__source=Source.OIDC, directory_account__subject=claims["sub"]
        )

    def describe_user_by_claims(self, claims):
        return f"subject {claims.get('sub')}"

    def get_username(self, claims):
        User = get_user_model()
        wanted = str(claims.get(settings.FTZ_OIDC_USERNAME_CLAIM) or "").strip()[:150]
        if wanted and not User.objects.filter(username__iexact=wanted).exists():
            return wanted
        # Taken (perhaps by a local account, which is never taken over) or absent: a stable name
        # from the subject.
        return "oidc-" + hashlib.sha256(claims["sub"].encode()).hexdigest()[:16]

    @transaction.atomic
    def create_user(self, claims):
        # One transaction with the sign-in service, so a refused sign-in leaves no account behind.
        user = get_user_model().objects.create_user(self.get_username(claims))
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        user.email = claims.get("email") or user.email
        user.first_name = (claims.get("given_name") or user.first_name)[:150]
        user.last_name = (claims.get("family_name") or user.last_name)[:150]
        user.save(update_fields=["email", "first_name", "last_name"])
        try:
            sign_in_from_directory(user=user, source=Source.OIDC, subject=claims["sub"], claims=claims)
        except LocalAccountConflict as exc:
            raise SuspiciousOperation(str(exc)) from exc
        return user


class DirectoryCASBackend(CASBackend):
    """CAS: django-cas-ng validates the ticket; the user is then found, created and given roles here,
    so a local account of the same name is refused before anything about it changes (django-cas-ng
    would adopt it and leave it its password)."""

    def authenticate(self, request, ticket, service):
        client = get_cas_client(service_url=service, request=request)
        username, attributes, _pgtiou = client.verify_ticket(ticket)
        if not username:
            return None
        # The ticket is checked (network) before the transaction: SQLite takes its write lock at BEGIN.
        return self._sign_in(username, attributes or {})

    @transaction.atomic
    def _sign_in(self, username, attributes):
        User = get_user_model()
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = User.objects.create_user(username)
        elif local_account_blocks(user, source=Source.CAS):
            log.warning("CAS sign-in of %s refused: a local account has that name", username)
            return None
        if not self.user_can_authenticate(user):
            return None
        for field, attribute in (("email", "mail"), ("first_name", "givenName"), ("last_name", "sn")):
            if isinstance(attributes.get(attribute), str):
                setattr(user, field, attributes[attribute][:150])
        user.save(update_fields=["email", "first_name", "last_name"])
        sign_in_from_directory(user=user, source=Source.CAS, subject=username, claims=attributes)
        return user
