"""The notification centre: /notifications/, mark read, open, and each person's delivery preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .choices import Mode, NoticeKind
from .models import Preference
from .selectors import NotificationFilter, notices_for

# Kinds a person can receive (the test message goes to channels only).
PERSONAL_KINDS = [kind for kind in NoticeKind if kind != NoticeKind.TEST]


@login_required
def notification_list(request):
    filterset = NotificationFilter(
        request.GET or None, queryset=notices_for(request.user).select_related("zone")
    )
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"filter": filterset, "page_obj": page})


@login_required
def open_notification(request, pk):
    """Mark the notice read and go to its object (which checks its own permissions)."""
    notice = get_object_or_404(notices_for(request.user), pk=pk)
    services.mark_read(user=request.user, notification_ids=[notice.pk])
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request):
    ids = request.POST.getlist("ids")
    if request.POST.get("all"):
        ids = None
    elif not all(value.isdigit() for value in ids) or not ids:
        messages.error(request, _("Choose the notices to mark as read."))
        return redirect("notifications:list")
    count = services.mark_read(user=request.user, notification_ids=ids)
    messages.success(request, _("%(count)s notices marked as read.") % {"count": count})
    return redirect("notifications:list")


@login_required
def preferences(request):
    current = dict(Preference.objects.filter(user=request.user).values_list("kind", "mode"))
    if request.method == "POST":
        modes = {
            kind.value: request.POST.get(f"mode-{kind.value}", Mode.IMMEDIATE) for kind in PERSONAL_KINDS
        }
        if any(mode not in Mode.values for mode in modes.values()):
            messages.error(request, _("Choose one of the offered ways for every kind of notice."))
        else:
            services.set_preferences(user=request.user, modes=modes)
            messages.success(request, _("Your notice preferences are saved."))
            return redirect("notifications:preferences")
    rows = [(kind, current.get(kind.value, Mode.IMMEDIATE)) for kind in PERSONAL_KINDS]
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "modes": Mode.choices, "has_email": bool(request.user.email)},
    )
