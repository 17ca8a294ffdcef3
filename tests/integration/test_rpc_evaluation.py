"""The evaluation service's typed RPC API, called over a plain nameko ``ClusterRpcProxy``
as another service or a county system on the same broker would: named fields plus
``actor``, answers ``{"ok": True, "result": ...}`` or a typed refusal (no gateway).

The facts evaluation needs (a unit in phase "survey" or "analysis" with its members and
notified scope, and its group) are real events appended to the units and supervision
services' own logs, which those running services relay to evaluation like their own.
"""
from __future__ import annotations

import datetime
import uuid

import pytest
from pymongo import MongoClient

from assembly.stack import throwaway_stack, wait_until
from services.evaluation.domain.hashing import sha256_hex
from shared.edge import Refused, unwrap
from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore

TODAY = datetime.date.today().isoformat()
FIXTURE = {"id": "rpc-fixture", "name": "rpc fixture", "role": "system", "scope": None}
OFFICE = {"id": "o-1", "name": "办公室", "role": "office", "scope": None}
PROCESSES = ("units", "supervision", "evaluation")  # evaluation and the logs it follows


def supervisor(group_id: str) -> dict:
    return {"id": f"sup-{group_id}", "name": "督导员", "role": "supervisor", "scope": group_id}


def unit_actor(unit_id: str) -> dict:
    return {"id": f"unit-{unit_id}", "name": "单位办公室", "role": "unit", "scope": unit_id}


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, PROCESSES, label="rpc-evaluation") as running:
        yield running


@pytest.fixture(scope="module")
def rpc(stack):
    with stack.rpc() as cluster:
        yield cluster.evaluation


@pytest.fixture(scope="module")
def make_unit(stack):
    client = MongoClient(stack.mongo_uri)
    units = MongoEventStore("units", client, f"{stack.db_prefix}_units")
    supervision = MongoEventStore("supervision", client, f"{stack.db_prefix}_supervision")
    facts = stack.db("evaluation")["evaluation_unit_facts"]
    groups = stack.db("evaluation")["evaluation_unit_groups"]

    def make(phase: str, people: int = 6) -> dict:
        unit_id, group_id = "u-" + uuid.uuid4().hex[:12], "g-" + uuid.uuid4().hex[:8]
        scope = [f"{unit_id}-person-{i:02d}" for i in range(people)]
        units.append(f"unit-{unit_id}", None, [NewEvent(t, p) for t, p in (
            ("UnitRegistered", {"unit_id": unit_id, "name": f"unit {unit_id}", "org_type": "党委",
                                "batch": 1, "sections": ["office"], "deadlines": {}}),
            *(("MemberEnrolled", {"unit_id": unit_id, "member_id": m, "name": m,
                                  "section": "office", "is_leader": m == "L1",
                                  "is_retired": False}) for m in ("L1", "M1")),
            ("PhaseEntered", {"unit_id": unit_id, "phase": phase, "previous_phase": "registered",
                              "deadline": None, "reason": "rpc fixture", "entered_on": TODAY}),
            # the notification framing a survey: made in the phase, stating the rectification
            ("PublicNotified", {"unit_id": unit_id, "notification_id": "n-" + unit_id,
                                "scope": scope, "date": TODAY, "phase": phase,
                                "rectification_status": "整改措施全部落实"}))],
            actor=FIXTURE)
        # assigned and arrived: a group opens a survey only at a unit it has arrived at
        supervision.append(f"group-{group_id}", None, [NewEvent("UnitAssigned", {
            "group_id": group_id, "unit_id": unit_id, "over_soft_limit": False, "unit_count": 1,
            "soft_limit": 10, "assigned_on": TODAY}), NewEvent("GroupArrived", {
                "group_id": group_id, "unit_id": unit_id, "date": TODAY, "deadline": None,
                "late": False, "meeting_date": None, "tasks": []})], actor=FIXTURE)
        wait_until(lambda: facts.find_one({"_id": unit_id, "phase": phase,
                                           "latest_notification": {"$ne": None}})
                   and groups.find_one({"_id": unit_id, "group_id": group_id, "arrived_on": TODAY}),
                   30, message=f"evaluation to learn unit {unit_id}")
        return {"unit_id": unit_id, "group_id": group_id, "scope": scope}

    yield make
    client.close()


def test_a_survey_over_rpc_from_opening_to_acceptance(rpc, make_unit):
    unit = make_unit("survey", people=3)  # a scope under 30 is sampled whole (the survey's gate)
    sup = supervisor(unit["group_id"])

    opened = rpc.open_survey(unit_id=unit["unit_id"], sample_size=3, actor=sup)
    assert opened["ok"] is True, opened
    survey_id = opened["result"]["survey_id"]
    assert opened["result"]["frame_size"] == 3

    drawn = unwrap(rpc.draw_sample(survey_id=survey_id, public_entropy="dice 1-2-3", actor=sup))
    assert sha256_hex(drawn["seed"]) == opened["result"]["seed_hash"]
    assert set(drawn["sample"]) <= set(unit["scope"]) and len(drawn["ballots"]) == 3

    respondent = {"id": "r-1", "name": "respondent", "role": "respondent", "scope": survey_id}
    for ballot in drawn["ballots"]:
        cast = rpc.cast_ballot(token=ballot["token"], actor=respondent,
                               ratings={"leadership": "satisfied", "campaign": "basically_satisfied"})
        assert cast == {"ok": True, "result": {"survey_id": survey_id, "recorded": True}}

    closed = unwrap(rpc.close_survey(survey_id=survey_id, actor=sup))
    assert closed["passed"] is True and closed["outcome"] == "SurveyPassed"

    # queries: the public result (any actor, or none), the re-run draw, the county table
    result = unwrap(rpc.get_survey(survey_id=survey_id))
    assert result["status"] == "closed" and result["outcome"] == "passed"
    verified = unwrap(rpc.verify_survey(survey_id=survey_id, actor=OFFICE))
    assert verified["ok"] is True and verified["expected_sample"] == drawn["sample"]
    [row] = [r for r in unwrap(rpc.county(actor=OFFICE)) if r["unit_id"] == unit["unit_id"]]
    assert row["status"] == "passed"

    # 检查验收 (R13): another group is refused, the unit's group records it once
    other = rpc.record_acceptance_inspection(unit_id=unit["unit_id"], result="pass", date=TODAY,
                                             actor=supervisor("g-other"))
    assert (other["ok"], other["status"], other["error"]) == (False, 403, "forbidden")
    assert other["details"] == {"unit_id": unit["unit_id"], "your_group": "g-other"}
    inspected = unwrap(rpc.record_acceptance_inspection(
        unit_id=unit["unit_id"], result="pass", notes="checked", date=TODAY, actor=sup))
    assert inspected["survey_id"] == survey_id and inspected["inspection_id"].startswith("ai-")
    history = unwrap(rpc.unit_history(unit_id=unit["unit_id"], actor=unit_actor(unit["unit_id"])))
    assert [s["outcome"] for s in history["surveys"]] == ["passed"]


def test_phase_two_records_and_readiness_over_rpc(rpc, make_unit):
    unit = make_unit("analysis")
    uid, me = unit["unit_id"], unit_actor(unit["unit_id"])

    first = unwrap(rpc.readiness(unit_id=uid))  # no actor: the system reads everything
    assert first["ready"] is False
    assert first["missing"][0]["code"] == "leader_party_spirit_analysis"

    for source in ("departments", "townships", "frequent_visitors"):
        answer = rpc.record_opinions(unit_id=uid, source=source, led_by_member_id="L1",
                                     date=TODAY, opinion_count=2, actor=me)
        assert answer["ok"] and answer["result"]["record_id"].startswith("op-"), answer
    assert unwrap(rpc.record_talk(unit_id=uid, member_id="L1", with_whom="M1", date=TODAY,
                                  actor=me))["talk_id"].startswith("talk-")
    for member in ("L1", "M1"):
        assert unwrap(rpc.submit_party_spirit_analysis(
            unit_id=uid, member_id=member, date=TODAY, summary="analysis", actor=me)) == {
            "member_id": member}
    meeting = unwrap(rpc.record_democratic_life_meeting(
        unit_id=uid, date=TODAY, participant_member_ids=["L1"], actor=me))
    assert meeting["meeting_id"].startswith("dlm-")

    assert unwrap(rpc.readiness(unit_id=uid, actor=supervisor(unit["group_id"]))) == {
        "unit_id": uid, "ready": True, "missing": []}
    history = unwrap(rpc.unit_history(unit_id=uid, actor=OFFICE))
    assert history["unit_id"] == uid


def test_refusals_arrive_typed(stack, rpc, make_unit):
    unit = make_unit("survey")
    uid = unit["unit_id"]

    # a supervisor of another group: forbidden, by the one access policy
    answer = rpc.open_survey(unit_id=uid, sample_size=2, actor=supervisor("g-else"))
    assert answer["ok"] is False
    assert (answer["status"], answer["error"]) == (403, "forbidden")
    assert "supervision group" in answer["message"]
    assert answer["details"] == {"unit_id": uid, "your_group": "g-else"}

    # the schema: a string where a whole number is due, an unknown field, a missing one
    invalid = rpc.open_survey(unit_id=uid, sample_size="2", seed="mine",
                              actor=supervisor(unit["group_id"]))
    assert (invalid["ok"], invalid["status"], invalid["error"]) == (False, 422, "invalid")
    assert set(invalid["details"]["fields"]) == {"sample_size", "seed"}
    assert set(rpc.record_talk(member_id="L1", with_whom="M1", date=TODAY,
                               actor=unit_actor(uid))["details"]["fields"]) == {"unit_id"}

    # a reader outside the unit, and a survey nobody opened, raised on the caller's side
    with pytest.raises(Refused) as refused:
        unwrap(rpc.unit_history(unit_id=uid, actor=unit_actor("u-someone-else")))
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    with pytest.raises(Refused) as refused:
        unwrap(rpc.draw_sample(survey_id="s-nobody", actor=supervisor(unit["group_id"])))
    assert (refused.value.status, refused.value.code) == (404, "not_found")
    assert refused.value.details == {"survey_id": "s-nobody"}

    # the survey's validity gate: a sample below the whole scope of 6 (under 30), typed 409
    small = rpc.open_survey(unit_id=uid, sample_size=5, actor=supervisor(unit["group_id"]))
    assert (small["ok"], small["status"], small["error"]) == (False, 409, "conflict")
    assert small["details"]["missing"] == ["min_sample"] and small["details"]["required"] == 6

    # nothing was written by any of them
    assert stack.db("evaluation")["events"].count_documents({"stream_id": f"surveys-{uid}"}) == 0
    assert rpc.verify()["ok"] is True
