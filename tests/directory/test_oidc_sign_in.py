"""OpenID Connect sign-in end to end: the test client plays the browser between the site and a
local provider (tests/directory/oidc_provider.py) that signs real RS256 id tokens."""

from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.access import access_for
from core.roles import Role
from directory.conf import OIDC_BACKEND, oidc_settings
from directory.models import DirectoryAccount, DirectorySignIn
from tests.factories import make_user

from .oidc_provider import new_key

pytestmark = pytest.mark.django_db
User = get_user_model()

LIWEI = {
    "sub": "a1b2c3-liwei",
    "preferred_username": "liwei",
    "email": "liwei@xiqing.gov.test",
    "given_name": "伟",
    "family_name": "李",
    "groups": ["ftz-xiqing-officers", "all-staff"],
}


def start(client, next_url=None):
    """The site's half of the first leg: /oidc/authenticate/ sends the browser to the provider."""
    url = reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


def sign_in(client, provider, claims, next_url=None):
    provider.next_claims = claims
    authorize = start(client, next_url)
    # The provider signs the person in and sends the browser back to the callback with a code.
    answer = requests.get(authorize, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return client.get(answer.headers["Location"])


def test_login_page_offers_the_provider_only_when_it_is_configured(client, settings, oidc_server):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert OIDC_BACKEND not in settings.AUTHENTICATION_BACKENDS and oidc_settings({}) == {}
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with" not in page
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404

    for name, value in oidc_settings(oidc_server.env()).items():
        setattr(settings, name, value)
    page = client.get(reverse("login") + "?next=/tasks/").content.decode()
    assert "Sign in with 天津政务统一身份认证" in page
    assert f'href="{reverse("oidc_authentication_init")}?next=/tasks/"' in page


def test_authorization_request_carries_state_nonce_and_pkce(client, oidc_provider):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["client_id"] == ["ftz-tracker"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    assert all(query[key][0] for key in ("state", "nonce", "code_challenge"))


def test_officer_signs_in_with_the_provider_and_gets_the_zone_of_the_groups_claim(
    client, oidc_provider, oidc_rules, xiqing
):
    response = sign_in(client, oidc_provider, LIWEI)

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(directory_account__subject="a1b2c3-liwei")
    assert (user.username, user.email, user.first_name) == ("liwei", "liwei@xiqing.gov.test", "伟")
    assert not user.has_usable_password()
    access = access_for(user)
    assert access.roles == {Role.OFFICER} and access.zone_ids == {xiqing.pk}
    trace = DirectorySignIn.objects.get(user=user)
    assert list(trace.rules.all()) == [oidc_rules["xiqing"]]
    assert trace.directory_values["groups"] == ["ftz-xiqing-officers", "all-staff"]
    assert "nonce" not in trace.directory_values
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/", follow=True)
    assert page.redirect_chain[-1][0] == reverse("measures:my")
    assert "Your account has no role yet." not in page.content.decode()


def test_a_scalar_claim_maps_to_a_liaison_of_the_agency(client, oidc_provider, oidc_rules, commerce):
    sign_in(
        client, oidc_provider, {"sub": "s-wang", "preferred_username": "wangfang", "department": "市商务局"}
    )
    user = User.objects.get(username="wangfang")
    assert access_for(user).agency_id == commerce.pk
    assert client.get("/")["Location"] == reverse("zones:agency-detail", kwargs={"pk": commerce.pk})


def test_no_matching_claim_signs_in_to_the_no_role_page(client, oidc_provider, oidc_rules):
    response = sign_in(client, oidc_provider, {"sub": "s-chen", "groups": ["all-staff"]})
    assert response.status_code == 302
    user = User.objects.get(directory_account__subject="s-chen")
    assert access_for(user).roles == frozenset()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Your account has no role yet." in client.get("/", follow=True).content.decode()


def test_the_same_subject_is_the_same_user_and_its_roles_follow_the_claims(client, oidc_provider, oidc_rules):
    sign_in(client, oidc_provider, LIWEI)
    client.logout()
    moved = {**LIWEI, "email": "li.wei@tj.gov.test", "groups": ["ftz-managers"]}
    sign_in(client, oidc_provider, moved)

    user = User.objects.get(directory_account__subject="a1b2c3-liwei")
    assert User.objects.count() == 1 and user.email == "li.wei@tj.gov.test"
    assert access_for(user).roles == {Role.MANAGER}
    latest = DirectorySignIn.objects.filter(user=user).first()
    assert (latest.before["roles"], latest.after["roles"]) == (["officer"], ["manager"])


def test_userinfo_claims_win_over_the_id_token(client, oidc_provider, oidc_rules):
    oidc_provider.userinfo_overrides = {"groups": ["ftz-managers"]}
    sign_in(client, oidc_provider, LIWEI)
    assert access_for(User.objects.get(username="liwei")).roles == {Role.MANAGER}


def test_the_next_page_is_kept_through_the_provider(client, oidc_provider, oidc_rules):
    response = sign_in(client, oidc_provider, LIWEI, next_url="/tasks/")
    assert response["Location"] == "/tasks/"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: setattr(p, "signing_key", new_key()), id="signed-with-another-key"),
        pytest.param(lambda p: setattr(p, "audience", "another-client"), id="issued-for-another-client"),
        pytest.param(
            lambda p: setattr(p, "issuer_override", "http://evil.test"), id="issued-by-another-provider"
        ),
        pytest.param(
            lambda p: setattr(p, "userinfo_overrides", {"sub": "someone-else"}), id="userinfo-of-another"
        ),
    ],
)
def test_a_forged_or_foreign_answer_signs_nobody_in(client, oidc_provider, oidc_rules, tamper):
    tamper(oidc_provider)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = sign_in(client, oidc_provider, LIWEI)

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists() and not DirectorySignIn.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Signing in with 天津政务统一身份认证 did not succeed." in page


def test_a_callback_with_a_state_the_session_never_issued_is_refused(client, oidc_provider, oidc_rules):
    start(client)
    response = client.get(reverse("oidc_authentication_callback") + "?code=stolen&state=made-up")
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    # The code was never exchanged: nothing reached the provider's token endpoint.
    assert not any(
        path == "/token" and form.get("code") == "stolen" for _m, path, form in oidc_provider.requests
    )


def test_the_provider_saying_no_returns_to_the_login_page_with_a_message(client, oidc_provider):
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    response = client.get(reverse("oidc_authentication_callback") + f"?error=access_denied&state={state}")
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_local_account_keeps_its_name_and_the_directory_user_gets_another(
    client, oidc_provider, oidc_rules
):
    local = make_user(Role.MANAGER, username="liwei")
    sign_in(client, oidc_provider, LIWEI)

    account = DirectoryAccount.objects.get(subject="a1b2c3-liwei")
    assert account.user != local and account.user.username.startswith("oidc-")
    local.refresh_from_db()
    assert local.has_usable_password() and access_for(local).is_manager


def test_oidc_discover_prints_the_settings_of_a_provider(oidc_server):
    out = StringIO()
    call_command("oidc_discover", oidc_server.issuer, stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    expected = oidc_server.env()
    for variable in (
        "FTZ_OIDC_ISSUER",
        "FTZ_OIDC_AUTHORIZATION_ENDPOINT",
        "FTZ_OIDC_TOKEN_ENDPOINT",
        "FTZ_OIDC_USERINFO_ENDPOINT",
        "FTZ_OIDC_JWKS_ENDPOINT",
    ):
        assert lines[variable] == expected[variable]
    with pytest.raises(CommandError, match="Could not read"):
        call_command("oidc_discover", oidc_server.issuer + "/nowhere", stdout=StringIO())


def test_failed_provider_sign_ins_do_not_lock_out_the_next_person_at_that_address(
    client, oidc_provider, oidc_rules
):
    # Sign-in throttling (django-axes) counts failures per user name and address; a failed
    # callback carries no user name, and must not lock the provider's button for a whole office.
    oidc_provider.userinfo_overrides = {"sub": "someone-else"}
    for _attempt in range(6):
        sign_in(client, oidc_provider, LIWEI)
    oidc_provider.userinfo_overrides = {}
    response = sign_in(client, oidc_provider, LIWEI)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"]


def test_a_refused_first_sign_in_leaves_no_account_behind(client, oidc_provider, oidc_rules, monkeypatch):
    from directory import backends

    def refuse(**kwargs):
        raise backends.LocalAccountConflict("liwei")

    monkeypatch.setattr(backends, "sign_in_from_directory", refuse)
    response = sign_in(client, oidc_provider, LIWEI)
    assert response["Location"] == reverse("login")
    assert not User.objects.exists()
