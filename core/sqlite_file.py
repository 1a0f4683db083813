"""A kept SQLite connection follows its database file when the file is replaced.

SQLite connections stay open between requests (CONN_MAX_AGE, for speed). `manage.py restore` puts
the restored database in place by renaming a new file over the old one, so a process that kept its
connection would go on reading, and writing into, the old file, which no longer has a name: what
people then recorded would be lost. Each request therefore compares the file's inode with the one
the connection opened and, when they differ, closes the connection so that the next query opens the
file that is there now (one stat() a request). Restoring with the app stopped stays the documented
way (docs/deploy.md); this covers the process that was not stopped."""

import os

from django.db import DEFAULT_DB_ALIAS, connections


def _inode(connection):
    try:
        return os.stat(connection.settings_dict["NAME"]).st_ino
    except (OSError, TypeError, ValueError):
        return None  # an in-memory database (the tests') has no file to follow


def remember_file(sender, connection, **kwargs):
    """connection_created: the inode of the file this connection opened."""
    if connection.vendor == "sqlite":
        connection.opened_inode = _inode(connection)


def follow_replaced_file(sender=None, connection=None, **kwargs):
    """request_started: close a kept connection whose file was replaced since it opened."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "sqlite" or connection.connection is None:
        return
    opened = getattr(connection, "opened_inode", None)
    if opened is not None and _inode(connection) not in (None, opened):
        connection.close()
