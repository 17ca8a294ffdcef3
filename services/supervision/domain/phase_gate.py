"""The phase gate (R5) and deadline extensions (R6).

"每个阶段转段时，各有关单位都要认真总结、写出转段申请。督导组要审查把关，同意后报县先进性
教育活动领导小组办公室审批" (A): the group agrees or returns; only what it agreed
reaches the office, which approves or rejects. Nobody decides their own application.

Readiness is shown to the group with every review and recorded in its event. The
group may not *agree* while a readiness check fails (it can always return):
leaving 学习动员 needs the unit's specific requirements (R11: "the first
transition is not ready without it") and every member at the study floor or
exempted on record (R7: never a silent exemption); leaving 整改提高/补课 needs
no open rectification measure.
"""
from __future__ import annotations

from services.supervision.domain import events as ev
from services.supervision.domain.arrival import require_arrived
from services.supervision.domain.commands import (
    DecideTransition,
    ExtendDeadline,
    Readiness,
    ReviewTransition,
    TransitionApplication,
)
from services.supervision.domain.guards import parse_date, require_choice, require_office, require_text
from services.supervision.domain.unit_state import SupervisedUnitState, latest_deadline
from services.supervision.domain.vocabulary import (
    EXTENDABLE_PHASES,
    GROUP_REVIEW_DECISIONS,
    NEXT_PHASE,
    OFFICE_DECISIONS,
)
from shared.access import check_supervisor_of
from shared.domain import Conflict, Forbidden, NotFound, Rejected


def readiness_blockers(from_phase: str, readiness: Readiness) -> list[dict]:
    """What stops a group from agreeing to leave ``from_phase``, each with a reason."""
    blockers = []
    if from_phase == "mobilization":
        if not readiness.requirements_present:
            blockers.append({"check": "requirements",
                             "message": "the unit has not set its specific requirements (R11)"})
        study = readiness.study
        if study is None:
            blockers.append({"check": "study",
                             "message": "study readiness could not be obtained"})
        elif not study.get("ready"):
            blockers.append({"check": "study",
                             "message": "members are below the study floor without exemption",
                             "members_below": list(study.get("members_below") or [])})
    if from_phase == "analysis":
        blockers.extend(_analysis_blockers(readiness.analysis))
    if from_phase in ("rectification", "remedial") and readiness.open_rectifications > 0:
        blockers.append({"check": "rectifications",
                         "message": f"{readiness.open_rectifications} rectification measures "
                                    "are still open"})
    if from_phase in ("rectification", "remedial") and readiness.open_problems:
        blockers.append({"check": "ledger",
                         "message": f"{len(readiness.open_problems)} problems of the rectification ledger "
                                    "are neither signed off (销号) nor carried forward (结转) with the "
                                    "group's acceptance",
                         "open_problems": list(readiness.open_problems)})
    return blockers


def _analysis_blockers(analysis: dict | None) -> list[dict]:
    """Leaving 分析评议, "承上启下的关键环节": what the evaluation service says is missing."""
    if analysis is None:
        return [{"check": "analysis", "message": "phase-2 readiness could not be obtained"}]
    if analysis.get("ready"):
        return []
    missing = list(analysis.get("missing") or [])
    return [{"check": "analysis", "message": "分析评议 is not finished (evaluation's phase-2 readiness)",
             "missing": [item.get("code") for item in missing], "items": missing}]


def _check_path(app: TransitionApplication) -> None:
    """A phase can never be skipped: each applied transition has exactly one target."""
    if NEXT_PHASE.get(app.from_phase) != app.to_phase:
        raise Rejected(f"a unit cannot move from {app.from_phase} to {app.to_phase}",
                       from_phase=app.from_phase, to_phase=app.to_phase,
                       expected=NEXT_PHASE.get(app.from_phase))


def _forbid_own(actor_id: str, applicant_id: str | None, transition_id: str) -> None:
    if applicant_id is not None and actor_id == applicant_id:
        raise Forbidden("nobody reviews or approves their own application",
                        transition_id=transition_id)


def review_transition(state: SupervisedUnitState, cmd: ReviewTransition, config) -> list:
    app = cmd.application
    if app is None or app.transition_id != cmd.transition_id:
        raise NotFound(f"transition application {cmd.transition_id} does not exist",
                       transition_id=cmd.transition_id)
    if app.unit_id != cmd.unit_id:
        raise Rejected("the application belongs to another unit", transition_id=app.transition_id,
                       unit_id=app.unit_id)
    check_supervisor_of(cmd.actor, cmd.unit_id, state.group_id)
    _forbid_own(cmd.actor.id, app.applicant_id, cmd.transition_id)
    require_arrived(state, cmd.unit_id, "review its transition application")
    previous = state.transitions.get(cmd.transition_id)
    if previous is not None:
        raise Conflict(f"the group already reviewed application {cmd.transition_id} "
                       f"({previous['status']})", transition_id=cmd.transition_id,
                       current_status=previous["status"])
    require_choice(cmd.decision, GROUP_REVIEW_DECISIONS, "decision")
    parse_date(cmd.today, "today")
    _check_path(app)
    common = dict(transition_id=cmd.transition_id, unit_id=cmd.unit_id, group_id=state.group_id,
                  from_phase=app.from_phase, to_phase=app.to_phase,
                  readiness=cmd.readiness.to_dict(), date=cmd.today)
    if cmd.decision == "return":
        return [ev.TransitionReturned(comments=require_text(cmd.comments, "comments"), **common)]
    blockers = readiness_blockers(app.from_phase, cmd.readiness)
    if blockers:
        raise Rejected("the unit is not ready to leave its phase: return the application with "
                       "comments", blockers=blockers,
                       missing=[code for b in blockers for code in (b.get("missing") or [b["check"]])])
    comments = cmd.comments.strip() if isinstance(cmd.comments, str) else ""
    return [ev.TransitionAgreed(comments=comments, applicant_id=app.applicant_id, **common)]


def decide_transition(state: SupervisedUnitState, cmd: DecideTransition, config) -> list:
    require_office(cmd.actor, "approve or reject transition applications")
    entry = state.transitions.get(cmd.transition_id)
    if entry is None:
        if cmd.application is None:
            raise NotFound(f"transition application {cmd.transition_id} does not exist",
                           transition_id=cmd.transition_id)
        _forbid_own(cmd.actor.id, cmd.application.applicant_id, cmd.transition_id)
        raise Conflict("the supervision group has not agreed to this application yet; the office "
                       "decides only what the group agreed", transition_id=cmd.transition_id)
    _forbid_own(cmd.actor.id, entry["applicant_id"], cmd.transition_id)
    if entry["status"] == "returned":
        raise Conflict("the supervision group returned this application; the unit must apply "
                       "again", transition_id=cmd.transition_id)
    if entry["status"] != "agreed":
        raise Conflict(f"application {cmd.transition_id} was already {entry['status']}",
                       transition_id=cmd.transition_id, current_status=entry["status"])
    require_choice(cmd.decision, OFFICE_DECISIONS, "decision")
    parse_date(cmd.today, "today")
    common = dict(transition_id=cmd.transition_id, unit_id=cmd.unit_id, group_id=state.group_id,
                  from_phase=entry["from_phase"], to_phase=entry["to_phase"], date=cmd.today)
    if cmd.decision == "reject":
        return [ev.TransitionRejected(comments=require_text(cmd.comments, "comments"), **common)]
    comments = cmd.comments.strip() if isinstance(cmd.comments, str) else ""
    return [ev.TransitionApproved(comments=comments, **common)]


def phase_entering(state: SupervisedUnitState, reported: str) -> str:
    """The unit's phase as the office sees it: the phase the units service last reported,
    or, when this service approved the unit's move out of it, the phase it is entering
    (the units service enters it by a reaction that may not have been heard back yet).
    Only the latest approval counts: an older one out of a phase the unit came back to
    (补课) is long done."""
    approved = [e for e in state.transitions.values() if e["status"] == "approved"]
    if approved and approved[-1]["from_phase"] == reported and approved[-1]["to_phase"]:
        return approved[-1]["to_phase"]
    return reported


def extend_deadline(state: SupervisedUnitState, cmd: ExtendDeadline, config) -> list:
    """"如果某个阶段、某个环节预定的时间不够，可适当延长" — by the office, with a reason."""
    require_office(cmd.actor, "extend phase deadlines")
    if cmd.current_phase is None:
        raise NotFound(f"unit {cmd.unit_id} is not registered", unit_id=cmd.unit_id)
    require_choice(cmd.phase, EXTENDABLE_PHASES, "phase")
    current = phase_entering(state, cmd.current_phase)
    if cmd.phase != current:
        raise Rejected(f"only the current phase's deadline can be extended; the unit is in "
                       f"{current}", phase=cmd.phase, current_phase=current)
    reason = require_text(cmd.reason, "reason")
    until, today = parse_date(cmd.until, "until"), parse_date(cmd.today, "today")
    if until <= today:
        raise Rejected("an extension must end after today", until=cmd.until, today=cmd.today)
    # The units service's current deadline may lag behind an extension just granted here.
    known = [d for d in (latest_deadline(state, cmd.phase), cmd.current_deadline) if d]
    previous = max(known) if known else None
    if previous is not None and until <= parse_date(previous, "current_deadline"):
        raise Rejected("an extension must move the deadline later", until=cmd.until,
                       current_deadline=previous)
    return [ev.DeadlineExtended(unit_id=cmd.unit_id, phase=cmd.phase, until=cmd.until,
                                reason=reason, previous_deadline=previous, date=cmd.today)]
