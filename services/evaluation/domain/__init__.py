"""The evaluation service's pure domain core.

Two aggregates, one stream each per unit:

* ``analysis-<unit_id>`` — phase-2 (分析评议) records, ``analysis.py``;
* ``surveys-<unit_id>`` — satisfaction surveys and acceptance inspections, ``survey.py``.

``decide`` and ``evolve`` dispatch on the command / event type to the right aggregate;
``stream_for(command)`` names the stream a command appends to, and ``initial_state_for``
the empty state to fold that stream onto.
"""
from __future__ import annotations

from typing import Any

from shared.domain import Event
from services.evaluation.domain import analysis, survey
from services.evaluation.domain.analysis import (
    OPINION_SOURCES, AnalysisState, DemocraticLifeMeetingHeld, HeartToHeartTalkHeld,
    OpinionsSolicited, PartySpiritAnalysisSubmitted, RecordDemocraticLifeMeeting,
    RecordHeartToHeartTalk, RecordOpinionsSolicited, SubmitPartySpiritAnalysis, analysis_stream,
    readiness)
from services.evaluation.domain.config import DEFAULT_CONFIG, EvaluationConfig
from services.evaluation.domain.facts import (MemberFact, NotificationFact, UnitFacts,
                                              unit_facts_from_docs)
from services.evaluation.domain.sampling import (ALGORITHM, draw_sample, verify_draw,
                                                 verify_survey_log)
from services.evaluation.domain.survey import (
    AcceptanceInspectionRecorded, BallotCast, CastBallot, CloseSurvey, DrawSample, OpenSurvey,
    RecordAcceptanceInspection, SampleDrawn, Survey, SurveyClosed, SurveyFailed, SurveyOpened,
    SurveyPassed, SurveysState, sealed_seed, survey_stream)

EVENTS = analysis.EVENTS + survey.EVENTS


def _aggregate_of_command(command: Any):
    if isinstance(command, analysis.COMMANDS):
        return analysis
    if isinstance(command, survey.COMMANDS):
        return survey
    raise TypeError(f"not an evaluation command: {type(command).__name__}")


def decide(state, command, config: EvaluationConfig = DEFAULT_CONFIG) -> list[Event]:
    return _aggregate_of_command(command).decide(state, command, config)


def evolve(state, event: Event):
    if isinstance(event, analysis.EVENTS):
        return analysis.evolve(state, event)
    if isinstance(event, survey.EVENTS):
        return survey.evolve(state, event)
    return state


def stream_for(command: Any) -> str:
    aggregate = _aggregate_of_command(command)
    if aggregate is analysis:
        return analysis_stream(command.unit_id)
    return survey_stream(command.unit_id)


def initial_state_for(command: Any):
    return _aggregate_of_command(command).INITIAL


def fold(events, state=None):
    """Fold one stream's events (event objects) onto its empty state."""
    events = list(events)
    if state is None:
        if not events:
            raise ValueError("fold of no events needs an explicit initial state")
        state = analysis.INITIAL if isinstance(events[0], analysis.EVENTS) else survey.INITIAL
    for event in events:
        state = evolve(state, event)
    return state


__all__ = [
    "ALGORITHM", "AcceptanceInspectionRecorded", "AnalysisState", "BallotCast", "CastBallot",
    "CloseSurvey", "DEFAULT_CONFIG", "DemocraticLifeMeetingHeld", "DrawSample", "EVENTS",
    "EvaluationConfig", "HeartToHeartTalkHeld", "MemberFact", "NotificationFact",
    "OPINION_SOURCES", "OpenSurvey", "OpinionsSolicited", "PartySpiritAnalysisSubmitted",
    "RecordAcceptanceInspection", "RecordDemocraticLifeMeeting", "RecordHeartToHeartTalk",
    "RecordOpinionsSolicited", "SampleDrawn", "SubmitPartySpiritAnalysis", "Survey",
    "SurveyClosed", "SurveyFailed", "SurveyOpened", "SurveyPassed", "SurveysState", "UnitFacts",
    "analysis_stream", "decide", "draw_sample", "evolve", "fold", "initial_state_for", "readiness",
    "sealed_seed", "stream_for", "survey_stream", "unit_facts_from_docs", "verify_draw",
    "verify_survey_log",
]
