"""The deployment's gunicorn settings keep recycling workers, and the benchmark can turn that off
(GUNICORN_MAX_REQUESTS=0) so its throughput figures are not the workers' restarts."""

import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def test_production_recycles_workers_and_zero_turns_it_off(monkeypatch):
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)
    deployed = runpy.run_path(str(CONF))
    assert (deployed["max_requests"], deployed["max_requests_jitter"]) == (1000, 100)

    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "0")
    measured = runpy.run_path(str(CONF))
    assert (measured["max_requests"], measured["max_requests_jitter"]) == (0, 0)
