"""Inputs that made the app answer 500 (issue 14, item 5).

Searches for characters str.isdigit() calls digits but int() refuses (², ①), and a major matter
whose title has a line break, which broke the e-mail subject after the matter was saved.
"""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.roles import Role
from measures import services
from measures.matters.services import notify_managers
from measures.models import MajorMatter
from tests.factories import make_user
from zones.numerals import from_chinese, typed_number

pytestmark = pytest.mark.django_db

TERMS = ["²", "①", "½", "Ⅻ", "٣", "１", "1", "99999999999999999999999", "一", " 12 "]


def search_urls(w):
    return [
        reverse("measures:task-list"),
        reverse("api:task-list"),
        reverse("zones:agency-detail", args=[w.customs.pk]),
        reverse("measures:adjustment-list"),
        reverse("measures:matter-list"),
        reverse("measures:outcome-list"),
        reverse("measures:my"),
    ]


@pytest.mark.parametrize("term", TERMS)
def test_a_search_for_any_digit_like_character_answers(client, world, term):
    client.force_login(world.manager)
    for url in search_urls(world):
        response = client.get(url, {"q": term})
        assert response.status_code == 200, (url, term)


@pytest.mark.parametrize("term", TERMS)
def test_a_digit_like_period_or_agency_on_the_task_list_answers(client, world, term):
    """The drill-down's period and the role filter's agency are read as numbers too."""
    client.force_login(world.manager)
    for params in ({"period": term}, {"period": term, "light": "red"}, {"role": "lead", "agency": term}):
        assert client.get(reverse("measures:task-list"), params).status_code == 200, params


def test_a_number_still_finds_the_task(client, world):
    client.force_login(world.manager)
    for term in ("1", "１"):
        page = client.get(reverse("measures:task-list"), {"q": term, "zone": "xiqing"}).content.decode()
        assert world.task.title in page


def test_the_api_search_answers_for_a_token_client(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=world.manager).key)
    for term in TERMS:
        assert api.get(reverse("api:task-list"), {"q": term}).status_code == 200


def test_typed_number_reads_only_what_int_reads():
    assert typed_number("12") == 12 and typed_number("１２") == 12
    assert typed_number("²") is None and typed_number("①") is None and typed_number("") is None
    assert typed_number("1" * 10) is None
    assert from_chinese("②") is None and from_chinese("十二") == 12 and from_chinese("7") == 7


@pytest.fixture
def managers_with_mail(settings, world):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.manager.email = "manager@ftz.example.cn"
    world.manager.save()
    return world


def test_a_matter_title_with_a_line_break_is_saved_on_one_line_and_mailed(
    client, managers_with_mail, django_capture_on_commit_callbacks
):
    w = managers_with_mail
    client.force_login(w.officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("measures:matter-create"),
            {
                "zone": w.zone.pk,
                "task": "",
                "urgency": "urgent",
                "title": "园区用地\r\n指标紧张",
                "description": "请示内容\n第二行保留",
            },
        )
    assert response.status_code == 302
    matter = MajorMatter.objects.get()
    assert matter.title == "园区用地 指标紧张"
    assert matter.description == "请示内容\n第二行保留"
    assert len(mail.outbox) == 1 and "园区用地 指标紧张" in mail.outbox[0].subject
    assert MajorMatter.objects.get().notified_count == 1


def test_a_matter_stored_with_a_line_break_still_reaches_the_managers(managers_with_mail):
    w = managers_with_mail
    matter = services.raise_matter(zone=w.zone, user=w.officer, title="标题", description="内容")
    MajorMatter.objects.filter(pk=matter.pk).update(title="第一行\n第二行")
    assert notify_managers(matter.pk) == 1
    assert "\n" not in mail.outbox[-1].subject and "第一行 第二行" in mail.outbox[-1].subject


def test_a_second_manager_without_address_changes_nothing(managers_with_mail):
    make_user(Role.MANAGER)
    matter = services.raise_matter(
        zone=managers_with_mail.zone, user=managers_with_mail.officer, title="a\nb", description="c"
    )
    assert matter.title == "a b"
