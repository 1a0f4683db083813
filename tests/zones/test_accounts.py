"""Demo accounts, groups, sign-in and sign-out."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core.roles import Role
from measures.models import TaskAgency

pytestmark = pytest.mark.django_db


def test_demo_accounts_printed_once_and_usable(client):
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    text = out.getvalue()
    rows = dict(re.findall(r"^\s+(\S+)\s+(\S+)\s+", text, re.M))
    assert set(rows) == {
        "admin",
        "manager",
        "officer_xiqing",
        "officer_wuqing",
        "officer_beichen",
        "officer_ziya",
        "officer_dongli",
        "leader_xiqing",
        "liaison",
    }
    User = get_user_model()
    # The liaison speaks for the agency named in the most tasks of the plan.
    liaison = User.objects.get(username="liaison")
    counts = Counter(TaskAgency.objects.values_list("agency__name", flat=True))
    assert liaison.profile.agency.name == counts.most_common(1)[0][0] == "市商务局"
    assert liaison.groups.filter(name=Role.LIAISON.group_name).exists()
    officer = User.objects.get(username="officer_ziya")
    assert [zone.code for zone in officer.profile.zones.all()] == ["ziya"]
    assert officer.groups.filter(name=Role.OFFICER.group_name).exists()
    leader = User.objects.get(username="leader_xiqing")
    assert [zone.code for zone in leader.profile.zones.all()] == ["xiqing"]
    assert leader.groups.filter(name=Role.LEADER.group_name).exists()
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="manager").groups.filter(name="Managers").exists()
    # Sign in through the form with the printed password.
    response = client.post("/accounts/login/", {"username": "manager", "password": rows["manager"]})
    assert response.status_code == 302
    assert client.get("/zones/").status_code == 200
    client.logout()
    response = client.post(
        "/accounts/login/", {"username": "leader_xiqing", "password": rows["leader_xiqing"]}
    )
    assert response.status_code == 302
    assert client.get("/zones/xiqing/").status_code == 200
    # A second run prints no passwords and changes none.
    again = StringIO()
    call_command("create_demo_accounts", stdout=again)
    assert "already exist" in again.getvalue()
    assert User.objects.get(username="manager").check_password(rows["manager"])


def test_the_demo_leader_leads_the_demo_datas_zone_with_both_plans_loaded():
    # make db loads the second batch first, then the 14th five-year plan, whose code sorts first.
    call_command("load_plan", str(settings.BASE_DIR / "fixtures" / "ftz-14th-fyp.json"), stdout=StringIO())
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    assert "leader_xiqing" in out.getvalue()
    leader = get_user_model().objects.get(username="leader_xiqing")
    assert [zone.code for zone in leader.profile.zones.all()] == ["xiqing"]


def test_wrong_password_gives_a_clear_message(client):
    get_user_model().objects.create_user("someone", password="right-password-1")
    response = client.post(
        "/accounts/login/", {"username": "someone", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    zh = client.post(
        "/accounts/login/", {"username": "someone", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert "用户名" in zh.content.decode()


def test_sign_out_is_a_post(client):
    get_user_model().objects.create_user("someone", password="right-password-1")
    client.login(username="someone", password="right-password-1")
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/zones/").status_code == 302
