"""Helpers of every app's action views: refusals, service errors onto forms, the action view itself."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from core.access import OWN_SUBMISSION, require

# A visible object the user may not act on: 403 (outside their scope it would be 404). The views'
# name for core.access.require, the one refusal every service also makes.
ensure = require


def is_own_submission_refusal(error):
    """The four-eyes refusal (core.access.ensure_four_eyes): the page no longer offers the
    decision, so it is shown as a message rather than on a form the page does not render."""
    return not hasattr(error, "error_dict") and any(e.code == OWN_SUBMISSION for e in error.error_list)


def add_service_errors(form, error):
    """Put a service's ValidationError on the form fields it names, or on the form itself."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def perform_action(
    request,
    target,
    *,
    call,
    message,
    render_page=None,
    form_class=None,
    success_url=None,
    form_name="",
    is_refusal=None,
    errors_as_messages=True,
    refused_url=None,
):
    """The action view, written once: read the POSTed form (if the action has one), call the service
    with `call(target, cleaned_data)`, then a success message and back to `success_url` (by default
    `target`'s page). A service refusal without a form to show it on, or one `is_refusal(error)` names
    (a step the state does not allow), is an error message on that page; any other goes on the form,
    and `render_page(request, target, status=400, <form_name>=form)` draws the page again with it,
    what was typed kept. The caller has found `target` in the user's scope and checked the user may
    act (ensure). A refusal goes back to `refused_url` when given, else where success goes."""
    back = success_url or target
    form = form_class(request.POST, request.FILES) if form_class else None
    if form is None or form.is_valid():
        try:
            call(target, form.cleaned_data if form else {})
        except ValidationError as error:
            if form is None or (is_refusal and is_refusal(error)):
                messages.error(request, " ".join(error.messages))
                return redirect(refused_url or back)
            add_service_errors(form, error)
        else:
            messages.success(request, message)
            return redirect(back)
    if errors_as_messages:
        for error in form.non_field_errors():
            messages.error(request, error)
    return render_page(request, target, status=400, **{form_name: form})
