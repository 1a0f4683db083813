from django.utils.functional import SimpleLazyObject

from .scoping import access_for


def _open_matters():
    from .models import MajorMatter

    return MajorMatter.objects.unanswered().count()


def navigation(request):
    """What the top bar offers; the access read is cached on the user for the rest of the request.

    Managers also get the count of major matters nobody has answered yet: one query, made only
    when the page is drawn (lazily, so a redirect or a download never pays for it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = access_for(user)
    context = {"nav_manager": access.is_manager, "nav_matters": access.is_manager or access.is_officer}
    if access.is_manager:
        context["nav_open_matters"] = SimpleLazyObject(_open_matters)
    return context
