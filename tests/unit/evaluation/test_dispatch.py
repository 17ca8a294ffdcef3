"""Top-level decide/evolve dispatch, stream names, and events that survive storage."""
import json

import pytest

from shared.domain import event_from
from services.evaluation.domain import (EVENTS, AnalysisState, SurveysState, decide, evolve, fold,
                                        initial_state_for, stream_for)
from services.evaluation.domain import analysis as an
from services.evaluation.domain import survey as sv
from tests.unit.evaluation.helpers import (UNIT, UNIT_ACTOR, apply, ballot, close_cmd, draw_cmd,
                                           facts, open_cmd, tokens_for)


def scenario_events():
    events, state = [], sv.INITIAL
    for command in (open_cmd(sample_size=3), draw_cmd(n=3),
                    ballot("s-1", tokens_for("s-1", 3)[0], "basically_satisfied", "dissatisfied"),
                    close_cmd()):
        new, state = apply(state, command)
        events += new
    unit = facts(phase="analysis")
    new, _ = apply(an.INITIAL, an.SubmitPartySpiritAnalysis(UNIT, "L1", "2005-03-01", "材料", unit,
                                                            UNIT_ACTOR))
    return events + new


def test_every_event_round_trips_through_json_storage():
    events = scenario_events()
    assert {e.type for e in events} >= {"SurveyOpened", "SampleDrawn", "BallotCast", "SurveyClosed",
                                        "SurveyFailed", "PartySpiritAnalysisSubmitted"}
    for event in events:
        stored = json.loads(json.dumps(event.payload(), ensure_ascii=False))
        assert event_from(event.type, stored) == event


def test_event_names_are_past_tense_and_ours():
    assert all(cls.__name__.endswith(("ed", "Cast", "Drawn", "Held")) for cls in EVENTS)


def test_streams_and_initial_states():
    assert stream_for(open_cmd()) == "surveys-u1"
    assert isinstance(initial_state_for(open_cmd()), SurveysState)
    analysis_cmd = an.SubmitPartySpiritAnalysis(UNIT, "L1", "d", "s", facts(), UNIT_ACTOR)
    assert stream_for(analysis_cmd) == "analysis-u1"
    assert isinstance(initial_state_for(analysis_cmd), AnalysisState)
    with pytest.raises(TypeError):
        decide(sv.INITIAL, object())


def test_fold_picks_the_aggregate_and_is_deterministic():
    events = [e for e in scenario_events() if isinstance(e, sv.EVENTS)]
    assert fold(events) == fold(events) == fold(events, sv.INITIAL)
    assert fold(events).surveys["s-1"].status == "closed"
    assert evolve(sv.INITIAL, object()) == sv.INITIAL
