"""The task list's content kept between requests: the filter form, the count, the rows and the
pagination, everything but the page's frame.

Drawing the list took about 28 ms of CPU a request at 200 zones, the same for every request of one
person with the same filters until something they see changes; the frame (the top bar with its live
counts, messages, the CSRF token, the session's timer) is drawn on every request as before.

What the content is kept under (`key_for`), so that no one is ever shown what another would not
see, or what has changed since:

- who: the user's id and everything core.access decides their sight and rows by (roles, zones,
  agency, whom they stand in for today); a changed role or zone is another key;
- how: the active language and the script prefix the links are formed under;
- what: the query string, its parameters in a fixed order (values of one name in theirs);
- when: today's local date (lights, overdue milestones and deputies depend on it);
- which data: DataVersion's sum, moved by database triggers in the transaction of every write of a
  task, report, milestone, agency link, category, zone, agency, period or plan (measures.db_triggers),
  read first, before any row: content drawn from rows newer than the version read is kept under
  the older version, which no later request reads again. The current periods are a function of the
  periods table (versioned) and the date, so they are not read for the key.

The content is drawn without the request: its template gets the query's parameters alone
(`QueryOnly`), so nothing of the session, the user's name, messages or a CSRF token can be drawn
into what is kept. It is kept in Django's default cache (per process with the default LocMemCache,
MAX_ENTRIES in settings.CACHES), for TIMEOUT seconds at most: a key whose version has moved is
never read again and ages out.
"""

import hashlib

from django.core.cache import cache
from django.db import connections
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.access import access_for
from measures.tasks.models import DataVersion

CONTENT_TEMPLATE = "measures/includes/task_list_content.html"
# Changed with what the content template draws, so that a shared cache (CACHES pointing at one)
# does not serve content drawn by the code deployed before.
FORMAT = 1
TIMEOUT = 600
# A content larger than this (a filter form of thousands of choices) is drawn every time instead.
MAX_KEPT_CHARS = 512 * 1024


def data_version(using=None):
    """The sum of the triggers' counters: one query (a few hundred rows, no join). The SQL is
    plain, since building it through the ORM would cost more than running it."""
    connection = connections[using or DataVersion.objects.db]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT SUM(changes), COUNT(*) FROM {DataVersion._meta.db_table}")
        total, rows = cursor.fetchone()
    return f"{total or 0}.{rows}"


def normalised_query(query):
    """The query's parameters sorted by name; the values of a name keep their order (a single
    choice reads the last), so two queries that mean the same give the same key."""
    return urlencode(sorted(query.lists(), key=lambda item: item[0]), doseq=True)


def key_for(request):
    access = access_for(request.user)
    parts = (
        FORMAT,
        request.user.pk,
        sorted(str(role) for role in access.roles),
        sorted(access.zone_ids),
        access.agency_id,
        access.deputy_leads,
        access.deputy_for_managers,
        get_language(),
        get_script_prefix(),
        normalised_query(request.GET),
        timezone.localdate().isoformat(),
        data_version(),
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()
    return f"task-list:{digest}"


def kept(key):
    content = cache.get(key)
    return None if content is None else mark_safe(content)


def keep(key, content):
    if len(content) <= MAX_KEPT_CHARS:
        cache.set(key, str(content), TIMEOUT)


class QueryOnly:
    """What the content template may read of the request: its query's parameters (the pagination
    and export links repeat them)."""

    def __init__(self, query):
        self.GET = query


def draw(context, request):
    """The content for the view's context, drawn without the request."""
    return get_template(CONTENT_TEMPLATE).render({**context, "request": QueryOnly(request.GET)})
