"""`python -m bench`: scale data on SQLite and PostgreSQL, every measurement, docs/benchmarks.md.

Data is generated once per database and reused while a marker file says it matches the asked
scale and the current quarter (the generated periods end with it); --regenerate forces it.
Nothing here imports Django: each step runs `python -m bench.worker` (or manage.py, gunicorn,
wrk) in a subprocess whose environment selects the database, as in production.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import machine, report

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULT_PREFIX = "BENCH-RESULT "
FULL = {"zones": 200, "tasks": 20000, "periods": 25, "evidence": 500000}
SMALL = {"zones": 2, "tasks": 10, "periods": 25, "evidence": 250}
QUICK = {"zones": 20, "tasks": 2000, "periods": 8, "evidence": 20000}
# A step is flagged as faster than linear when its time grows by more than this times its rows:
# single times vary by 10 to 30 % on a loaded machine, while a quadratic step grows by the row
# ratio again (×20 more from 1,000 to 20,000 tasks). A sort (n log n) shows up at about 1.3.
GROWTH_TOLERANCE = 1.25
# The middle of the growth step (10 / 1,000 / 20,000 tasks): the same generator, 100 tasks a zone.
MEDIUM = {"zones": 10, "tasks": 1000, "periods": 25, "evidence": 25000}
DEFAULT_PG_URL = "postgres://ftz:ftz@127.0.0.1:5432/ftz_bench"
# bench/supplement.py's VERSION (not imported: this module runs without Django).
SUPPLEMENT_VERSION = 1


class BenchError(Exception):
    pass


def log(message=""):
    print(message, flush=True)


def quarter(today=None):
    today = today or datetime.date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


class Target:
    """One database at one scale, and the environment that points the app at it."""

    def __init__(self, backend, scale, bench_dir, pg_url):
        self.backend, self.scale = backend, scale
        self.name = f"{backend}-{scale['tasks']}t"
        self.data_dir = bench_dir / self.name
        self.pg_url = f"{pg_url}_{scale['tasks']}t" if backend == "postgres" else None

    @property
    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH", "MEDIA_ROOT"}}
        env.update(
            DJANGO_SETTINGS_MODULE="ftztracker.settings",
            FTZ_DATA_DIR=str(self.data_dir),
            DEBUG="0",
            PYTHONPATH=str(BASE_DIR),
            PYTHONUNBUFFERED="1",
        )
        if self.pg_url:
            env["DATABASE_URL"] = self.pg_url
        return env

    @property
    def production_env(self):
        """The app as deployed (FTZ_PRODUCTION=1), except plain HTTP: TLS ends at the proxy, which
        is not part of what is measured. The key is the one the other steps use, so a session
        made by a worker is valid in gunicorn."""
        secret = self.data_dir / "secret_key"
        if not secret.exists():
            raise BenchError(f"{secret} is missing; run a worker step first")
        return {
            **self.env,
            "FTZ_PRODUCTION": "1",
            "SECRET_KEY": secret.read_text().strip(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "FTZ_SSL_REDIRECT": "0",
        }

    @property
    def marker(self):
        return self.data_dir / "bench-data.json"

    def params(self):
        return {**self.scale, "quarter": quarter(), "backend": self.backend}

    def reset(self):
        """An empty database: the SQLite file (and evidence files) removed, or the PostgreSQL
        database dropped and created again by the ftz role (which has CREATEDB)."""
        if self.data_dir.exists():
            for path in self.data_dir.iterdir():
                if path.name.startswith("ftztracker.sqlite3") or path.name in {"media", "bench-data.json"}:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.pg_url:
            import psycopg

            server, name = self.pg_url.rsplit("/", 1)
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')


def run(cmd, target, *, capture=False, timeout=None, env=None):
    """Run a command with the target's environment; the worker's JSON result when captured."""
    completed = subprocess.run(
        cmd,
        cwd=BASE_DIR,
        env=env or target.env,
        stdout=subprocess.PIPE if capture else None,
        text=True,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise BenchError(f"{' '.join(map(str, cmd))} failed on {target.name} (exit {completed.returncode})")
    if not capture:
        return None
    result = None
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
        else:
            print(line, flush=True)
    return result


LOAD = []


def worker(target, step, *args, env=None):
    # The machine's load around each step: other work on it shows up in the figures.
    before = os.getloadavg()[0]
    result = run([PYTHON, "-m", "bench.worker", step, *map(str, args)], target, capture=True, env=env)
    LOAD.append({"target": target.name, "step": step, "before": before, "after": os.getloadavg()[0]})
    return result


def manage(target, *args):
    run([PYTHON, "manage.py", *map(str, args)], target)


def ensure_data(target, regenerate):
    """Reuse the target's data when its marker matches; otherwise generate it. Returns the marker."""
    if not regenerate and target.marker.exists():
        marker = json.loads(target.marker.read_text())
        if marker.get("params") == target.params():
            # Migrations added since the data was generated (other apps' tables) are applied;
            # the generated rows stay.
            manage(target, "migrate", "--noinput", "-v0")
            counts = worker(target, "counts")["counts"]
            if counts == marker["counts"]:
                log(
                    f"{target.name}: reusing data generated {marker['generated_at']} ({marker['seconds']:.0f} s)"
                )
                worker(target, "users")
                supplement(target, marker)
                return {**marker, "reused": True}
            log(f"{target.name}: marker does not match the database ({counts}); generating again")
    log(f"{target.name}: generating {target.scale} …")
    target.reset()
    started = time.perf_counter()
    manage(target, "migrate", "--noinput", "-v0")
    migrated = time.perf_counter()
    scale = target.scale
    manage(
        target,
        "generate_demo_data",
        "--zones",
        scale["zones"],
        "--tasks",
        scale["tasks"],
        "--periods",
        scale["periods"],
        "--complete",
        "--evidence",
        scale["evidence"],
    )
    generated = time.perf_counter()
    worker(target, "analyze")
    worker(target, "users")
    counts = worker(target, "counts")["counts"]
    marker = {
        "params": target.params(),
        "counts": counts,
        "generated_at": datetime.datetime.now().isoformat(timespec="seconds"),
        "seconds": generated - started,
        "migrate_seconds": migrated - started,
        "generate_seconds": generated - migrated,
    }
    target.marker.write_text(json.dumps(marker, indent=2))
    log(f"{target.name}: generated in {marker['seconds']:.0f} s ({counts})")
    supplement(target, marker)
    return {**marker, "reused": False}


def supplement(target, marker):
    """The rows the generator leaves out (bench/supplement.py: requests, milestones, outcomes,
    matters, adjustments, a stocktake's items), added once to data generated before they were and
    recorded in the marker, so later runs reuse them; the generated rows stay as they are."""
    if marker.get("supplement", {}).get("version") == SUPPLEMENT_VERSION:
        return
    marker["supplement"] = worker(target, "supplement")["supplement"]
    target.marker.write_text(json.dumps(marker, indent=2))
    log(f"{target.name}: supplementary rows {marker['supplement']}")


# --------------------------------------------------------------------------- gunicorn and wrk


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.3)
    raise BenchError(f"gunicorn did not answer {url} within {timeout} s")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, cookie=None):
    """(status, body length) without following redirects, so a login redirect is seen as one."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0


WRK_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def wrk(url, cookie, seconds, connections, threads):
    # wrk's default 2 s timeout would drop the slowest responses from the latencies.
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    latency = {f"p{p}": float(v) * UNITS[u] for p, v, u in WRK_LATENCY.findall(output)}
    return {
        "rps": rps,
        "requests": requests,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        **latency,
    }


def gunicorn_wrk(target, args):
    """The task list against a static file of the same size, both from one production-like
    gunicorn (DEBUG off, several sync workers, whitenoise serving the static file)."""
    if not shutil.which("wrk"):
        raise BenchError("wrk is not installed (apt-get install -y wrk)")
    env = target.production_env
    session = worker(target, "session", env=env)["session"]
    static_dir = Path(session["static_root"]) / "bench"
    static_dir.mkdir(parents=True, exist_ok=True)
    static_file = static_dir / f"task-list-{os.getpid()}.html"
    # The same number of bytes as the rendered page, so the difference is the app's work.
    filler = "<!doctype html><title>bench</title>\n"
    static_file.write_text(
        (filler * (session["task_list_bytes"] // len(filler) + 1))[: session["task_list_bytes"]]
    )
    port = free_port()
    workers = args.gunicorn_workers or 2 * (os.cpu_count() or 1) + 1
    base = f"http://127.0.0.1:{port}"
    static_url = f"{base}/{session['static_url'].strip('/')}/bench/{static_file.name}"
    cookie = f"{session['cookie_name']}={session['cookie']}"
    config = BASE_DIR / "deploy" / "gunicorn.conf.py"
    # The deployment's own gunicorn settings where there are some; the access log is still
    # formatted but goes nowhere, so the terminal shows the benchmark rather than 100,000 lines.
    command = [PYTHON, "-m", "gunicorn", *(["-c", str(config)] if config.exists() else [])]
    command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    command += ["--access-logfile", "/dev/null", "ftztracker.wsgi:application"]
    # No worker recycling while measuring (production recycles every ~1,000 requests): at a few
    # thousand static requests a second all workers would restart together, again and again,
    # and the static rate would measure their start-ups. Both URLs are measured alike.
    server = subprocess.Popen(command, cwd=BASE_DIR, env={**env, "GUNICORN_MAX_REQUESTS": "0"})
    try:
        wait_for(static_url)
        results = {
            "workers": workers,
            "connections": args.wrk_connections,
            "seconds": args.wrk_seconds,
            "config": str(config.relative_to(BASE_DIR)) if config.exists() else None,
        }
        for name, url, with_cookie in (("task_list", f"{base}/tasks/", True), ("static", static_url, False)):
            status, size = fetch(url, cookie if with_cookie else None)
            if status != 200:
                raise BenchError(f"{url} answered {status} under gunicorn (expected 200; HTTPS redirect?)")
            # Each fresh worker spends a second or two on its first request (imports, templates,
            # the first query plans): warm them all before measuring, or the figure is start-up.
            wrk(url, cookie if with_cookie else None, max(5, 2 * workers), args.wrk_connections, 2)
            results[name] = {
                **wrk(url, cookie if with_cookie else None, args.wrk_seconds, args.wrk_connections, 2),
                "bytes": size,
                "url": url.replace(base, ""),
            }
            log(
                f"  wrk {name:<9} {results[name]['rps']:8.1f} req/s, p50 {results[name].get('p50', 0) * 1000:.1f} ms,"
                f" p99 {results[name].get('p99', 0) * 1000:.1f} ms, {size} B"
            )
        if not results["static"]["rps"]:
            raise BenchError(
                f"gunicorn answered no request for the static file in {args.wrk_seconds} s"
                f" ({results['static']['non_2xx']} non-2xx, {results['static']['socket_errors']} socket errors):"
                " the server stalled or the machine is too loaded, so there is no ratio to report"
            )
        results["ratio"] = results["task_list"]["rps"] / results["static"]["rps"]
        results["max_requests"] = 0
        results["timings"] = sequential_timings(base, cookie, session["urls"], args.requests, workers)
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        static_file.unlink(missing_ok=True)
        if static_dir.exists() and not any(static_dir.iterdir()):
            static_dir.rmdir()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), round(fraction * len(ordered) + 0.5))) - 1]


def sequential_timings(base, cookie, urls, requests, workers):
    """One client, one request at a time: the time a user waits for each page, as the production
    server gives it (its database connections kept open as the settings say: CONN_MAX_AGE)."""
    results = {}
    for key, url in urls.items():
        # Every worker renders the page once first, so template compilation is not timed.
        for _ in range(workers if key in ("task_list", "zone_page") else 2):
            fetch(base + url, cookie)
        seconds = []
        for _ in range(requests):
            start = time.perf_counter()
            status, _size = fetch(base + url, cookie)
            seconds.append(time.perf_counter() - start)
            if status != 200:
                raise BenchError(f"{url} answered {status} under gunicorn")
        results[key] = {"n": requests, "p50": percentile(seconds, 0.5), "p95": percentile(seconds, 0.95)}
        log(
            f"  gunicorn {key:<12} p50 {results[key]['p50'] * 1000:8.1f} ms  p95 {results[key]['p95'] * 1000:8.1f} ms"
        )
    return results


# --------------------------------------------------------------------------- the run


def growth(targets, args):
    """Every page and export at each scale, and each step's growth against its rows: a step whose
    time grows by more than its rows (time ratio > row ratio × GROWTH_TOLERANCE) grows faster
    than linear."""
    measured = []
    for target in targets:
        log(f"{target.name}: every page and export, median of {args.growth_repeat}")
        measured.append(worker(target, "growth", "--repeat", args.growth_repeat)["growth"])
    steps = growth_steps(measured)
    flagged = [s for s in steps if s["superlinear"]]
    for step in flagged:
        log(
            f"  faster than linear: {step['label']} {step['from']:,} → {step['to']:,} tasks: "
            f"time ×{step['time_ratio']:.1f} for rows ×{step['row_ratio']:.0f}"
        )
    failed = sorted(
        {
            (key, page["label"])
            for scale in measured
            for key, page in scale["pages"].items()
            if "failed" in page
        }
    )
    for scale in measured:
        for page in scale["pages"].values():
            if "failed" in page:
                log(f"  failed: {page['label']} at {scale['tasks']:,} tasks: {page['failed']}")
    return {"scales": measured, "steps": steps, "flagged": len(flagged), "failed": len(failed)}


def growth_steps(measured):
    """Each page's growth from one scale to the next against the growth of the tasks. A page missing
    at a scale (not in that run's list) has no step; a page that failed at either end has a step
    marked failed, which counts as neither linear nor flagged."""
    steps = []
    for before, after in zip(measured, measured[1:], strict=False):
        rows = after["tasks"] / before["tasks"]
        for key, page in after["pages"].items():
            if key not in before["pages"]:
                continue
            step = {
                "key": key,
                "label": page["label"],
                "from": before["tasks"],
                "to": after["tasks"],
                "row_ratio": rows,
            }
            if "failed" in page or "failed" in before["pages"][key]:
                steps.append({**step, "failed": True, "time_ratio": None, "superlinear": False})
                continue
            ratio = page["seconds"] / before["pages"][key]["seconds"]
            steps.append({**step, "time_ratio": ratio, "superlinear": ratio > rows * GROWTH_TOLERANCE})
    return steps


def dashboard_growth(targets, args):
    """The dashboard at each scale, all periods open and the past ones locked, with each step's
    growth against its rows flagged as in growth()."""
    measured = []
    for target in targets:
        log(f"{target.name}: the dashboard, median of {args.growth_repeat}")
        measured.append(worker(target, "dashboard", "--repeat", args.growth_repeat)["dashboard"])
    steps = []
    for before, after in zip(measured, measured[1:], strict=False):
        rows = after["tasks"] / before["tasks"]
        for case in ("open", "locked"):
            ratio = after[case]["seconds"] / before[case]["seconds"]
            steps.append(
                {
                    "case": case,
                    "from": before["tasks"],
                    "to": after["tasks"],
                    "row_ratio": rows,
                    "time_ratio": ratio,
                    "superlinear": ratio > rows * GROWTH_TOLERANCE,
                }
            )
    for step in steps:
        if step["superlinear"]:
            log(
                f"  faster than linear: dashboard ({step['case']}) {step['from']:,} → {step['to']:,} tasks: "
                f"time ×{step['time_ratio']:.1f} for rows ×{step['row_ratio']:.0f}"
            )
    return {"scales": measured, "steps": steps, "flagged": sum(s["superlinear"] for s in steps)}


def measure(target, small, args, medium=None, result=None):
    """Every measurement on one backend; `small` is the 10-task database of the same backend,
    `medium` the 1,000-task one (growth step only). Each step's figures go into `result` as soon
    as it ends, so a later step's failure leaves them to be saved."""
    result = {} if result is None else result
    result["versions"] = worker(target, "versions")["versions"]
    steps = set(args.steps)
    if "growth" in steps:
        result["growth"] = growth([small, medium, target], args)
        log(f"{target.name}: each export of the whole plan against a fifth of it")
        result["exports_growth"] = worker(target, "exports-growth", "--repeat", args.growth_repeat)[
            "exports_growth"
        ]
    if "dashboard" in steps:
        result["dashboard"] = dashboard_growth([small, medium, target], args)
    if "pages" in steps:
        log(f"{target.name}: queries, size and time of every page")
        result["pages"] = worker(target, "pages")["pages"]
        log(f"{small.name}: the same pages at {small.scale['tasks']} tasks")
        result["pages_small"] = worker(small, "pages")["pages"]
    if "timings" in steps:
        log(f"{target.name}: server time over {args.requests} requests")
        result["timings"] = worker(target, "timings", "--requests", args.requests)["timings"]
    if "admin" in steps:
        log(f"{target.name}: task list against the admin changelist")
        result["admin"] = worker(target, "admin", "--requests", args.requests)["admin"]
    if "raw" in steps:
        log(f"{target.name}: ORM reads against raw SQL")
        result["raw"] = worker(target, "raw", "--requests", args.requests)["raw"]
    if "xlsx" in steps:
        log(f"{target.name}: xlsx export of every task")
        result["xlsx"] = worker(target, "xlsx")["xlsx"]
        result["xlsx"].update(worker(target, "xlsx-tracemalloc")["xlsx_tracemalloc"])
    if "writes" in steps:
        log(f"{target.name}: {args.write_seconds:g} s of concurrent report writes")
        result["writes"] = worker(target, "writes", "--seconds", args.write_seconds)["writes"]
    if "notices" in steps:
        log(f"{target.name}: every task overdue at once, escalated and notified")
        result["notices"] = worker(target, "notices")["notices"]
    if "wrk" in steps:
        log(f"{target.name}: gunicorn + wrk")
        result["wrk"] = gunicorn_wrk(target, args)
    return result


ALL_STEPS = ["pages", "timings", "admin", "raw", "xlsx", "writes", "notices", "wrk", "growth", "dashboard"]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--steps", nargs="+", choices=ALL_STEPS, default=ALL_STEPS)
    parser.add_argument("--requests", type=int, default=30, help="requests per page for the server times")
    parser.add_argument("--write-seconds", type=float, default=10)
    parser.add_argument("--growth-repeat", type=int, default=3, help="requests per page in the growth step")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--gunicorn-workers", type=int, help="default: 2 × cores + 1")
    parser.add_argument("--regenerate", action="store_true", help="generate the data again even if marked")
    parser.add_argument(
        "--generate-only", action="store_true", help="make sure the data exists, measure nothing"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a smaller scale {QUICK}, fewer requests, no docs written"
    )
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=Path(os.environ.get("BENCH_DIR", BASE_DIR / "data" / "bench")),
        help="where the SQLite databases, evidence files and results go (env BENCH_DIR)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL URL prefix; _<tasks>t is appended per database (env BENCH_PG_URL)",
    )
    parser.add_argument("--docs", type=Path, default=BASE_DIR / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.write_seconds, args.wrk_seconds, args.no_docs = 5, 3, 3, True
    return args


def main(argv=None):
    args = parse_args(argv)
    scale = QUICK if args.quick else FULL
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    args.bench_dir.mkdir(parents=True, exist_ok=True)
    results = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "scale": scale,
        "small": SMALL,
        "args": {k: str(v) for k, v in vars(args).items()},
        "machine": machine.describe(),
        "backends": {},
    }
    started = time.perf_counter()
    try:
        for backend in backends:
            target = Target(backend, scale, args.bench_dir, args.pg_url)
            small = Target(backend, SMALL, args.bench_dir, args.pg_url)
            with_medium = {"growth", "dashboard"} & set(args.steps)
            medium = Target(backend, MEDIUM, args.bench_dir, args.pg_url) if with_medium else None
            generation = {
                "full": ensure_data(target, args.regenerate),
                "small": ensure_data(small, args.regenerate),
            }
            if medium is not None:
                generation["medium"] = ensure_data(medium, args.regenerate)
            if args.generate_only:
                continue
            results["backends"][backend] = {"generation": generation}
            measure(target, small, args, medium, result=results["backends"][backend])
    except BenchError as error:
        log(f"bench: {error}")
        # A long run's finished steps are kept: the next run can repeat only what is missing.
        if results["backends"]:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            partial = args.bench_dir / f"results-{stamp}-partial.json"
            partial.write_text(json.dumps(results, indent=2, default=str))
            log(f"Results of the steps that ended: {partial}")
        return 1
    results["seconds"] = time.perf_counter() - started
    results["load"] = LOAD
    if args.generate_only:
        return 0
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (args.bench_dir / f"results-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    (args.bench_dir / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    log()
    log(report.text(results))
    if not args.no_docs:
        report.write_markdown(results, args.docs)
        log(f"Wrote {args.docs.relative_to(BASE_DIR) if args.docs.is_relative_to(BASE_DIR) else args.docs}")
    log(f"Results: {args.bench_dir / f'results-{stamp}.json'} ({results['seconds']:.0f} s in all)")
    return 0
