"""Read models as pure functions of envelopes: unit facts, tokens, public results,
history and the county table."""
import itertools

from services.evaluation.domain import (
    DEFAULT_CONFIG,
    RecordHeartToHeartTalk,
    RecordOpinionsSolicited,
    SubmitPartySpiritAnalysis,
    fold,
    unit_facts_from_docs,
)
from services.evaluation.domain import analysis as an
from services.evaluation.domain import survey as sv
from services.evaluation.domain.hashing import sha256_hex
from services.evaluation.projections import (
    BALLOT_TOKENS,
    COUNTY_RESULTS,
    HISTORY,
    PROJECTIONS,
    SURVEY_RESULTS,
    UNIT_FACTS,
    UNIT_GROUPS,
    county_table,
)
from shared.projection import MemoryProjectionRunner, envelope_for
from tests.unit.evaluation.helpers import (
    FRAME,
    GROUP,
    UNIT,
    UNIT_ACTOR,
    ballot,
    close_cmd,
    decide,
    draw_cmd,
    facts,
    open_cmd,
    seed_for,
    tokens_for,
)

_positions = itertools.count(1)


def foreign(type_name, **payload):
    return {"event_id": f"e{next(_positions)}", "type": type_name, "schema_version": 1,
            "stream_id": f"unit-{payload.get('unit_id')}", "version": 1, "position": 1,
            "occurred_at": "2005-06-01T00:00:00.000Z", "recorded_at": "2005-06-01T00:00:00.000Z",
            "actor": {"id": "x", "name": "x", "role": "system", "scope": None},
            "correlation_id": "c", "causation_id": None, "payload": payload, "hash": "", "prev_hash": ""}


def runner():
    return MemoryProjectionRunner(PROJECTIONS)


def feed_units(r, unit_id=UNIT, name="县委办公室", batch=1):
    r.fold([
        foreign("UnitRegistered", unit_id=unit_id, name=name, org_type="党支部", batch=batch),
        foreign("MemberEnrolled", unit_id=unit_id, member_id="L1", name="主任", section="秘书科",
                is_leader=True, is_retired=False),
        foreign("MemberEnrolled", unit_id=unit_id, member_id="M1", name="科员", section="秘书科",
                is_leader=False, is_retired=False),
        foreign("PhaseEntered", unit_id=unit_id, phase="rectification", previous_phase="analysis",
                deadline=None, reason="approved"),
        foreign("PhaseEntered", unit_id=unit_id, phase="survey", previous_phase="rectification",
                deadline=None, reason="approved"),
        # the notification framing the survey: made in phase survey, with the rectification status
        foreign("PublicNotified", unit_id=unit_id, notification_id="n1", scope=FRAME, date="2005-06-01",
                phase="survey", rectification_status="整改措施已完成"),
        foreign("StudyGroupFormed", unit_id=unit_id, study_group_id="sg", section="秘书科",
                leader_member_id="L1", member_ids=["L1", "M1"]),
    ], source="units")
    r.apply(foreign("UnitAssigned", group_id=GROUP, unit_id=unit_id, over_soft_limit=False,
                    unit_count=1), source="supervision")
    r.apply(foreign("GroupArrived", group_id=GROUP, unit_id=unit_id, date="2005-02-15",
                    deadline=None, late=False), source="supervision")


def run_survey(r, votes, survey_id="s-1", state=sv.INITIAL, unit=None, seed=None):
    n = len(votes)
    tokens = tokens_for(survey_id, n)
    commands = [open_cmd(survey_id, n, seed=seed, unit=unit), draw_cmd(survey_id, seed=seed, tokens=tokens)]
    commands += [ballot(survey_id, t, lead, camp) for t, (lead, camp) in zip(tokens, votes)]
    commands.append(close_cmd(survey_id))
    for command in commands:
        events = decide(state, command)
        state = fold(events, state)
        for e in events:
            r.apply(envelope_for(e, stream_id=f"surveys-{UNIT}"), source="evaluation")
    return state


def test_unit_facts_feed_decide():
    r = runner()
    feed_units(r)
    doc = r.collections[UNIT_FACTS][UNIT]
    assert doc["phase"] == "survey" and doc["survey_round"] == 1
    assert doc["latest_notification"]["scope"] == FRAME
    unit = unit_facts_from_docs(doc, r.collections[UNIT_GROUPS][UNIT])
    assert unit.group_id == GROUP and unit.leader_ids == ("L1",) and unit.member_ids == ("L1", "M1")
    assert unit.latest_notification.notification_id == "n1"
    assert decide(sv.INITIAL, open_cmd(unit=unit))[0].frame == FRAME


def test_the_groups_arrival_reaches_the_unit_facts_and_opens_the_way_to_a_survey():
    r = runner()
    feed_units(r)
    assert r.collections[UNIT_GROUPS][UNIT] == {"_id": UNIT, "unit_id": UNIT, "group_id": GROUP,
                                                "arrived_on": "2005-02-15"}
    unit = unit_facts_from_docs(r.collections[UNIT_FACTS][UNIT], r.collections[UNIT_GROUPS][UNIT])
    assert unit.group_arrived_on == "2005-02-15"
    not_arrived = unit_facts_from_docs(r.collections[UNIT_FACTS][UNIT],
                                       {"unit_id": UNIT, "group_id": GROUP})
    assert not_arrived.group_arrived_on is None


def test_re_enrolment_replaces_a_member_and_second_survey_entry_counts_a_round():
    r = runner()
    feed_units(r)
    r.fold([foreign("MemberEnrolled", unit_id=UNIT, member_id="M1", name="科员", section="秘书科",
                    is_leader=True, is_retired=False),
            foreign("PhaseEntered", unit_id=UNIT, phase="remedial", previous_phase="survey",
                    deadline=None, reason="SurveyFailed"),
            foreign("PhaseEntered", unit_id=UNIT, phase="survey", previous_phase="remedial",
                    deadline=None, reason="approved")], source="units")
    doc = r.collections[UNIT_FACTS][UNIT]
    assert [m["is_leader"] for m in doc["members"]] == [True, True]
    assert doc["survey_round"] == 2


def test_public_result_tokens_and_county_row_after_a_passed_survey():
    r = runner()
    feed_units(r)
    votes = [("satisfied", "satisfied"), ("basically_satisfied", "satisfied"),
             ("dissatisfied", "basically_satisfied")]
    run_survey(r, votes)
    doc = r.collections[SURVEY_RESULTS]["s-1"]
    assert doc["status"] == "closed" and doc["outcome"] == "passed" and doc["ballots_cast"] == 3
    assert doc["result"]["leadership"]["share"] == {"numerator": 2, "denominator": 3, "value": 0.6667}
    assert doc["result"]["campaign"]["share"]["numerator"] == 3
    assert doc["result"]["satisfied_means"] == ["satisfied", "basically_satisfied"]
    assert doc["audit"]["verification"]["ok"] is True
    assert doc["audit"]["seed"] == seed_for(1) and len(doc["audit"]["sample"]) == 3
    tokens = r.collections[BALLOT_TOKENS]
    assert set(tokens) == {sha256_hex(t) for t in tokens_for("s-1", 3)}
    assert all(t["spent"] and t["survey_id"] == "s-1" for t in tokens.values())
    row = r.collections[COUNTY_RESULTS][UNIT]
    assert row["status"] == "passed" and row["passed_on"] == "2005-06-20" and row["surveys_held"] == 1


def test_running_result_does_not_publish_ratings_before_close():
    r = runner()
    state = sv.INITIAL
    for command in (open_cmd(sample_size=2), draw_cmd(n=2), ballot("s-1", tokens_for("s-1", 2)[0])):
        events = decide(state, command)
        state = fold(events, state)
        for e in events:
            r.apply(envelope_for(e, stream_id=f"surveys-{UNIT}"))
    doc = r.collections[SURVEY_RESULTS]["s-1"]
    assert doc["status"] == "drawn" and doc["ballots_cast"] == 1 and doc["result"] is None
    assert r.collections[BALLOT_TOKENS][sha256_hex(tokens_for("s-1", 2)[1])]["spent"] is False


def test_history_keeps_failed_and_passed_surveys_and_county_counts_the_failure():
    r = runner()
    feed_units(r)
    state = run_survey(r, [("dissatisfied", "satisfied")] * 2, "s-1")
    run_survey(r, [("satisfied", "satisfied")] * 2, "s-2", state=state,
               unit=facts(survey_round=2), seed=seed_for(2))
    history = r.collections[HISTORY][UNIT]
    assert [(s["survey_id"], s["outcome"], s["survey_round"]) for s in history["surveys"]] == [
        ("s-1", "failed", 1), ("s-2", "passed", 2)]
    assert history["surveys"][0]["share_leadership"] == {"numerator": 0, "denominator": 2, "value": 0.0}
    row = r.collections[COUNTY_RESULTS][UNIT]
    assert (row["status"], row["surveys_held"], row["failed_surveys"], row["latest_survey_id"]) == (
        "passed", 2, 1, "s-2")


def test_an_invalid_survey_is_shown_as_invalid_and_counts_neither_as_pass_nor_fail():
    # the gate as deployed (default config): 1 of a 2-person whole scope voted, then a repeat
    r = runner()
    feed_units(r)
    state = sv.INITIAL
    small = facts(scope=("甲", "乙"))
    tokens = tokens_for("s-1", 2)
    for command in (open_cmd("s-1", 2, unit=small), draw_cmd("s-1", tokens=tokens),
                    ballot("s-1", tokens[0]), close_cmd("s-1")):
        events = decide(state, command, DEFAULT_CONFIG)
        state = fold(events, state)
        for e in events:
            r.apply(envelope_for(e, stream_id=f"surveys-{UNIT}"), source="evaluation")
    result = r.collections[SURVEY_RESULTS]["s-1"]
    assert result["outcome"] == "invalid" and result["result"]["valid"] is False
    assert result["result"]["invalid_reasons"] and result["result"]["min_turnout"]["denominator"] == 3
    assert r.collections[HISTORY][UNIT]["surveys"][0]["outcome"] == "invalid"
    assert r.collections[HISTORY][UNIT]["surveys"][0]["share_leadership"] is None
    row = r.collections[COUNTY_RESULTS][UNIT]
    assert (row["status"], row["failed_surveys"], row["invalid_surveys"], row["passed_on"]) == (
        "invalid", 0, 1, None)


def test_the_unit_facts_record_where_the_notification_was_made():
    r = runner()
    r.fold([foreign("UnitRegistered", unit_id=UNIT, name="x", org_type="党支部", batch=1),
            foreign("PublicNotified", unit_id=UNIT, notification_id="n0", scope=FRAME, date="2005-05-01",
                    phase="rectification"),
            foreign("PhaseEntered", unit_id=UNIT, phase="survey", previous_phase="rectification",
                    deadline=None, reason="approved")], source="units")
    note = unit_facts_from_docs(r.collections[UNIT_FACTS][UNIT]).latest_notification
    assert (note.phase, note.survey_round, note.rectification_status) == ("rectification", None, "")
    r.apply(foreign("PublicNotified", unit_id=UNIT, notification_id="n1", scope=FRAME, date="2005-06-01",
                    phase="survey", rectification_status="整改完成"), source="units")
    note = unit_facts_from_docs(r.collections[UNIT_FACTS][UNIT]).latest_notification
    assert (note.phase, note.survey_round, note.rectification_status) == ("survey", 1, "整改完成")


def test_history_records_phase_two_metadata_without_confidential_text():
    r = runner()
    unit = facts(phase="analysis")
    state = an.INITIAL
    for command in (
        SubmitPartySpiritAnalysis(UNIT, "L1", "2005-03-01", "很私密的党性分析", unit, UNIT_ACTOR),
        RecordHeartToHeartTalk(UNIT, "t-1", "L1", "M1", "2005-03-02", "谈话内容", unit, UNIT_ACTOR),
        RecordOpinionsSolicited(UNIT, "o-1", "townships", "某乡", "L1", "2005-03-03", 7, "汇总", unit,
                                UNIT_ACTOR),
    ):
        events = decide(state, command)
        state = fold(events, state)
        for e in events:
            r.apply(envelope_for(e, stream_id=f"analysis-{UNIT}"))
    doc = r.collections[HISTORY][UNIT]
    assert doc["analysis"]["party_spirit_analyses"] == [
        {"member_id": "L1", "is_leader": True, "date": "2005-03-01"}]
    assert doc["analysis"]["opinions"][0]["source_label"] == "乡镇"
    assert doc["analysis"]["talks"] == [{"talk_id": "t-1", "member_id": "L1", "by_leader": True,
                                         "date": "2005-03-02"}]
    assert "很私密" not in str(doc) and "谈话内容" not in str(doc)


def test_county_table_joins_names_and_lists_unsurveyed_units():
    r = runner()
    feed_units(r, UNIT, "县委办公室", 1)
    feed_units(r, "u2", "县财政局", 1)
    run_survey(r, [("satisfied", "satisfied")])
    table = county_table(r.collections[COUNTY_RESULTS].values(), r.collections[UNIT_FACTS].values())
    assert [(row["unit_id"], row["name"], row["status"]) for row in table] == [
        (UNIT, "县委办公室", "passed"), ("u2", "县财政局", "no_survey")]  # by batch, then name


def test_replay_rebuilds_the_same_read_models():
    r = runner()
    feed_units(r)
    envelopes = []
    state = sv.INITIAL
    for command in (open_cmd(sample_size=2), draw_cmd(n=2), ballot("s-1", tokens_for("s-1", 2)[0]),
                    close_cmd()):
        events = decide(state, command)
        state = fold(events, state)
        envelopes += [envelope_for(e, stream_id=f"surveys-{UNIT}") for e in events]
    first = runner().fold(envelopes, source="evaluation").collections
    again = runner().fold(envelopes, source="evaluation").collections
    assert first == again and first[SURVEY_RESULTS]["s-1"]["outcome"] == "passed"
