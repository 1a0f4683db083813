"""GET /health/ for load balancers and monitoring: can this instance use its database and media folder?

Answers 200 {"database": "ok", "media": "ok"} or 503 naming the failing part as "error". The
details go to the log only: the endpoint needs no login, so it must not tell strangers anything.
"""

import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _media():
    root = Path(settings.MEDIA_ROOT)
    # Created when missing, as the first upload would do; a failed mount still shows as unwritable.
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".health-") as probe:
        probe.write(b"ok")
        probe.flush()
        # On NFS a write error may only surface when the data reaches the server.
        os.fsync(probe.fileno())


CHECKS = {"database": _database, "media": _media}


@login_not_required
@never_cache
@require_safe
def health(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:
            logger.exception("health check failed: %s", name)
            results[name] = "error"
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(results, status=200 if healthy else 503)


# Included from ftztracker/urls.py as path("health/", include("ftztracker.health")).
urlpatterns = [path("", health, name="health")]
