"""The growth step's verdicts (bench/run.py) and their report (bench/report.py): a page growing
faster than its tasks is flagged, and a page that failed at some scale is shown as failed rather
than dropped or compared."""

import json

from bench import report, run
from bench.run import growth_steps


def scale(tasks, **pages):
    return {
        "tasks": tasks,
        "pages": {
            key: {"label": key.replace("_", " "), "role": "manager", **value} for key, value in pages.items()
        },
    }


MEASURED = [
    scale(10, linear={"seconds": 0.01}, quadratic={"seconds": 0.01}, broken={"seconds": 0.01}),
    scale(1000, linear={"seconds": 0.5}, quadratic={"seconds": 0.5}, broken={"failed": "RuntimeError: 500"}),
    scale(20000, linear={"seconds": 9.0}, quadratic={"seconds": 60.0}, broken={"seconds": 1.0}),
]


def test_faster_than_linear_is_flagged_and_failures_are_steps_of_their_own():
    steps = {(s["key"], s["from"]): s for s in growth_steps(MEASURED)}

    assert steps[("linear", 1000)]["superlinear"] is False
    assert steps[("quadratic", 1000)]["superlinear"] is True
    assert steps[("quadratic", 1000)]["time_ratio"] == 120
    # 10 → 1,000 is ×100 in tasks: ×50 in time is linear, not flagged.
    assert steps[("quadratic", 10)]["superlinear"] is False
    for start in (10, 1000):
        assert steps[("broken", start)]["failed"] is True
        assert steps[("broken", start)]["superlinear"] is False


def test_the_report_prints_every_page_with_its_role_and_failures():
    growth = {"scales": MEASURED, "steps": growth_steps(MEASURED), "flagged": 1, "failed": 1}
    text = "\n".join(report.growth_sections([("sqlite", "SQLite", {"growth": growth})]))

    assert "1 step(s) faster than linear, 1 failed request(s)" in text
    assert "**120.0 (rows 20) faster than linear**" in text
    broken = next(line for line in text.splitlines() if line.startswith("| broken"))
    assert broken.count("**failed**") == 3  # the 1,000-task cell and both steps touching it
    assert "| manager |" in broken
    assert "broken at 1,000 tasks: RuntimeError: 500" in text


def test_a_failing_step_keeps_the_figures_of_the_steps_before_it(tmp_path, monkeypatch):
    """A full run is long: the writes step once failed after 16 minutes of finished steps, and
    every figure was lost with it."""

    def fake_worker(target, step, *args, env=None):
        if step == "writes":
            raise run.BenchError("writes failed on purpose")
        return {step: {"measured": step}}

    monkeypatch.setattr(run, "worker", fake_worker)
    monkeypatch.setattr(run, "ensure_data", lambda target, regenerate: {"reused": True})
    monkeypatch.setattr(run.machine, "describe", lambda: {})

    code = run.main(
        ["--backend", "sqlite", "--steps", "admin", "writes", "--bench-dir", str(tmp_path), "--no-docs"]
    )

    assert code == 1
    (partial,) = tmp_path.glob("results-*-partial.json")
    kept = json.loads(partial.read_text())["backends"]["sqlite"]
    assert kept["admin"] == {"measured": "admin"}
    assert "writes" not in kept
