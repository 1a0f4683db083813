"""CAS sign-in end to end: the test client plays the browser between the site and a local CAS
server (tests/directory/cas_server.py) that validates service tickets with attributes."""

import pytest
import requests
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.access import access_for
from core.roles import Role
from directory.conf import CAS_BACKEND, cas_settings
from directory.models import DirectoryAccount, DirectorySignIn
from tests.factories import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def sign_in(client, cas, user, attributes, next_url=None):
    cas.next_user, cas.next_attributes = user, attributes
    response = client.get(reverse("cas_ng_login") + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302 and response["Location"].startswith(cas.url + "login?")
    answer = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return client.get(answer.headers["Location"])


def test_login_page_offers_cas_only_when_it_is_configured(client, settings, cas_server_process):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert CAS_BACKEND not in settings.AUTHENTICATION_BACKENDS and cas_settings({}) == {}
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("cas_ng_login")).status_code == 404
    for name, value in cas_settings(cas_server_process.env()).items():
        setattr(settings, name, value)
    assert "Sign in with 统一认证平台" in client.get(reverse("login")).content.decode()


def test_officer_signs_in_through_cas_and_gets_the_zone_of_the_attribute(
    client, cas_server, cas_rules, xiqing
):
    response = sign_in(
        client,
        cas_server,
        "liwei",
        {"memberOf": ["ftz-xiqing-officers", "all-staff"], "mail": "liwei@ftz.test"},
    )

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="liwei")
    assert user.email == "liwei@ftz.test" and not user.has_usable_password()
    assert access_for(user).roles == {Role.OFFICER} and access_for(user).zone_ids == {xiqing.pk}
    assert DirectoryAccount.objects.get(user=user).source == "cas"
    trace = DirectorySignIn.objects.get(user=user)
    assert list(trace.rules.all()) == [cas_rules["xiqing"]]
    assert trace.directory_values["memberOf"] == ["ftz-xiqing-officers", "all-staff"]


def test_a_single_valued_attribute_maps_too(client, cas_server, cas_rules, commerce):
    sign_in(client, cas_server, "wangfang", {"ou": "市商务局"})
    assert access_for(User.objects.get(username="wangfang")).agency_id == commerce.pk


def test_no_attribute_a_rule_knows_signs_in_to_the_no_role_page(client, cas_server, cas_rules):
    sign_in(client, cas_server, "chenjie", {})
    assert access_for(User.objects.get(username="chenjie")).roles == frozenset()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Your account has no role yet." in client.get("/", follow=True).content.decode()


def test_a_ticket_the_server_does_not_confirm_signs_nobody_in(client, cas_server, cas_rules):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse("cas_ng_login") + "?ticket=ST-made-up")
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session and not User.objects.exists()
    assert "Signing in with 统一认证平台 did not succeed." in client.get(reverse("login")).content.decode()


def test_a_ticket_is_good_once(client, cas_server, cas_rules):
    cas_server.next_user, cas_server.next_attributes = "zhangmin", {"memberOf": "ftz-managers"}
    location = client.get(reverse("cas_ng_login"))["Location"]
    back = requests.get(location, allow_redirects=False, timeout=10).headers["Location"]
    assert client.get(back).status_code == 302
    client.logout()
    assert client.get(back)["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_local_account_of_the_same_name_is_not_taken_over(client, cas_server, cas_rules):
    local = make_user(Role.OFFICER, username="zhangmin", email="local@ftz.test")
    response = sign_in(client, cas_server, "zhangmin", {"memberOf": "ftz-managers", "mail": "cas@ftz.test"})
    assert response["Location"] == reverse("login")
    local.refresh_from_db()
    assert local.email == "local@ftz.test" and access_for(local).roles == {Role.OFFICER}
    assert not DirectoryAccount.objects.exists()


def test_next_is_followed_only_within_the_site(client, cas_server, cas_rules):
    response = sign_in(client, cas_server, "zhangmin", {"memberOf": "ftz-managers"}, next_url="/tasks/")
    assert response["Location"] == "/tasks/"
    client.logout()
    response = sign_in(
        client, cas_server, "zhangmin", {"memberOf": "ftz-managers"}, next_url="https://evil.test/"
    )
    assert response["Location"] == "/"
