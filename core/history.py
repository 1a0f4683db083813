"""What goes into a history row: values as they are stored in its JSON `changes`."""


def as_json(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
