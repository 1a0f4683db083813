"""Reads for the task pages."""

from django.shortcuts import get_object_or_404

from .models import Task


def task_list():
    return Task.objects.for_list().order_by("zone__plan__code", "zone__annex_number", "number")


def task_detail(code, number):
    task = get_object_or_404(
        Task.objects.select_related("zone__plan", "category__zone").with_agencies(),
        zone__code=code,
        number=number,
    )
    siblings = Task.objects.filter(zone=task.zone).order_by("number").values_list("number", flat=True)
    numbers = list(siblings)
    index = numbers.index(task.number)
    previous_number = numbers[index - 1] if index > 0 else None
    next_number = numbers[index + 1] if index + 1 < len(numbers) else None
    return task, previous_number, next_number
