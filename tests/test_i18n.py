"""Both languages: the switcher, translated UI, and a complete catalogue."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from core.roles import Role
from tests.factories import make_user

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
