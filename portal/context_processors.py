from django.contrib.auth import get_user_model
from django.db.models import IntegerField, Subquery
from django.utils.functional import SimpleLazyObject

from core.access import access_for, can_review_report
from core.compiled import run_compiled
from indicators.choices import ValueState
from indicators.models import IndicatorValue
from measures.choices import AdjustmentState, OutcomeState
from measures.models import InnovationOutcome, MajorMatter, PlanAdjustment
from measures.reporting.models import awaiting_review_count
from measures.review.selectors import deputy_waiting_count
from measures.signoff.selectors import signoff_queue, signs_off
from notifications.models import Escalation


class CountOf(Subquery):
    """COUNT(*) of a queryset as a scalar subquery, so several counts share one query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def pending_for_managers(user):
    """What waits for a manager's decision: reports waiting for review, unanswered major matters,
    proposed plan adjustments, submitted outcomes (to evaluate), submitted indicator values (to
    review) and red escalations still open. One query.

    Its SQL is the same for every manager but for the manager's id, and building it through the
    ORM (nineteen filters, seven subqueries) took several times as long as running it, on every
    page a manager opens: it is built once per process and database with a stand-in id
    (pending_query, core.compiled) and run with the manager's."""
    columns, (row,) = run_compiled(
        "pending_for_managers",
        lambda user_pk: pending_query(get_user_model()(pk=user_pk)),
        using=get_user_model().objects.db,
        stand_ins={"user_pk": STAND_IN},
        values={"user_pk": user.pk},
    )
    return dict(zip(columns, row, strict=True))


# No user has a negative id; the query's parameters hold it wherever the manager's id goes.
STAND_IN = -7017


def pending_query(user):
    """The query pending_for_managers runs, for `user`, as a queryset of one row of counts."""
    # Four eyes: what the manager wrote, raised, proposed, recorded or entered waits for someone else.
    counts = {
        "matters": MajorMatter.objects.unanswered().exclude(raised_by=user),
        "adjustments": PlanAdjustment.objects.filter(state=AdjustmentState.PROPOSED).exclude(
            proposed_by=user
        ),
        "outcomes": InnovationOutcome.objects.filter(state=OutcomeState.SUBMITTED)
        .exclude(created_by=user)
        .exclude(submitted_by=user),
        "indicator_values": IndicatorValue.objects.filter(state=ValueState.SUBMITTED).exclude(
            entered_by=user
        ),
        "red_escalations": Escalation.objects.open().red(),
    }
    annotations = {name: CountOf(queryset.order_by().values("pk")) for name, queryset in counts.items()}
    # ProgressReport.objects.awaiting_review().not_authored_by(user).count(), without counting them.
    annotations["reports"] = awaiting_review_count(user)
    return get_user_model().objects.filter(pk=user.pk).annotate(**annotations).values(*annotations)


# The top bar's section of a page, from its URL name (namespace:name). A page of one zone, whose URL
# takes the zone's code (a task, its report, the zone's indicators), belongs to Zones.
SECTION_OF_VIEW = {
    "home": "dashboard",
    "measures:my": "my",
    "measures:task-list": "tasks",
    "zones:list": "zones",
    "zones:agency-list": "agencies",
    "zones:agency-detail": "agencies",
    "zones:agency-request-answer": "agencies",
    "measures:period-list": "periods",
    "measures:silence": "silence",
    "notifications:list": "notices",
    "indicators:review": "indicators",
    "indicators:review-value": "indicators",
    "indicators:evidence": "indicators",
    "indicators:across": "indicators",
    "measures:request-list": "requests",
    "measures:requests-overdue": "requests",
    "people:list": "people",
    "people:onboard": "people",
    "measures:signoff-list": "signoff",
    "measures:deputies": "my",
    "measures:deputy-withdraw": "my",
}
SECTION_OF_PREFIX = (
    ("measures:outcome-", "outcomes"),
    ("measures:matter-", "matters"),
    ("stocktakes:", "stocktakes"),
    ("measures:adjustment-", "changes"),
    ("measures:period-report", "reports"),
    ("measures:bulk-", "reports"),
    ("measures:review-", "reviews"),
)
ZONE_KWARG = "code"


def section_of(match):
    """The top bar's section for a resolved URL (a ResolverMatch); "" when none is current."""
    if match is None:
        return ""
    if match.namespace in ("measures", "indicators", "zones") and ZONE_KWARG in match.kwargs:
        return "zones"
    if match.view_name in SECTION_OF_VIEW:
        return SECTION_OF_VIEW[match.view_name]
    return next((section for prefix, section in SECTION_OF_PREFIX if match.view_name.startswith(prefix)), "")


def navigation(request):
    """What the top bar offers; the access read is cached on the user for the rest of the request.

    Managers also get badges for what waits for their decision: one query, made only when the
    page is drawn (lazily, so a redirect or a download never pays for it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = access_for(user)
    context = {
        "nav_manager": access.is_manager,
        "nav_admin": access.is_admin,
        "nav_matters": access.is_manager or access.is_officer,
        "nav_unread": access.count("unread_notices"),
        "nav_section": section_of(getattr(request, "resolver_match", None)),
    }
    if access.is_manager:
        context["nav_pending"] = SimpleLazyObject(lambda: pending_for_managers(user))
    # Review: whoever the workbench lets in (core.access.can_review_report), a manager's deputy in
    # range too; a manager's badge is read with their other counts, a deputy's on its own (lazily).
    context["nav_review"] = can_review_report(user)
    if context["nav_review"]:
        context["nav_review_count"] = SimpleLazyObject(
            lambda: {
                "count": context["nav_pending"]["reports"]
                if access.is_manager
                else deputy_waiting_count(user)
            }
        )
    # Zone leaders and their deputies: the reports waiting for their sign-off (one query, lazily).
    context["nav_signoff"] = signs_off(user)
    if context["nav_signoff"]:
        context["nav_signoff_count"] = SimpleLazyObject(lambda: {"count": signoff_queue(user).count()})
    return context
