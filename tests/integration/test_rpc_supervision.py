"""The supervision service's typed RPC API, called directly over a plain nameko
``ClusterRpcProxy`` (no gateway): named command fields plus ``actor`` in, one answer
shape out, refusals as typed errors (``shared.edge``).

Only the supervision process runs. The units facts it needs (a registered unit in
学习动员 with an open transition application) are real events appended to a units log
in the test database and published by the production relay, as the units service
would. The study service is not running, so asking its readiness is the one peer
failure rule at work: a 503 ``unavailable`` refusal naming it.
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from nameko.exceptions import MethodNotFound
from pymongo import MongoClient

from assembly.stack import throwaway_stack, wait_until
from shared.edge import Refused, unwrap
from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore
from shared.relay import Relay

TODAY = dt.date.today()
OFFICE = {"id": "p-office", "name": "宋善玺", "role": "office", "scope": None}
UNITS_ACTOR = {"id": "unit-actor", "name": "县水利局", "role": "unit", "scope": None}


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def person(name, rank="staff"):
    return {"name": name, "rank": rank, "home_unit": "县财政局", "post": "科员"}


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, ["supervision"], label="rpc-supervision") as running:
        yield running


@pytest.fixture(scope="module")
def rpc(stack):
    with stack.rpc() as proxy:
        yield proxy.supervision


@pytest.fixture(scope="module")
def unit(stack):
    """A unit in 学习动员 with its requirements set and a transition application open."""
    unit_id, transition_id = "u-" + uuid.uuid4().hex[:10], "t-" + uuid.uuid4().hex[:10]
    client = MongoClient(stack.mongo_uri)
    units = MongoEventStore("units", client, f"{stack.db_prefix}_units")
    units.ensure_indexes()
    units.append(f"unit-{unit_id}", None, [NewEvent(t, p) for t, p in [
        ("UnitRegistered", {"unit_id": unit_id, "name": "县水利局", "org_type": "党组",
                            "batch": 1, "sections": [], "deadlines": {}}),
        ("MobilizationMeetingScheduled", {"unit_id": unit_id, "date": day(10)}),
        ("PhaseEntered", {"unit_id": unit_id, "phase": "mobilization", "deadline": day(60)}),
        ("RequirementsSet", {"unit_id": unit_id, "text": "具体要求", "items": ["理想信念坚定"]}),
        ("TransitionApplied", {"unit_id": unit_id, "transition_id": transition_id,
                               "from_phase": "mobilization", "to_phase": "analysis",
                               "summary": "学习动员阶段总结"}),
    ]], actor=UNITS_ACTOR)
    relay = Relay(units, stack.amqp_uri)
    try:
        assert relay.publish_pending() == 5
    finally:
        relay.close()
    db = stack.db("supervision")
    wait_until(lambda: db["supervision_transition_facts"].find_one({"_id": transition_id}),
               message="supervision to learn the units facts")
    client.close()
    return {"unit_id": unit_id, "transition_id": transition_id}


@pytest.fixture(scope="module")
def group(rpc):
    answer = rpc.form_group(name="第一督导组", leader=person("王组长", "section"),
                            members=[person("组员甲"), person("组员乙")], actor=OFFICE)
    assert answer["ok"] is True, answer
    return answer["result"]


def supervisor(group_id, name="组员甲"):
    return {"id": "p-" + uuid.uuid4().hex[:6], "name": name, "role": "supervisor",
            "scope": group_id}


def logged(stack) -> int:
    return stack.db("supervision")["events"].count_documents({})


# ------------------------------------------------------------------ commands
@pytest.fixture(scope="module")
def worked(rpc, group, unit):
    """The group's first days at the unit, every step a command over RPC."""
    gid, unit_id, sup = group["group_id"], unit["unit_id"], supervisor(group["group_id"])
    answers = {"assign": rpc.assign_unit(group_id=gid, unit_id=unit_id, actor=OFFICE)}
    answers["arrival"] = rpc.record_arrival(group_id=gid, unit_id=unit_id, date=day(0),
                                            actor=sup)
    answers["branch"] = rpc.establish_branch(
        group_id=gid, secretary_member_id=group["leader_member_id"], date=day(0),
        rules={"study": "每周一学习", "deliberation": "集体议事", "leave": "请假须经组长批准"},
        actor=sup)
    answers["leave"] = rpc.request_leave(group_id=gid, member_id=group["member_ids"][1],
                                         from_date=day(1), to_date=day(2), reason="家中有事",
                                         actor=sup)
    answers["decision"] = rpc.decide_leave(
        group_id=gid, leave_id=answers["leave"].get("result", {}).get("leave_id", "-"),
        decision="approve", actor=OFFICE)
    answers["report"] = rpc.file_report(unit_id=unit_id, kind="major_issue",
                                        title="群众上访苗头", body="需及时处置", date=day(0),
                                        actor=sup)
    return answers


def test_commands_take_named_fields_and_answer_in_one_shape(stack, group, worked):
    gid = group["group_id"]
    assert gid.startswith("g-") and len(group["member_ids"]) == 2
    assert all(answer["ok"] is True for answer in worked.values()), worked
    assigned = worked["assign"]["result"]
    assert assigned["unit_count"] == 1 and assigned["warning"] is None
    assert assigned["arrival_deadline"] == day(8)
    arrival = unwrap(worked["arrival"])
    assert (arrival["deadline"], arrival["late"]) == (day(8), False)
    assert unwrap(worked["branch"]) == {"group_id": gid}
    leave_id = unwrap(worked["leave"])["leave_id"]
    assert unwrap(worked["decision"]) == {"leave_id": leave_id, "decision": "approve"}
    report = unwrap(worked["report"])
    assert report["urgent"] is True and report["report_id"].startswith("rep-")
    # the actor is recorded on the envelope as given
    last = stack.db("supervision")["events"].find_one({"type": "ReportFiled"})
    assert last["actor"]["role"] == "supervisor" and last["actor"]["scope"] == gid


# ------------------------------------------------------------------- queries
def test_queries_take_named_fields_and_read_the_projections(rpc, group, unit, worked):
    gid, unit_id = group["group_id"], unit["unit_id"]
    portfolio = unwrap(rpc.get_group(group_id=gid, actor=supervisor(gid)))
    assert portfolio["branch"]["rules"]["leave"] == "请假须经组长批准"
    assert unit_id in portfolio["units"] and portfolio["units"][unit_id]["arrived_on"] == day(0)
    assert "acceptance" not in portfolio["units"][unit_id]  # 检查验收 is evaluation's
    mine = unwrap(rpc.list_groups(actor=supervisor(gid)))
    assert [g["group_id"] for g in mine] == [gid]
    urgent = unwrap(rpc.list_reports(urgent="1", unit_id=unit_id, actor=OFFICE))
    assert [r["kind"] for r in urgent] == ["major_issue"]
    history = unwrap(rpc.unit_history(unit_id=unit_id, actor=OFFICE))
    assert [e["type"] for e in history["entries"]][:2] == ["UnitAssigned", "GroupArrived"]
    console = unwrap(rpc.console(actor=OFFICE))
    assert {"unit_id": unit_id, "transition_id": unit["transition_id"]} in console[
        "pending_group_reviews"]


# ------------------------------------------------------------------ refusals
def test_a_refusal_is_a_typed_answer_and_unwrap_raises_it(stack, rpc, group, unit, worked):
    gid, unit_id = group["group_id"], unit["unit_id"]
    stranger = supervisor("g-other")
    answer = rpc.get_group(group_id=gid, actor=stranger)
    assert answer["ok"] is False
    assert (answer["status"], answer["error"]) == (403, "forbidden")
    assert answer["details"] == {"group_id": gid} and answer["message"]
    with pytest.raises(Refused) as refused:
        unwrap(rpc.unit_history(unit_id=unit_id, actor=stranger))
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert refused.value.details == {"unit_id": unit_id}
    before = logged(stack)
    # a command the rules refuse: another group's supervisor arriving
    answer = rpc.record_arrival(group_id="g-other", unit_id=unit_id, date=day(0), actor=stranger)
    assert (answer["ok"], answer["status"], answer["error"]) == (False, 403, "forbidden")
    assert logged(stack) == before


def test_an_invalid_request_names_its_fields(stack, rpc, group):
    before = logged(stack)
    answer = rpc.record_arrival(group_id=group["group_id"], unit_id="u-x", date="18 Feb",
                                wings=True, actor=supervisor(group["group_id"]))
    assert (answer["ok"], answer["status"], answer["error"]) == (False, 422, "invalid")
    assert set(answer["details"]["fields"]) == {"date", "wings"}
    answer = rpc.request_leave(group_id=group["group_id"], actor=OFFICE)
    assert {"member_id", "from_date", "to_date", "reason"} <= set(answer["details"]["fields"])
    with pytest.raises(Refused) as refused:
        unwrap(rpc.get_group(actor=OFFICE))  # the group the HTTP path would name
    assert refused.value.code == "invalid" and "group_id" in refused.value.details["fields"]
    assert logged(stack) == before


def test_study_not_answering_is_a_503_unavailable_refusal(stack, rpc, group, unit, worked):
    """The one peer failure rule: no study readiness, no agreeing, and nothing stored."""
    sup = supervisor(group["group_id"])
    before = logged(stack)
    for answer in (rpc.transition_readiness(transition_id=unit["transition_id"], actor=sup),
                   rpc.group_review(transition_id=unit["transition_id"], decision="agree",
                                    actor=sup)):
        assert answer["ok"] is False, answer
        assert (answer["status"], answer["error"]) == (503, "unavailable")
        assert answer["details"]["service"] == "study" and "not running" in answer["message"]
    assert logged(stack) == before
    missing = rpc.group_review(transition_id="t-nope", decision="agree", actor=sup)
    assert (missing["status"], missing["error"]) == (404, "not_found")


def test_the_removed_rpcs_are_gone(rpc):
    for method in ("known_unit", "record_acceptance"):
        with pytest.raises(MethodNotFound):
            getattr(rpc, method)(unit_id="u-1")


def test_group_of_unit_is_a_bare_lookup_for_peers(rpc, group, unit, worked):
    assert rpc.group_of_unit(unit["unit_id"]) == group["group_id"]
    assert rpc.group_of_unit(unit_id="u-nope") is None
