"""Gunicorn settings for FTZ Tracker: `gunicorn -c deploy/gunicorn.conf.py`.

Everything comes from the environment, so several instances share this one file and differ
only in GUNICORN_BIND (see docs/deploy.md and deploy/ftztracker@.service).
"""

import multiprocessing
import os
from pathlib import Path

# The project root, so the command works from any directory (systemd, cron, a shell).
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "ftztracker.wsgi:application"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Sync workers: each handles one request at a time, so an upload or an export never slows another.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Whole-period Excel/Word exports are the slowest requests; nginx's proxy_read_timeout is longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
# Recycle workers now and then so a slow leak can never grow without bound. 0 turns it off: the
# benchmark does, since at a few thousand requests a second every worker would restart at once
# several times during one measurement and the figure would be the restarts.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = 100 if max_requests else 0
# The heartbeat file lives in memory: on a busy disk its fchmod could stall a worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Logs to stdout/stderr, where systemd's journal (or the container runtime) collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client's address as nginx saw it (last X-Forwarded-For entry), and the time taken in ms.
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Only the proxy may say a request came over HTTPS, and only with the one header nginx sets.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Gunicorn's control socket defaults to one path per user: a second instance on the same host
# would take it over from the first. Off unless each instance is given its own path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
