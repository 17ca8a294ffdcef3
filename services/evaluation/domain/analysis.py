"""Phase 2, 分析评议 (analysis and evaluation): the records of R22 and R23.

One aggregate per unit, stream ``analysis-<unit_id>``. What the unit records:

* opinions solicited, and from whom (R23, B "深入部办委局、乡镇和向一些经常到本办办事的
  群众征求意见"): departments 部办委局, townships 乡镇, frequent visitors 经常办事的群众;
* heart-to-heart talks held (谈心);
* each member's Party-spirit analysis (党性分析材料);
* criticism and self-criticism at the leadership's special democratic life meeting
  (专题民主生活会).

Leaders lead (R22, B "在分析评议阶段，要带头征求群众意见，带头开展谈心，带头撰写党性分析
材料，带头开展批评与自我批评"): a non-leader's Party-spirit analysis is accepted only after
every leader has submitted theirs (``EvaluationConfig.leaders_first``); a leader takes
part in the democratic life meeting only with their own analysis on record; and the
readiness check for the phase-2 transition review looks at the leaders' records first.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from services.evaluation.domain import guards
from services.evaluation.domain.config import EvaluationConfig
from services.evaluation.domain.facts import UnitFacts
from shared.domain import SYSTEM, Actor, Conflict, Event, NotFound, Rejected
from shared.opinion_sources import OPINION_SOURCES
from shared.review_period import review_period


def analysis_stream(unit_id: str) -> str:
    return f"analysis-{unit_id}"


# ---------------------------------------------------------------- events

@dataclasses.dataclass(frozen=True)
class OpinionsSolicited(Event):
    unit_id: str
    record_id: str
    source: str                # departments | townships | frequent_visitors
    source_name: str           # e.g. which department or township
    led_by_member_id: str
    led_by_leader: bool
    date: str
    opinion_count: int
    summary: str


@dataclasses.dataclass(frozen=True)
class HeartToHeartTalkHeld(Event):
    unit_id: str
    talk_id: str
    member_id: str             # who sought the talk
    by_leader: bool
    with_whom: str             # a member id or a person's name
    date: str
    notes: str


@dataclasses.dataclass(frozen=True)
class PartySpiritAnalysisSubmitted(Event):
    unit_id: str
    member_id: str
    is_leader: bool
    date: str
    summary: str
    # R19: {"work_since", "thinking_since"} (None on analyses recorded before it was kept)
    review_period: dict | None = None


@dataclasses.dataclass(frozen=True)
class DemocraticLifeMeetingHeld(Event):
    unit_id: str
    meeting_id: str
    date: str
    participant_member_ids: list   # leaders who made criticism and self-criticism
    summary: str


# ---------------------------------------------------------------- commands

class AnalysisCommand:
    """A phase-2 record: it appends to its unit's ``analysis-<unit_id>`` stream, which
    folds from ``INITIAL``. ``unit`` (the facts) is filled in by the service's handler
    from its own projections before ``decide``."""

    @property
    def stream_id(self) -> str:
        return analysis_stream(self.unit_id)

    @property
    def initial_state(self) -> "AnalysisState":
        return INITIAL


@dataclasses.dataclass(frozen=True)
class RecordOpinionsSolicited(AnalysisCommand):
    unit_id: str
    record_id: str
    source: str
    source_name: str
    led_by_member_id: str
    date: str
    opinion_count: int
    summary: str
    unit: UnitFacts | None = None
    actor: Actor = SYSTEM


@dataclasses.dataclass(frozen=True)
class RecordHeartToHeartTalk(AnalysisCommand):
    unit_id: str
    talk_id: str
    member_id: str
    with_whom: str
    date: str
    notes: str
    unit: UnitFacts | None = None
    actor: Actor = SYSTEM


@dataclasses.dataclass(frozen=True)
class SubmitPartySpiritAnalysis(AnalysisCommand):
    unit_id: str
    member_id: str
    date: str
    summary: str
    unit: UnitFacts | None = None
    actor: Actor = SYSTEM
    work_since: str | None = None      # R19: the 16th Party Congress unless earlier
    thinking_since: str | None = None  # R19: the thinking may reach further back


@dataclasses.dataclass(frozen=True)
class RecordDemocraticLifeMeeting(AnalysisCommand):
    unit_id: str
    meeting_id: str
    date: str
    participant_member_ids: tuple
    summary: str
    unit: UnitFacts | None = None
    actor: Actor = SYSTEM


# ---------------------------------------------------------------- state

@dataclasses.dataclass(frozen=True)
class AnalysisState:
    unit_id: str | None = None
    opinions: tuple = ()                    # OpinionsSolicited payloads
    talks: tuple = ()                       # HeartToHeartTalkHeld payloads
    analyses: Mapping[str, dict] = dataclasses.field(default_factory=dict)  # member_id -> payload
    meetings: tuple = ()                    # DemocraticLifeMeetingHeld payloads

    def record_ids(self) -> set[str]:
        return ({o["record_id"] for o in self.opinions} | {t["talk_id"] for t in self.talks}
                | {m["meeting_id"] for m in self.meetings})


INITIAL = AnalysisState()


# ---------------------------------------------------------------- decide

def _phase_two_record(handler):
    """What every phase-2 record is checked for before its own rule: the unit itself
    records it (R22/R23 are the unit's work), and only while it is in phase 2."""

    def decide_record(state: AnalysisState, command: Any, config: EvaluationConfig) -> list[Event]:
        guards.require_unit(command.actor, command.unit_id)
        if command.unit.phase not in config.analysis_record_phases:
            raise Conflict(f"unit {command.unit_id} is in phase {command.unit.phase!r}; analysis and "
                           f"evaluation (分析评议) records are taken in phase "
                           f"{' or '.join(config.analysis_record_phases)}",
                           phase=command.unit.phase, allowed=list(config.analysis_record_phases))
        return handler(state, command, config)

    decide_record.__name__ = handler.__name__
    return decide_record


def _member(unit: UnitFacts, member_id: str, role: str):
    member = unit.member(member_id)
    if member is None:
        raise NotFound(f"{role} {member_id} is not a member of unit {unit.unit_id}",
                       member_id=member_id, unit_id=unit.unit_id)
    return member


def _new_id(state: AnalysisState, record_id: str) -> None:
    if not record_id:
        raise Rejected("a record id is required")
    if record_id in state.record_ids():
        raise Conflict(f"record {record_id} already exists", record_id=record_id)


def _opinions(state: AnalysisState, c: RecordOpinionsSolicited, config: EvaluationConfig) -> list[Event]:
    _new_id(state, c.record_id)
    if c.source not in OPINION_SOURCES:
        raise Rejected("opinions are solicited from departments (部办委局), townships (乡镇) or "
                       "frequent visitors (经常办事的群众)", source=c.source,
                       allowed=list(OPINION_SOURCES))
    if not isinstance(c.opinion_count, int) or c.opinion_count < 0:
        raise Rejected("opinion_count must be a whole number of opinions, 0 or more",
                       opinion_count=c.opinion_count)
    leader = _member(c.unit, c.led_by_member_id, "led_by_member_id")
    return [OpinionsSolicited(
        unit_id=c.unit_id, record_id=c.record_id, source=c.source, source_name=c.source_name,
        led_by_member_id=c.led_by_member_id, led_by_leader=leader.is_leader, date=c.date,
        opinion_count=c.opinion_count, summary=c.summary)]


def _talk(state: AnalysisState, c: RecordHeartToHeartTalk, config: EvaluationConfig) -> list[Event]:
    _new_id(state, c.talk_id)
    member = _member(c.unit, c.member_id, "member")
    if not c.with_whom or c.with_whom == c.member_id:
        raise Rejected("a heart-to-heart talk (谈心) needs someone other than the member",
                       member_id=c.member_id, with_whom=c.with_whom)
    return [HeartToHeartTalkHeld(
        unit_id=c.unit_id, talk_id=c.talk_id, member_id=c.member_id, by_leader=member.is_leader,
        with_whom=c.with_whom, date=c.date, notes=c.notes)]


def _analysis(state: AnalysisState, c: SubmitPartySpiritAnalysis, config: EvaluationConfig) -> list[Event]:
    member = _member(c.unit, c.member_id, "member")
    if c.member_id in state.analyses:
        raise Conflict(f"member {c.member_id} has already submitted a Party-spirit analysis",
                       member_id=c.member_id)
    if not c.summary or not c.summary.strip():
        raise Rejected("the Party-spirit analysis (党性分析材料) needs its text or summary")
    period = review_period(c.work_since, c.thinking_since)
    if config.leaders_first and not member.is_leader:
        leaders = c.unit.leader_ids
        if not leaders:
            raise Rejected(f"unit {c.unit_id} has no leadership members enrolled; leaders write "
                           f"their Party-spirit analyses first (带头撰写党性分析材料)")
        pending = [lid for lid in leaders if lid not in state.analyses]
        if pending:
            raise Rejected("leaders write their Party-spirit analyses first (带头撰写党性分析材料); "
                           "some leaders have not submitted yet", leaders_pending=pending)
    return [PartySpiritAnalysisSubmitted(unit_id=c.unit_id, member_id=c.member_id,
                                         is_leader=member.is_leader, date=c.date, summary=c.summary,
                                         review_period=period)]


def _meeting(state: AnalysisState, c: RecordDemocraticLifeMeeting, config: EvaluationConfig) -> list[Event]:
    _new_id(state, c.meeting_id)
    participants = list(c.participant_member_ids)
    if not participants:
        raise Rejected("the democratic life meeting (专题民主生活会) needs its participants")
    if len(set(participants)) != len(participants):
        raise Rejected("a participant is listed twice", participant_member_ids=participants)
    members = [_member(c.unit, pid, "participant") for pid in participants]
    not_leaders = [m.member_id for m in members if not m.is_leader]
    if not_leaders:
        raise Rejected("the special democratic life meeting is the leadership's own; these "
                       "participants are not leaders", not_leaders=not_leaders)
    without_analysis = [pid for pid in participants if pid not in state.analyses]
    if without_analysis:
        raise Rejected("criticism and self-criticism rest on each leader's own Party-spirit "
                       "analysis; these participants have not submitted one",
                       without_analysis=without_analysis)
    return [DemocraticLifeMeetingHeld(unit_id=c.unit_id, meeting_id=c.meeting_id, date=c.date,
                                      participant_member_ids=participants, summary=c.summary)]


# command type -> decide function; merged with the survey aggregate's in ``domain.HANDLERS``
HANDLERS = {RecordOpinionsSolicited: _phase_two_record(_opinions),
            RecordHeartToHeartTalk: _phase_two_record(_talk),
            SubmitPartySpiritAnalysis: _phase_two_record(_analysis),
            RecordDemocraticLifeMeeting: _phase_two_record(_meeting)}


# ---------------------------------------------------------------- evolve

def _with_unit(state: AnalysisState, event: Event) -> AnalysisState:
    return dataclasses.replace(state, unit_id=state.unit_id or event.unit_id)


def _solicited(state: AnalysisState, e: OpinionsSolicited) -> AnalysisState:
    return dataclasses.replace(_with_unit(state, e), opinions=state.opinions + (e.payload(),))


def _talked(state: AnalysisState, e: HeartToHeartTalkHeld) -> AnalysisState:
    return dataclasses.replace(_with_unit(state, e), talks=state.talks + (e.payload(),))


def _analysed(state: AnalysisState, e: PartySpiritAnalysisSubmitted) -> AnalysisState:
    return dataclasses.replace(_with_unit(state, e),
                               analyses={**state.analyses, e.member_id: e.payload()})


def _met(state: AnalysisState, e: DemocraticLifeMeetingHeld) -> AnalysisState:
    return dataclasses.replace(_with_unit(state, e), meetings=state.meetings + (e.payload(),))


# event type -> evolve function; merged with the survey aggregate's in ``domain.EVOLVERS``
EVOLVERS = {OpinionsSolicited: _solicited, HeartToHeartTalkHeld: _talked,
            PartySpiritAnalysisSubmitted: _analysed, DemocraticLifeMeetingHeld: _met}
EVENTS = tuple(EVOLVERS)


# ---------------------------------------------------------------- readiness

def _missing(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **details}


def readiness(state: AnalysisState, unit: UnitFacts) -> dict[str, Any]:
    """Is phase 2 done well enough for the transition review? ``{ready, missing}``.

    Leaders' records are checked first (R22), then the mass evaluation sources (R23),
    then every member's Party-spirit analysis."""
    missing: list[dict[str, Any]] = []
    leaders = list(unit.leader_ids)
    if not leaders:
        missing.append(_missing("leaders_enrolled", "no leadership members are enrolled"))
    for code, message, done in (
        ("leader_party_spirit_analysis", "leaders without a Party-spirit analysis (党性分析材料)",
         set(state.analyses)),
        ("leader_heart_to_heart_talk", "leaders who have held no heart-to-heart talk (谈心)",
         {t["member_id"] for t in state.talks}),
        ("leader_democratic_life_meeting",
         "leaders who have not made criticism and self-criticism at the special democratic life "
         "meeting (专题民主生活会)",
         {p for m in state.meetings for p in m["participant_member_ids"]}),
    ):
        pending = [lid for lid in leaders if lid not in done]
        if pending:
            missing.append(_missing(code, message, member_ids=pending))
    if not any(o["led_by_leader"] for o in state.opinions):
        missing.append(_missing("leader_led_opinion_solicitation",
                                "no opinion solicitation was led by a leader (带头征求群众意见)"))
    asked = {o["source"] for o in state.opinions}
    for source, label in OPINION_SOURCES.items():
        if source not in asked:
            missing.append(_missing(f"opinions_from_{source}", f"no opinions solicited from {label}",
                                    source=source))
    members_pending = [m for m in unit.member_ids if m not in state.analyses and m not in leaders]
    if members_pending:
        missing.append(_missing("member_party_spirit_analysis",
                                "members without a Party-spirit analysis (党性分析材料)",
                                member_ids=members_pending))
    return {"unit_id": unit.unit_id, "ready": not missing, "missing": missing}
