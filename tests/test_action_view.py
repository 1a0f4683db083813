"""core.views.perform_action, the action view every app uses: success, refusal and form errors."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from core.views import perform_action


class NoteForm(forms.Form):
    note = forms.CharField()


def post(data):
    request = RequestFactory().post("/x/", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def texts(request):
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def page(request, target, status, **forms):
    return HttpResponse(
        ",".join(f"{name}:{form.errors.as_json()}" for name, form in forms.items()), status=status
    )


def refuse(*args):
    raise ValidationError("Not in this state.")


def test_success_messages_and_goes_back():
    request = post({"note": "好"})
    done = []
    response = perform_action(
        request,
        None,
        form_class=NoteForm,
        form_name="note_form",
        call=lambda target, data: done.append(data["note"]),
        message="Done.",
        render_page=page,
        success_url="/back/",
    )
    assert (response.status_code, response.url, done) == (302, "/back/", ["好"])
    assert texts(request) == [("success", "Done.")]


def test_a_refusal_without_a_form_is_a_message_on_the_page():
    request = post({})
    response = perform_action(request, None, call=refuse, message="Done.", success_url="/back/")
    assert (response.status_code, response.url) == (302, "/back/")
    assert texts(request) == [("error", "Not in this state.")]


@pytest.mark.parametrize("as_messages", [True, False])
def test_a_refusal_with_a_form_draws_the_page_again_with_it(as_messages):
    request = post({"note": "好"})
    response = perform_action(
        request,
        None,
        form_class=NoteForm,
        form_name="note_form",
        call=refuse,
        message="Done.",
        render_page=page,
        errors_as_messages=as_messages,
    )
    assert response.status_code == 400 and b"note_form:" in response.content
    assert b"Not in this state." in response.content
    assert texts(request) == ([("error", "Not in this state.")] if as_messages else [])


def test_a_named_refusal_is_a_message_even_with_a_form():
    request = post({"note": "好"})
    response = perform_action(
        request,
        None,
        form_class=NoteForm,
        form_name="note_form",
        call=refuse,
        message="Done.",
        render_page=page,
        success_url="/back/",
        is_refusal=lambda error: True,
    )
    assert (response.status_code, response.url) == (302, "/back/")


def test_invalid_input_never_calls_the_service():
    request = post({})
    response = perform_action(
        request,
        None,
        form_class=NoteForm,
        form_name="note_form",
        call=lambda *args: pytest.fail("called"),
        message="Done.",
        render_page=page,
    )
    assert response.status_code == 400 and b"required" in response.content
