"""The satisfaction survey (R12) and acceptance inspection (R13): accepting and refusing paths."""
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain import (
    AcceptanceInspectionRecorded,
    BallotCast,
    CastBallot,
    RecordAcceptanceInspection,
    SampleDrawn,
    SlipsIssued,
    SurveyClosed,
    SurveyFailed,
    SurveyOpened,
    SurveyPassed,
    draw_sample,
    fold,
    sealed_seed,
    stream_of,
    verify_draw,
)
from services.evaluation.domain import survey as sv
from services.evaluation.domain.hashing import sha256_hex
from shared.domain import Conflict, Forbidden, NotFound, Rejected
from tests.unit.evaluation.helpers import (
    FRAME,
    GROUP,
    OFFICE,
    OTHER_SUPERVISOR,
    SUPERVISOR,
    UNIT,
    UNIT_ACTOR,
    apply,
    ballot,
    close_cmd,
    decide,
    draw_cmd,
    drawn_state,
    facts,
    open_cmd,
    seed_for,
    tokens_for,
    voted_state,
)


def refused(error, state, command):
    """Assert the command is refused with ``error`` (and so returns no events)."""
    with pytest.raises(error) as info:
        decide(state, command)
    assert info.value.message
    return info.value


# ---------------------------------------------------------------- opening

def test_open_freezes_frame_and_commits_only_the_seed_hash():
    cmd = open_cmd(sample_size=10)
    events = decide(sv.INITIAL, cmd)
    assert [type(e) for e in events] == [SurveyOpened]
    opened = events[0]
    assert opened.frame == FRAME
    assert opened.seed_hash == sha256_hex(cmd.seed)
    assert cmd.seed not in str(opened.payload())
    assert (opened.notification_id, opened.survey_round, opened.group_id) == ("n1", 1, GROUP)
    assert stream_of(cmd) == f"surveys-{UNIT}"
    assert sealed_seed(cmd) == {"_id": "s-1", "survey_id": "s-1", "unit_id": UNIT, "seed": cmd.seed}


def test_frame_is_frozen_per_survey_and_a_new_survey_takes_the_latest_scope():
    state = voted_state([("dissatisfied", "dissatisfied")], "s-1", n=1)
    _, state = apply(state, close_cmd("s-1"))
    assert state.surveys["s-1"].frame == tuple(FRAME)
    # after 补课 the unit notifies a new scope; the new survey samples only inside it
    new_scope = ("甲", "乙", "丙")
    events = decide(state, open_cmd("s-2", sample_size=3, seed=seed_for(2),
                                    unit=facts(survey_round=2, scope=new_scope, notification_id="n2")))
    assert events[0].frame == list(new_scope) and events[0].notification_id == "n2"
    assert fold(events, state).surveys["s-1"].frame == tuple(FRAME)


@pytest.mark.parametrize("unit, error", [
    (facts(phase="rectification"), Conflict),
    (facts(phase="remedial"), Conflict),
    (facts(phase="accepted"), Conflict),
    (facts(scope=None), Rejected),
    (facts(scope=()), Rejected),
    (facts(scope=("张三", "张三", "李四")), Rejected),
    (facts(group_id="g2"), Forbidden),
    (facts(group_id=None), Forbidden),
])
def test_open_refused_for_unit_facts(unit, error):
    refused(error, sv.INITIAL, open_cmd(unit=unit, sample_size=1))


def test_a_group_opens_a_survey_only_at_a_unit_it_has_arrived_at():
    error = refused(Conflict, sv.INITIAL, open_cmd(unit=facts(arrived_on=None)))
    assert error.details["missing"] == ["group_arrival"] and "arrived" in error.message


def test_open_refuses_sample_larger_than_frame_and_bad_sizes():
    err = refused(Rejected, sv.INITIAL, open_cmd(sample_size=len(FRAME) + 1))
    assert err.details["frame_size"] == len(FRAME)
    refused(Rejected, sv.INITIAL, open_cmd(sample_size=0))
    assert decide(sv.INITIAL, open_cmd(sample_size=len(FRAME)))  # the whole frame is fine


def test_open_refuses_weak_seed_and_other_group_and_non_supervisor():
    refused(Rejected, sv.INITIAL, open_cmd(seed="abc"))
    refused(Rejected, sv.INITIAL, open_cmd(seed="Z" * 64))
    refused(Forbidden, sv.INITIAL, open_cmd(actor=OTHER_SUPERVISOR))
    refused(Forbidden, sv.INITIAL, open_cmd(actor=UNIT_ACTOR))
    refused(Forbidden, sv.INITIAL, open_cmd(group_id="g2", actor=OTHER_SUPERVISOR))


def test_only_one_open_survey_and_one_per_survey_round():
    _, state = apply(sv.INITIAL, open_cmd("s-1"))
    refused(Conflict, state, open_cmd("s-1"))
    err = refused(Conflict, state, open_cmd("s-2"))
    assert err.details["open_survey_id"] == "s-1"
    closed = voted_state([("satisfied", "dissatisfied")], "s-1", n=1)
    _, closed = apply(closed, close_cmd("s-1"))
    # failed, but the unit has not come back to phase survey yet (same round)
    refused(Conflict, closed, open_cmd("s-2", unit=facts(survey_round=1)))


# ---------------------------------------------------------------- draw

def test_draw_reveals_seed_and_issues_unlinked_token_hashes():
    _, state = apply(sv.INITIAL, open_cmd(sample_size=10))
    tokens = tokens_for("s-1", 10)
    events = decide(state, draw_cmd(tokens=tokens))
    # issue 19: the people (SampleDrawn) and the slips' hashes (SlipsIssued) are two events,
    # so no stored document holds both
    assert [type(e) for e in events] == [SampleDrawn, SlipsIssued]
    drawn, slips = events
    assert drawn.seed == seed_for(1)
    assert drawn.sample == draw_sample(FRAME, 10, seed_for(1))
    assert drawn.token_hashes == []
    assert slips.token_hashes == sorted(sha256_hex(t) for t in tokens)
    assert not any(person in str(slips.payload()) for person in FRAME)
    assert not any(t in str(drawn.payload()) + str(slips.payload()) for t in tokens)
    opened = decide(sv.INITIAL, open_cmd(sample_size=10))[0]
    assert verify_draw(opened.payload(), drawn.payload())["ok"] is True


def test_public_entropy_is_recorded_and_used():
    _, state = apply(sv.INITIAL, open_cmd(sample_size=10))
    drawn = decide(state, draw_cmd(public_entropy="骰子 6-2-4"))[0]
    assert drawn.public_entropy == "骰子 6-2-4"
    assert drawn.sample == draw_sample(FRAME, 10, seed_for(1), "骰子 6-2-4")


def test_draw_before_the_commit_is_refused():
    err = refused(NotFound, sv.INITIAL, draw_cmd())
    assert "no seed is committed" in err.message


def test_second_draw_is_refused():
    state = drawn_state()
    refused(Conflict, state, draw_cmd())


def test_draw_with_a_seed_other_than_the_committed_one_is_refused():
    _, state = apply(sv.INITIAL, open_cmd())
    refused(Rejected, state, draw_cmd(seed=seed_for(2)))


@pytest.mark.parametrize("tokens", [
    tokens_for("s-1", 9),                                  # one short
    tokens_for("s-1", 11),                                 # one too many
    tokens_for("s-1", 9) + [tokens_for("s-1", 9)[0]],      # duplicate
    tokens_for("s-1", 9) + ["short"],                      # too short to be safe
])
def test_draw_refuses_bad_token_sets(tokens):
    _, state = apply(sv.INITIAL, open_cmd())
    refused(Rejected, state, draw_cmd(tokens=tokens))


def test_draw_by_another_group_refused():
    _, state = apply(sv.INITIAL, open_cmd())
    refused(Forbidden, state, dataclasses.replace(draw_cmd(), actor=OTHER_SUPERVISOR))
    refused(Forbidden, state, dataclasses.replace(draw_cmd(), group_id="g2", actor=OTHER_SUPERVISOR))


# ---------------------------------------------------------------- ballots

def test_ballot_records_ratings_and_token_hash_but_no_person():
    state = drawn_state(n=3)
    token = tokens_for("s-1", 3)[0]
    events = decide(state, ballot("s-1", token, "basically_satisfied", "dissatisfied"))
    assert [type(e) for e in events] == [BallotCast]
    payload = events[0].payload()
    assert payload == {"survey_id": "s-1", "unit_id": UNIT, "token_hash": sha256_hex(token),
                       "leadership": "basically_satisfied", "campaign": "dissatisfied"}
    sampled = state.surveys["s-1"].sample
    assert not any(person in str(payload) for person in sampled)


def test_reused_token_refused():
    state = drawn_state(n=3)
    token = tokens_for("s-1", 3)[0]
    _, state = apply(state, ballot("s-1", token))
    refused(Conflict, state, ballot("s-1", token, "dissatisfied", "dissatisfied"))


def test_unknown_token_refused():
    refused(Forbidden, drawn_state(n=3), ballot("s-1", "never-issued-token-000000"))


def test_token_from_another_survey_refused():
    # survey 1 failed, the unit went through 补课 and came back: survey 2 in round 2
    state = voted_state([("dissatisfied", "dissatisfied")], "s-1", n=2)
    _, state = apply(state, close_cmd("s-1"))
    state = drawn_state("s-2", n=2, state=state, unit=facts(survey_round=2), seed=seed_for(2))
    old_token = tokens_for("s-1", 2)[1]   # unused in survey 1
    err = refused(Forbidden, state, ballot("s-2", old_token))
    assert err.details["token_survey_id"] == "s-1"


def test_ballot_after_close_refused():
    state = voted_state([("satisfied", "satisfied")], n=2)
    _, state = apply(state, close_cmd())
    refused(Conflict, state, ballot("s-1", tokens_for("s-1", 2)[1]))


def test_ballot_before_draw_or_for_unknown_survey_refused():
    _, state = apply(sv.INITIAL, open_cmd())
    refused(Forbidden, state, ballot("s-1", tokens_for("s-1", 10)[0]))
    refused(NotFound, state, ballot("s-9", tokens_for("s-1", 10)[0]))


@pytest.mark.parametrize("ratings", [
    {"leadership": "satisfied"},
    {"campaign": "satisfied"},
    {},
    {"leadership": "satisfied", "campaign": None},
    {"leadership": "very_satisfied", "campaign": "satisfied"},
    {"leadership": "满意", "campaign": "satisfied"},
    {"leadership": "satisfied", "campaign": "satisfied", "secretary": "satisfied"},
    "satisfied",
])
def test_missing_or_unknown_rating_refused(ratings):
    state = drawn_state(n=2)
    refused(Rejected, state, CastBallot("s-1", UNIT, tokens_for("s-1", 2)[0], ratings))


# ---------------------------------------------------------------- closing

def test_close_exactly_two_thirds_passes():
    state = voted_state([("satisfied", "basically_satisfied"), ("basically_satisfied", "satisfied"),
                         ("dissatisfied", "dissatisfied")], n=4)
    events = decide(state, close_cmd())
    assert [type(e) for e in events] == [SurveyClosed, SurveyPassed]
    closed, passed = events
    assert closed.passed is True
    assert closed.leadership["share"] == {"numerator": 2, "denominator": 3, "value": 0.6667}
    assert closed.leadership["counts"] == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}
    assert closed.turnout == {"numerator": 3, "denominator": 4, "value": 0.75}
    assert closed.ballots_cast == 3 and closed.eligible == 4 and closed.frame_size == len(FRAME)
    assert closed.leadership["ci"]["low"] < 0.6667 < closed.leadership["ci"]["high"]
    assert passed.leadership_exact == {"numerator": 2, "denominator": 3, "value": 0.6667}


def test_close_below_two_thirds_on_one_target_fails_and_names_it():
    votes = [("satisfied", "satisfied")] * 6 + [("satisfied", "dissatisfied")] * 4
    state = voted_state(votes, n=10)
    events = decide(state, close_cmd())
    assert [type(e) for e in events] == [SurveyClosed, SurveyFailed]
    failed = events[1]
    assert failed.failed_targets == ["campaign"]
    assert failed.share_campaign == 0.6 and failed.share_leadership == 1.0
    assert failed.campaign_exact == {"numerator": 6, "denominator": 10, "value": 0.6}


def test_close_refusals():
    refused(NotFound, sv.INITIAL, close_cmd())
    _, opened = apply(sv.INITIAL, open_cmd())
    refused(Conflict, opened, close_cmd())                       # before the draw
    refused(Rejected, drawn_state(), close_cmd())                # no ballots to tally
    voted = voted_state([("satisfied", "satisfied")], n=2)
    refused(Forbidden, voted, dataclasses.replace(close_cmd(), actor=OTHER_SUPERVISOR))
    _, closed = apply(voted, close_cmd())
    refused(Conflict, closed, close_cmd())                       # second close


def test_history_keeps_failed_and_new_survey_after_remedial():
    state = voted_state([("dissatisfied", "satisfied")] * 2, "s-1", n=2)
    _, state = apply(state, close_cmd("s-1"))
    # the unit is sent to 补课 and comes back: phase survey again, round 2
    state = voted_state([("satisfied", "satisfied")] * 2, "s-2", n=2, state=state,
                        unit=facts(survey_round=2), seed=seed_for(2))
    events, state = apply(state, close_cmd("s-2"))
    assert isinstance(events[1], SurveyPassed)
    assert list(state.surveys) == ["s-1", "s-2"]
    assert [s.passed for s in state.surveys.values()] == [False, True]


# ---------------------------------------------------------------- acceptance inspection (R13)

def inspect_cmd(result="pass", actor=SUPERVISOR, inspection_id="i-1", unit=None):
    return RecordAcceptanceInspection(inspection_id=inspection_id, unit_id=UNIT, group_id=GROUP,
                                      result=result, notes="材料齐全", date="2005-06-25",
                                      unit=unit or facts(phase="accepted"), actor=actor)


def passed_state():
    state = voted_state([("satisfied", "satisfied")] * 2, n=2)
    return apply(state, close_cmd())[1]


def test_inspection_after_passed_survey_by_group_or_office():
    events = decide(passed_state(), inspect_cmd())
    assert [type(e) for e in events] == [AcceptanceInspectionRecorded]
    assert events[0].survey_id == "s-1" and events[0].result == "pass"
    assert decide(passed_state(), inspect_cmd(actor=OFFICE))[0].recorded_by_role == "office"


def test_inspection_refusals():
    refused(Conflict, sv.INITIAL, inspect_cmd())                          # no survey at all
    failed = voted_state([("dissatisfied", "dissatisfied")], n=1)
    refused(Conflict, apply(failed, close_cmd())[1], inspect_cmd())       # survey failed
    refused(Rejected, passed_state(), inspect_cmd(result="maybe"))
    refused(Forbidden, passed_state(), inspect_cmd(actor=OTHER_SUPERVISOR))
    refused(Forbidden, passed_state(), inspect_cmd(actor=UNIT_ACTOR))
    refused(Forbidden, passed_state(), inspect_cmd(unit=facts(group_id="g2")))
    _, done = apply(passed_state(), inspect_cmd())
    refused(Conflict, done, inspect_cmd())                                # same id
    refused(Conflict, done, inspect_cmd(inspection_id="i-2"))             # already passed


def test_a_failed_inspection_is_followed_only_after_a_new_passed_survey():
    # issue 15: a failed inspection sends the unit back to 整改提高, so its survey is spent
    _, state = apply(passed_state(), inspect_cmd(result="fail"))
    err = refused(Conflict, state, inspect_cmd(inspection_id="i-2"))
    assert err.details["missing"] == ["new_passed_survey"]


# ---------------------------------------------------------------- properties

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied"]),
                          st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied"])),
                min_size=1, max_size=12))
def test_property_fold_is_deterministic_and_verdict_is_exact(votes):
    state = voted_state(votes, n=len(votes))
    events = decide(state, close_cmd())
    closed = events[0]
    for target, idx in (("leadership", 0), ("campaign", 1)):
        sat = sum(1 for v in votes if v[idx] != "dissatisfied")
        assert closed.__getattribute__(target)["share"]["numerator"] == sat
        assert closed.__getattribute__(target)["passed"] == (3 * sat >= 2 * len(votes))
    assert closed.passed == all(3 * sum(1 for v in votes if v[i] != "dissatisfied") >= 2 * len(votes)
                                for i in (0, 1))
    assert isinstance(events[1], SurveyPassed if closed.passed else SurveyFailed)
    # folding the same events twice gives the same state
    log = (decide(sv.INITIAL, open_cmd(sample_size=len(votes)))
           + decide(apply(sv.INITIAL, open_cmd(sample_size=len(votes)))[1], draw_cmd(n=len(votes))))
    assert fold(log, sv.INITIAL) == fold(list(log), sv.INITIAL)
