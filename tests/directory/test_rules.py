"""The mapping rules and the sign-in service, without a directory."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.access import access_for
from core.roles import Role
from directory.models import DirectoryRule, DirectorySignIn, Source
from directory.services import LocalAccountConflict, sign_in_from_directory
from tests.factories import make_agency, make_user

from .conftest import make_rule

pytestmark = pytest.mark.django_db
DN = "cn=ftz-managers,ou=groups,dc=ftz,dc=test"


def directory_user(username="dir-user"):
    return get_user_model().objects.create_user(username)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"source": Source.LDAP, "value": "ftz-managers", "role": Role.MANAGER}, "value"),
        ({"source": Source.LDAP, "value": DN, "claim": "groups", "role": Role.MANAGER}, "claim"),
        ({"source": Source.OIDC, "value": "ftz-managers", "role": Role.MANAGER}, "claim"),
        ({"source": Source.OIDC, "claim": "groups", "value": "x", "role": Role.LIAISON}, "agency"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_with_the_field_named(fields, field):
    with pytest.raises(ValidationError) as error:
        DirectoryRule(**fields).full_clean()
    assert field in error.value.message_dict


def test_only_a_liaison_rule_names_an_agency(db):
    rule = DirectoryRule(source=Source.LDAP, value=DN, role=Role.MANAGER, agency=make_agency())
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "agency" in error.value.message_dict


def test_ldap_rules_match_a_dn_in_any_spelling_and_oidc_rules_match_exactly():
    ldap_rule = DirectoryRule(source=Source.LDAP, value="CN=FTZ-Managers, OU=groups,DC=ftz,DC=test")
    assert ldap_rule.matches(Source.LDAP, {DN})
    assert not ldap_rule.matches(Source.LDAP, {"cn=ftz-officers,ou=groups,dc=ftz,dc=test"})
    assert not ldap_rule.matches(Source.OIDC, {"groups": [DN]})
    oidc_rule = DirectoryRule(source=Source.OIDC, claim="groups", value="ftz-managers")
    assert oidc_rule.matches(Source.OIDC, {"groups": ["all", "ftz-managers"]})
    assert oidc_rule.matches(Source.OIDC, {"groups": "ftz-managers"})
    assert not oidc_rule.matches(Source.OIDC, {"groups": ["FTZ-Managers"]})
    assert not oidc_rule.matches(Source.OIDC, {"roles": ["ftz-managers"]})
    assert DirectoryRule(source=Source.OIDC, claim="is_lead", value="True").matches(
        Source.OIDC, {"is_lead": True}
    )


def test_two_liaison_rules_for_different_agencies_use_the_oldest_and_say_so(db):
    first, second = make_agency(name="甲局"), make_agency(name="乙局")
    make_rule(Source.OIDC, "a", Role.LIAISON, agency=first, claim="groups")
    make_rule(Source.OIDC, "b", Role.LIAISON, agency=second, claim="groups")
    user = directory_user()
    trace = sign_in_from_directory(user=user, source=Source.OIDC, subject="s1", claims={"groups": ["b", "a"]})
    assert access_for(user).agency_id == first.pk
    assert "甲局" in trace.note and trace.rules.count() == 2


def test_an_officer_rule_without_zones_is_noted(db):
    make_rule(Source.OIDC, "a", Role.OFFICER, claim="groups")
    trace = sign_in_from_directory(
        user=directory_user(), source=Source.OIDC, subject="s1", claims={"groups": ["a"]}
    )
    assert trace.note


def test_inactive_rules_and_the_other_source_are_ignored(db):
    make_rule(Source.LDAP, DN, Role.MANAGER)
    inactive = make_rule(Source.OIDC, "m", Role.MANAGER, claim="groups")
    inactive.is_active = False
    inactive.save()
    user = directory_user()
    sign_in_from_directory(user=user, source=Source.OIDC, subject="s1", claims={"groups": ["m"]})
    assert access_for(user).roles == frozenset()


def test_a_local_account_or_one_linked_to_the_other_directory_is_refused(db):
    local = make_user(Role.MANAGER)
    with pytest.raises(LocalAccountConflict):
        sign_in_from_directory(user=local, source=Source.LDAP, subject="uid=x", group_dns={DN})
    linked = directory_user()
    sign_in_from_directory(user=linked, source=Source.OIDC, subject="s1", claims={})
    with pytest.raises(LocalAccountConflict):
        sign_in_from_directory(user=linked, source=Source.LDAP, subject="uid=x", group_dns={DN})
    assert DirectorySignIn.objects.filter(user=linked).count() == 1
    assert not DirectorySignIn.objects.filter(user=local).exists()


def test_losing_the_administrator_rule_removes_superuser_and_admin_site(db):
    rule = make_rule(Source.LDAP, DN, Role.ADMINISTRATOR)
    user = directory_user()
    sign_in_from_directory(user=user, source=Source.LDAP, subject="uid=a", group_dns={DN})
    assert user.is_superuser and user.is_staff
    rule.delete()
    trace = sign_in_from_directory(user=user, source=Source.LDAP, subject="uid=a", group_dns={DN})
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff
    assert trace.before["is_superuser"] and not trace.after["is_superuser"]


def test_the_trace_outlives_any_attempt_to_delete_its_user(db):
    from django.db.models import ProtectedError

    user = directory_user()
    sign_in_from_directory(user=user, source=Source.OIDC, subject="s1", claims={})
    with pytest.raises(ProtectedError):
        user.delete()
    assert DirectorySignIn.objects.filter(user=user).count() == 1


# --- admin ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:directory_directoryrule_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_manager_without_the_admin_site_is_kept_out(client, db):
    client.force_login(make_user(Role.MANAGER))
    assert client.get(reverse("admin:directory_directoryrule_changelist")).status_code == 302


def test_an_administrator_adds_a_rule_in_the_admin_and_the_history_keeps_it(client, xiqing):
    admin = make_user(Role.ADMINISTRATOR)
    client.force_login(admin)
    assert client.get(reverse("admin:directory_directoryrule_add")).status_code == 200
    response = client.post(
        reverse("admin:directory_directoryrule_add"),
        {
            "source": "oidc",
            "claim": "groups",
            "value": "xq",
            "role": "officer",
            "zones": [xiqing.pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = DirectoryRule.objects.get(value="xq")
    assert list(rule.zones.all()) == [xiqing]
    latest = rule.history.first()
    assert latest.history_user == admin
    assert [row.zone for row in latest.zones.all()] == [xiqing]
    assert client.get(reverse("admin:directory_directoryrule_changelist")).status_code == 200


def test_an_invalid_rule_in_the_admin_is_refused_with_its_reason(client, db):
    client.force_login(make_user(Role.ADMINISTRATOR))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(
        reverse("admin:directory_directoryrule_add"),
        {"source": "ldap", "value": "ftz-managers", "role": "manager", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "This is not a distinguished name" in response.content.decode()
    assert not DirectoryRule.objects.exists()


def test_the_sign_in_trace_is_read_only_in_the_admin(client, db):
    admin = make_user(Role.ADMINISTRATOR)
    trace = sign_in_from_directory(user=directory_user(), source=Source.OIDC, subject="s1", claims={})
    client.force_login(admin)
    assert client.get(reverse("admin:directory_directorysignin_changelist")).status_code == 200
    assert client.get(reverse("admin:directory_directorysignin_change", args=[trace.pk])).status_code == 200
    assert client.get(reverse("admin:directory_directorysignin_add")).status_code == 403
    assert client.post(reverse("admin:directory_directorysignin_delete", args=[trace.pk])).status_code == 403
    assert DirectorySignIn.objects.filter(pk=trace.pk).exists()
