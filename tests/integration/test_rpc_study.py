"""The study service's RPC API called directly over the broker, the way another nameko
service or a county system would (a plain ``ClusterRpcProxy``, not the gateway): named
fields plus ``actor`` in, ``{"ok": True, "result": ...}`` or a typed refusal out.

One stack of real processes for the module; the unit and its members are set up through
the gateway (the units service's own API is not what is tested here)."""
from __future__ import annotations

import base64
import io
import uuid

import pytest
from openpyxl import load_workbook

from assembly.stack import throwaway_stack, wait_until
from shared.edge import Refused, unwrap

PLAN = {"personnel": {"scope": "全体党员（含离退休干部）"},
        "time": {"centralised_from": "2024-02-16", "centralised_until": "2024-02-25",
                 "planned_hours": 40},
        "content": {"required": ["party_constitution", "central_document_20"]},
        "effect": {"goals": ["每名党员撰写心得体会"]}}
SESSION = {"form": "lecture", "date": "2024-02-16", "hours": 4,
           "content_keys": ["party_constitution"], "title": "党章专题讲座"}
OFFICE = {"id": "p-office", "name": "领导小组办公室", "role": "office", "scope": None}


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, label="rpc-study") as running:
        yield running


@pytest.fixture(scope="module")
def rpc(stack):
    with stack.rpc() as proxy:
        yield proxy


def unit_actor(unit_id: str) -> dict:
    return {"id": f"p-{unit_id}", "name": "单位党委", "role": "unit", "scope": unit_id}


def make_unit(stack, *names) -> tuple[str, list[str]]:
    """A registered unit with members, once the study service's roster knows them."""
    office = stack.as_role("office")
    created = office.post("/units", json={"name": "单位-" + uuid.uuid4().hex[:6],
                                          "org_type": "党组", "batch": 1, "sections": ["办公室"]})
    assert created.status_code == 201, created.text
    unit_id = created.json()["unit_id"]
    unit = stack.as_role("unit", scope=unit_id)
    member_ids = []
    for name in names:
        enrolled = unit.post(f"/units/{unit_id}/members", json={
            "name": name, "section": "办公室", "is_leader": False, "is_retired": False})
        assert enrolled.status_code == 201, enrolled.text
        member_ids.append(enrolled.json()["member_id"])
    rosters = stack.db("study")["study_rosters"]
    wait_until(lambda: (doc := rosters.find_one({"_id": unit_id}))
               and len(doc["members"]) == len(names),
               timeout=30, message=f"the study service to learn {unit_id}'s roster")
    return unit_id, member_ids


def logged(stack) -> int:
    return stack.db("study")["events"].count_documents({})


def assert_refused(answer, status, error):
    assert answer["ok"] is False, answer
    assert (answer["status"], answer["error"]) == (status, error), answer
    assert answer["message"] and isinstance(answer["details"], dict), answer
    with pytest.raises(Refused) as raised:
        unwrap(answer)
    assert (raised.value.status, raised.value.code) == (status, error)
    assert raised.value.details == answer["details"]
    return answer


def test_commands_and_queries_over_rpc(stack, rpc):
    unit_id, (lead, clerk) = make_unit(stack, "张主任", "李科员")
    unit = unit_actor(unit_id)

    plan = unwrap(rpc.study.set_study_plan(unit_id=unit_id, **PLAN, actor=unit))
    assert plan["unit_id"] == unit_id and plan["plan_version"] == 1
    answer = rpc.study.record_session(unit_id=unit_id, **SESSION, actor=unit)
    assert answer["ok"] is True and answer["result"]["calendar_flags"] == []
    session_id = answer["result"]["session_id"]
    attended = unwrap(rpc.study.record_attendance(session_id=session_id,
                                                  member_ids=[lead, clerk], actor=unit))
    assert attended == {"session_id": session_id, "unit_id": unit_id,
                        "member_ids": [lead, clerk]}
    granted = unwrap(rpc.study.grant_exemption(unit_id=unit_id, member_id=clerk,
                                               reason="长期外派", actor=OFFICE))
    assert granted == {"unit_id": unit_id, "member_id": clerk}
    stored = stack.db("study")["events"].find_one({"stream_id": f"study-{unit_id}",
                                                   "type": "StudyExemptionGranted"})
    assert stored["actor"]["id"] == OFFICE["id"] and stored["actor"]["role"] == "office"

    sheet = unwrap(rpc.study.unit_study(unit_id=unit_id, actor=OFFICE))
    hours = {m["member_id"]: m["centralised_hours"] for m in sheet["members"]}
    assert hours == {lead: 4, clerk: 4} and sheet["has_plan"] is True
    record = unwrap(rpc.study.member_study(member_id=lead, actor=unit))
    assert record["unit_id"] == unit_id and record["centralised_hours"] == 4
    county = unwrap(rpc.study.county(batch=1, actor=OFFICE))
    assert unit_id in {row["unit_id"] for row in county["units"]} and county["floor"] == 40
    assert unit_id not in {r["unit_id"] for r in unwrap(rpc.study.county(batch="2",
                                                                         actor=OFFICE))["units"]}
    # what units and supervision ask before a phase-1 transition
    ready = rpc.study.readiness(unit_id=unit_id)
    assert ready["ok"] is True and ready["result"]["ready"] is False
    assert ready["result"]["exempted"] == [clerk]
    assert [m["member_id"] for m in ready["result"]["members_below"]] == [lead]
    workbook = unwrap(rpc.study.ledger(unit_id=unit_id, actor=unit))["__file__"]
    book = load_workbook(io.BytesIO(base64.b64decode(workbook["content_base64"])))
    assert book.sheetnames == ["党员学时", "学习场次", "出勤登记"]

    # never the unit for itself (issue 15): the office revokes, as it granted
    assert_refused(rpc.study.revoke_exemption(unit_id=unit_id, member_id=clerk, reason="已返岗",
                                              actor=unit), 403, "forbidden")
    revoked = unwrap(rpc.study.revoke_exemption(unit_id=unit_id, member_id=clerk,
                                                reason="已返岗", actor=OFFICE))
    assert revoked["revoked"] is True


def test_refusals_are_typed_answers_and_store_nothing(stack, rpc):
    unit_id, (member,) = make_unit(stack, "王书记")
    before = logged(stack)

    other = unit_actor("u-someone-else")
    answer = assert_refused(rpc.study.record_session(unit_id=unit_id, **SESSION, actor=other),
                            403, "forbidden")
    assert answer["details"] == {"unit": unit_id, "your_unit": "u-someone-else"}
    answer = assert_refused(rpc.study.record_session(unit_id=unit_id,
                                                     **{**SESSION, "form": "karaoke"},
                                                     actor=unit_actor(unit_id)),
                            422, "invalid")
    assert set(answer["details"]["fields"]) == {"form"}
    answer = assert_refused(rpc.study.set_study_plan(unit_id=unit_id, actor=unit_actor(unit_id)),
                            422, "rejected")
    assert answer["details"]["missing"] == ["personnel", "time", "content", "effect"]
    assert_refused(rpc.study.grant_exemption(unit_id=unit_id, member_id=member, reason="病",
                                             surprise=True, actor=OFFICE), 422, "invalid")
    assert_refused(rpc.study.record_attendance(session_id="ss-nope", member_ids=[member],
                                               actor=unit_actor(unit_id)), 404, "not_found")
    assert_refused(rpc.study.readiness(), 422, "invalid")
    # a unit never exempts its own members (issue 15), whatever the gateway lets through
    answer = assert_refused(rpc.study.grant_exemption(unit_id=unit_id, member_id=member, reason="病",
                                                      actor=unit_actor(unit_id)), 403, "forbidden")
    assert "never by the unit" in answer["message"]
    assert logged(stack) == before

    # a supervisor of a group the unit is not assigned to (supervision is asked)
    stranger = {"id": "p-sup", "name": "督导组员", "role": "supervisor", "scope": "g-other"}
    assert_refused(rpc.study.unit_study(unit_id=unit_id, actor=stranger), 403, "forbidden")
    assert_refused(rpc.study.member_study(member_id=member, actor=stranger), 404, "not_found")


def test_a_supervisor_reads_the_units_of_its_own_group(stack, rpc):
    unit_id, _ = make_unit(stack, "赵组长")
    office = stack.as_role("office")
    person = {"rank": "section", "home_unit": "县委组织部", "post": "科长"}
    formed = office.post("/groups", json={"name": "督导组-" + uuid.uuid4().hex[:4],
                                          "leader": {"name": "组长", **person},
                                          "members": [{"name": "组员", **person}]})
    assert formed.status_code == 201, formed.text
    group_id = formed.json()["group_id"]
    wait_until(lambda: office.post(f"/groups/{group_id}/units",
                                   json={"unit_id": unit_id}).status_code == 201,
               message="supervision to accept the unit")
    supervisor = {"id": "p-sup", "name": "督导组长", "role": "supervisor", "scope": group_id}
    assert unwrap(rpc.study.unit_study(unit_id=unit_id, actor=supervisor))["unit_id"] == unit_id
