"""Constants and small helpers shared by test modules."""

import shutil
from types import SimpleNamespace

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Model
from django.test.utils import override_settings
from django.urls import get_resolver

# Queries every signed-in request makes before its view runs: the session row and the user.
SESSION = 2


def route_names(namespace):
    """Every URL name of `namespace`, through the includes that build it (the measures namespace is
    made of each domain package's urls plus the my page)."""
    _prefix, resolver = get_resolver().namespace_dict[namespace]
    return {key for key in resolver.reverse_dict if isinstance(key, str)}


def rows_for_the_module(django_db_blocker, build):
    """setUpTestData for pytest: call `build()` once for a module inside a transaction left open
    until the module's last test ends, then rolled back. Each test's own transaction (the `db`
    fixture) is a savepoint inside it, so a test sees the rows `build` wrote, and whatever it writes
    itself is gone before the next test. Use it from a module-scoped fixture, and hand each test
    `fresh_copy` of what `build` returns (the rows are shared, the Python objects must not be).
    Not for a module with transactional tests: they commit, and empty the database after."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic(using=DEFAULT_DB_ALIAS)
        # As Django's TestCase marks its own: a durable block in the code under test still opens.
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True, using=DEFAULT_DB_ALIAS)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True, using=DEFAULT_DB_ALIAS)
            atomic.__exit__(None, None, None)


def _cached_relations(instance, prefix=""):
    """The select_related paths `instance` was read (or saved) with, so a copy costs no more queries."""
    paths = []
    for name, related in instance._state.fields_cache.items():
        field = next((f for f in instance._meta.get_fields() if f.name == name), None)
        # Forward foreign keys and one-to-ones only: what select_related can follow.
        if field is None or not field.concrete or not (field.many_to_one or field.one_to_one):
            continue
        paths.append(prefix + name)
        if related is not None:
            paths.extend(_cached_relations(related, f"{prefix}{name}__"))
    return paths


def fresh_copy(world):
    """A namespace of rows read again from the database (with the same related rows at hand), so
    that no test sees another's changes to the objects or the caches they hold; other values are
    kept as they are (dates, numbers, paths)."""
    return SimpleNamespace(
        **{
            name: (
                type(value)._base_manager.select_related(*_cached_relations(value)).get(pk=value.pk)
                if isinstance(value, Model)
                else value
            )
            for name, value in vars(world).items()
        }
    )


def drain(response):
    """Read a streamed response (a download) to its end, which closes it and its file the way the
    test client does: with the request_finished signal held back. Calling `response.close()` in a
    test sends that signal, whose handler closes the database connection inside the test's open
    transaction; on PostgreSQL that drops the rows a module shares (rows_for_the_module)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows_and_files_for_the_module(django_db_blocker, build, media):
    """rows_for_the_module for a world with uploaded files: `build` stores them under `media`;
    yields (world, media). Hand each test `copy_with_files` of it."""

    def build_with_media():
        with override_settings(MEDIA_ROOT=media):
            return build()

    for world in rows_for_the_module(django_db_blocker, build_with_media):
        yield world, media


def copy_with_files(shared, settings, media_root):
    """fresh_copy of a rows_and_files_for_the_module world, its files copied to `media_root`, which
    becomes MEDIA_ROOT, so a test that deletes or adds files leaves the others' alone."""
    world, media = shared
    shutil.copytree(media, media_root, dirs_exist_ok=True)
    settings.MEDIA_ROOT = media_root
    return fresh_copy(world)


def drawn(client, path, data=None, **extra):
    """`client.get`, with the task list drawn from the rows rather than served from what an earlier
    request of the test kept (measures.tasks.page_cache): for a test that reads the view's context
    (`response.context["paginator"]`), which a kept page does not have."""
    from django.core.cache import cache

    cache.clear()
    return client.get(path, data, **extra)
