"""Rectification measures and commitments (R22 phase 3) and public notification (通报, R12/R23)."""
from __future__ import annotations

import datetime as _dt

from shared.domain import Conflict, Rejected

from . import commands as C
from . import events as E
from . import phases as P
from .config import UnitsConfig
from .guards import (
    require_date,
    require_member,
    require_own_unit,
    require_problem,
    require_system,
    require_text,
    require_unit,
)
from .ledger import ledger_figures
from .state import UnitState, legacy_problem_id

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
    problem = None
    if cmd.problem_id is not None:
        problem = require_problem(state, cmd.problem_id)
        if problem.status == "carried":
            raise Conflict(f"problem {problem.problem_id!r} was carried forward (结转); it takes no new measures",
                           problem_id=problem.problem_id, status=problem.status)
        if problem.status in ("proposed", "answered"):
            raise Conflict(f"problem {problem.problem_id!r} is {problem.status}: measures go under a problem "
                           "the unit accepted (POST /problems/{id}/acceptance)",
                           problem_id=problem.problem_id, status=problem.status)
    require_member(state, cmd.owner_member_id)
    due = require_date(cmd.due, "due")
    today = require_date(cmd.today, "today")
    if due < today:
        raise Rejected("a measure cannot be due in the past", due=due, today=cmd.today)
    events: list[E.Event] = [E.RectificationMeasureAdded(
        unit_id=cmd.unit_id, measure_id=cmd.measure_id, kind=cmd.kind,
        description=require_text(cmd.description, "description"), owner_member_id=cmd.owner_member_id,
        due=due, phase=state.phase, problem_id=cmd.problem_id or legacy_problem_id(cmd.unit_id))]
    legacy = state.problems.get(legacy_problem_id(cmd.unit_id)) if cmd.problem_id is None else None
    reopened = problem if problem is not None else legacy
    if reopened is not None and reopened.status == "signed_off":
        # a new measure means the problem is not solved after all: it is open again
        events.append(E.ProblemReopened(unit_id=cmd.unit_id, problem_id=reopened.problem_id,
                                        reason=f"measure {cmd.measure_id} added", date=today))
    return events


def complete_measure(state: UnitState | None, cmd: C.CompleteRectificationMeasure,
                     config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    measure = state.measures.get(cmd.measure_id)
    if measure is None:
        raise Rejected(f"measure {cmd.measure_id!r} is not a measure of unit {cmd.unit_id!r}",
                       measure_id=cmd.measure_id)
    if measure.status == "completed":
        raise Conflict(f"measure {cmd.measure_id!r} was already completed on {measure.completed_on}; "
                       "it awaits the group's re-check (复查)", measure_id=cmd.measure_id, status=measure.status)
    if measure.status == "signed_off":
        raise Conflict(f"measure {cmd.measure_id!r} was signed off (销号) on {measure.signed_off_on}",
                       measure_id=cmd.measure_id, status=measure.status)
    if state.phase not in COMPLETABLE_IN:
        raise Rejected(f"measures are completed during rectification, not in {state.phase!r}", phase=state.phase)
    completed_on = require_date(cmd.completed_on, "completed_on")
    if completed_on > require_date(cmd.today, "today"):
        raise Rejected("a measure cannot be completed in the future", completed_on=completed_on, today=cmd.today)
    summary = require_text(cmd.note, "summary")
    evidence = require_evidence(cmd)
    return [E.RectificationMeasureCompleted(unit_id=cmd.unit_id, measure_id=cmd.measure_id,
                                            completed_on=completed_on, note=summary,
                                            attachment_ids=list(cmd.attachment_ids),
                                            evidence=[dict(item) for item in evidence])]


def require_evidence(cmd: C.CompleteRectificationMeasure) -> tuple:
    """A measure done without evidence is no measure done: at least one attachment, each
    found by the entrypoint among the unit's stored measure evidence."""
    ids = list(cmd.attachment_ids)
    if not ids:
        raise Rejected("a measure is reported done with its evidence: attachment_ids names at least one "
                       "uploaded file (POST /api/v1/attachments, purpose measure_evidence)",
                       missing=["attachment_ids"], fields={"attachment_ids": ["At least one attachment."]})
    if len(set(ids)) != len(ids):
        raise Rejected("attachment_ids names a file twice", attachment_ids=ids)
    found = {item["attachment_id"]: item for item in (cmd.evidence or ())}
    unchecked = [i for i in ids if i not in found]
    if unchecked:
        raise Rejected("these attachments are not the unit's stored measure evidence: " + ", ".join(unchecked),
                       missing=unchecked, field="attachment_ids")
    return tuple(found[i] for i in ids)


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
    date = require_date(cmd.date, "date")
    people = []
    if cmd.person_ids:  # the log keeps pseudonymous ids as the scope, each name sealed
        ids = list(cmd.person_ids)
        if len(ids) != len(scope) or len(set(ids)) != len(ids) or set(ids) & set(state.respondents):
            raise Rejected("one new, distinct pseudonymous id per person of the scope is needed",
                           field="person_ids")
        people = [{"person_id": i, "name": name} for i, name in zip(ids, scope)]
        scope = ids
    # the ledger's figures as they stand: what the public is told is the unit's own record
    # ("通报…整改情况和解决问题的情况", A), not only the unit's words
    figures = ledger_figures(state, date) if state.problems or state.measures else None
    return [E.PublicNotified(unit_id=cmd.unit_id, notification_id=cmd.notification_id, scope=scope,
                             date=date, subject=(cmd.subject or "").strip(),
                             content=(cmd.content or "").strip(), phase=state.phase,
                             rectification_status=status, ledger=figures, people=people)]


def retention_due(state: UnitState, retention_days: int) -> str | None:
    """The day the names of the people the unit notified fall to be erased: its
    acceptance plus the retention (None while the unit is not accepted)."""
    accepted = state.accepted_on()
    if accepted is None:
        return None
    return (_dt.date.fromisoformat(require_date(accepted, "accepted_on"))
            + _dt.timedelta(days=retention_days)).isoformat()


def erase_respondent_names(state: UnitState | None, cmd: C.EraseRespondentNames,
                           config: UnitsConfig) -> list[E.Event]:
    """Once the unit is accepted and the retention has passed, the names of every person it
    notified are erased (their keys destroyed); the survey's frame, its pseudonymous ids,
    stays. Idempotent: with no name left to erase it decides nothing, so a redelivered or
    repeated tick appends nothing."""
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    if not isinstance(cmd.retention_days, int) or cmd.retention_days < 0:
        raise Rejected("retention_days is a whole number of days, 0 or more", field="retention_days")
    today = require_date(cmd.today, "today")
    due = retention_due(state, cmd.retention_days)
    if due is None:
        raise Conflict(f"unit {cmd.unit_id} is not accepted (phase {state.phase!r}): the names of the "
                       f"people it notified are kept until its retention after acceptance passes",
                       unit_id=cmd.unit_id, phase=state.phase)
    if today < due:
        raise Conflict(f"the retention of unit {cmd.unit_id}'s respondent names runs until {due}: "
                       f"not yet due", unit_id=cmd.unit_id, due=due)
    pending = sorted(i for i, erased in state.respondents.items() if not erased)
    if not pending:
        return []
    return [E.RespondentNamesErased(unit_id=cmd.unit_id, subject_ids=pending, accepted_on=state.accepted_on(),
                                    retention_days=cmd.retention_days, due=due, erased_on=today)]


HANDLERS = {
    C.EraseRespondentNames: erase_respondent_names,
    C.AddRectificationMeasure: add_measure,
    C.CompleteRectificationMeasure: complete_measure,
    C.NotifyPublic: notify_public,
}
