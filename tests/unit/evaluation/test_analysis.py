"""Phase 2 (分析评议) records, leaders first, and the readiness check (R22, R23)."""
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain import (
    DemocraticLifeMeetingHeld,
    EvaluationConfig,
    HeartToHeartTalkHeld,
    OpinionsSolicited,
    PartySpiritAnalysisSubmitted,
    RecordDemocraticLifeMeeting,
    RecordHeartToHeartTalk,
    RecordOpinionsSolicited,
    SubmitPartySpiritAnalysis,
    decide,
    fold,
    readiness,
    stream_of,
)
from services.evaluation.domain import analysis as an
from shared.domain import Conflict, Forbidden, NotFound, Rejected
from tests.unit.evaluation.helpers import SUPERVISOR, UNIT, UNIT_ACTOR, apply, facts

UNIT_FACTS = facts(phase="analysis")


def opinions(record_id="o-1", source="departments", led_by="L1", count=12, unit=UNIT_FACTS):
    return RecordOpinionsSolicited(unit_id=UNIT, record_id=record_id, source=source,
                                   source_name="县财政局", led_by_member_id=led_by, date="2005-03-10",
                                   opinion_count=count, summary="意见汇总", unit=unit, actor=UNIT_ACTOR)


def talk(talk_id="t-1", member="L1", with_whom="M1", unit=UNIT_FACTS):
    return RecordHeartToHeartTalk(unit_id=UNIT, talk_id=talk_id, member_id=member, with_whom=with_whom,
                                  date="2005-03-11", notes="交心", unit=unit, actor=UNIT_ACTOR)


def analysis(member="L1", summary="党性分析材料全文", unit=UNIT_FACTS):
    return SubmitPartySpiritAnalysis(unit_id=UNIT, member_id=member, date="2005-03-12",
                                     summary=summary, unit=unit, actor=UNIT_ACTOR)


def meeting(participants=("L1", "L2"), meeting_id="dlm-1", unit=UNIT_FACTS):
    return RecordDemocraticLifeMeeting(unit_id=UNIT, meeting_id=meeting_id, date="2005-03-20",
                                       participant_member_ids=tuple(participants),
                                       summary="批评与自我批评", unit=unit, actor=UNIT_ACTOR)


def refused(error, state, command, config=None):
    with pytest.raises(error) as info:
        decide(state, command, config) if config else decide(state, command)
    assert info.value.message
    return info.value


def run(*commands, state=an.INITIAL):
    for c in commands:
        _, state = apply(state, c)
    return state


def complete_state():
    return run(analysis("L1"), analysis("L2"), analysis("M1"), analysis("M2"), analysis("M3"),
               talk("t-1", "L1"), talk("t-2", "L2", "群众王某"), meeting(),
               opinions("o-1", "departments", "L1"), opinions("o-2", "townships", "M1"),
               opinions("o-3", "frequent_visitors", "L2"))


# ---------------------------------------------------------------- opinions (R23)

@pytest.mark.parametrize("source", ["departments", "townships", "frequent_visitors"])
def test_opinions_from_each_source(source):
    events = decide(an.INITIAL, opinions(source=source))
    assert [type(e) for e in events] == [OpinionsSolicited]
    assert events[0].source == source and events[0].led_by_leader is True
    assert stream_of(opinions()) == f"analysis-{UNIT}"


def test_opinions_led_by_a_non_leader_are_recorded_as_such():
    assert decide(an.INITIAL, opinions(led_by="M1"))[0].led_by_leader is False


def test_opinions_refusals():
    refused(Rejected, an.INITIAL, opinions(source="newspapers"))
    refused(Rejected, an.INITIAL, opinions(count=-1))
    refused(NotFound, an.INITIAL, opinions(led_by="nobody"))
    refused(Conflict, run(opinions()), opinions())


# ---------------------------------------------------------------- talks

def test_talk_recorded_with_leader_flag():
    events = decide(an.INITIAL, talk(member="L2", with_whom="群众李某"))
    assert [type(e) for e in events] == [HeartToHeartTalkHeld]
    assert events[0].by_leader is True and events[0].with_whom == "群众李某"


def test_talk_refusals():
    refused(Rejected, an.INITIAL, talk(with_whom="L1"))
    refused(Rejected, an.INITIAL, talk(with_whom=""))
    refused(NotFound, an.INITIAL, talk(member="X9"))
    refused(Conflict, run(talk()), talk())


# ---------------------------------------------------------------- Party-spirit analysis, leaders first

def test_leader_analysis_accepted_first():
    events = decide(an.INITIAL, analysis("L1"))
    assert [type(e) for e in events] == [PartySpiritAnalysisSubmitted]
    assert events[0].is_leader is True


def test_an_analysis_records_its_review_period_r19():
    [event] = decide(an.INITIAL, analysis("L1"))
    assert event.review_period == {"work_since": "2002-11-08", "thinking_since": "2002-11-08"}
    earlier = dataclasses.replace(analysis("L1"), thinking_since="1997-09-12")
    assert decide(an.INITIAL, earlier)[0].review_period["thinking_since"] == "1997-09-12"
    late = dataclasses.replace(analysis("L1"), work_since="2003-03-01")
    with pytest.raises(Conflict) as info:
        decide(an.INITIAL, late)
    assert info.value.details["field"] == "work_since"


def test_member_analysis_waits_for_every_leader():
    err = refused(Rejected, an.INITIAL, analysis("M1"))
    assert err.details["leaders_pending"] == ["L1", "L2"]
    err = refused(Rejected, run(analysis("L1")), analysis("M1"))
    assert err.details["leaders_pending"] == ["L2"]
    events = decide(run(analysis("L1"), analysis("L2")), analysis("M1"))
    assert events[0].member_id == "M1" and events[0].is_leader is False


def test_leaders_first_is_configurable():
    relaxed = EvaluationConfig(leaders_first=False)
    assert decide(an.INITIAL, analysis("M1"), relaxed)[0].member_id == "M1"


def test_analysis_refusals():
    refused(Conflict, run(analysis("L1")), analysis("L1"))
    refused(Rejected, an.INITIAL, analysis("L1", summary="  "))
    refused(NotFound, an.INITIAL, analysis("X9"))
    no_leaders = facts(phase="analysis", member_list=facts().members[2:])
    refused(Rejected, an.INITIAL, analysis("M1", unit=no_leaders))


# ---------------------------------------------------------------- democratic life meeting

def test_meeting_of_leaders_with_their_analyses():
    state = run(analysis("L1"), analysis("L2"))
    events = decide(state, meeting())
    assert [type(e) for e in events] == [DemocraticLifeMeetingHeld]
    assert events[0].participant_member_ids == ["L1", "L2"]


def test_meeting_refusals():
    state = run(analysis("L1"), analysis("L2"), analysis("M1"))
    refused(Rejected, state, meeting(participants=()))
    refused(Rejected, state, meeting(participants=("L1", "L1")))
    err = refused(Rejected, state, meeting(participants=("L1", "M1")))
    assert err.details["not_leaders"] == ["M1"]
    refused(NotFound, state, meeting(participants=("L1", "X9")))
    err = refused(Rejected, run(analysis("L1")), meeting())
    assert err.details["without_analysis"] == ["L2"]
    refused(Conflict, run(meeting(), state=state), meeting())


# ---------------------------------------------------------------- phase and actor guards

@pytest.mark.parametrize("phase", ["registered", "mobilization", "rectification", "survey"])
def test_records_only_in_the_analysis_phase(phase):
    unit = facts(phase=phase)
    for command in (opinions(unit=unit), talk(unit=unit), analysis(unit=unit), meeting(unit=unit)):
        refused(Conflict, an.INITIAL, command)


def test_only_the_unit_itself_records():
    for actor in (SUPERVISOR, dataclasses.replace(UNIT_ACTOR, scope="u2")):
        refused(Forbidden, an.INITIAL, dataclasses.replace(opinions(), actor=actor))
        refused(Forbidden, an.INITIAL, dataclasses.replace(analysis(), actor=actor))


# ---------------------------------------------------------------- readiness

def test_readiness_complete():
    result = readiness(complete_state(), UNIT_FACTS)
    assert result == {"unit_id": UNIT, "ready": True, "missing": []}


def test_readiness_empty_lists_leaders_first():
    result = readiness(an.INITIAL, UNIT_FACTS)
    assert result["ready"] is False
    codes = [m["code"] for m in result["missing"]]
    assert codes == ["leader_party_spirit_analysis", "leader_heart_to_heart_talk",
                     "leader_democratic_life_meeting", "leader_led_opinion_solicitation",
                     "opinions_from_departments", "opinions_from_townships",
                     "opinions_from_frequent_visitors", "member_party_spirit_analysis"]
    assert result["missing"][0]["member_ids"] == ["L1", "L2"]
    assert result["missing"][-1]["member_ids"] == ["M1", "M2", "M3"]


def test_readiness_names_exactly_what_is_missing():
    state = run(analysis("L1"), analysis("L2"), analysis("M1"), talk("t-1", "L1"), meeting(),
                opinions("o-1", "departments", "M2"), opinions("o-2", "townships", "M2"))
    result = readiness(state, UNIT_FACTS)
    by_code = {m["code"]: m for m in result["missing"]}
    assert set(by_code) == {"leader_heart_to_heart_talk", "leader_led_opinion_solicitation",
                            "opinions_from_frequent_visitors", "member_party_spirit_analysis"}
    assert by_code["leader_heart_to_heart_talk"]["member_ids"] == ["L2"]
    assert by_code["member_party_spirit_analysis"]["member_ids"] == ["M2", "M3"]


def test_readiness_without_leaders():
    result = readiness(an.INITIAL, facts(phase="analysis", member_list=()))
    assert result["ready"] is False
    assert result["missing"][0]["code"] == "leaders_enrolled"


@settings(max_examples=50, deadline=None)
@given(st.permutations(["L1", "L2", "M1", "M2", "M3"]))
def test_property_no_member_analysis_lands_before_all_leaders(order):
    state = an.INITIAL
    accepted = []
    for member in order:
        try:
            events = decide(state, analysis(member))
        except Rejected:
            continue
        state = fold(events, state)
        accepted.append(member)
    leaders_done = 0
    for member in accepted:
        if member.startswith("L"):
            leaders_done += 1
        else:
            assert leaders_done == 2
