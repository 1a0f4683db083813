"""Onboarding a user in one screen and the administrators' user list (issue 15): the name whole in
Chinese order, the role's zones or agency checked against the role, one admin history row; the list
with role and scope columns, filters and a pinned query count; role names in the user's language,
in the Django admin too."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.access import access_for
from core.roles import Role, group_label
from tests.factories import make_agency, make_user
from tests.helpers import SESSION
from zones import services
from zones.models import Zone

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def admin_user():
    return make_user(Role.ADMINISTRATOR)


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


def onboard(actor, **fields):
    fields.setdefault("name", "张伟")
    fields.setdefault("username", "zhangwei")
    fields.setdefault("email", "zhangwei@example.cn")
    return services.onboard_user(actor=actor, **fields)


# --- the service ------------------------------------------------------------------------------


def test_an_officer_is_onboarded_with_their_zones_and_one_history_row(admin_user, xiqing):
    user, password = onboard(admin_user, name=" 欧阳  娜娜 ", role=Role.OFFICER, zones=[xiqing])
    assert user.get_full_name() == "欧阳 娜娜" and user.last_name == ""
    assert user.check_password(password) and len(password) >= 12
    access = access_for(User.objects.get(pk=user.pk))
    assert access.is_officer and access.zone_ids >= {xiqing.pk}
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert entry.action_flag == ADDITION and entry.user == admin_user


def test_a_liaison_is_bound_to_an_agency(admin_user):
    agency = make_agency()
    user, _password = onboard(admin_user, role=Role.LIAISON, agency=agency)
    assert access_for(User.objects.get(pk=user.pk)).agency_id == agency.pk


@pytest.mark.parametrize(
    "role, scope, field",
    [
        (Role.OFFICER, {}, "zones"),
        (Role.LEADER, {}, "zones"),
        (Role.LIAISON, {}, "agency"),
        (Role.LIAISON, {"zones": "xiqing"}, "zones"),
        (Role.OFFICER, {"agency": True}, "agency"),
        (Role.MANAGER, {"zones": "xiqing"}, "zones"),
    ],
)
def test_the_scope_must_fit_the_role(admin_user, xiqing, role, scope, field):
    fields = {}
    if "zones" in scope:
        fields["zones"] = [xiqing]
    if "agency" in scope:
        fields["agency"] = make_agency()
    if role in (Role.OFFICER, Role.LEADER) and "zones" not in fields and field != "zones":
        fields["zones"] = [xiqing]
    with pytest.raises(ValidationError) as refused:
        onboard(admin_user, role=role, **fields)
    assert field in refused.value.error_dict
    assert not User.objects.filter(username="zhangwei").exists()


def test_only_administrators_onboard(xiqing):
    with pytest.raises(PermissionDenied):
        onboard(make_user(Role.MANAGER), role=Role.OFFICER, zones=[xiqing])
    assert not User.objects.filter(username="zhangwei").exists()


# --- the onboarding page ----------------------------------------------------------------------

URL = "/people/new/"


def test_onboarding_page_access(client, admin_user):
    assert client.get(URL).url.startswith(reverse("login"))
    for role in (Role.MANAGER, Role.OFFICER):
        client.force_login(
            make_user(role, zones=[Zone.objects.get(code="xiqing")] if role == Role.OFFICER else [])
        )
        assert client.get(URL).status_code == 403
        assert client.get("/people/").status_code == 403
    client.force_login(admin_user)
    assert client.get(URL).status_code == 200


def test_onboarding_in_one_post(client, admin_user, xiqing):
    client.force_login(admin_user)
    data = {"name": "李娜", "username": "lina", "email": "", "role": "leader", "zones": [xiqing.pk]}
    response = client.post(URL, data)
    assert response.status_code == 200
    user = User.objects.get(username="lina")
    assert response.context["password"] and user.check_password(response.context["password"])
    assert access_for(user).roles == {Role.LEADER}


def test_a_refused_onboarding_keeps_what_was_typed_and_says_why(client, admin_user, xiqing):
    make_user(username="taken")
    client.force_login(admin_user)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(URL, {"name": "王芳", "username": "Taken", "email": "bad", "role": "liaison"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="王芳"' in html
    errors = response.context["form"].errors
    assert set(errors) == {"username", "email", "agency"}
    assert "请选择" in " ".join(errors["agency"]) or "机构" in " ".join(errors["agency"])
    assert User.objects.filter(username__iexact="taken").count() == 1


# --- the user list ----------------------------------------------------------------------------


def test_user_list_shows_role_and_scope_and_filters(client, admin_user, xiqing):
    agency = make_agency(name="市测试局")
    make_user(Role.OFFICER, zones=[xiqing], username="officer_x", first_name="赵六")
    make_user(Role.LIAISON, agency=agency, username="liaison_x")
    client.force_login(admin_user)
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/people/", {"q": "_x"}).content.decode()
    assert "赵六" in html and xiqing.name in html and "市测试局" in html
    assert group_label(Role.OFFICER.group_name) == Role.OFFICER.label
    assert str(Role.LIAISON.label) in html
    listed = client.get("/people/", {"role": "liaison"}).context["people"]
    assert [u.username for u in listed] == ["liaison_x"]
    listed = client.get("/people/", {"zone": xiqing.pk}).context["people"]
    assert [u.username for u in listed] == ["officer_x"]
    assert [u.username for u in client.get("/people/", {"agency": agency.pk}).context["people"]] == [
        "liaison_x"
    ]


def test_user_list_query_count_is_pinned_and_constant_in_rows(client, admin_user, xiqing):
    client.force_login(admin_user)

    def counted():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/people/").status_code == 200
        return len(captured)

    before = counted()
    for _n in range(6):
        make_user(Role.OFFICER, zones=[xiqing])
        make_user(Role.LIAISON, agency=make_agency())
    assert counted() == before
    # Session and user, roles, the top bar's badges, the filter's zone and agency choices, the count,
    # the page of users, their groups, their profiles' zones.
    assert before == SESSION + 8


def test_the_django_admin_still_works_with_role_names_translated(client, admin_user, xiqing):
    client.force_login(admin_user)
    client.cookies["django_language"] = "zh-hans"
    officer = make_user(Role.OFFICER, zones=[xiqing])
    for url in (
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_changelist") + "?role=officer",
        reverse("admin:auth_user_add"),
        reverse("admin:auth_user_change", args=[officer.pk]),
        reverse("admin:auth_group_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    html = client.get(reverse("admin:auth_user_change", args=[officer.pk])).content.decode()
    assert "区级联络员" in html or str(Role.OFFICER.label) in html
