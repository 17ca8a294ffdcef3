"""Top-level decide/evolve dispatch, stream names, and events that survive storage."""
import json

import pytest

from services.evaluation.domain import (
    EVENTS,
    EVOLVERS,
    HANDLERS,
    AnalysisState,
    SurveysState,
    evolve,
    fold,
    fold_for,
    stream_of,
)
from services.evaluation.domain import analysis as an
from services.evaluation.domain import survey as sv
from shared.domain import event_from
from tests.unit.evaluation.helpers import (
    UNIT,
    UNIT_ACTOR,
    apply,
    ballot,
    close_cmd,
    decide,
    draw_cmd,
    facts,
    open_cmd,
    tokens_for,
)


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


def test_one_dict_dispatches_every_command_and_every_event():
    assert HANDLERS.keys() == an.HANDLERS.keys() | sv.HANDLERS.keys()
    assert not an.HANDLERS.keys() & sv.HANDLERS.keys()
    assert set(EVOLVERS) == set(EVENTS)
    with pytest.raises(TypeError):
        decide(sv.INITIAL, object())
    assert evolve(sv.INITIAL, object()) == sv.INITIAL


def test_streams_and_folds_of_commands():
    assert stream_of(open_cmd()) == "surveys-u1"
    analysis_cmd = an.SubmitPartySpiritAnalysis(UNIT, "L1", "d", "s", facts(), UNIT_ACTOR)
    assert stream_of(analysis_cmd) == "analysis-u1"
    assert isinstance(fold_for(open_cmd())([]), SurveysState)
    assert isinstance(fold_for(analysis_cmd)([]), AnalysisState)


def test_fold_for_folds_stored_envelopes_deterministically():
    events = [e for e in scenario_events() if isinstance(e, sv.EVENTS)]
    envelopes = [{"type": e.type, "payload": json.loads(json.dumps(e.payload()))} for e in events]
    folded = fold_for(open_cmd())(envelopes)
    assert folded == fold_for(close_cmd())(envelopes) == fold(events, sv.INITIAL)
    assert folded.surveys["s-1"].status == "closed"
