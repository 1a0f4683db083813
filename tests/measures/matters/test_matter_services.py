"""Major matters: raise (managers e-mailed after commit only), respond, close; who may do what."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.roles import Role
from measures import services
from measures.choices import EventKind, MatterState, MatterUrgency
from measures.models import MajorMatter, ReportEvent, Task
from tests.factories import make_user
from zones.models import Agency, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def xiqing():
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def officer(xiqing):
    return make_user(Role.OFFICER, zones=[xiqing], first_name="小王")


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, email="leader@ftz.example.cn")


def raise_one(zone, officer, **fields):
    fields = {"title": "关键设备进口受阻", "description": "海关暂停保税研发设备入区。", **fields}
    return services.raise_matter(zone=zone, user=officer, **fields)


def kinds(matter):
    return list(ReportEvent.objects.filter(matter=matter).order_by("at", "pk").values_list("kind", flat=True))


def test_open_responded_closed_with_one_event_each(xiqing, officer, manager):
    task = Task.objects.get(zone=xiqing, number=1)
    matter = raise_one(xiqing, officer, task=task, urgency=MatterUrgency.URGENT)
    assert matter.state == MatterState.OPEN
    matter = services.respond_to_matter(matter=matter, user=manager, response="已协调海关")
    assert matter.state == MatterState.RESPONDED and matter.responded_by == manager
    matter = services.close_matter(matter=matter, user=officer)
    assert matter.state == MatterState.CLOSED and matter.closed_by == officer
    assert kinds(matter) == [EventKind.MATTER_RAISED, EventKind.MATTER_RESPONDED, EventKind.MATTER_CLOSED]
    # A matter on a task shows on the task's timeline too.
    assert ReportEvent.objects.filter(task=task, kind=EventKind.MATTER_RAISED).exists()
    with pytest.raises(ValidationError):
        services.respond_to_matter(matter=matter, user=manager, response="再答复")
    with pytest.raises(ValidationError):
        services.close_matter(matter=matter, user=manager)


def test_a_zone_wide_matter_has_its_own_thread(xiqing, officer):
    matter = raise_one(xiqing, officer)
    event = ReportEvent.objects.get(matter=matter)
    assert event.task is None and event.get_absolute_url() == matter.get_absolute_url() + "#thread"


def test_managers_are_emailed_after_commit_only(xiqing, officer, manager, django_capture_on_commit_callbacks):
    admin = make_user(Role.ADMINISTRATOR, email="admin@ftz.example.cn")
    make_user(Role.MANAGER)  # no address: nobody to write to
    make_user(Role.OFFICER, zones=[xiqing], email="officer@xiqing.example.cn")  # not a manager
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        matter = raise_one(xiqing, officer, urgency=MatterUrgency.CRITICAL)
    assert mail.outbox == []  # nothing before the commit
    # Besides the e-mail, the notices for the managers are handed to the task worker.
    mail_callbacks = [c for c in callbacks if c.__name__ != "_enqueue_dispatch"]
    assert len(mail_callbacks) == 1 and len(callbacks) == 2
    mail_callbacks[0]()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, admin.email])
    assert "关键设备进口受阻" in mail.outbox[0].subject and "【特急】" in mail.outbox[0].subject
    assert matter.get_absolute_url() in mail.outbox[0].body
    matter.refresh_from_db()
    assert matter.notified_count == 2 and matter.notified_at is not None


def test_nothing_is_sent_for_a_rolled_back_matter(
    xiqing, officer, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                raise_one(xiqing, officer)
                raise RuntimeError("the caller failed afterwards")
        except RuntimeError:
            pass
    assert mail.outbox == [] and not MajorMatter.objects.exists()


def test_who_may_raise_respond_and_close(xiqing, officer, manager):
    foreign = make_user(Role.OFFICER, zones=[Zone.objects.get(code="wuqing")])
    liaison = make_user(Role.LIAISON, agency=Agency.objects.get(name="天津海关"))
    for user in (foreign, liaison, manager):
        with pytest.raises(PermissionDenied):
            raise_one(xiqing, user)
    matter = raise_one(xiqing, officer)
    with pytest.raises(PermissionDenied):
        services.respond_to_matter(matter=matter, user=officer, response="自己答复")
    with pytest.raises(PermissionDenied):
        services.close_matter(matter=matter, user=foreign)
    # A manager may close an open matter outright; an officer must say why.
    with pytest.raises(ValidationError):
        services.close_matter(matter=matter, user=officer)
    assert services.close_matter(matter=matter, user=officer, note="已自行解决").state == MatterState.CLOSED


def test_bad_input_is_refused_clearly(xiqing, officer, manager):
    with pytest.raises(ValidationError) as error:
        raise_one(xiqing, officer, title="", urgency="whenever")
    assert {"title", "urgency"} <= set(error.value.message_dict)
    wuqing_task = Task.objects.filter(zone__code="wuqing").first()
    with pytest.raises(ValidationError) as error:
        raise_one(xiqing, officer, task=wuqing_task)
    assert "task" in error.value.message_dict
    matter = raise_one(xiqing, officer)
    with pytest.raises(ValidationError):
        services.respond_to_matter(matter=matter, user=manager, response=" ")
    assert not MajorMatter.objects.exclude(pk=matter.pk).exists()


def test_admin_lists_matters_and_adjustments_read_only(client, xiqing, officer):
    from measures.services import propose_adjustment

    matter = raise_one(xiqing, officer)
    adjustment = propose_adjustment(
        task=Task.objects.get(zone=xiqing, number=1), user=officer, kind="withdrawal", reason="撤销"
    )
    client.force_login(make_user(Role.ADMINISTRATOR))
    for name, obj in (("majormatter", matter), ("planadjustment", adjustment)):
        assert client.get(f"/admin/measures/{name}/").status_code == 200
        page = client.get(f"/admin/measures/{name}/{obj.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert client.get(f"/admin/measures/{name}/add/").status_code == 403
