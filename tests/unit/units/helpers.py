"""Builders for the units domain tests: every state is reached through decide + fold,
so the builders themselves walk the real rules."""
from __future__ import annotations

import pytest

from services.units.domain import DEFAULT_CONFIG, decide, fold
from services.units.domain import commands as C
from services.units.domain import phases as P
from shared.domain import SYSTEM, Actor, DomainError

U = "u1"
OFFICE = Actor(id="office-1", name="领导小组办公室", role="office")
UNIT = Actor(id="unit-u1", name="县委办公室", role="unit", scope=U)
OTHER_UNIT = Actor(id="unit-u2", name="县财政局", role="unit", scope="u2")
SUPERVISOR = Actor(id="sup-1", name="督导组长", role="supervisor", scope="g1")
SYS = SYSTEM

SECTIONS = ("领导班子", "人事科", "综合科")
READY = {"unit_id": U, "ready": True, "floor": 40, "members_below": [], "exempted": []}
ANALYSIS_READY = {"unit_id": U, "ready": True, "missing": []}
FULL_PLAN = {
    "leader_measures": ["participate_as_ordinary_member", "lead_study", "give_party_lecture",
                        "find_problems", "lead_criticism", "set_rectification"],
    "problems": [{"category": "party_and_government_style", "description": "联系基层和群众不够",
                  "measures": ["领导班子成员分片联系科室"]}],
    "guarantee_systems": ["leadership_responsibility", "contact_points", "supervision_inspection",
                          "mass_evaluation", "acceptance"],
    "speech_draft": "同志们：今天，我们在这里召开保持共产党员先进性教育活动动员大会…",
}


def run(state, command, config=DEFAULT_CONFIG):
    """Decide and fold: (events, new state)."""
    events = decide(state, command, config)
    return events, fold(events, state)


def step(state, command, config=DEFAULT_CONFIG):
    return run(state, command, config)[1]


def refused(error_class, state, command, config=DEFAULT_CONFIG) -> DomainError:
    """Assert the command is refused with exactly this error class; return the error."""
    with pytest.raises(DomainError) as info:
        decide(state, command, config)
    assert type(info.value) is error_class, f"expected {error_class.__name__}, got {info.value!r}"
    assert info.value.message
    return info.value


def registered(batch=1, sections=SECTIONS):
    return step(None, C.RegisterUnit(OFFICE, U, "县委办公室", "党支部", batch, tuple(sections)))


def staffed(state=None):
    """Leader L1 (领导班子), section head H1 and staff S1 (人事科), S2 (综合科), retired R1."""
    state = state or registered()
    for member_id, name, section, leader, retired in (
            ("L1", "主任", "领导班子", True, False),
            ("L2", "副主任", "领导班子", True, False),
            ("H1", "人事科长", "人事科", False, False),
            ("S1", "科员甲", "人事科", False, False),
            ("S2", "科员乙", "综合科", False, False),
            ("R1", "老干部", None, False, True)):
        state = step(state, C.EnrolMember(UNIT, U, member_id, name, section, leader, retired))
    return state


def scheduled(state=None, date="2024-02-18"):
    return step(state or staffed(), C.ScheduleMobilizationMeeting(UNIT, U, date, today="2024-02-01"))


def group_arrived(state, date="2024-02-15"):
    return step(state, C.NoteGroupArrival(SYS, U, "g1", date))


def plan_approved(state):
    state = step(state, C.SubmitWorkPlan(UNIT, U, FULL_PLAN))
    return step(state, C.NoteWorkPlanReview(SYS, U, state.work_plan.version, "approve", group_id="g1"))


def ready_to_hold(state=None):
    """Scheduled, the group arrived and the work plan approved: the meeting may be held."""
    return plan_approved(group_arrived(scheduled(state)))


def mobilizing(state=None):
    return step(ready_to_hold(state), C.HoldMobilizationMeeting(UNIT, U, today="2024-02-18"))


def approve(state, transition_id, today="2024-03-20"):
    app = state.open_application
    return step(state, C.ApplyApprovedTransition(SYS, U, transition_id, app.from_phase, app.to_phase, today))


def leave_current_phase(state, transition_id, today="2024-03-20"):
    """Apply (meeting every precondition of the phase) and have supervision approve."""
    if state.phase == P.MOBILIZATION and state.requirements is None:
        state = step(state, C.SetRequirements(UNIT, U, "五带头五争先", ("带头学习",)))
    if state.phase in P.RECTIFYING and not [m for m in state.measures.values() if m.phase == state.phase]:
        state = rectified(state, today)
    state = step(state, C.ApplyForTransition(UNIT, U, transition_id, "本阶段工作总结", study_readiness=READY,
                                                analysis_readiness=ANALYSIS_READY))
    return approve(state, transition_id, today)


def evidence(*ids):
    """What the entrypoint finds of these attachment ids among the unit's measure evidence."""
    return tuple({"attachment_id": i, "sha256": "0" * 64, "size": 10} for i in ids)


def done(state, measure_id, today="2024-05-02", attachment="fu-000000000001"):
    """The unit reports the measure done with one file of evidence."""
    return step(state, C.CompleteRectificationMeasure(UNIT, U, measure_id, today, today, "已落实",
                                                      (attachment,), evidence(attachment)))


def signed_off(state, measure_id, today="2024-05-03"):
    return step(state, C.ReviewMeasure(SUPERVISOR, U, measure_id, "sign_off", "复查合格", today, group_id="g1"))


def rectified(state, today="2024-03-20"):
    """The ledger walked through: a problem, a measure for each leader, each done with
    evidence and signed off by the group (销号), so the problem is signed off too."""
    problem_id = f"{U}.p-{state.phase}"
    state = step(state, C.RecordProblem(UNIT, U, problem_id, "party_and_government_style", "联系群众不够",
                                        "plan", today))
    for i, leader in enumerate(state.leaders()):
        measure_id = f"{state.phase}-m{i}"
        state = step(state, C.AddRectificationMeasure(UNIT, U, measure_id, "commitment", "兑现整改承诺",
                                                      leader.member_id, "2024-12-31", today=today,
                                                      problem_id=problem_id))
        state = signed_off(done(state, measure_id, today), measure_id, today)
    assert state.problems[problem_id].status == "signed_off"
    return state


def in_phase(phase: str):
    """A staffed unit walked along the life cycle to ``phase``."""
    state = staffed()
    if phase == P.REGISTERED:
        return state
    state = mobilizing(state)
    path = {P.MOBILIZATION: 0, P.ANALYSIS: 1, P.RECTIFICATION: 2, P.SURVEY: 3}
    for i in range(path.get(phase, 3)):
        state = leave_current_phase(state, f"t{i}")
    if phase in (P.ACCEPTED, P.REMEDIAL):
        state = step(state, C.ApplySurveyResult(SYS, U, "s1", phase == P.ACCEPTED, "2024-06-20", 0.5, 0.6))
    if phase == P.ACCEPTED:  # 检查验收 after the passed survey
        state = step(state, C.ApplyInspectionResult(SYS, U, "i1", "s1", True, "成果扎实", "2024-06-25"))
    assert state.phase == phase
    return state
