"""Work-plan review (R4): the automatic checklist, then the group's verdict.

Policy: the group may not approve a plan whose checklist names anything missing
(一看, 二看 or 三看) — it must return it with comments, so that a gap such as B's
missing 成果验收制度 can never be waved through silently.
"""
from __future__ import annotations

from services.supervision.domain import events as ev
from services.supervision.domain.arrival import require_arrived
from services.supervision.domain.checklist import check_work_plan, label_of
from services.supervision.domain.commands import ReviewWorkPlan
from services.supervision.domain.guards import parse_date, require_choice, require_text
from services.supervision.domain.unit_state import SupervisedUnitState
from services.supervision.domain.vocabulary import PLAN_DECISIONS
from shared.access import check_supervisor_of
from shared.domain import Conflict, NotFound, Rejected


def review_plan(state: SupervisedUnitState, cmd: ReviewWorkPlan, config) -> list:
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    require_arrived(state, cmd.unit_id, "review the work plan")
    if cmd.plan is None or cmd.plan_version is None:
        raise NotFound(f"unit {cmd.unit_id} has not submitted a work plan", unit_id=cmd.unit_id)
    require_choice(cmd.decision, PLAN_DECISIONS, "decision")
    parse_date(cmd.today, "today")
    if cmd.plan_version in state.plan_reviews:
        raise Conflict(f"work plan version {cmd.plan_version} was already reviewed "
                       f"({state.plan_reviews[cmd.plan_version]})",
                       plan_version=cmd.plan_version)
    checklist = check_work_plan(cmd.plan)
    missing = checklist.missing
    if cmd.decision == "approve" and missing:
        raise Rejected("the checklist finds items missing from the plan: return it with "
                       "comments instead of approving", missing=missing,
                       labels=[label_of(m) for m in missing])
    comments = cmd.comments.strip() if isinstance(cmd.comments, str) else ""
    if cmd.decision == "return":
        comments = require_text(cmd.comments, "comments")
    return [ev.WorkPlanReviewed(unit_id=cmd.unit_id, group_id=state.group_id,
                                plan_version=cmd.plan_version, decision=cmd.decision,
                                comments=comments, missing=missing,
                                checklist=checklist.to_dict(), date=cmd.today)]
