"""The administrators' pages of people: the user list and onboarding a user in one screen."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import render
from django_filters.views import FilterView

from core.access import access_for
from core.pagination import ForgivingPaginationMixin
from core.roles import Role, group_label
from core.views import add_service_errors, ensure

from . import services
from .filters import UserFilter
from .forms import OnboardForm
from .models import Zone


class UserListView(LoginRequiredMixin, ForgivingPaginationMixin, FilterView):
    filterset_class = UserFilter
    template_name = "people/user_list.html"
    context_object_name = "people"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            ensure(access_for(request.user).is_admin)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            get_user_model()
            .objects.select_related("profile__agency")
            .prefetch_related(
                "groups",
                Prefetch("profile__zones", queryset=Zone.objects.order_by("plan__code", "annex_number")),
            )
            .order_by("username")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for person in context["people"]:
            labels = [group_label(group.name) for group in person.groups.all()]
            if person.is_superuser and Role.ADMINISTRATOR.label not in labels:
                labels.insert(0, Role.ADMINISTRATOR.label)
            person.role_labels = labels
            profile = getattr(person, "profile", None)
            person.scope_zones = list(profile.zones.all()) if profile else []
            person.scope_agency = profile.agency if profile else None
        return context


@login_required
def onboard(request):
    ensure(access_for(request.user).is_admin)
    form = OnboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.onboard_user(actor=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Shown on this page only, never put in a message or the session (a cookie may carry those).
            return render(
                request,
                "people/onboarded.html",
                {"person": user, "role": Role(data["role"]), "password": password},
            )
    status = 400 if request.method == "POST" else 200
    return render(request, "people/onboard.html", {"form": form}, status=status)
