"""The survey's validity gate (issue 15 item 4), with the default config: a minimum sample
(30, or the whole notified scope when smaller), a minimum turnout (2/3 of the sample,
exactly), and a framing notification made in phase survey that states the rectification
status. An invalid survey is neither passed nor failed and is repeated in the same entry."""
from fractions import Fraction

import pytest

from services.evaluation.domain import (
    DEFAULT_CONFIG,
    EvaluationConfig,
    SurveyClosed,
    SurveyFailed,
    SurveyInvalidated,
    SurveyOpened,
    SurveyPassed,
    decide,
    fold,
)
from services.evaluation.domain import survey as sv
from shared.domain import Conflict, events_of
from tests.unit.evaluation.helpers import (
    FRAME,
    ballot,
    close_cmd,
    draw_cmd,
    facts,
    open_cmd,
    seed_for,
    tokens_for,
)

SMALL = ("甲", "乙", "丙")  # a notified scope smaller than min_sample


def apply(state, command):
    events = decide(state, command)  # the default config: the gate as deployed
    return events, fold(events, state)


def refused(state, command) -> Conflict:
    with pytest.raises(Conflict) as info:
        decide(state, command)
    return info.value


def run(n, votes, *, scope, survey_id="s-1", state=sv.INITIAL, unit=None, seed=None):
    """Open (sample n), draw, cast ``votes`` ballots (all satisfied), close."""
    unit = unit or facts(scope=scope)
    events, state = apply(state, open_cmd(survey_id, n, seed=seed, unit=unit))
    _, state = apply(state, draw_cmd(survey_id, seed=seed, n=n))
    for token in tokens_for(survey_id, n)[:votes]:
        _, state = apply(state, ballot(survey_id, token))
    closing, state = apply(state, close_cmd(survey_id))
    return closing, state


def test_defaults_are_30_and_exactly_two_thirds():
    assert DEFAULT_CONFIG.min_sample == 30 and DEFAULT_CONFIG.min_turnout == Fraction(2, 3)


# ---------------------------------------------------------------- minimum sample

def test_a_sample_below_the_minimum_is_refused_and_names_it():
    frame = [f"群众{i:02d}" for i in range(1, 41)]
    err = refused(sv.INITIAL, open_cmd(sample_size=29, unit=facts(scope=tuple(frame))))
    assert err.details["missing"] == ["min_sample"]
    assert err.details["required"] == 30 and err.details["sample_size"] == 29
    assert [type(e) for e in decide(sv.INITIAL, open_cmd(sample_size=30, unit=facts(scope=tuple(frame))))] \
        == [SurveyOpened]


def test_a_scope_smaller_than_the_minimum_must_be_sampled_whole():
    err = refused(sv.INITIAL, open_cmd(sample_size=2, unit=facts(scope=SMALL)))
    assert err.details["missing"] == ["min_sample"] and err.details["required"] == 3
    assert decide(sv.INITIAL, open_cmd(sample_size=3, unit=facts(scope=SMALL)))


def test_the_minimum_sample_is_configurable():
    config = EvaluationConfig(min_sample=5)
    assert decide(sv.INITIAL, open_cmd(sample_size=5), config)
    with pytest.raises(Conflict):
        decide(sv.INITIAL, open_cmd(sample_size=4), config)


# ---------------------------------------------------------------- the framing notification

@pytest.mark.parametrize("unit", [
    facts(notified_in="rectification"),      # made right after the rectification gate
    facts(notified_in="mobilization"),       # a phase-1 notification
    facts(notified_in=None),                 # logged before the phase was recorded
    facts(survey_round=2, notified_round=1),  # made in the survey phase before 补课
])
def test_a_notification_not_made_in_this_survey_phase_is_refused(unit):
    err = refused(sv.INITIAL, open_cmd(sample_size=len(FRAME), unit=unit))
    assert err.details["missing"] == ["survey_phase_notification"]
    assert err.details["notification_id"] == "n1"


@pytest.mark.parametrize("status", ["", "   "])
def test_a_notification_without_rectification_status_is_refused(status):
    err = refused(sv.INITIAL, open_cmd(sample_size=len(FRAME), unit=facts(rectification_status=status)))
    assert err.details["missing"] == ["rectification_status"]


# ---------------------------------------------------------------- minimum turnout

def test_turnout_below_two_thirds_closes_invalid_neither_passed_nor_failed():
    closing, state = run(30, 19, scope=tuple(FRAME))  # 19/30 < 2/3, all satisfied
    assert [type(e) for e in closing] == [SurveyClosed, SurveyInvalidated]
    closed, invalidated = closing
    assert closed.valid is False and closed.passed is False and closed.invalid_reasons
    assert closed.min_turnout == {"numerator": 2, "denominator": 3, "value": 0.6667}
    assert invalidated.ballots_cast == 19 and invalidated.eligible == 30
    assert invalidated.turnout["numerator"] == 19 and "19/30" in invalidated.reasons[0]
    survey = state.surveys["s-1"]
    assert survey.status == "closed" and survey.valid is False and survey.passed is False
    assert not any(isinstance(e, (SurveyPassed, SurveyFailed)) for e in closing)


def test_exactly_two_thirds_turnout_is_valid():
    closing, state = run(30, 20, scope=tuple(FRAME))  # 20/30 == 2/3
    assert [type(e) for e in closing] == [SurveyClosed, SurveyPassed]
    assert closing[0].valid is True and closing[0].invalid_reasons == []
    closing, _ = run(3, 2, scope=SMALL)  # 2/3 of a whole small scope
    assert [type(e) for e in closing] == [SurveyClosed, SurveyPassed]


def test_an_invalid_close_of_dissatisfied_ballots_is_not_a_fail():
    events, state = apply(sv.INITIAL, open_cmd(sample_size=3, unit=facts(scope=SMALL)))
    _, state = apply(state, draw_cmd(n=3))
    _, state = apply(state, ballot("s-1", tokens_for("s-1", 3)[0], "dissatisfied", "dissatisfied"))
    closing, _ = apply(state, close_cmd())
    assert [type(e) for e in closing] == [SurveyClosed, SurveyInvalidated]


# ---------------------------------------------------------------- repeating

def test_a_repeat_survey_is_allowed_after_an_invalid_one_in_the_same_entry():
    _, state = run(3, 1, scope=SMALL)
    events, state = apply(state, open_cmd("s-2", 3, seed=seed_for(2), unit=facts(scope=SMALL)))
    assert [type(e) for e in events] == [SurveyOpened] and events[0].survey_round == 1
    _, state = apply(state, draw_cmd("s-2", seed=seed_for(2), n=3))
    for token in tokens_for("s-2", 3):
        _, state = apply(state, ballot("s-2", token))
    closing, state = apply(state, close_cmd("s-2"))
    assert [type(e) for e in closing] == [SurveyClosed, SurveyPassed]
    assert list(state.surveys) == ["s-1", "s-2"]


@pytest.mark.parametrize("rating", ["satisfied", "dissatisfied"])  # passed, failed
def test_no_repeat_in_the_same_entry_after_a_valid_survey(rating):
    _, state = apply(sv.INITIAL, open_cmd(sample_size=3, unit=facts(scope=SMALL)))
    _, state = apply(state, draw_cmd(n=3))
    for token in tokens_for("s-1", 3):
        _, state = apply(state, ballot("s-1", token, rating, rating))
    closing, state = apply(state, close_cmd())
    assert type(closing[1]) is (SurveyPassed if rating == "satisfied" else SurveyFailed)
    err = refused(state, open_cmd("s-2", 3, seed=seed_for(2), unit=facts(scope=SMALL)))
    assert err.details["held"] == ["s-1"]


def test_an_older_log_without_validity_fields_replays_as_valid():
    # a SurveyClosed stored before the gate: 1 of 3 voted, and it was a valid fail then
    closing, _ = run(3, 1, scope=SMALL)
    old = {k: v for k, v in closing[0].payload().items()
           if k not in ("valid", "min_turnout", "invalid_reasons")}
    old["passed"] = False
    state = fold(events_of([{"type": "SurveyOpened", "payload": decide(sv.INITIAL, open_cmd(
        sample_size=3, unit=facts(scope=SMALL)))[0].payload()}, {"type": "SurveyClosed", "payload": old}]),
        sv.INITIAL)
    survey = state.surveys["s-1"]
    assert survey.valid is True and survey.passed is False  # it used up its entry
    assert refused(state, open_cmd("s-2", 3, seed=seed_for(2), unit=facts(scope=SMALL))).details["held"] \
        == ["s-1"]


def test_the_gate_is_configured_from_the_environment_and_refuses_nonsense():
    from services.evaluation.domain.config import config_from_environment
    assert (config_from_environment({}).min_sample, config_from_environment({}).min_turnout) == (30, Fraction(2, 3))
    set_here = config_from_environment({"DUDAO_SURVEY_MIN_SAMPLE": "50", "DUDAO_SURVEY_MIN_TURNOUT": "3/4"})
    assert (set_here.min_sample, set_here.min_turnout) == (50, Fraction(3, 4))
    for bad in ({"DUDAO_SURVEY_MIN_TURNOUT": "3/2"}, {"DUDAO_SURVEY_MIN_SAMPLE": "0"},
                {"DUDAO_SURVEY_MIN_TURNOUT": "two thirds"}):
        with pytest.raises(ValueError):
            config_from_environment(bad)
