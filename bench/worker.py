"""One measurement, run inside Django: `python -m bench.worker STEP [--requests N] ...`.

The database comes from the environment (FTZ_DATA_DIR for SQLite, DATABASE_URL for PostgreSQL),
as for the app. The result is printed as one JSON line prefixed with RESULT_PREFIX; everything
else on stdout/stderr is left for the person watching.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
import traceback

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ftztracker.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import OperationalError, connection, connections, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import pages as bench_pages  # noqa: E402
from bench import rawsql, supplement  # noqa: E402
from core.roles import Role, ensure_groups  # noqa: E402
from measures import services  # noqa: E402
from measures.choices import EvidenceKind, ReportState  # noqa: E402
from measures.dashboard import selectors as dashboard_reads  # noqa: E402
from measures.exports import outcome_list, xlsx  # noqa: E402
from measures.exports import rows as export_rows  # noqa: E402
from measures.models import Evidence, ProgressReport, ReportingPeriod, Task  # noqa: E402
from measures.periods import selectors  # noqa: E402
from zones.models import Agency, Plan, Profile, Zone  # noqa: E402

RESULT_PREFIX = "BENCH-RESULT "
PLAN = "demo-scale"
WRITERS = 16
# A host the app allows without the test runner's "testserver" (which would need
# setup_test_environment, whose template instrumentation would distort the timings).
HOST = "127.0.0.1"


def emit(result):
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


def percentile(values, fraction):
    """The nearest-rank percentile: an observed value, so p99 of 30 samples is the worst one."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(seconds):
    return {
        "n": len(seconds),
        "p50": percentile(seconds, 0.50),
        "p95": percentile(seconds, 0.95),
        "p99": percentile(seconds, 0.99),
        "max": max(seconds) if seconds else None,
        "mean": statistics.fmean(seconds) if seconds else None,
    }


# --------------------------------------------------------------------------- data and users


def counts():
    plan = Plan.objects.filter(code=PLAN).first()
    if plan is None:
        return {"plan": False}
    return {
        "plan": True,
        "zones": Zone.objects.filter(plan=plan).count(),
        "tasks": Task.objects.filter(zone__plan=plan).count(),
        "periods": ReportingPeriod.objects.filter(plan=plan).count(),
        "reports": ProgressReport.objects.filter(period__plan=plan).count(),
        "evidence": Evidence.objects.filter(report__period__plan=plan).count(),
    }


def ensure_users():
    """bench-manager (Managers), bench-admin (superuser), and an officer for each of the first
    WRITERS zones. No passwords: the benchmark logs in with force_login or a stored session."""
    ensure_groups()
    User = get_user_model()

    def user(username, role, **fields):
        account, _created = User.objects.get_or_create(username=username, defaults=fields)
        if account.has_usable_password():
            account.set_unusable_password()
            account.save(update_fields=["password"])
        account.groups.add(Group.objects.get(name=role.group_name))
        return account, Profile.objects.get_or_create(user=account)[0]

    user("bench-manager", Role.MANAGER)
    user("bench-admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    for zone in Zone.objects.filter(plan__code=PLAN).order_by("annex_number")[:WRITERS]:
        _account, profile = user(f"bench-officer-{zone.code}", Role.OFFICER)
        profile.zones.add(zone)
    # What the task page shows (and so which queries it runs) depends on its report's state, which
    # the generator draws at random; the same state in every database keeps the pages comparable.
    # Submitted is the fullest page for a manager: the review form is shown.
    period = selectors.current_periods()[Plan.objects.get(code=PLAN).pk]
    now = timezone.now()
    ProgressReport.objects.filter(period=period, task__zone__code="demo1", task__number=1).update(
        state=ReportState.SUBMITTED,
        status="on_track",
        percent_complete=50,
        # A submitted report has no assessment yet (the manager's, on accepting; a DB constraint).
        assessment="",
        verified_percent=None,
        assessment_reason="",
        submitted_at=now,
        submitted_on=timezone.localdate(now),
    )
    return {"users": User.objects.filter(username__startswith="bench-").count()}


def users():
    User = get_user_model()
    return {
        "manager": User.objects.get(username="bench-manager"),
        "admin": User.objects.get(username="bench-admin"),
        "officer": User.objects.get(username="bench-officer-demo1"),
    }


def client_for(user):
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client


def context():
    """The ids the page URLs need, looked up by name so both databases give the same URLs."""
    plan = Plan.objects.get(code=PLAN)
    period = selectors.current_periods()[plan.pk]
    zone = Zone.objects.get(plan=plan, code="demo1")
    return {
        "plan": plan,
        "period": period,
        "zone": zone,
        "agency": Agency.objects.get(name="测试支持单位1"),
        "evidence": Evidence.objects.filter(report__task__zone=zone, kind=EvidenceKind.FILE)
        .order_by("pk")
        .first(),
    }


# --------------------------------------------------------------------------- pages


def pages(ctx):
    """(key, label, role, url, group): every list, the dashboard, the reports and the exports."""
    period, zone, agency = ctx["period"], ctx["zone"], ctx["agency"]
    report = f"/reports/period/{period.pk}/"
    found = [
        ("dashboard", "Dashboard", "manager", f"/?plan={PLAN}", "dashboard"),
        ("task_list", "Task list", "manager", "/tasks/", "list"),
        ("task_list_zone", "Task list, one zone", "manager", f"/tasks/?zone={zone.code}", "list"),
        ("task_list_search", "Task list, search", "manager", "/tasks/?q=测试任务1", "list"),
        ("task_list_last", "Task list, last page", "manager", "/tasks/?page=999999", "list"),
        ("task_list_officer", "Task list (officer)", "officer", "/tasks/", "list"),
        ("task_page", "Task page", "manager", f"/zones/{zone.code}/tasks/1/", "page"),
        ("zone_list", "Zone list", "manager", "/zones/", "list"),
        ("zone_page", "Zone page", "manager", f"/zones/{zone.code}/", "list"),
        ("agency_list", "Agency list", "manager", "/agencies/", "list"),
        ("agency_page", "Agency page", "manager", f"/agencies/{agency.pk}/", "list"),
        ("my_manager", "My work (manager)", "manager", "/my/", "list"),
        ("my_officer", "My work (officer)", "officer", "/my/", "list"),
        ("period_list", "Periods", "manager", "/periods/", "list"),
        ("report_choose", "Period report form", "manager", "/reports/", "report"),
        ("report_html", "Period report HTML, all zones", "manager", report, "report"),
        (
            "report_html_zone",
            "Period report HTML, one zone",
            "manager",
            f"{report}?zone={zone.code}",
            "report",
        ),
        ("report_xlsx", "Period report xlsx, all zones", "manager", report + "xlsx", "export"),
        ("report_csv", "Period report CSV, all zones", "manager", report + "csv", "export"),
        (
            "report_docx_zone",
            "Period report docx, one zone",
            "manager",
            f"{report}docx?zone={zone.code}",
            "export",
        ),
        ("bulk_xlsx", "Bulk template xlsx (officer)", "officer", report + "template.xlsx", "export"),
        ("bulk_csv", "Bulk template CSV (officer)", "officer", report + "template.csv", "export"),
        ("admin_tasks", "Admin: task changelist", "admin", "/admin/measures/task/", "admin"),
        ("admin_reports", "Admin: report changelist", "admin", "/admin/measures/progressreport/", "admin"),
    ]
    if ctx["evidence"] is not None:
        found.append(
            (
                "evidence_download",
                "Evidence download",
                "manager",
                f"/evidence/{ctx['evidence'].pk}/download/",
                "page",
            )
        )
    return found


class PageTimeout(Exception):
    pass


def get(client, url, timeout=None):
    """GET `url`, failing unless it answers 200; with `timeout`, the running query is interrupted
    after that many seconds (a page that never finishes must not stop the whole run)."""
    timer = None
    if timeout:
        wrapper = connections["default"]

        def interrupt():
            raw = wrapper.connection
            if raw is not None:
                raw.interrupt() if wrapper.vendor == "sqlite" else raw.cancel()

        timer = threading.Timer(timeout, interrupt)
        timer.start()
    try:
        response = client.get(url)
    except OperationalError as error:
        if timer is not None and not timer.is_alive():
            raise PageTimeout(f"GET {url} still running after {timeout} s") from error
        raise
    finally:
        if timer is not None:
            timer.cancel()
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    # Streaming responses (file downloads) are consumed so their cost is counted.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return len(body)


def page_queries(captured):
    """The page's own queries: all but the session's renewal (a write at most once a minute, by
    the session middleware, whichever page happens to come then), which would make counts of the
    same page differ from run to run."""
    session = [q for q in captured if "django_session" in q["sql"]]
    return len(captured) - max(0, len(session) - 1)


def step_pages(args):
    """Queries, size and time of one request to each page (after a warm-up request)."""
    ctx = context()
    clients = {role: client_for(user) for role, user in users().items()}
    results = {}
    for key, label, role, url, group in pages(ctx):
        if args.only and key not in args.only:
            continue
        client = clients[role]
        entry = {"label": label, "url": url, "role": role, "group": group}
        try:
            # Warm-up: per-process caches (content types, translations, templates).
            get(client, url, timeout=args.page_timeout)
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                size = get(client, url, timeout=args.page_timeout)
                seconds = time.perf_counter() - start
        except PageTimeout:
            results[key] = {**entry, "timeout": args.page_timeout}
            print(f"  {label:<36} did not finish within {args.page_timeout} s", flush=True)
            continue
        count = page_queries(queries.captured_queries)
        results[key] = {**entry, "queries": count, "bytes": size, "seconds": seconds}
        print(f"  {label:<36} {count:>3} queries {seconds * 1000:>9.1f} ms  {size:>10} B", flush=True)
    return {"pages": results}


TIMED_PAGES = ["task_list", "zone_page", "dashboard", "report_html"]


def step_timings(args):
    """Server time of the main pages over `--requests` requests each (plus one warm-up)."""
    ctx = context()
    manager = client_for(users()["manager"])
    by_key = {key: url for key, _label, _role, url, _group in pages(ctx)}
    results = {}
    for key in args.only or TIMED_PAGES:
        get(manager, by_key[key])
        seconds = []
        for _ in range(args.requests):
            start = time.perf_counter()
            get(manager, by_key[key])
            seconds.append(time.perf_counter() - start)
        results[key] = summary(seconds)
        print(
            f"  {key:<20} p50 {results[key]['p50'] * 1000:8.1f} ms  p95 {results[key]['p95'] * 1000:8.1f} ms"
        )
    return {"timings": results}


def step_admin(args):
    """Our task list against the Django admin changelist of Task: same rows (25 a page, the
    model's ordering), same filter, same superuser. Ours twice: drawn (its kept content dropped
    before each request, as the first request after a write finds it; the target's figure) and
    kept (served from the content kept by the request before, as a repeated request is)."""
    from django.core.cache import cache

    ctx = context()
    zone = ctx["zone"]
    pairs = [
        ("all", "/tasks/", "/bench-admin/measures/task/"),
        ("zone", f"/tasks/?zone={zone.code}", f"/bench-admin/measures/task/?zone__id__exact={zone.pk}"),
    ]
    results = {}
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = client_for(users()["admin"])
        for name, ours, admin in pairs:
            urls = {"ours": ours, "kept": ours, "admin": admin}
            seconds = {side: [] for side in urls}
            for url in urls.values():
                get(client, url)
            # Alternating, so a burst of load from elsewhere on the machine hits both sides alike.
            for _ in range(args.requests):
                for side, url in urls.items():
                    if side == "ours":
                        cache.clear()
                    start = time.perf_counter()
                    get(client, url)
                    seconds[side].append(time.perf_counter() - start)
            timing = {}
            for side, url in urls.items():
                if side == "ours":
                    cache.clear()
                with CaptureQueriesContext(connection) as queries:
                    get(client, url)
                timing[side] = {
                    **summary(seconds[side]),
                    "queries": page_queries(queries.captured_queries),
                    "url": url,
                }
            timing["ratio"] = timing["ours"]["p50"] / timing["admin"]["p50"]
            timing["kept_ratio"] = timing["kept"]["p50"] / timing["admin"]["p50"]
            results[name] = timing
            print(
                f"  {name:<5} ours drawn {timing['ours']['p50'] * 1000:7.1f} ms, kept "
                f"{timing['kept']['p50'] * 1000:7.1f} ms, admin {timing['admin']['p50'] * 1000:7.1f} ms: "
                f"{timing['ratio']:.2f}× drawn, {timing['kept_ratio']:.2f}× kept"
            )
    return {"admin": results}


def _median_times(functions, repeat):
    """Median seconds of each function, called in turn `repeat` times after one warm-up call each,
    alternating so that load from elsewhere on the machine falls on all of them alike."""
    for function in functions:
        function()
    seconds = [[] for _ in functions]
    for _ in range(repeat):
        for function, times in zip(functions, seconds, strict=True):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
    return [statistics.median(times) for times in seconds]


def step_raw(args):
    """The dashboard's aggregation and the period report's rows against the same reads in raw SQL."""
    ctx = context()
    plan, period = ctx["plan"], ctx["period"]
    manager = users()["manager"]
    today = timezone.localdate()
    periods = list(ReportingPeriod.objects.filter(plan=plan).order_by("-start"))
    repeat = max(3, args.requests // 3)
    cases = {
        "dashboard": (
            lambda: dashboard_reads.dashboard(
                tasks=Task.objects.visible_to(manager), plan=plan, period=period, periods=periods, today=today
            ),
            lambda: rawsql.dashboard(plan, period, today),
        ),
        "period_rows": (
            lambda: export_rows.period_rows(manager, period, today=today),
            lambda: rawsql.period_rows(plan, period, today),
        ),
    }
    results = {}
    for name, (ours, raw) in cases.items():
        ours_s, raw_s = _median_times([ours, raw], repeat)
        results[name] = {"ours": ours_s, "raw": raw_s, "ratio": ours_s / raw_s, "repeat": repeat}
        print(
            f"  {name:<12} ORM {ours_s * 1000:8.1f} ms, raw SQL {raw_s * 1000:8.1f} ms: {ours_s / raw_s:.2f}×"
        )
    return {"raw": results}


def _maxrss_bytes():
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def step_xlsx(args):
    """The xlsx of every task of the period: request time, and the growth of the process's peak
    resident memory over the export. Run in a fresh process so the peak belongs to the export."""
    ctx = context()
    manager = users()["manager"]
    client = client_for(manager)
    url = f"/reports/period/{ctx['period'].pk}/xlsx"
    get(client, "/tasks/")  # settle imports, translations and the session before the baseline
    before = _maxrss_bytes()
    seconds = []
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        size = get(client, url)
        seconds.append(time.perf_counter() - start)
    peak = _maxrss_bytes()
    # The two halves separately, to see where the time goes.
    today = timezone.localdate()
    start = time.perf_counter()
    report = export_rows.period_rows(manager, ctx["period"], today=today)
    rows_s = time.perf_counter() - start
    start = time.perf_counter()
    xlsx.render(report)
    render_s = time.perf_counter() - start
    result = {
        "tasks": len(report.rows),
        "bytes": size,
        "seconds": statistics.median(seconds),
        "all_seconds": seconds,
        "rows_seconds": rows_s,
        "render_seconds": render_s,
        "rss_before": before,
        "rss_peak": peak,
        "rss_growth": peak - before,
    }
    print(
        f"  xlsx {result['tasks']} tasks: {result['seconds']:.2f} s (rows {rows_s:.2f} s, workbook "
        f"{render_s:.2f} s), peak RSS +{result['rss_growth'] / 2**20:.0f} MiB"
    )
    return {"xlsx": result}


def step_growth(args):
    """Median time and size of every page and export over `--repeat` requests (after a warm-up),
    for the runner to compare across databases of 10, 1,000 and 20,000 tasks. A page that fails
    (an error, a status other than 200, a timeout) is recorded as failed, with why, not left out."""
    ctx = context()
    ctx["task"] = Task.objects.get(zone=ctx["zone"], number=1)
    clients = {role: client_for(user) for role, user in users().items()}
    clients["liaison"] = client_for(bench_pages.liaison(ctx["agency"]))
    results = {}
    for key, label, role, url, group in pages(ctx) + bench_pages.extra_pages(ctx):
        if args.only and key not in args.only:
            continue
        entry = {"label": label, "url": url, "role": role, "group": group}
        try:
            client = clients[role]
            get(client, url, timeout=args.page_timeout)
            seconds = []
            for _ in range(max(1, args.repeat)):
                start = time.perf_counter()
                size = get(client, url, timeout=args.page_timeout)
                seconds.append(time.perf_counter() - start)
        except PageTimeout:
            results[key] = {**entry, "failed": f"did not finish within {args.page_timeout:g} s"}
        except Exception as error:  # noqa: BLE001 - a failing page is a result, the run goes on
            results[key] = {**entry, "failed": f"{type(error).__name__}: {str(error)[:200]}"}
            if args.verbose:
                traceback.print_exc()
        else:
            results[key] = {**entry, "seconds": statistics.median(seconds), "bytes": size}
            print(f"  {label:<40} {results[key]['seconds'] * 1000:>9.1f} ms  {size:>10} B", flush=True)
            continue
        print(f"  {label:<40} FAILED: {results[key]['failed']}", flush=True)
    return {"growth": {"tasks": Task.objects.filter(zone__plan__code=PLAN).count(), "pages": results}}


def step_supplement(args):
    """The rows the generator leaves out (bench.supplement), added once."""
    result = supplement.add(plan_code=PLAN)
    print(f"  supplementary rows: {result}", flush=True)
    return {"supplement": result}


def step_dashboard(args):
    """The dashboard of the plan's current period (manager): median of `--repeat` requests after
    a warm-up, and its queries, with the periods as generated (every one open) and with those
    whose deadline has passed locked (as an office locks a period once reviewed; lock_period
    keeps its figures for the chart across periods). The locks are rolled back at the end, so
    the data stays as generated for the other steps."""
    manager = users()["manager"]
    client = client_for(manager)
    url = f"/?plan={PLAN}"

    def timed():
        get(client, url, timeout=args.page_timeout)
        seconds = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            size = get(client, url, timeout=args.page_timeout)
            seconds.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as queries:
            get(client, url, timeout=args.page_timeout)
        found = {
            "seconds": statistics.median(seconds),
            "queries": page_queries(queries.captured_queries),
            "bytes": size,
        }
        print(
            f"  dashboard {found['seconds'] * 1000:9.1f} ms  {found['queries']} queries  {size} B", flush=True
        )
        return found

    result = {"tasks": Task.objects.filter(zone__plan__code=PLAN).count(), "open": timed()}
    with transaction.atomic():
        past = ReportingPeriod.objects.filter(
            plan__code=PLAN, deadline__lt=timezone.localdate(), locked_at__isnull=True
        ).select_related("plan")
        start = time.perf_counter()
        locked = 0
        for period in past:
            services.lock_period(period=period, user=manager, confirm_waiting=True)
            locked += 1
        result["locked_periods"] = locked
        result["lock_seconds"] = time.perf_counter() - start
        print(f"  {locked} past periods locked in {result['lock_seconds']:.1f} s", flush=True)
        result["locked"] = timed()
        transaction.set_rollback(True)
    return {"dashboard": result}


def _officer_of(zones, username):
    """An officer bound to `zones`: the same exports of a part of the plan, from the same data."""
    ensure_groups()
    account, _created = get_user_model().objects.get_or_create(username=username)
    account.groups.add(Group.objects.get(name=Role.OFFICER.group_name))
    profile, _created = Profile.objects.get_or_create(user=account)
    profile.zones.set(zones)
    return account


def step_exports_growth(args):
    """Each export of the whole plan against the same export of a fifth of it, in the same process
    and data, alternating (median of --repeat): the Word report must stay within 5× at 5× the
    tasks. The part is an officer's view of the first fifth of the zones. The outcome list is
    timed on generated rows (the bench data has no outcomes) of the same two sizes."""
    ctx = context()
    zones = list(Zone.objects.filter(plan=ctx["plan"]).order_by("annex_number"))
    part = _officer_of(zones[: max(1, len(zones) // 5)], "bench-growth-officer")
    report = f"/reports/period/{ctx['period'].pk}/"
    whole_client, part_client = client_for(users()["manager"]), client_for(part)
    results = {}
    for key in ("docx", "xlsx", "csv"):
        url = report + key
        cases = [lambda u=url: get(part_client, u), lambda u=url: get(whole_client, u)]
        part_s, whole_s = _median_times(cases, max(1, args.repeat))
        results[f"report_{key}"] = {"part": part_s, "whole": whole_s}
    tasks = Task.objects.filter(zone__plan=ctx["plan"]).count()
    part_tasks = Task.objects.filter(zone__in=zones[: max(1, len(zones) // 5)]).count()
    rows = [
        {
            "number": n,
            "zone": "测试1经开区",
            "title": f"成果{n}",
            "type": "制度创新",
            "tasks": "1. 测试任务1、2. 测试任务2",
            "state": "已报送",
            "score": 85.0,
            "submitted": "2026-12-01",
            "description": "形成可复制推广的制度创新经验。" * 5,
        }
        for n in range(1, tasks + 1)
    ]
    for name, function in (
        ("outcomes_xlsx", outcome_list.as_xlsx),
        ("outcomes_docx", outcome_list.as_docx),
    ):
        cases = [
            lambda f=function: f(ctx["period"], rows[:part_tasks]),
            lambda f=function: f(ctx["period"], rows),
        ]
        part_s, whole_s = _median_times(cases, max(1, args.repeat))
        results[name] = {"part": part_s, "whole": whole_s}
    for name, r in results.items():
        r["ratio"] = r["whole"] / r["part"]
        print(
            f"  {name:<14} {part_tasks:>6} rows {r['part']:7.2f} s, {tasks:>6} rows {r['whole']:7.2f} s: {r['ratio']:.2f}×"
        )
    return {"exports_growth": {"part_tasks": part_tasks, "tasks": tasks, "exports": results}}


def step_xlsx_tracemalloc(args):
    """Peak Python allocation of one xlsx export (tracemalloc slows it, so it is timed apart)."""
    import tracemalloc

    ctx = context()
    client = client_for(users()["manager"])
    url = f"/reports/period/{ctx['period'].pk}/xlsx"
    get(client, "/tasks/")
    tracemalloc.start()
    get(client, url)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  xlsx tracemalloc peak {peak / 2**20:.0f} MiB")
    return {"xlsx_tracemalloc": {"peak": peak}}


def step_writes(args):
    """WRITERS threads for `--seconds`: each an officer cycling save → submit → (manager) return on
    reports of its own zone, through the services, as the views call them. Every exception counts
    as an error; latency is per service call."""
    ctx = context()
    period = ctx["period"]
    manager = users()["manager"]
    officers = list(
        get_user_model()
        .objects.filter(username__startswith="bench-officer-")
        .prefetch_related("profile__zones")
        .order_by("username")
    )[:WRITERS]
    plans = []
    for officer in officers:
        zone = officer.profile.zones.get()
        # Not task 1 of a zone: its page is measured, in a fixed state (ensure_users()).
        tasks = list(
            Task.objects.filter(zone=zone, closed_at__isnull=True, number__gt=1).order_by("number")[:5]
        )
        plans.append((officer, tasks))
    # Start from drafts, so every cycle can run; this is set-up, not part of the measurement. An
    # accepted report may carry the manager's assessment, which only an accepted one may keep.
    ProgressReport.objects.filter(period=period, task__in=[t for _o, ts in plans for t in ts]).exclude(
        state__in=[ReportState.DRAFT, ReportState.RETURNED]
    ).update(state=ReportState.DRAFT, assessment="", verified_percent=None)
    latencies, errors, lock = [], {}, threading.Lock()
    stop_at = time.perf_counter() + args.seconds
    barrier = threading.Barrier(len(plans))

    def record_error(error):
        name = f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"
        with lock:
            errors[name] = errors.get(name, 0) + 1

    def timed(function, **kwargs):
        start = time.perf_counter()
        try:
            return function(**kwargs)
        finally:
            with lock:
                latencies.append(time.perf_counter() - start)

    def writer(officer, tasks):
        n = 0
        barrier.wait()
        try:
            while time.perf_counter() < stop_at:
                task = tasks[n % len(tasks)]
                n += 1
                try:
                    report = ProgressReport.objects.filter(task=task, period=period).first()
                    if report is not None and report.state == ReportState.SUBMITTED:
                        report = timed(services.return_report, report=report, user=manager, note="请补充进展")
                    data = {
                        "status": "on_track",
                        "percent_complete": 10 + n % 80,
                        "progress": f"并发写入测试第{n}次：完成阶段性工作。",
                    }
                    report = timed(
                        services.save_report,
                        task=task,
                        period=period,
                        user=officer,
                        data=data,
                        expected_version=report.version if report else None,
                    )
                    timed(
                        services.submit_report, report=report, user=officer, expected_version=report.version
                    )
                except Exception as error:  # noqa: BLE001 - every failure is what is being counted
                    record_error(error)
                    if args.verbose:
                        traceback.print_exc()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=plan) for plan in plans]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    result = {
        "threads": len(threads),
        "seconds": elapsed,
        "operations": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "per_second": len(latencies) / elapsed,
        **{k: v for k, v in summary(latencies).items() if k != "n"},
    }
    print(
        f"  {result['operations']} writes in {elapsed:.1f} s ({result['per_second']:.0f}/s), "
        f"{result['errors']} errors, p50 {result['p50'] * 1000:.1f} ms, p99 {result['p99'] * 1000:.1f} ms"
    )
    return {"writes": result}


def step_session(args):
    """A logged-in session for wrk, and the task list's size for the static file of the same size."""
    client = client_for(users()["manager"])
    size = get(client, "/tasks/")
    urls = {key: url for key, _label, _role, url, _group in pages(context()) if key in TIMED_PAGES}
    return {
        "session": {
            "urls": urls,
            "cookie_name": settings.SESSION_COOKIE_NAME,
            "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "task_list_bytes": size,
            "static_root": str(settings.STATIC_ROOT),
            "static_url": settings.STATIC_URL,
        }
    }


def step_analyze(args):
    """Planner statistics after the bulk load, as autovacuum would gather on a live PostgreSQL
    (VACUUM also fills the visibility map that index-only scans need). SQLite is left as the app
    leaves it: nothing runs ANALYZE there in production either."""
    if connection.vendor != "postgresql":
        return {"analyze": "skipped"}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return {"analyze": "done"}


class _Refused(Exception):
    pass


def step_notices(args):
    """Every task of the plan overdue at once: the escalation ladder issues its steps, and the
    notices reach a robot per zone and the managers' robot as one digest per channel and window,
    not one message each. A loopback webhook counts what arrives; everything is rolled back."""
    import datetime as dt
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from django.db import transaction

    from measures.followup.services.escalation import escalate
    from notifications import delivery
    from notifications.choices import Audience, ChannelKind
    from notifications.models import Channel, Delivery, EscalationRule, Notification

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.path, len(self.rfile.read(int(self.headers.get("Content-Length", 0))))))
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    plan = Plan.objects.get(code=PLAN)
    zones = list(Zone.objects.filter(plan=plan).order_by("annex_number"))
    today = timezone.localdate()
    result = {}
    try:
        with transaction.atomic():
            officer_group = Group.objects.get(name=Role.OFFICER.group_name)
            for zone in zones:
                account, _created = get_user_model().objects.get_or_create(
                    username=f"bench-notice-{zone.code}"
                )
                account.groups.add(officer_group)
                Profile.objects.get_or_create(user=account)[0].zones.add(zone)
            kinds = [ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.WEBHOOK]
            Channel.objects.bulk_create(
                [
                    Channel(
                        name=zone.code,
                        kind=kinds[n % 3],
                        url=f"{base}/{zone.code}",
                        secret="SECbench" if kinds[n % 3] == ChannelKind.DINGTALK else "",
                        audience=Audience.ZONE,
                        zone=zone,
                    )
                    for n, zone in enumerate(zones)
                ]
                + [
                    Channel(
                        name="managers",
                        kind=ChannelKind.WECOM,
                        url=f"{base}/managers",
                        audience=Audience.MANAGERS,
                    )
                ]
            )
            # A quarter long past whose reports nobody submitted: every task of the plan is overdue.
            start = dt.date(1990, 1, 1)
            ReportingPeriod.objects.create(
                plan=plan,
                name="bench-overdue",
                start=start,
                end=start + dt.timedelta(days=89),
                deadline=today - dt.timedelta(days=5),
            )
            EscalationRule.objects.update_or_create(
                plan=plan, defaults={"blue_days": 1, "yellow_days": 2, "red_days": 3, "active": True}
            )
            now = timezone.now()
            # Notices the data already holds unrouted (the supplementary rows' requests and
            # milestones, written hours earlier) fall in earlier windows and would be sent as
            # digests of their own: set aside here (rolled back) so the step counts only its own.
            Notification.objects.filter(routed_at__isnull=True).update(routed_at=now)
            before = Notification.objects.count()
            began = time.perf_counter()
            steps = escalate(now=now)
            escalated = time.perf_counter()
            notices = Notification.objects.count() - before
            routed = delivery.route_pending(now=now + dt.timedelta(minutes=6))
            routed_at = time.perf_counter()
            sent, failed = delivery.send_due(now=now + dt.timedelta(minutes=6))
            finished = time.perf_counter()
            channels_told = (
                Delivery.objects.filter(channel__isnull=False).values("channel").distinct().count()
            )
            result = {
                "tasks": Task.objects.filter(zone__plan=plan).count(),
                "steps": steps,
                "notices": notices,
                "routed": routed,
                "messages": len(received),
                "channels": channels_told,
                "sent": sent,
                "failed": failed,
                "largest_message_bytes": max((size for _path, size in received), default=0),
                "escalate_seconds": escalated - began,
                "route_seconds": routed_at - escalated,
                "send_seconds": finished - routed_at,
            }
            raise _Refused
    except _Refused:
        pass
    finally:
        server.shutdown()
    return {"notices": result}


def step_versions(args):
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()" if connection.vendor == "sqlite" else "show server_version")
        version = cursor.fetchone()[0]
    return {"versions": {"vendor": connection.vendor, "database": version, "django": django.get_version()}}


STEPS = {
    "counts": lambda args: {"counts": counts()},
    "users": lambda args: ensure_users(),
    "pages": step_pages,
    "timings": step_timings,
    "admin": step_admin,
    "raw": step_raw,
    "xlsx": step_xlsx,
    "xlsx-tracemalloc": step_xlsx_tracemalloc,
    "growth": step_growth,
    "supplement": step_supplement,
    "dashboard": step_dashboard,
    "exports-growth": step_exports_growth,
    "writes": step_writes,
    "session": step_session,
    "versions": step_versions,
    "notices": step_notices,
    "analyze": step_analyze,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--only", nargs="*", help="page keys to limit pages/timings to")
    parser.add_argument("--page-timeout", type=float, default=60, help="give up on a page after this")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    emit(STEPS[args.step](args))


if __name__ == "__main__":
    sys.exit(main())
