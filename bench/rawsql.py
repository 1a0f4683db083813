"""The dashboard's and the period report's reads written as plain SQL, run with connection.cursor().

They are the floor the ORM code is compared against: the same rows and groups, fetched with no
model instances and no per-row Python. Portable between SQLite and PostgreSQL (no boolean
columns in the results, CASE instead), with the same table names Django gives the models.
"""

from django.db import connection

SUBMITTED = ("submitted", "accepted")

# Per task of the plan: its report in the period, whether a milestone is overdue, and whether it
# was submitted by the deadline; grouped on exactly the inputs the lights and tallies read.
TASK_FACTS = """
SELECT {group}, r.status, r.state,
       CASE WHEN EXISTS (
           SELECT 1 FROM measures_milestone m
           WHERE m.task_id = t.id AND m.done_on IS NULL AND m.due < %(today)s
             AND t.closed_at IS NULL AND t.withdrawn_at IS NULL
       ) THEN 1 ELSE 0 END AS overdue,
       t.closed_at,
       CASE WHEN r.submitted_on IS NULL THEN NULL
            WHEN r.submitted_on <= %(deadline)s THEN 1 ELSE 0 END AS on_time,
       COUNT(*) AS tasks,
       SUM(r.percent_complete) AS percent_sum
FROM measures_task t
JOIN zones_zone z ON z.id = t.zone_id
{join}
LEFT JOIN measures_progressreport r ON r.task_id = t.id AND r.period_id = %(period)s
WHERE z.plan_id = %(plan)s
GROUP BY {group}, r.status, r.state, overdue, t.closed_at, on_time
"""

HISTORY = """
SELECT r.period_id, t.zone_id,
       SUM(r.percent_complete), COUNT(*),
       SUM(CASE WHEN r.state IN ('submitted', 'accepted') AND r.submitted_on <= p.deadline
                THEN 1 ELSE 0 END),
       AVG(r.percent_complete)
FROM measures_progressreport r
JOIN measures_task t ON t.id = r.task_id
JOIN zones_zone z ON z.id = t.zone_id
JOIN measures_reportingperiod p ON p.id = r.period_id
WHERE z.plan_id = %(plan)s AND p.start <= %(today)s
GROUP BY r.period_id, t.zone_id
"""

PERIOD_ROWS = """
SELECT t.id, t.number, t.title, t.agencies_text, t.closed_at,
       z.id, z.code, z.name, z.annex_number,
       r.id, r.status, r.state, r.percent_complete, r.progress, r.problems, r.next_steps,
       r.support_needed, r.support_agency_id, a.name, r.submitted_on,
       (SELECT COUNT(*) FROM measures_evidence e
        WHERE e.report_id = r.id AND e.withdrawn_at IS NULL) AS evidence_count,
       (SELECT COUNT(*) FROM measures_milestone m
        WHERE m.task_id = t.id AND m.done_on IS NULL AND m.due < %(today)s) AS overdue
FROM measures_task t
JOIN zones_zone z ON z.id = t.zone_id
LEFT JOIN measures_progressreport r ON r.task_id = t.id AND r.period_id = %(period)s
LEFT JOIN zones_agency a ON a.id = r.support_agency_id
WHERE z.plan_id = %(plan)s
ORDER BY z.annex_number, t.number
"""

REQUESTS = """
SELECT c.id, c.task_id, c.agency_id, c.question, c.state, ag.name, t.number, t.title, t.zone_id
FROM measures_coordinationrequest c
JOIN measures_task t ON t.id = c.task_id
JOIN zones_zone z ON z.id = t.zone_id
JOIN zones_agency ag ON ag.id = c.agency_id
WHERE c.period_id = %(period)s AND z.plan_id = %(plan)s
ORDER BY z.annex_number, t.number, c.asked_at, c.id
"""


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def dashboard(plan, period, today):
    """Everything dashboard() aggregates: task facts by zone and category, by agency, the
    history by period and zone, and the names of the zones, categories and agencies shown."""
    params = {"plan": plan.pk, "period": period.pk, "today": today, "deadline": period.deadline}
    by_category = _fetch(TASK_FACTS.format(group="t.zone_id, t.category_id", join=""), params)
    by_agency = _fetch(
        TASK_FACTS.format(group="ta.agency_id", join="JOIN measures_taskagency ta ON ta.task_id = t.id"),
        params,
    )
    history = _fetch(HISTORY, params)
    zones = _fetch("SELECT id, code, name, annex_number FROM zones_zone WHERE plan_id = %(plan)s", params)
    categories = _fetch(
        "SELECT c.id, c.number, c.title FROM measures_taskcategory c "
        "JOIN zones_zone z ON z.id = c.zone_id WHERE z.plan_id = %(plan)s",
        params,
    )
    agencies = _fetch("SELECT id, name FROM zones_agency", params)
    return by_category, by_agency, history, zones, categories, agencies


def period_rows(plan, period, today):
    params = {"plan": plan.pk, "period": period.pk, "today": today}
    return _fetch(PERIOD_ROWS, params), _fetch(REQUESTS, params)
