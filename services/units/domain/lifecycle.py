"""The mobilisation meeting, the unit's side of the phase gate (R5), deadlines (R6)
and the survey's verdict (R12). The phase changes only through:
  - the mobilisation meeting being held (registered -> mobilization),
  - supervision's TransitionApproved (ApplyApprovedTransition),
  - evaluation's SurveyFailed (ApplySurveyResult) and AcceptanceInspectionRecorded
    (ApplyInspectionResult): a passed survey only readies the unit for 检查验收.
"""
from __future__ import annotations

from shared.domain import Conflict, Rejected
from shared.review_period import review_period

from . import commands as C
from . import events as E
from . import phases as P
from .config import UnitsConfig, add_days
from .guards import require_date, require_own_unit, require_system, require_text, require_unit
from .state import UnitState

CLOSE_OUTCOMES = ("returned", "rejected")


def schedule_meeting(state: UnitState | None, cmd: C.ScheduleMobilizationMeeting,
                     config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    date = require_date(cmd.date, "date")
    require_date(cmd.today, "today")
    if state.meeting_held_on is not None:
        raise Conflict(f"the mobilisation meeting was already held on {state.meeting_held_on}",
                       held_on=state.meeting_held_on)
    if date < cmd.today:
        raise Rejected("a mobilisation meeting cannot be scheduled in the past", date=date, today=cmd.today)
    if date == state.meeting_date:
        return []  # the same date again: nothing changed
    return [E.MobilizationMeetingScheduled(unit_id=cmd.unit_id, date=date, previous_date=state.meeting_date)]


def hold_meeting(state: UnitState | None, cmd: C.HoldMobilizationMeeting,
                 config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    require_date(cmd.today, "today")
    if state.meeting_held_on is not None:
        raise Conflict(f"the mobilisation meeting was already held on {state.meeting_held_on}",
                       held_on=state.meeting_held_on)
    if state.meeting_date is None:
        raise Rejected("the mobilisation meeting was never scheduled; schedule it first "
                       "(the group must arrive two days before it)", unit_id=cmd.unit_id)
    date = cmd.date or state.meeting_date
    if date != state.meeting_date:
        # The group's arrival deadline (动员会前两天到位, R2) hangs on the scheduled date,
        # so a different date goes through rescheduling first.
        raise Rejected(f"the meeting is scheduled for {state.meeting_date}; reschedule it before holding it on {date}",
                       scheduled=state.meeting_date, date=date)
    if date > cmd.today:
        raise Rejected(f"the meeting scheduled for {date} cannot be marked held before it happens",
                       date=date, today=cmd.today)
    _check_ready_to_hold(state)
    return [E.MobilizationMeetingHeld(unit_id=cmd.unit_id, date=date),
            _enter(state, P.MOBILIZATION, date, config, reason=f"mobilisation meeting (动员会) held on {date}")]


def _check_ready_to_hold(state: UnitState) -> None:
    """"各督导组必须在派驻单位动员会前两天到位…审查派驻单位的工作方案" (A, R2-R4): the
    meeting is held with the group there and the work plan it approved."""
    missing = []
    if state.group_arrived_on is None:
        missing.append("group_arrival")
    if state.work_plan is None or state.work_plan.status != "approved":
        missing.append("work_plan_approved")
    if missing:
        plan = state.work_plan
        raise Conflict("the mobilisation meeting is held only once the supervision group has arrived "
                       "and approved the work plan; missing: " + ", ".join(missing),
                       missing=missing, work_plan_status=plan.status if plan else None,
                       work_plan_version=plan.version if plan else None)


def note_group_arrival(state: UnitState | None, cmd: C.NoteGroupArrival,
                       config: UnitsConfig) -> list[E.Event]:
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    require_date(cmd.date, "date")
    if state.group_arrived_on == cmd.date:
        return []  # delivered again
    return [E.GroupArrivalNoted(unit_id=cmd.unit_id, group_id=cmd.group_id, date=cmd.date)]


def _enter(state: UnitState, phase: str, today: str, config: UnitsConfig, reason: str,
           transition_id: str | None = None, survey_id: str | None = None) -> E.PhaseEntered:
    assert (state.phase, phase) in P.ALLOWED_EDGES, (state.phase, phase)
    return E.PhaseEntered(unit_id=state.unit_id, phase=phase, previous_phase=state.phase,
                          deadline=_deadline_on_entry(state, phase, today, config), reason=reason,
                          entered_on=today, transition_id=transition_id, survey_id=survey_id)


def _deadline_on_entry(state: UnitState, phase: str, today: str, config: UnitsConfig) -> str | None:
    if phase == P.ACCEPTED:
        return None
    if phase == P.REMEDIAL:
        return add_days(today, config.remedial_days)
    if phase == P.SURVEY and any(h.phase == P.SURVEY for h in state.history):
        return add_days(today, config.resurvey_days)  # the calendar's survey date is long gone
    if phase == P.RECTIFICATION and any(h.phase == P.RECTIFICATION for h in state.history):
        return add_days(today, config.remedial_days)  # back after a failed inspection
    # the batch calendar's date as registered, with any extension already granted
    return state.deadlines.get(phase)


def apply_for_transition(state: UnitState | None, cmd: C.ApplyForTransition,
                         config: UnitsConfig) -> list[E.Event]:
    state = require_unit(state, cmd.unit_id)
    require_own_unit(cmd.actor, cmd.unit_id)
    if state.open_application is not None:
        raise Conflict(f"application {state.open_application.transition_id!r} is still open; "
                       "wait for its review before applying again",
                       transition_id=state.open_application.transition_id)
    to_phase = P.NEXT_BY_APPLICATION.get(state.phase)
    if to_phase is None:
        raise Rejected(P.why_cannot_apply(state.phase), phase=state.phase)
    if cmd.transition_id in state.closed_transitions:
        raise Conflict(f"transition id {cmd.transition_id!r} was already used", transition_id=cmd.transition_id)
    summary = require_text(cmd.summary, "summary")
    period = _review_period(state, cmd)
    _check_ready_to_leave(state, cmd, config)
    return [E.TransitionApplied(unit_id=cmd.unit_id, transition_id=cmd.transition_id,
                                from_phase=state.phase, to_phase=to_phase, summary=summary,
                                review_period=period)]


def _review_period(state: UnitState, cmd: C.ApplyForTransition) -> dict | None:
    """The 分析评议 summary reviews "近年来" (R19); other summaries have no such period."""
    if state.phase == P.ANALYSIS:
        return review_period(cmd.work_since, cmd.thinking_since)
    if cmd.work_since or cmd.thinking_since:
        raise Rejected("a review period (R19) belongs to the 分析评议 summary only", phase=state.phase,
                       field="work_since" if cmd.work_since else "thinking_since")
    return None


def _check_ready_to_leave(state: UnitState, cmd: C.ApplyForTransition, config: UnitsConfig) -> None:
    if state.phase == P.MOBILIZATION:
        if state.requirements is None:
            # R11: "在教育活动的第一阶段拿出…具体要求", the first transition is not ready without it
            raise Rejected("the unit's specific requirements (具体要求) must be set before leaving 学习动员",
                           phase=state.phase)
        if config.require_study_readiness:
            _check_study_readiness(cmd.study_readiness)
    if state.phase == P.ANALYSIS and config.require_analysis_readiness:
        _check_analysis_readiness(cmd.analysis_readiness)
    if state.phase in P.RECTIFYING:
        _check_rectification(state, config)


def _check_study_readiness(readiness: dict | None) -> None:
    if readiness is None:
        raise Rejected("the study service's readiness answer is required before leaving 学习动员")
    if not readiness.get("ready"):
        raise Rejected("members are below the centralised-study floor (一般不得少于40学时) "
                       "without a recorded exemption",
                       members_below=readiness.get("members_below", []), floor=readiness.get("floor"))


def _check_analysis_readiness(readiness: dict | None) -> None:
    """The evaluation service's answer names what phase 2 still lacks, leaders' records first."""
    if readiness is None:
        raise Conflict("the evaluation service's phase-2 readiness answer is required before leaving "
                       "分析评议", missing=["analysis_readiness"])
    if not readiness.get("ready"):
        items = list(readiness.get("missing") or [])
        codes = [item.get("code") for item in items] or ["analysis_readiness"]
        raise Conflict("分析评议 is not finished; missing: " + ", ".join(codes),
                       missing=codes, items=items)


def _check_rectification(state: UnitState, config: UnitsConfig) -> None:
    measures = [m for m in state.measures.values() if m.phase == state.phase]
    if not measures:
        raise Rejected(f"no rectification measures were set in phase {state.phase!r}", phase=state.phase)
    if config.require_leader_measures:
        owners = {m.owner_member_id for m in measures}
        idle = [m.member_id for m in state.leaders() if m.member_id not in owners]
        if idle:
            # 带头制定整改措施，带头认真整改，带头兑现整改承诺 (B, R22)
            raise Rejected("every leadership member leads rectification with a measure or commitment of their own",
                           leaders_without_measure=idle)
    open_problems = state.open_problems()
    if open_problems:
        # 整改台账: every problem signed off (销号) or carried forward (结转) with the group's acceptance
        raise Conflict(f"{len(open_problems)} problems of the rectification ledger are neither signed off "
                       "nor carried forward with the group's acceptance: "
                       + ", ".join(p.problem_id for p in open_problems),
                       open_problems=[{"problem_id": p.problem_id, "description": p.description,
                                       "open_measures": [m for m in p.measure_ids
                                                         if state.measures[m].status != "signed_off"],
                                       "carry_proposed": p.carry_reason is not None}
                                      for p in open_problems],
                       missing=["ledger_signed_off"])


def apply_approved_transition(state: UnitState | None, cmd: C.ApplyApprovedTransition,
                              config: UnitsConfig) -> list[E.Event]:
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    if state.closed_transitions.get(cmd.transition_id) == "approved":
        return []  # delivered again
    app = state.open_application
    if app is None or app.transition_id != cmd.transition_id:
        raise Conflict(f"transition {cmd.transition_id!r} is not the unit's open application",
                       transition_id=cmd.transition_id,
                       open_transition_id=app.transition_id if app else None)
    if (cmd.from_phase, cmd.to_phase) != (app.from_phase, app.to_phase) or app.from_phase != state.phase:
        raise Conflict("the approval does not match the application",
                       approved=[cmd.from_phase, cmd.to_phase], applied=[app.from_phase, app.to_phase],
                       phase=state.phase)
    require_date(cmd.today, "today")
    return [E.TransitionApplicationClosed(unit_id=cmd.unit_id, transition_id=cmd.transition_id,
                                          outcome="approved", comments=cmd.comments or ""),
            _enter(state, app.to_phase, cmd.today, config, reason=f"transition {cmd.transition_id} approved",
                   transition_id=cmd.transition_id)]


def close_transition(state: UnitState | None, cmd: C.CloseTransition, config: UnitsConfig) -> list[E.Event]:
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    if cmd.outcome not in CLOSE_OUTCOMES:
        raise Rejected(f"outcome must be one of {CLOSE_OUTCOMES}", outcome=cmd.outcome)
    if state.closed_transitions.get(cmd.transition_id) == cmd.outcome:
        return []
    app = state.open_application
    if app is None or app.transition_id != cmd.transition_id:
        raise Conflict(f"transition {cmd.transition_id!r} is not the unit's open application",
                       transition_id=cmd.transition_id)
    return [E.TransitionApplicationClosed(unit_id=cmd.unit_id, transition_id=cmd.transition_id,
                                          outcome=cmd.outcome, comments=cmd.comments or "")]


def apply_deadline_extension(state: UnitState | None, cmd: C.ApplyDeadlineExtension,
                             config: UnitsConfig) -> list[E.Event]:
    # "进度服从质量…可适当延长" (A, R6): the office extends; the unit records it.
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    until = require_date(cmd.until, "until")
    if cmd.phase not in P.PHASES or cmd.phase in (P.REGISTERED, P.ACCEPTED):
        raise Rejected(f"phase {cmd.phase!r} has no deadline to extend", phase=cmd.phase)
    current = state.deadlines.get(cmd.phase)
    if current == until:
        return []  # delivered again
    if _already_left(state, cmd.phase):
        raise Rejected(f"the unit has already left phase {cmd.phase!r}", phase=cmd.phase, current=state.phase)
    if current is not None and until < current:
        raise Rejected(f"{until} is earlier than the phase's deadline {current}; an extension only extends",
                       phase=cmd.phase, until=until, deadline=current)
    return [E.DeadlineApplied(unit_id=cmd.unit_id, phase=cmd.phase, until=until,
                              reason=require_text(cmd.reason, "reason"), previous=current)]


def _already_left(state: UnitState, phase: str) -> bool:
    """True when ``phase`` lies behind the unit for good (remedial/survey can come round again)."""
    order = (P.REGISTERED, P.MOBILIZATION, P.ANALYSIS, P.RECTIFICATION)
    if phase in order and state.phase != phase:
        return phase in {h.previous_phase for h in state.history}
    return state.phase == P.ACCEPTED


def apply_survey_result(state: UnitState | None, cmd: C.ApplySurveyResult,
                        config: UnitsConfig) -> list[E.Event]:
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    if cmd.survey_id in state.surveys_applied:
        return []  # delivered again
    if state.phase != P.SURVEY:
        raise Conflict(f"a survey result arrived while the unit is in {state.phase!r}, not in the survey",
                       survey_id=cmd.survey_id, phase=state.phase)
    require_date(cmd.today, "today")
    if cmd.passed:
        # "检查验收" follows the survey (A, R13): only a passed inspection accepts the unit
        return [E.SurveyPassNoted(unit_id=cmd.unit_id, survey_id=cmd.survey_id, date=cmd.today,
                                  share_leadership=cmd.share_leadership, share_campaign=cmd.share_campaign)]
    # 群众满意度达不到三分之二的，要重新进行"补课" (A)
    shares = f"leadership {_pct(cmd.share_leadership)}, campaign {_pct(cmd.share_campaign)}"
    return [_enter(state, P.REMEDIAL, cmd.today, config, survey_id=cmd.survey_id,
                   reason=f"satisfaction survey {cmd.survey_id} failed: {shares} satisfied, "
                          "below two thirds; 补课 required")]


def apply_inspection_result(state: UnitState | None, cmd: C.ApplyInspectionResult,
                            config: UnitsConfig) -> list[E.Event]:
    require_system(cmd.actor)
    state = require_unit(state, cmd.unit_id)
    if cmd.inspection_id in state.inspections_applied:
        return []  # delivered again
    if state.phase != P.SURVEY or state.awaiting_inspection != cmd.survey_id:
        raise Conflict("an acceptance inspection follows the unit's passed survey, in the survey phase",
                       inspection_id=cmd.inspection_id, survey_id=cmd.survey_id, phase=state.phase,
                       awaiting_inspection=state.awaiting_inspection, missing=["passed_survey"])
    require_date(cmd.today, "today")
    noted = E.InspectionNoted(unit_id=cmd.unit_id, inspection_id=cmd.inspection_id, survey_id=cmd.survey_id,
                              passed=cmd.passed, notes=cmd.notes or "", date=cmd.today)
    if cmd.passed:
        return [noted, _enter(state, P.ACCEPTED, cmd.today, config, survey_id=cmd.survey_id,
                              reason=f"satisfaction survey {cmd.survey_id} passed and acceptance "
                                     f"inspection {cmd.inspection_id} (检查验收) passed")]
    findings = f": {cmd.notes}" if cmd.notes else ""
    return [noted, _enter(state, P.RECTIFICATION, cmd.today, config, survey_id=cmd.survey_id,
                          reason=f"acceptance inspection {cmd.inspection_id} (检查验收) failed{findings}; "
                                 "back to 整改提高")]


def _pct(share) -> str:
    return "unknown" if share is None else f"{float(share):.1%}"


HANDLERS = {
    C.ScheduleMobilizationMeeting: schedule_meeting,
    C.HoldMobilizationMeeting: hold_meeting,
    C.NoteGroupArrival: note_group_arrival,
    C.ApplyForTransition: apply_for_transition,
    C.ApplyApprovedTransition: apply_approved_transition,
    C.CloseTransition: close_transition,
    C.ApplyDeadlineExtension: apply_deadline_extension,
    C.ApplySurveyResult: apply_survey_result,
    C.ApplyInspectionResult: apply_inspection_result,
}
