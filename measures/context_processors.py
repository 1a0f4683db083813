from .scoping import access_for


def navigation(request):
    """What the top bar offers; the access read is cached on the user for the rest of the request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_manager": access_for(user).is_manager}
