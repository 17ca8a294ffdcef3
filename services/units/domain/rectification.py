"""Rectification measures and commitments (R22 phase 3) and public notification (通报, R12/R23)."""
from __future__ import annotations

from shared.domain import Conflict, Rejected

from . import commands as C
from . import events as E
from . import phases as P
from .config import UnitsConfig
from .guards import require_date, require_member, require_own_unit, require_text, require_unit
from .state import UnitState

MEASURE_KINDS = ("measure", "commitment")  # 整改措施 | 整改承诺

# 整改 is carried out (and completed) from 整改提高 until the survey's verdict.
COMPLETABLE_IN = (P.RECTIFICATION, P.SURVEY, P.REMEDIAL)


def add_measure(state: UnitState | None, cmd: C.AddRectificationMeasure,
                config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    if state.phase not in P.RECTIFYING:
        raise Rejected(f"rectification measures are set in 整改提高 or 补课, not in {state.phase!r}",
                       phase=state.phase)
    if cmd.measure_id in state.measures:
        raise Conflict(f"measure {cmd.measure_id!r} already exists", measure_id=cmd.measure_id)
    if cmd.kind not in MEASURE_KINDS:
        raise Rejected(f"kind must be one of {MEASURE_KINDS}", kind=cmd.kind)
    require_member(state, cmd.owner_member_id)
    due = require_date(cmd.due, "due")
    if due < require_date(cmd.today, "today"):
        raise Rejected("a measure cannot be due in the past", due=due, today=cmd.today)
    return [E.RectificationMeasureAdded(unit_id=cmd.unit_id, measure_id=cmd.measure_id, kind=cmd.kind,
                                        description=require_text(cmd.description, "description"),
                                        owner_member_id=cmd.owner_member_id, due=due, phase=state.phase)]


def complete_measure(state: UnitState | None, cmd: C.CompleteRectificationMeasure,
                     config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    measure = state.measures.get(cmd.measure_id)
    if measure is None:
        raise Rejected(f"measure {cmd.measure_id!r} is not a measure of unit {cmd.unit_id!r}",
                       measure_id=cmd.measure_id)
    if measure.completed_on is not None:
        raise Conflict(f"measure {cmd.measure_id!r} was already completed on {measure.completed_on}",
                       measure_id=cmd.measure_id)
    if state.phase not in COMPLETABLE_IN:
        raise Rejected(f"measures are completed during rectification, not in {state.phase!r}", phase=state.phase)
    completed_on = require_date(cmd.completed_on, "completed_on")
    if completed_on > require_date(cmd.today, "today"):
        raise Rejected("a measure cannot be completed in the future", completed_on=completed_on, today=cmd.today)
    return [E.RectificationMeasureCompleted(unit_id=cmd.unit_id, measure_id=cmd.measure_id,
                                            completed_on=completed_on, note=(cmd.note or "").strip())]


def notify_public(state: UnitState | None, cmd: C.NotifyPublic, config: UnitsConfig) -> list[E.Event]:
    # "测评前，各单位党组织要以适当方式在一定范围内…通报" (A); "及时向群众公布" (B)
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    if state.phase in (P.REGISTERED, P.ACCEPTED):
        raise Rejected(f"there is no campaign progress to notify in phase {state.phase!r}", phase=state.phase)
    if cmd.notification_id in state.notifications:
        raise Conflict(f"notification {cmd.notification_id!r} already exists", notification_id=cmd.notification_id)
    scope = [require_text(person, "scope[]", 200) for person in cmd.scope]
    if not scope:
        raise Rejected("the notification's scope names at least one person: the survey samples only inside it")
    if len(set(scope)) != len(scope):
        raise Rejected("scope must not name a person twice", scope=scope)
    status = (cmd.rectification_status or "").strip()
    if state.phase == P.SURVEY and not status:
        # the notification before the survey frames it: "通报…特别是整改情况和解决问题的情况" (A)
        raise Rejected("a notification in phase survey frames the satisfaction survey and must state the "
                       "rectification status (rectification_status: 整改情况和解决问题的情况)",
                       phase=state.phase, missing=["rectification_status"])
    return [E.PublicNotified(unit_id=cmd.unit_id, notification_id=cmd.notification_id, scope=scope,
                             date=require_date(cmd.date, "date"), subject=(cmd.subject or "").strip(),
                             content=(cmd.content or "").strip(), phase=state.phase,
                             rectification_status=status)]


HANDLERS = {
    C.AddRectificationMeasure: add_measure,
    C.CompleteRectificationMeasure: complete_measure,
    C.NotifyPublic: notify_public,
}
