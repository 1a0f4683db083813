"""The home page (each role's landing page) and `/my/`: what the signed-in user should act on now."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from core.access import access_for
from measures.dashboard.views import dashboard
from notifications.selectors import unread_action_items
from portal import selectors


@login_required
def my_page(request):
    context = selectors.my_page(request.user, params=request.GET)
    context["notices"] = unread_action_items(request.user)
    return render(request, "measures/my.html", context)


@login_required
def home(request):
    """Managers land on the dashboard, officers on their work, liaisons on their agency."""
    access = access_for(request.user)
    if access.is_manager:
        return dashboard(request)
    if access.is_liaison:
        return redirect("zones:agency-detail", pk=access.agency_id)
    return redirect("measures:my")
