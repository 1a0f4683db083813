"""Helpers of every app's action views: refusals and service errors onto forms."""

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
