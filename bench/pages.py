"""Every page and export the growth step times, beyond worker.pages(): each list, report and download a
person meets whose cost could grow with the data, with the role that uses it (forms that list
nothing are left out). Rows for the lists the generator leaves empty come from bench.supplement.

Each entry is (key, label, role, url, group), as in worker.pages(); the roles are worker.users()'
plus the liaison of the context's agency (made here, like the growth officer of exports-growth).
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from bench.supplement import existing
from core.roles import Role, ensure_groups
from zones.models import Profile

PLAN = "demo-scale"
# A week back: the as-of views rebuild the period as it stood at the end of that day.
AS_OF_DAYS = 7


def liaison(agency):
    """bench-liaison, the liaison of `agency` (its coordination requests, assigned items, my page)."""
    ensure_groups()
    account, _created = get_user_model().objects.get_or_create(username="bench-liaison")
    if account.has_usable_password():
        account.set_unusable_password()
        account.save(update_fields=["password"])
    account.groups.add(Group.objects.get(name=Role.LIAISON.group_name))
    profile, _created = Profile.objects.get_or_create(user=account)
    if profile.agency_id != agency.pk:
        profile.agency = agency
        profile.save(update_fields=["agency"])
    return account


def extra_pages(ctx):
    period, zone, agency, plan = ctx["period"], ctx["zone"], ctx["agency"], ctx["plan"]
    report = f"/reports/period/{period.pk}/"
    day = (timezone.localdate() - datetime.timedelta(days=AS_OF_DAYS)).isoformat()
    found = [
        # The all-zones Word report (pages() has one zone's) and the administrator's bulk template
        # of every task, the largest each export gets.
        ("report_docx", "Period report docx, all zones", "manager", f"{report}docx", "export"),
        (
            "bulk_xlsx_admin",
            "Bulk template xlsx (administrator)",
            "admin",
            f"{report}template.xlsx",
            "export",
        ),
        ("bulk_csv_admin", "Bulk template CSV (administrator)", "admin", f"{report}template.csv", "export"),
        ("task_export_xlsx", "Task list xlsx, all tasks", "manager", "/tasks/export.xlsx", "export"),
        ("task_export_csv", "Task list CSV, all tasks", "manager", "/tasks/export.csv", "export"),
        (
            "report_html_accepted",
            "Period report HTML, accepted only",
            "manager",
            f"{report}?accepted=1",
            "report",
        ),
        # As of a past day (measures.changes.asof): rebuilt from the history, not the current rows.
        (
            "dashboard_asof",
            "Dashboard as of a week ago",
            "manager",
            f"/?plan={PLAN}&as_of={day}",
            "dashboard",
        ),
        (
            "report_html_asof",
            "Period report HTML as of, all zones",
            "manager",
            f"{report}?as_of={day}",
            "report",
        ),
        (
            "report_html_zone_asof",
            "Period report HTML as of, one zone",
            "manager",
            f"{report}?zone={zone.code}&as_of={day}",
            "report",
        ),
        (
            "report_xlsx_asof",
            "Period report xlsx as of, all zones",
            "manager",
            f"{report}xlsx?as_of={day}",
            "export",
        ),
        ("review_queue", "Review workbench", "manager", "/reviews/", "list"),
        ("signoff_list", "Sign-off queue (administrator)", "admin", "/signoff/", "list"),
        ("silence", "Silence by zone", "manager", "/silence/", "report"),
        ("requests", "Coordination requests", "manager", "/requests/", "list"),
        ("requests_overdue", "Overdue requests by agency", "manager", "/requests/overdue/", "list"),
        (
            "requests_overdue_rows",
            "Coordination requests, overdue",
            "manager",
            "/requests/?overdue=1",
            "list",
        ),
        ("my_liaison", "My work (liaison)", "liaison", "/my/", "list"),
        ("agency_page_liaison", "Agency page (liaison)", "liaison", f"/agencies/{agency.pk}/", "list"),
        ("matters", "Major matters", "manager", "/matters/", "list"),
        ("outcomes", "Outcomes", "manager", "/outcomes/", "list"),
        ("outcomes_officer", "Outcomes (officer)", "officer", "/outcomes/", "list"),
        ("outcome_list_xlsx", "Outcome list xlsx", "manager", f"/outcomes/list/{period.pk}.xlsx", "export"),
        ("outcome_list_docx", "Outcome list docx", "manager", f"/outcomes/list/{period.pk}.docx", "export"),
        ("adjustments", "Plan adjustments", "manager", "/adjustments/", "list"),
        ("stocktakes", "Stocktake meetings", "manager", "/stocktakes/", "list"),
        ("assigned", "Assigned items (manager)", "manager", "/assigned/", "list"),
        ("assigned_officer", "Assigned items (officer)", "officer", "/assigned/", "list"),
        ("indicators", "Indicators across zones", "manager", "/indicators/", "report"),
        ("indicators_review", "Indicator review queue", "manager", "/indicators/review/", "list"),
        ("scorecard", "Indicator scorecard, one zone", "manager", f"/zones/{zone.code}/indicators/", "page"),
        ("notifications", "Notifications", "manager", "/notifications/", "list"),
        ("people", "People (administrator)", "admin", "/people/", "list"),
        ("api_plans", "API: plans", "manager", "/api/v1/plans/", "api"),
        ("api_zones", "API: zones", "manager", "/api/v1/zones/", "api"),
        ("api_agencies", "API: agencies", "manager", "/api/v1/agencies/", "api"),
        ("api_tasks", "API: tasks", "manager", "/api/v1/tasks/", "api"),
        ("api_tasks_200", "API: tasks, 200 a page", "manager", "/api/v1/tasks/?page_size=200", "api"),
        ("api_reports", "API: reports", "manager", "/api/v1/reports/", "api"),
        ("api_outcomes", "API: outcomes", "manager", "/api/v1/outcomes/", "api"),
        ("api_indicator_values", "API: indicator values", "manager", "/api/v1/indicator-values/", "api"),
        (
            "admin_task_history",
            "Admin: a task's history",
            "admin",
            f"/admin/measures/task/{ctx['task'].pk}/history/",
            "admin",
        ),
    ]
    meeting = existing(plan)
    if meeting is not None:
        found += [
            ("stocktake_page", "Stocktake meeting page", "manager", f"/stocktakes/{meeting.pk}/", "page"),
            (
                "stocktake_pack",
                "Stocktake meeting pack docx",
                "manager",
                f"/stocktakes/{meeting.pk}/pack.docx",
                "export",
            ),
        ]
    return found
