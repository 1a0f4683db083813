"""What generate_demo_data adds beyond measures' own rows, registered by the apps above measures
(stocktakes registers a meeting with its items from its ready()), so that measures imports none of
them. Each registered function takes plan, user, periods and today (keywords) and returns a short
summary of what it added, or "" when there was nothing to add (a rerun adds nothing twice)."""

_extras = {}


def register(name, generate):
    _extras[name] = generate


def extras():
    return list(_extras.items())
