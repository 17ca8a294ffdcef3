"""The work plan with versions (R4) and the specific requirements (具体要求, R11)."""
from __future__ import annotations

from shared.domain import Conflict, Rejected

from . import commands as C
from . import events as E
from . import phases as P
from .config import UnitsConfig
from .guards import require_own_unit, require_system, require_text, require_unit
from .state import UnitState
from .work_plan import plan_errors

REVIEW_DECISIONS = ("approve", "return")


def submit_work_plan(state: UnitState | None, cmd: C.SubmitWorkPlan, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    errors = plan_errors(cmd.plan)
    if errors:
        raise Rejected("the work plan is malformed", errors=errors)
    current = state.work_plan
    # A plan may be replaced before the group reviews it, or after the group returns it;
    # an approved plan is what the unit carries out.
    if current is not None and current.status == "approved":
        raise Conflict(f"work plan version {current.version} is approved and can no longer be replaced",
                       plan_version=current.version)
    version = 1 if current is None else current.version + 1
    return [E.WorkPlanSubmitted(unit_id=cmd.unit_id, plan_version=version, plan=dict(cmd.plan))]


def note_work_plan_review(state: UnitState | None, cmd: C.NoteWorkPlanReview,
                          config: UnitsConfig) -> list[E.Event]:
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    if cmd.decision not in REVIEW_DECISIONS:
        raise Rejected(f"decision must be one of {REVIEW_DECISIONS}", decision=cmd.decision)
    current = state.work_plan
    if current is None or cmd.plan_version > current.version:
        raise Rejected(f"unit {cmd.unit_id!r} has no work plan version {cmd.plan_version}",
                       plan_version=cmd.plan_version)
    if cmd.plan_version < current.version:
        return []  # a review of a superseded version changes nothing
    if current.status != "submitted":
        if (current.status == "approved") == (cmd.decision == "approve"):
            return []  # the same verdict delivered again
        raise Conflict(f"work plan version {current.version} was already {current.status}",
                       plan_version=current.version, status=current.status)
    return [E.WorkPlanReviewNoted(unit_id=cmd.unit_id, plan_version=cmd.plan_version, decision=cmd.decision,
                                  comments=cmd.comments or "", missing=list(cmd.missing),
                                  group_id=cmd.group_id)]


def set_requirements(state: UnitState | None, cmd: C.SetRequirements, config: UnitsConfig) -> list[E.Event]:
    # "在教育活动的第一阶段拿出一个…共产党员保持先进性的具体要求" (A)
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    if state.phase not in (P.REGISTERED, P.MOBILIZATION):
        raise Rejected("specific requirements are produced in the first phase (学习动员); "
                       f"the unit is in {state.phase!r}", phase=state.phase)
    text = require_text(cmd.text, "text")
    items = [require_text(item, "items[]", 1000) for item in cmd.items]
    return [E.RequirementsSet(unit_id=cmd.unit_id, text=text, items=items)]


HANDLERS = {
    C.SubmitWorkPlan: submit_work_plan,
    C.NoteWorkPlanReview: note_work_plan_review,
    C.SetRequirements: set_requirements,
}
