"""A person in headless Chromium signs in with the office directory: LDAP through the usual form
(a real slapd), then OpenID Connect through the button (a local provider), and lands where the
administrator's rules put them."""

import pytest

from core.roles import Role
from directory.conf import LDAP_BACKEND, OIDC_BACKEND, ldap_settings, oidc_settings
from directory.models import DirectorySignIn, Source
from tests.directory import ldap_server as L
from tests.directory.conftest import GROUPS, PEOPLE, group_dn, make_rule, password
from tests.directory.oidc_provider import Provider
from zones.models import Zone

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    server = L.start(tmp_path_factory.mktemp("slapd-e2e"), L.directory_ldif(PEOPLE, GROUPS))
    yield server
    L.stop(server)


@pytest.fixture(scope="module")
def provider():
    with Provider() as running:
        yield running


def test_sign_in_with_ldap_and_with_the_provider_button(
    live_server, loaded_plan, settings, slapd, provider, page, screenshot
):
    for name, value in (ldap_settings(slapd.env()) | oidc_settings(provider.env())).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, LDAP_BACKEND, OIDC_BACKEND]
    xiqing, wuqing = Zone.objects.get(code="xiqing"), Zone.objects.get(code="wuqing")
    make_rule(Source.LDAP, group_dn("Xiqing Officers"), Role.OFFICER, [xiqing])
    make_rule(Source.OIDC, "ftz-wuqing-officers", Role.OFFICER, [wuqing], claim="groups")

    page.goto(f"{live_server.url}/zones/")
    assert "/accounts/login/" in page.url
    button = page.get_by_role("link", name="通过天津政务统一身份认证登录")
    assert button.is_visible()
    screenshot("directory-sign-in-zh")

    page.fill("#id_username", "liwei")
    page.fill("#id_password", password("liwei"))
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/zones/")
    # An officer of 西青 sees that zone only.
    assert page.locator(".zone-card").count() == 1
    assert page.locator(".zone-card h2 a").get_attribute("href") == "/zones/xiqing/"
    assert DirectorySignIn.objects.get(user__username="liwei").after["zones"] == ["xiqing"]

    page.context.clear_cookies()
    provider.next_claims = {
        "sub": "e2e-zhou",
        "preferred_username": "zhouqiang",
        "groups": ["ftz-wuqing-officers"],
    }
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="通过天津政务统一身份认证登录").click()
    page.wait_for_url(f"{live_server.url}/my/")
    assert "您的账号尚未分配角色" not in page.content()
    trace = DirectorySignIn.objects.get(user__username="zhouqiang")
    assert trace.after["zones"] == ["wuqing"]
    screenshot("directory-signed-in-my-zh")
