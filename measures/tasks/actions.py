"""Shared by the action views: the scoped task, service errors onto forms, the way back."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from measures.models import ReportingPeriod
from measures.periods.forms import PeriodChoiceForm
from measures.tasks import selectors


def task_url(task, period=None, anchor=""):
    url = reverse("measures:task-detail", args=[task.zone.code, task.number])
    if period is not None:
        url += f"?period={period.pk}"
    return url + (f"#{anchor}" if anchor else "")


def back_to_task(request, task, period=None, anchor="", message=None):
    if message:
        messages.success(request, message)
    return redirect(task_url(task, period, anchor))


def viewed_period(request, task):
    """The period the task page showed when the action was taken (?period= on the form's
    action), so the user comes back to the same view; None means the current period."""
    form = PeriodChoiceForm(request.GET)
    if not form.is_valid() or not form.cleaned_data["period"]:
        return None
    return ReportingPeriod.objects.filter(pk=form.cleaned_data["period"], plan_id=task.zone.plan_id).first()


def scoped_task(request, code, number):
    return selectors.visible_task(request.user, code, number)
