"""The read API under /api/v1/ (docs/api.md)."""

import functools

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("plans", views.PlanViewSet, basename="plan")
router.register("zones", views.ZoneViewSet, basename="zone")
router.register("blocks", views.BlockViewSet, basename="block")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("reports", views.ReportViewSet, basename="report")
router.register("outcomes", views.OutcomeViewSet, basename="outcome")
router.register("indicator-values", views.IndicatorValueViewSet, basename="indicator-value")


def under_csrf_middleware(view):
    """The view without DRF's opt-out from Django's CSRF middleware.

    DRF marks its views exempt and checks CSRF itself, only for session-authenticated requests
    and only after authentication. The project's rule (tests/security/test_csrf.py) is that every
    route's POST meets the middleware like any page's. The API answers GET only, which the
    middleware never checks, so token clients lose nothing. The attributes DRF and drf-spectacular
    read from a view (cls, initkwargs, actions) are carried over; the opt-out mark is not.
    """

    def view_func(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    functools.update_wrapper(view_func, view, updated=())
    for attribute in ("cls", "initkwargs", "actions"):
        if hasattr(view, attribute):
            setattr(view_func, attribute, getattr(view, attribute))
    return view_func


def checked(patterns):
    for pattern in patterns:
        pattern.callback = under_csrf_middleware(pattern.callback)
    return patterns


urlpatterns = checked(
    [
        path("schema/", SpectacularAPIView.as_view(), name="schema"),
        # Swagger UI for people signed in with a browser; the start-up script is a separate
        # request (?script), so the page runs under the CSP with no inline code.
        path(
            "docs/",
            login_required(
                SpectacularSwaggerSplitView.as_view(
                    url_name="api:schema", template_name="api/swagger_ui.html"
                )
            ),
            name="docs",
        ),
        *router.urls,
    ]
)
