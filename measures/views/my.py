"""`/my/`: what the signed-in user should act on now."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import selectors


@login_required
def my_page(request):
    return render(request, "measures/my.html", selectors.my_page(request.user, params=request.GET))
