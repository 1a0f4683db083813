"""Both languages: the switcher, translated UI, and a complete catalogue."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from core.i18n import english_period_name
from core.roles import Role
from indicators.models import Indicator
from tests.factories import make_period, make_user
from zones.models import Agency

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalogue_is_complete():
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    untranslated = []
    for entry in entries:
        if "#~" in entry or "msgid" not in entry:
            continue
        if "#, fuzzy" in entry:
            untranslated.append(entry)
        msgstrs = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n")
        if not msgstrs or any("".join(re.findall(r'"(.*)"', text)) == "" for text in msgstrs):
            untranslated.append(entry)
    assert untranslated == []


@pytest.mark.django_db
def test_switcher_changes_the_language(client):
    client.force_login(make_user(Role.MANAGER))
    zh = client.get("/zones/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "退出" in zh and "Sign out" not in zh
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/zones/xiqing/"})
    assert response.status_code == 302 and response.url == "/zones/xiqing/"
    en = client.get("/zones/xiqing/").content.decode()
    assert "Sign out" in en and "Main tasks" in en
    # The plan's own text stays Chinese in the English UI.
    assert "构建京津冀集成电路产业协同开放新高地" in en
    assert "Build a new high ground" in en
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/zones/xiqing/"})
    back = client.get("/zones/xiqing/").content.decode()
    assert "主要任务" in back and "Main tasks" not in back


@pytest.mark.django_db
def test_default_language_is_chinese(client):
    client.force_login(make_user(Role.MANAGER))
    html = client.get("/zones/").content.decode()
    assert '<html lang="zh-hans">' in html


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("2026年第四季度", "Q4 2026"),
        ("2027年第一季度", "Q1 2027"),
        ("2026年上半年", "H1 2026"),
        ("2026年度", "2026"),
        # A name someone typed otherwise has no generated English form: it shows as written.
        ("上一季度", ""),
        ("2026年第四季度（补报）", ""),
    ],
)
def test_english_period_names_are_generated_from_the_chinese(name, english):
    assert english_period_name(name) == english


@pytest.mark.django_db
def test_periods_and_units_read_in_the_users_language(client):
    period = make_period(year=2026, quarter=4, name="2026年第四季度")
    indicator = Indicator(name="新增企业", unit="家")
    with translation.override("en"):
        assert str(period) == period.display_name == "Q4 2026"
        assert indicator.display_unit == "firms"
    with translation.override("zh-hans"):
        assert str(period) == "2026年第四季度"
        assert indicator.display_unit == "家"
    # The stored name stays the Chinese one.
    period.refresh_from_db()
    assert period.name == "2026年第四季度"

    client.force_login(make_user(Role.MANAGER))
    client.post("/i18n/setlang/", {"language": "en", "next": "/periods/"})
    en = client.get("/periods/").content.decode()
    assert "Q4 2026" in en and "2026年第四季度" not in en
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/periods/"})
    zh = client.get("/periods/").content.decode()
    assert "2026年第四季度" in zh and "Q4 2026" not in zh


@pytest.mark.django_db
def test_sort_choices_have_no_english_in_chinese(client):
    # django-filter's OrderingFilter labels descending options itself, untranslated in 简体中文.
    client.force_login(make_user(Role.MANAGER))
    page = f"/agencies/{Agency.objects.get(name='市商务局').pk}/"
    zh = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "完成进度（降序）" in zh
    assert "descending" not in zh
    client.post("/i18n/setlang/", {"language": "en", "next": page})
    assert "Percent complete (descending)" in client.get(page).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "page"),
    [
        (Role.ADMINISTRATOR, "/people/new/"),
        (Role.ADMINISTRATOR, "/people/"),
        (Role.MANAGER, "/requests/"),
        (Role.MANAGER, "/stocktakes/"),
        (Role.MANAGER, "/assigned/"),
    ],
)
def test_zone_and_agency_choices_read_in_the_users_language(client, role, page):
    """The lists and forms that came with issues 15 and 18 name zones and agencies in English in the
    English UI (the Chinese __str__ stays for the admin, the history and the exports)."""
    from zones.models import Zone

    xiqing = Zone.objects.get(code="xiqing")
    customs = Agency.objects.get(name="天津海关")
    client.force_login(make_user(role))
    client.post("/i18n/setlang/", {"language": "en", "next": page})
    en = client.get(page).content.decode()
    options = re.findall(r"<option[^>]*>([^<]*)</option>|<label[^>]*><input[^>]*>\s*([^<]*)</label>", en)
    labels = {(select or box).strip() for select, box in options}
    assert xiqing.name_en in labels and xiqing.name not in labels
    assert customs.name_en in labels and customs.name not in labels


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "plan_choice"),
    [
        ("/adjustments/", False),
        ("/matters/", False),
        ("/outcomes/", True),
        ("/reviews/", True),
        ("agency", False),
    ],
)
def test_filter_choices_of_zones_and_plans_read_in_the_users_language(client, page, plan_choice):
    """The adjustment, matter, outcome, review and agency-task filters name zones and plans through
    the shared display names (core.filters.DisplayNamesFilterSet), as the lists above do."""
    from zones.models import Plan, Zone

    xiqing = Zone.objects.get(code="xiqing")
    plan = Plan.objects.get(code="second-batch")
    if page == "agency":
        page = f"/agencies/{Agency.objects.get(name='天津海关').pk}/"
    client.force_login(make_user(Role.MANAGER))
    client.post("/i18n/setlang/", {"language": "en", "next": page})
    response = client.get(page)
    assert response.status_code == 200
    labels = {
        label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", response.content.decode())
    }
    assert xiqing.name_en in labels and xiqing.name not in labels
    if plan_choice:
        assert plan.title_en in labels and plan.title not in labels
