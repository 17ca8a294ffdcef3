"""The units service's RPC API called directly over RabbitMQ, the way another nameko
service or a county system would: a plain ``ClusterRpcProxy``, named fields plus
``actor``, and the one answer shape (``shared.edge``) back — no gateway, no URLs.

The units and supervision processes run (one each per module; the mobilisation meeting
waits for the group's arrival and approved work plan, which units learn from supervision's
log): the study service's absence is itself one of the refusals shown (the readiness
question to a peer that is not running)."""
import datetime
from pathlib import Path

import pytest

from assembly.stack import throwaway_stack, wait_until
from shared.edge import ERROR_CODES, Refused, unwrap
from tests.e2e.test_units import FULL_PLAN

OFFICE = {"id": "office-1", "name": "领导小组办公室", "role": "office", "scope": None}
AUDITOR = {"id": "audit-1", "name": "审计员", "role": "auditor", "scope": None}


def unit_actor(unit_id):
    return {"id": f"unit-{unit_id}", "name": "单位党委", "role": "unit", "scope": unit_id}


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, ["units", "supervision"], {"DUDAO_RPC_TIMEOUT": "5"},
                         label="rpc-units") as running:
        yield running


@pytest.fixture(scope="module")
def units(stack):
    """The units service alone (its own vhost and database prefix): its RPC proxy."""
    with stack.rpc() as rpc:
        yield rpc.units


@pytest.fixture(scope="module")
def unit_id(units):
    return unwrap(units.register_unit(name="县教育局", org_type="党委", batch=2, sections=["综合科"],
                                      actor=OFFICE))["unit_id"]


def test_commands_take_named_fields_and_answer_in_the_one_shape(units, unit_id):
    me = unit_actor(unit_id)
    assert units.add_section(unit_id=unit_id, section="人事科", actor=me) == \
        {"ok": True, "result": {"unit_id": unit_id, "section": "人事科"}}
    head = unwrap(units.enrol_member(unit_id=unit_id, name="人事科长", section="人事科", actor=me))["member_id"]
    clerk = unwrap(units.enrol_member(unit_id=unit_id, name="科员", section="人事科", actor=me))["member_id"]
    formed = unwrap(units.form_study_group(unit_id=unit_id, section="人事科", leader_member_id=head,
                                           member_ids=[clerk], actor=me))
    assert formed["study_group_id"].startswith("sg-")
    assert unwrap(units.set_requirements(unit_id=unit_id, text="五带头", items=["带头学习"], actor=me)) == \
        {"unit_id": unit_id}

    members = unwrap(units.list_members(unit_id=unit_id, actor=me))
    assert {m["member_id"] for m in members["members"]} == {head, clerk}
    [group] = members["study_groups"]
    assert (group["study_group_id"], group["section"], group["leader_member_id"]) == \
        (formed["study_group_id"], "人事科", head)
    assert set(group["member_ids"]) == {head, clerk}


def test_queries_answer_from_the_projections_by_scope(units, unit_id):
    card = unwrap(units.get_unit(unit_id=unit_id, actor=AUDITOR))
    assert card["unit_id"] == unit_id and card["batch"] == 2 and card["phase"] == "registered"
    # the query string's form (a string) and the typed form (an int) are the same query
    assert [c["unit_id"] for c in unwrap(units.list_units(batch="2", actor=OFFICE))] == [unit_id]
    assert [c["unit_id"] for c in unwrap(units.list_units(batch=2, phase="registered", actor=OFFICE))] == [unit_id]
    assert unwrap(units.list_units(batch=1, actor=OFFICE)) == []
    assert [c["unit_id"] for c in unwrap(units.list_units(actor=unit_actor(unit_id)))] == [unit_id]
    assert unwrap(units.list_units(actor=unit_actor("u-elsewhere"))) == []
    assert unwrap(units.overview(actor=OFFICE))


def test_a_refusal_is_a_typed_answer_and_unwrap_raises_it(units, unit_id):
    # a unit acting on another unit: forbidden, with the details of who and where
    answer = units.enrol_member(unit_id=unit_id, name="某人", section="综合科", actor=unit_actor("u-other"))
    assert answer["ok"] is False and answer["error"] == "forbidden" and answer["status"] == 403
    assert answer["details"] == {"actor_unit": "u-other", "unit_id": unit_id}
    with pytest.raises(Refused) as refused:
        unwrap(answer)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")

    # a supervisor of no group reading the unit: the shared read policy
    answer = units.get_unit(unit_id=unit_id, actor={"id": "s-1", "name": "督导员", "role": "supervisor",
                                                    "scope": "g-nobody"})
    assert (answer["ok"], answer["status"], answer["error"]) == (False, 403, "forbidden")
    assert "may not read" in answer["message"] and answer["details"] == {"unit_id": unit_id}

    # fields the schema refuses: invalid, with the field errors
    answer = units.enrol_member(unit_id=unit_id, name="某人", colour="red", actor=unit_actor(unit_id))
    assert (answer["ok"], answer["status"], answer["error"]) == (False, 422, "invalid")
    assert answer["details"]["fields"] == {"section": ["Missing data for required field."],
                                           "colour": ["Unknown field."]}
    with pytest.raises(Refused) as refused:
        unwrap(units.add_section(section="新科", actor=unit_actor(unit_id)))
    assert refused.value.code == "invalid" and "unit_id" in refused.value.details["fields"]

    # no such unit; a batch that is not a number is no batch (as over HTTP)
    assert units.get_unit(unit_id="u-none", actor=OFFICE)["error"] == "not_found"
    answer = units.list_units(batch="two", actor=OFFICE)
    assert (answer["status"], answer["error"], answer["message"]) == (404, "not_found", "no batch 'two'")
    assert ERROR_CODES[answer["error"]] == answer["status"]


def arrived_and_approved(stack, units, unit_id, today):
    """The unit's group arrives and approves its work plan, over supervision's RPC; the
    units service hears of both from supervision's log."""
    person = {"rank": "section", "home_unit": "县委组织部", "post": "科长"}
    with stack.rpc() as rpc:
        group_id = unwrap(rpc.supervision.form_group(
            name="第一督导组", leader={"name": "钱组长", **person},
            members=[{"name": "吴组员", **person}], actor=OFFICE))["group_id"]
        wait_until(lambda: rpc.supervision.assign_unit(group_id=group_id, unit_id=unit_id,
                                                       actor=OFFICE)["ok"],
                   message="supervision to know the unit")
        supervisor = {"id": "p-sup", "name": "钱组长", "role": "supervisor", "scope": group_id}
        unwrap(rpc.supervision.record_arrival(group_id=group_id, unit_id=unit_id, date=today,
                                              actor=supervisor))
        unwrap(units.submit_work_plan(unit_id=unit_id, **FULL_PLAN, actor=unit_actor(unit_id)))
        wait_until(lambda: rpc.supervision.review_work_plan(unit_id=unit_id, decision="approve",
                                                            actor=supervisor)["ok"],
                   message="supervision to know the plan")


def test_study_readiness_from_a_peer_that_is_not_running_is_a_503_naming_it(stack, units):
    unit_id = unwrap(units.register_unit(name="县卫生局", org_type="党委", batch=1, actor=OFFICE))["unit_id"]
    me, today = unit_actor(unit_id), datetime.date.today().isoformat()
    unwrap(units.schedule_meeting(unit_id=unit_id, date=today, actor=me))
    arrived_and_approved(stack, units, unit_id, today)
    held = wait_until(lambda: (lambda a: a if a["ok"] else None)(units.hold_meeting(unit_id=unit_id, actor=me)),
                      message="units to hear of the arrival and the approval")["result"]
    assert (held["date"], held["phase"]) == (today, "mobilization")
    unwrap(units.set_requirements(unit_id=unit_id, text="五带头", actor=me))

    answer = units.apply_for_transition(unit_id=unit_id, summary="学习动员阶段总结", actor=me)
    assert (answer["ok"], answer["status"], answer["error"]) == (False, 503, "unavailable")
    assert "the study service is not running" in answer["message"]
    assert answer["details"] == {"service": "study"}
    assert unwrap(units.get_unit(unit_id=unit_id, actor=OFFICE))["open_application"] is None


def test_the_readme_rpc_example_runs(stack, units, capsys):
    """README's "Calling a service over RPC" block, run as written against this stack."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme.split("## Calling a service over RPC", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert "amqp://guest:guest@127.0.0.1:5672/" in code
    exec(compile(code.replace("amqp://guest:guest@127.0.0.1:5672/", stack.amqp_uri), "README", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and printed[0] == "registered", printed
    assert printed[1].startswith("403 forbidden "), printed


def test_a_redelivered_request_with_its_idempotency_key_acts_once(stack, units):
    """nameko acknowledges an RPC request after replying: one that was in flight when the
    broker or the service dropped is delivered again. With its key it answers again."""
    request = dict(name="县科协", org_type="党组", batch=1, actor=OFFICE, idempotency_key="req-42")
    first = units.register_unit(**request)
    assert units.register_unit(**request) == first
    events = stack.db("units")["events"]
    assert events.count_documents({"type": "UnitRegistered", "payload.name": "县科协"}) == 1
    [record] = stack.db("units")["commands"].find({"stream_id": f"unit-{first['result']['unit_id']}"})
    assert record["first"] == record["last"] == events.find_one({"payload.name": "县科协"})["position"]


def test_an_idempotency_key_that_is_not_a_short_printable_string_is_refused(stack, units):
    logged = stack.db("units")["events"].count_documents({})
    for bad in ("", "a b", "x" * 201, 7):
        answer = units.register_unit(name="县侨联", org_type="党组", batch=1, actor=OFFICE,
                                     idempotency_key=bad)
        assert answer["ok"] is False and answer["error"] == "invalid", answer
        assert "idempotency_key" in answer["details"]["fields"]
    assert stack.db("units")["events"].count_documents({}) == logged
