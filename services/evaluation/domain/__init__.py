"""The evaluation service's pure domain core.

Two aggregates, one stream each per unit:

* ``analysis-<unit_id>`` — phase-2 (分析评议) records, ``analysis.py``;
* ``surveys-<unit_id>`` — satisfaction surveys and acceptance inspections, ``survey.py``.

Dispatch is one dict for the whole service: each aggregate module exposes
``HANDLERS = {CommandClass: decide_fn}`` (and ``EVOLVERS = {EventClass: evolve_fn}``);
they are merged here, and ``decide`` looks the command's type up (``TypeError`` for a
command that is not ours). A command names its own stream (``stream_of``) and the empty
state that stream folds from (``fold_for``), so the service runs every command the same way:

    storage.execute(stream_of(c), decide, fold_for(c), c, actor=actor)
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from services.evaluation.domain import analysis, survey
from services.evaluation.domain.analysis import (
    OPINION_SOURCES,
    AnalysisState,
    DemocraticLifeMeetingHeld,
    HeartToHeartTalkHeld,
    OpinionsSolicited,
    PartySpiritAnalysisSubmitted,
    RecordDemocraticLifeMeeting,
    RecordHeartToHeartTalk,
    RecordOpinionsSolicited,
    SubmitPartySpiritAnalysis,
    analysis_stream,
    readiness,
)
from services.evaluation.domain.config import DEFAULT_CONFIG, EvaluationConfig
from services.evaluation.domain.facts import MemberFact, NotificationFact, UnitFacts, unit_facts_from_docs
from services.evaluation.domain.sampling import ALGORITHM, draw_sample, verify_draw, verify_survey_log
from services.evaluation.domain.slips import verify_slips
from services.evaluation.domain.survey import (
    AcceptanceInspectionRecorded,
    BallotCast,
    CastBallot,
    CloseSurvey,
    DrawSample,
    OpenSurvey,
    RecordAcceptanceInspection,
    SampleDrawn,
    SlipsIssued,
    Survey,
    SurveyClosed,
    SurveyFailed,
    SurveyInvalidated,
    SurveyOpened,
    SurveyPassed,
    SurveysState,
    sealed_seed,
    survey_stream,
)
from shared.domain import Event, events_of

HANDLERS = {**analysis.HANDLERS, **survey.HANDLERS}
EVOLVERS = {**analysis.EVOLVERS, **survey.EVOLVERS}
EVENTS = analysis.EVENTS + survey.EVENTS


def decide(state, command, config: EvaluationConfig = DEFAULT_CONFIG) -> list[Event]:
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"not an evaluation command: {type(command).__name__}")
    return handler(state, command, config)


def evolve(state, event: Event):
    handler = EVOLVERS.get(type(event))
    return handler(state, event) if handler else state


def fold(events: Iterable[Event], state):
    """Fold one stream's events (event objects) onto ``state`` (its aggregate's
    ``INITIAL`` for a whole stream)."""
    for event in events:
        state = evolve(state, event)
    return state


def stream_of(command: Any) -> str:
    """The stream the command appends to: ``analysis-<unit>`` or ``surveys-<unit>``."""
    return command.stream_id


def fold_for(command: Any) -> Callable[[list[dict]], Any]:
    """The fold of the command's stream: stored envelopes -> the aggregate's state."""
    initial = command.initial_state
    return lambda envelopes: fold(events_of(envelopes), initial)


def analysis_state(envelopes: list[dict]) -> AnalysisState:
    """A unit's phase-2 records, folded from its ``analysis-<unit>`` stream."""
    return fold(events_of(envelopes), analysis.INITIAL)


def surveys_state(envelopes: list[dict]) -> SurveysState:
    """A unit's surveys and inspections, folded from its ``surveys-<unit>`` stream."""
    return fold(events_of(envelopes), survey.INITIAL)


__all__ = [
    "ALGORITHM", "AcceptanceInspectionRecorded", "AnalysisState", "BallotCast", "CastBallot",
    "CloseSurvey", "DEFAULT_CONFIG", "DemocraticLifeMeetingHeld", "DrawSample", "EVENTS",
    "EVOLVERS", "EvaluationConfig", "HANDLERS", "HeartToHeartTalkHeld", "MemberFact",
    "NotificationFact", "OPINION_SOURCES", "OpenSurvey", "OpinionsSolicited",
    "PartySpiritAnalysisSubmitted", "RecordAcceptanceInspection", "RecordDemocraticLifeMeeting",
    "RecordHeartToHeartTalk", "RecordOpinionsSolicited", "SampleDrawn", "SlipsIssued",
    "SubmitPartySpiritAnalysis", "Survey", "SurveyClosed", "SurveyFailed", "SurveyInvalidated", "SurveyOpened",
    "SurveyPassed", "SurveysState", "UnitFacts", "analysis_state", "analysis_stream", "decide",
    "draw_sample", "evolve", "fold", "fold_for", "readiness", "sealed_seed", "stream_of",
    "surveys_state", "survey_stream", "unit_facts_from_docs", "verify_draw", "verify_slips", "verify_survey_log",
]
