"""The rectification ledger (整改台账), R22 phase 3: problems (问题清单) → measures (in
``rectification``) → the unit reports each done with evidence → the group re-checks (复查):
sign off (销号) or return with comments. A problem is signed off when all its measures are,
or carried forward (结转) with a reason the group accepted; the unit leaves 整改提高 only then
(lifecycle's gate asks ``state.open_problems()``).

"带头查找问题…带头制定和落实整改措施" (A); "带头兑现整改承诺" (B). Who re-checks is the group the
unit is assigned to: the entrypoint passes its id (``group_id``), the domain compares.
"""
from __future__ import annotations

from shared.domain import Conflict, Forbidden, Rejected
from shared.inspection_points import INSPECTION_POINTS
from shared.work_plan_vocabulary import PROBLEM_CATEGORIES

from . import commands as C
from . import events as E
from . import phases as P
from .config import UnitsConfig
from .guards import (
    require_date,
    require_group_supervisor,
    require_measure,
    require_own_unit,
    require_problem,
    require_system,
    require_text,
    require_unit,
)
from .state import UnitState

# where a problem came from: the plan's 二看, opinions gathered (R23), an inspection that scored
# a point low (R14), 党性分析 or the 民主生活会, a 督办 directive
PROBLEM_SOURCES = ("plan", "opinions", "inspection", "party_analysis", "life_meeting", "directive")
# problems are listed from 分析评议 on (they are found there) until the survey's verdict
PROBLEMS_IN = (P.ANALYSIS, P.RECTIFICATION, P.SURVEY, P.REMEDIAL)
REVIEW_DECISIONS = ("sign_off", "return")
CARRY_DECISIONS = ("accept", "refuse")


def record_problem(state: UnitState | None, cmd: C.RecordProblem, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    if cmd.actor.role == "supervisor":
        require_group_supervisor(cmd.actor, cmd.unit_id, cmd.group_id)  # the group may propose
        raised_by, status = "supervisor", "proposed"  # the unit accepts or answers it
    else:
        require_own_unit(cmd.actor, cmd.unit_id)
        raised_by, status = "unit", "open"
    if state.phase not in PROBLEMS_IN:
        raise Rejected(f"problems are listed from 分析评议 until the survey's verdict, not in {state.phase!r}",
                       phase=state.phase)
    if cmd.problem_id in state.problems:
        raise Conflict(f"problem {cmd.problem_id!r} already exists", problem_id=cmd.problem_id)
    if cmd.category not in PROBLEM_CATEGORIES:
        raise Rejected(f"category must be one of the plan's 二看: {', '.join(PROBLEM_CATEGORIES)}",
                       category=cmd.category, fields={"category": [f"One of: {', '.join(PROBLEM_CATEGORIES)}."]})
    if cmd.source not in PROBLEM_SOURCES:
        raise Rejected(f"source must be one of {', '.join(PROBLEM_SOURCES)}", source=cmd.source,
                       fields={"source": [f"One of: {', '.join(PROBLEM_SOURCES)}."]})
    ref = (cmd.source_ref or "").strip() or None
    return [E.ProblemRecorded(unit_id=cmd.unit_id, problem_id=cmd.problem_id, category=cmd.category,
                              description=require_text(cmd.description, "description"), source=cmd.source,
                              source_ref=ref, raised_by=raised_by, phase=state.phase,
                              date=require_date(cmd.today, "today"), status=status)]


# the 二看 category a problem proposed by a low inspection score starts in (the unit may set
# another when it accepts it)
POINT_CATEGORIES = {
    "leadership_responsibility": "members_and_organisations",
    "leaders_set_example": "members_and_organisations",
    "working_strength": "internal_management",
    "measures_in_place": "internal_management",
    "problems_solved": "party_and_government_style",
    "results_evident": "reform_development_stability",
    "work_promoted": "reform_development_stability",
}
# a finished campaign takes no new problems
PROPOSED_UNTIL_ACCEPTED = tuple(p for p in P.PHASES if p != P.ACCEPTED)


def inspection_problem_id(unit_id: str, inspection_id: str, point: str) -> str:
    return f"{unit_id}.inspection-{inspection_id}-{point}"


def note_inspection_scores(state: UnitState | None, cmd: C.NoteInspectionScores,
                           config: UnitsConfig) -> list[E.Event]:
    """R14: each point scored at or below ``config.low_score_threshold`` proposes a problem (source
    inspection, source_ref naming the inspection and point), once: redelivered, it finds them."""
    require_system(cmd.actor)
    if state is None or state.phase not in PROPOSED_UNTIL_ACCEPTED:
        return []
    events: list[E.Event] = []
    for point, score in (cmd.scores or {}).items():
        if point not in INSPECTION_POINTS or not isinstance(score, int) or score > config.low_score_threshold:
            continue
        problem_id = inspection_problem_id(cmd.unit_id, cmd.inspection_id, point)
        if problem_id in state.problems:
            continue
        scale = f"{score}/{cmd.max_score}" if cmd.max_score else str(score)
        note = ((cmd.notes or {}).get(point) or "").strip()
        description = f"督导检查「{INSPECTION_POINTS[point]}」得分 {scale}" + (f"：{note}" if note else "")
        events.append(E.ProblemRecorded(
            unit_id=cmd.unit_id, problem_id=problem_id, category=POINT_CATEGORIES[point],
            description=description, source="inspection", source_ref=f"{cmd.inspection_id}#{point}",
            raised_by="supervisor", phase=state.phase, date=cmd.date, status="proposed"))
    return events


def _require_proposed(state: UnitState, cmd) -> None:
    require_own_unit(cmd.actor, cmd.unit_id)
    problem = require_problem(state, cmd.problem_id)
    if problem.status != "proposed":
        raise Conflict(f"problem {cmd.problem_id!r} is {problem.status}, not proposed: only a problem the "
                       "group proposed is accepted or answered", problem_id=cmd.problem_id, status=problem.status)


def accept_problem(state: UnitState | None, cmd: C.AcceptProblem, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    _require_proposed(state, cmd)
    category = cmd.category or state.problems[cmd.problem_id].category
    if category not in PROBLEM_CATEGORIES:
        raise Rejected(f"category must be one of the plan's 二看: {', '.join(PROBLEM_CATEGORIES)}",
                       category=category, fields={"category": [f"One of: {', '.join(PROBLEM_CATEGORIES)}."]})
    return [E.ProblemAccepted(unit_id=cmd.unit_id, problem_id=cmd.problem_id, category=category,
                              date=require_date(cmd.today, "today"))]


def answer_problem(state: UnitState | None, cmd: C.AnswerProblem, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    _require_proposed(state, cmd)
    if not isinstance(cmd.reply, str) or not cmd.reply.strip():
        raise Rejected("an answer to a proposed problem gives its reasons: reply is required",
                       missing=["reply"], fields={"reply": ["A reasoned reply."]})
    return [E.ProblemAnswered(unit_id=cmd.unit_id, problem_id=cmd.problem_id,
                              reply=require_text(cmd.reply, "reply"), date=require_date(cmd.today, "today"))]


def review_measure(state: UnitState | None, cmd: C.ReviewMeasure, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    group_id = require_group_supervisor(cmd.actor, cmd.unit_id, cmd.group_id)
    measure = require_measure(state, cmd.measure_id)
    if cmd.decision not in REVIEW_DECISIONS:
        raise Rejected(f"decision must be one of {REVIEW_DECISIONS}", decision=cmd.decision)
    if measure.status != "completed":
        raise Conflict(f"measure {cmd.measure_id!r} is {measure.status}: the group re-checks (复查) a measure "
                       "the unit has reported done", measure_id=cmd.measure_id, status=measure.status,
                       missing=["completion"] if measure.status == "open" else [])
    today = require_date(cmd.today, "today")
    comments = (cmd.comments or "").strip()
    if cmd.decision == "return":
        if not comments:
            raise Rejected("a returned measure says why: comments are required", missing=["comments"])
        return [E.MeasureReturned(unit_id=cmd.unit_id, measure_id=cmd.measure_id, problem_id=measure.problem_id,
                                  group_id=group_id, comments=comments, date=today,
                                  returns=measure.returns + 1)]
    events: list[E.Event] = [E.MeasureSignedOff(unit_id=cmd.unit_id, measure_id=cmd.measure_id,
                                                problem_id=measure.problem_id, group_id=group_id,
                                                comments=comments, date=today)]
    problem = state.problems[measure.problem_id]
    others = [state.measures[m] for m in problem.measure_ids if m != cmd.measure_id]
    if problem.status == "open" and all(m.status == "signed_off" for m in others):
        events.append(E.ProblemSignedOff(unit_id=cmd.unit_id, problem_id=problem.problem_id, date=today))
    return events


def reopen_measure(state: UnitState | None, cmd: C.ReopenMeasure, config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    if cmd.actor.role != "office":
        raise Forbidden("a signed-off measure (销号) is reopened only by the leading-group office",
                        role=cmd.actor.role)
    measure = require_measure(state, cmd.measure_id)
    if not (cmd.reason or "").strip():
        raise Rejected("reopening a signed-off measure needs a reason", missing=["reason"])
    reason = require_text(cmd.reason, "reason")
    if measure.status != "signed_off":
        raise Conflict(f"measure {cmd.measure_id!r} is {measure.status}, not signed off: nothing to reopen",
                       measure_id=cmd.measure_id, status=measure.status)
    today = require_date(cmd.today, "today")
    events: list[E.Event] = [E.MeasureReopened(unit_id=cmd.unit_id, measure_id=cmd.measure_id,
                                               problem_id=measure.problem_id, reason=reason, date=today)]
    if state.problems[measure.problem_id].status == "signed_off":
        events.append(E.ProblemReopened(unit_id=cmd.unit_id, problem_id=measure.problem_id,
                                        reason=f"measure {cmd.measure_id} reopened: {reason}", date=today))
    return events


def propose_carry_forward(state: UnitState | None, cmd: C.ProposeCarryForward,
                          config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    problem = require_problem(state, cmd.problem_id)
    if problem.status != "open":
        raise Conflict(f"problem {cmd.problem_id!r} is {problem.status}; only an open problem is carried forward",
                       problem_id=cmd.problem_id, status=problem.status)
    if problem.carry_reason is not None:
        raise Conflict(f"problem {cmd.problem_id!r} already awaits the group's answer on carrying it forward",
                       problem_id=cmd.problem_id)
    return [E.ProblemCarryProposed(unit_id=cmd.unit_id, problem_id=cmd.problem_id,
                                   reason=require_text(cmd.reason, "reason"),
                                   date=require_date(cmd.today, "today"))]


def review_carry_forward(state: UnitState | None, cmd: C.ReviewCarryForward,
                         config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    group_id = require_group_supervisor(cmd.actor, cmd.unit_id, cmd.group_id)
    problem = require_problem(state, cmd.problem_id)
    if cmd.decision not in CARRY_DECISIONS:
        raise Rejected(f"decision must be one of {CARRY_DECISIONS}", decision=cmd.decision)
    if problem.status != "open" or problem.carry_reason is None:
        raise Conflict(f"problem {cmd.problem_id!r} has no proposal to carry it forward awaiting the group",
                       problem_id=cmd.problem_id, status=problem.status, missing=["carry_reason"])
    today = require_date(cmd.today, "today")
    comments = (cmd.comments or "").strip()
    if cmd.decision == "refuse":
        return [E.ProblemCarryRefused(unit_id=cmd.unit_id, problem_id=cmd.problem_id, group_id=group_id,
                                      comments=comments, date=today)]
    return [E.ProblemCarriedForward(unit_id=cmd.unit_id, problem_id=cmd.problem_id, reason=problem.carry_reason,
                                    group_id=group_id, comments=comments, date=today)]


def ledger_figures(state: UnitState, today: str) -> dict:
    """The ledger's figures the public is told before the survey (and the card shows)."""
    problems = [p for p in state.problems.values()]
    measures = list(state.measures.values())
    return {"problems": len(problems),
            "signed_off": sum(p.status == "signed_off" for p in problems),
            "carried": sum(p.status == "carried" for p in problems),
            "open": sum(p.status == "open" for p in problems),
            "measures": len(measures),
            "measures_signed_off": sum(m.status == "signed_off" for m in measures),
            "overdue": sum(is_overdue(state, m, today) for m in measures)}


def is_overdue(state: UnitState, measure, today: str) -> bool:
    """Past its due date and not signed off; a carried-forward problem's measures are no longer due."""
    problem = state.problems.get(measure.problem_id)
    return measure.status != "signed_off" and measure.due < today and (problem is None or problem.status != "carried")


HANDLERS = {
    C.RecordProblem: record_problem,
    C.NoteInspectionScores: note_inspection_scores,
    C.AcceptProblem: accept_problem,
    C.AnswerProblem: answer_problem,
    C.ReviewMeasure: review_measure,
    C.ReopenMeasure: reopen_measure,
    C.ProposeCarryForward: propose_carry_forward,
    C.ReviewCarryForward: review_carry_forward,
}
