"""Model instances made from rows already read, for pages and exports of many rows."""

from django.db.models.base import ModelState


def loaded(model, values, db):
    """A `model` instance from the column values of a row already read, as from_db() would give,
    without Model.__init__'s generic per-field work, which was most of the report's time at
    20,000 tasks (40,000 instances). Fields not in `values` are deferred: read on first use."""
    instance = model.__new__(model)
    # The row's dict becomes the instance's: no copy; the caller does not use it afterwards.
    instance.__dict__ = values
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = db
    return instance
