"""Properties of the life cycle: no phase is ever skipped, folding is deterministic."""
from hypothesis import given, settings
from hypothesis import strategies as st

from services.units.domain import ALLOWED_EDGES, decide, fold
from services.units.domain import commands as C
from services.units.domain import events as E
from shared.domain import DomainError

from .helpers import ANALYSIS_READY, READY, SYS, UNIT, U, in_phase

# walks also start deep in the life cycle, so that survey, remedial and re-survey get explored
STARTS = {phase: in_phase(phase) for phase in
          ("registered", "mobilization", "rectification", "survey", "remedial")}
DAY = "2024-06-01"


def candidate_commands(state, i):
    """Everything anyone could try next, honest or not: applications, approvals (also of
    a made-up transition or to a far phase), returns, survey verdicts, meeting moves."""
    phases = ["registered", "mobilization", "analysis", "rectification", "survey", "accepted", "remedial"]
    app = state.open_application
    tid = app.transition_id if app else f"t{i}"
    leader_ids = [m.member_id for m in state.leaders()]
    return [
        C.ScheduleMobilizationMeeting(UNIT, U, "2024-02-18", today="2024-02-01"),
        C.HoldMobilizationMeeting(UNIT, U, today="2024-02-18"),
        C.SetRequirements(UNIT, U, "具体要求", ()),
        C.ApplyForTransition(UNIT, U, f"t{i}", "总结", READY, ANALYSIS_READY),
        *[C.AddRectificationMeasure(UNIT, U, f"m{i}-{lid}", "commitment", "整改", lid, "2024-12-31", DAY)
          for lid in leader_ids],
        C.CloseTransition(SYS, U, tid, "returned"),
        *[C.ApplyApprovedTransition(SYS, U, tid, state.phase, to, DAY) for to in phases],
        C.ApplySurveyResult(SYS, U, f"s{i}", True, DAY, 0.9, 0.9),
        C.ApplySurveyResult(SYS, U, f"s{i}", False, DAY, 0.5, 0.5),
    ]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(STARTS)), st.lists(st.integers(min_value=0, max_value=30), min_size=10, max_size=60))
def test_a_phase_can_never_be_skipped(start, choices):
    begin = STARTS[start]
    state, log = begin, []
    for i, choice in enumerate(choices):
        options = candidate_commands(state, i)
        try:
            events = decide(state, options[choice % len(options)])
        except DomainError:
            continue  # refused: nothing happened
        log += events
        state = fold(events, state)
    entered = [e for e in log if isinstance(e, E.PhaseEntered)]
    previous = begin.phase
    for e in entered:
        assert e.previous_phase == previous, "a phase change must start where the unit stood"
        assert (e.previous_phase, e.phase) in ALLOWED_EDGES, (e.previous_phase, e.phase)
        previous = e.phase
    assert state.phase == previous
    assert fold(log, begin) == state  # folding the same events always gives the same state


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(STARTS)), st.lists(st.integers(min_value=0, max_value=30), min_size=10, max_size=40))
def test_the_phase_moves_only_by_meeting_approval_or_survey(start, choices):
    state = STARTS[start]
    for i, choice in enumerate(choices):
        options = candidate_commands(state, i)
        command = options[choice % len(options)]
        try:
            events = decide(state, command)
        except DomainError:
            continue
        new = fold(events, state)
        if new.phase != state.phase:
            assert isinstance(command, (C.HoldMobilizationMeeting, C.ApplyApprovedTransition,
                                        C.ApplySurveyResult)), type(command).__name__
            assert command.actor.role == ("unit" if isinstance(command, C.HoldMobilizationMeeting) else "system")
        state = new
