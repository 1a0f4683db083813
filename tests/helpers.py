"""Constants and small helpers shared by test modules."""

from django.urls import get_resolver

# Queries every signed-in request makes before its view runs: the session row and the user.
SESSION = 2


def route_names(namespace):
    """Every URL name of `namespace`, through the includes that build it (the measures namespace is
    made of each domain package's urls plus the my page)."""
    _prefix, resolver = get_resolver().namespace_dict[namespace]
    return {key for key in resolver.reverse_dict if isinstance(key, str)}
