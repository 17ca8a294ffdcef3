"""Folding is deterministic and envelope-agnostic; the gate's order holds for any commands."""
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from services.supervision.domain import (
    DecideTransition,
    FileReport,
    FormGroup,
    RecordArrival,
    ReviewTransition,
    decide,
    fold_for,
    fold_group,
    fold_unit,
    group_stream,
    unit_stream,
)
from services.supervision.domain.commands import Readiness
from services.supervision.domain.unit_state import EMPTY_UNIT
from shared.domain import DomainError, event_from
from shared.projection import envelope_for
from tests.unit.supervision.helpers import (
    G1,
    LEADER,
    MEMBER,
    OFFICE,
    READY,
    SUP1,
    SUP2,
    UNIT,
    UNIT_ACTOR,
    application,
    arrived,
    assigned,
)


def history():
    return [assigned(), arrived()]


def test_fold_accepts_envelopes_as_the_event_store_returns_them():
    events = history()
    envelopes = [envelope_for(e, stream_id=unit_stream(UNIT), version=i + 1)
                 for i, e in enumerate(events)]
    assert fold_unit(envelopes) == fold_unit(events)


def test_every_event_payload_is_json_native_and_round_trips():
    for event in history():
        payload = json.loads(json.dumps(event.payload()))
        assert event_from(event.type, payload) == event


def test_commands_name_their_stream_and_fold():
    form = FormGroup(group_id=G1, name="一组", leader=LEADER, members=[MEMBER],
                     formed_on="2005-01-20", actor=OFFICE)
    assert form.stream_id == group_stream(G1) == "group-g1"
    assert fold_for(form) is fold_group
    arrive = RecordArrival(group_id=G1, unit_id=UNIT, date="2005-02-16", actor=SUP1,
                           today="2005-02-16")
    assert arrive.stream_id == "supervised-unit-u1" and fold_for(arrive) is fold_unit


# ------------------------------------------------------------ gate property
def commands():
    # Mostly the right actor and a valid decision, so that approvals really happen;
    # sometimes the wrong actor, a bogus decision or missing comments.
    tid = st.sampled_from(["t1", "t2"])
    comments = st.sampled_from(["意见", "意见", ""])
    review = st.builds(
        lambda t, a, d, c: ReviewTransition(transition_id=t, unit_id=UNIT, decision=d, comments=c,
                                            today="2005-03-20", actor=a,
                                            application=application(transition_id=t),
                                            readiness=READY),
        tid, st.sampled_from([SUP1, SUP1, SUP1, SUP2, OFFICE]),
        st.sampled_from(["agree", "agree", "return", "bogus"]), comments)
    office = st.builds(
        lambda t, a, d, c: DecideTransition(transition_id=t, unit_id=UNIT, decision=d, comments=c,
                                            today="2005-03-21", actor=a,
                                            application=application(transition_id=t)),
        tid, st.sampled_from([OFFICE, OFFICE, OFFICE, SUP1, UNIT_ACTOR]),
        st.sampled_from(["approve", "approve", "reject"]), comments)
    report = st.builds(
        lambda a: FileReport(report_id="r", unit_id=UNIT, kind="progress", title="t", body="b",
                             date="2005-03-01", actor=a), st.sampled_from([SUP1, SUP2]))
    return st.lists(st.one_of(review, office, report), min_size=2, max_size=12)


def run(sequence):
    log = history()
    for command in sequence:
        try:
            log += decide(fold_unit(log), command)
        except DomainError:
            pass  # a refusal stores nothing
    return log


def test_the_gate_sequence_strategy_reaches_approvals():
    from hypothesis import find
    log = run(find(commands(), lambda seq: any(e.type == "TransitionApproved" for e in run(seq))))
    assert [e.type for e in log][-2:] == ["TransitionAgreed", "TransitionApproved"]


@settings(max_examples=200)
@given(commands())
def test_no_transition_is_decided_by_the_office_unless_the_group_agreed_it_once(sequence):
    log = run(sequence)
    reviews, decided = {}, {}
    for event in log:
        tid = getattr(event, "transition_id", None)
        if event.type in ("TransitionAgreed", "TransitionReturned"):
            assert tid not in reviews, "a group reviews an application once"
            reviews[tid] = event.type
        if event.type in ("TransitionApproved", "TransitionRejected"):
            assert reviews.get(tid) == "TransitionAgreed"
            assert tid not in decided, "the office decides once"
            decided[tid] = event.type
    assert fold_unit(log) == fold_unit(list(log)), "folding is deterministic"


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=20))
def test_soft_limit_warning_is_exactly_beyond_the_limit(existing, limit):
    from services.supervision.domain import AssignUnit, SupervisionConfig, decide
    command = AssignUnit(group_id=G1, unit_id=UNIT, today="2005-01-25", actor=OFFICE,
                         group_exists=True, group_unit_count=existing, unit_registered=True)
    [event] = decide(EMPTY_UNIT, command, SupervisionConfig(soft_unit_limit=limit))
    assert event.unit_count == existing + 1
    assert event.over_soft_limit == (existing + 1 > limit)


def test_unready_readiness_is_serialised_into_the_returned_event():
    command = ReviewTransition(transition_id="t1", unit_id=UNIT, decision="return",
                               comments="未达标", today="2005-03-20", actor=SUP1,
                               application=application(), readiness=Readiness())
    [event] = decide(fold_unit(history()), command)
    assert json.loads(json.dumps(event.payload()))["readiness"] == {
        "study": None, "requirements_present": False, "open_rectifications": 0, "analysis": None,
        "open_problems": []}
