"""LDAP sign-in end to end against a real slapd: the login form, django-auth-ldap, the rules."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from core.access import access_for
from core.roles import Role
from directory.conf import LDAP_BACKEND, ldap_settings
from directory.models import DirectoryAccount, DirectorySignIn
from tests.factories import make_user

from . import ldap_server as L
from .conftest import group_dn, password

pytestmark = pytest.mark.django_db
User = get_user_model()


def sign_in(client, username, secret=None):
    return client.post(reverse("login"), {"username": username, "password": secret or password(username)})


def role_names(user):
    return set(user.groups.values_list("name", flat=True))


def test_officer_signs_in_with_the_directory_password_and_gets_the_zones_of_both_groups(
    client, ldap_on, ldap_rules, xiqing, wuqing
):
    response = sign_in(client, "liwei")

    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(username="liwei")
    assert (user.first_name, user.last_name, user.email) == ("伟", "李", "liwei@ftz.test")
    assert not user.has_usable_password()
    access = access_for(user)
    assert access.roles == {Role.OFFICER}
    assert access.zone_ids == {xiqing.pk, wuqing.pk}
    account = DirectoryAccount.objects.get(user=user)
    assert (account.source, account.subject) == ("ldap", f"uid=liwei,{L.PEOPLE}")
    trace = DirectorySignIn.objects.get(user=user)
    assert set(trace.rules.all()) == {ldap_rules["xiqing"], ldap_rules["wuqing"]}
    assert trace.before["roles"] == [] and trace.after["roles"] == ["officer"]
    assert trace.after["zones"] == ["wuqing", "xiqing"]
    assert "cn=xiqing officers,ou=groups,dc=ftz,dc=test" in trace.directory_values

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    my = client.get(reverse("home"), follow=True)
    assert my.status_code == 200
    assert my.redirect_chain[-1][0] == reverse("measures:my")
    assert "Your account has no role yet." not in my.content.decode()


def test_manager_lands_on_the_dashboard(client, ldap_on, ldap_rules):
    assert sign_in(client, "zhangmin").status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "measures/dashboard.html" in [t.name for t in response.templates]


def test_liaison_is_bound_to_the_agency_of_the_rule(client, ldap_on, ldap_rules, commerce):
    sign_in(client, "wangfang")
    user = User.objects.get(username="wangfang")
    assert access_for(user).agency_id == commerce.pk
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("zones:agency-detail", kwargs={"pk": commerce.pk})


def test_administrator_rule_opens_the_admin_site(client, ldap_on, ldap_rules):
    sign_in(client, "sunli")
    user = User.objects.get(username="sunli")
    assert user.is_superuser and user.is_staff
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_directory_user_no_rule_matches_sees_the_no_role_page(client, ldap_on, ldap_rules):
    response = sign_in(client, "chenjie")
    assert response.status_code == 302
    user = User.objects.get(username="chenjie")
    assert access_for(user).roles == frozenset()
    assert DirectorySignIn.objects.get(user=user).rules.count() == 0
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("home"), follow=True)
    assert "Your account has no role yet." in page.content.decode()


def test_wrong_password_signs_nobody_in_and_creates_no_account(client, ldap_on, ldap_rules):
    response = sign_in(client, "liwei", "not-the-password")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert not User.objects.filter(username="liwei").exists()
    assert not DirectorySignIn.objects.exists()


def test_a_rule_switched_off_takes_the_role_away_at_the_next_sign_in(client, ldap_on, ldap_rules, xiqing):
    sign_in(client, "liwei")
    ldap_rules["wuqing"].is_active = False
    ldap_rules["wuqing"].save()
    client.logout()

    sign_in(client, "liwei")
    user = User.objects.get(username="liwei")
    assert access_for(user).zone_ids == {xiqing.pk}
    latest, first = DirectorySignIn.objects.filter(user=user)
    assert first.after["zones"] == ["wuqing", "xiqing"]
    assert (latest.before["zones"], latest.after["zones"]) == (["wuqing", "xiqing"], ["xiqing"])


def test_leaving_the_directory_group_takes_the_role_away_at_the_next_sign_in(client, ldap_on, ldap_rules):
    sign_in(client, "zhangmin")
    client.logout()
    remove = f"dn: {group_dn('ftz-managers')}\nchangetype: modify\ndelete: member\nmember: uid=zhangmin,{L.PEOPLE}\n"
    ldap_on.modify(remove)
    try:
        sign_in(client, "zhangmin")
    finally:
        ldap_on.modify(remove.replace("delete:", "add:"))
    user = User.objects.get(username="zhangmin")
    assert access_for(user).roles == frozenset()
    assert Role.MANAGER.group_name not in role_names(user)


def test_a_local_account_of_the_same_name_is_never_taken_over(client, ldap_on, ldap_rules):
    local = make_user(Role.OFFICER, username="zhaolei", first_name="本地")

    response = sign_in(client, "zhaolei")

    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    local.refresh_from_db()
    assert local.first_name == "本地" and role_names(local) == {Role.OFFICER.group_name}
    assert not DirectoryAccount.objects.exists() and not DirectorySignIn.objects.exists()
    # Its own password still works, through the local backend.
    assert sign_in(client, "zhaolei", "pw-for-tests-1").status_code == 302


def test_other_groups_of_a_directory_user_are_left_alone(client, ldap_on, ldap_rules):
    from django.contrib.auth.models import Group

    sign_in(client, "liwei")
    user = User.objects.get(username="liwei")
    extra = Group.objects.create(name="Report readers")
    user.groups.add(extra)
    client.logout()
    sign_in(client, "liwei")
    assert extra.name in role_names(user)


def test_ldap_is_off_unless_configured(settings):
    assert LDAP_BACKEND not in settings.AUTHENTICATION_BACKENDS
    assert ldap_settings({}) == {}


def test_ldap_settings_say_what_is_missing(ldap_directory):
    env = ldap_directory.env()
    del env["FTZ_LDAP_USER_SEARCH_BASE"]
    with pytest.raises(ImproperlyConfigured, match="FTZ_LDAP_USER_SEARCH_BASE"):
        ldap_settings(env)
    with pytest.raises(ImproperlyConfigured, match="FTZ_LDAP_GROUP_TYPE"):
        ldap_settings(ldap_directory.env(FTZ_LDAP_GROUP_TYPE="groupOfFriends"))
    template = ldap_settings(ldap_directory.env(FTZ_LDAP_USER_DN_TEMPLATE=f"uid=%(user)s,{L.PEOPLE}"))
    assert template["AUTH_LDAP_USER_DN_TEMPLATE"] == f"uid=%(user)s,{L.PEOPLE}"
    assert "AUTH_LDAP_USER_SEARCH" not in template


def test_a_user_dn_template_signs_in_too(client, settings, ldap_on, ldap_rules):
    settings.AUTH_LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,{L.PEOPLE}"
    del settings.AUTH_LDAP_USER_SEARCH
    assert sign_in(client, "zhangmin").status_code == 302
    assert access_for(User.objects.get(username="zhangmin")).is_manager


def test_directory_passwords_are_throttled_like_local_ones(client, settings, ldap_on, ldap_rules):
    answers = [sign_in(client, "zhangmin", "a-guess").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    response = sign_in(client, "zhangmin")
    assert response.status_code == 429
    assert not User.objects.filter(username="zhangmin").exists()


def test_a_required_group_keeps_everyone_else_out(client, settings, ldap_directory, ldap_rules):
    conf = ldap_settings(ldap_directory.env(FTZ_LDAP_REQUIRE_GROUP=group_dn("ftz-managers")))
    for name, value in conf.items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, LDAP_BACKEND]
    assert sign_in(client, "liwei").status_code == 200
    assert not User.objects.filter(username="liwei").exists()
    assert sign_in(client, "zhangmin").status_code == 302
