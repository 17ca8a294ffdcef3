"""Delivery with real processes, a real broker and a real database: crashes of the
relay, duplicates and reordering on the wire, and a consumer that cannot apply an event
(the faults are injected into the service processes by tests/faults.py)."""
import json

import pytest
import requests
from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange

from assembly.stack import wait_until
from shared.projection import MemoryProjectionRunner
from shared.unit_directory import unit_directory
from tests import faults

CONSUMERS = ("supervision", "study", "evaluation")
pytestmark = pytest.mark.slow


def register(client, name, batch=1):
    response = client.post("/units", json={"name": name, "org_type": "党支部", "batch": batch})
    assert response.status_code == 201, response.text
    return response.json()["unit_id"]


def directory(stack, service):
    return {d["_id"]: d for d in stack.db(service)["unit_directory"].find()}


def units_log(stack):
    return list(stack.db("units")["events"].find().sort("_id", 1))


def converged(stack, services=CONSUMERS):
    """Every consumer applied every units event exactly once."""
    log = units_log(stack)
    expected = {}
    for env in log:
        expected[env["payload"]["unit_id"]] = expected.get(env["payload"]["unit_id"], 0) + 1
    for service in services:
        got = {k: d["events_applied"] for k, d in directory(stack, service).items()}
        if got != expected:
            return False
    return True


def test_relay_killed_after_commit_before_publish_resends_on_restart(make_stack):
    # consumers' periodic catch-up would fetch the event themselves; turn it down
    # so that only the relay can bring it
    stack = make_stack(DUDAO_CATCH_UP_SECONDS="3600")
    stack.start_all()
    office = stack.as_role("office")
    first = register(office, "县委办公室")
    wait_until(lambda: converged(stack), message="first unit everywhere")

    stack.stop("units")
    stack.start("units", command=faults.command("relay-kill-before-publish"))
    stack.wait_healthy()
    try:
        stack.request("POST", "/units", office.token, timeout=3,
                      json={"name": "县委组织部", "org_type": "党委", "batch": 1})
    except requests.RequestException:
        pass  # the process may die before it answers
    wait_until(lambda: stack.processes["units"].poll() is not None, message="relay to kill units")
    assert stack.processes["units"].returncode == -9
    log = units_log(stack)
    assert len(log) == 2, "the command committed before the crash"
    second = log[-1]["payload"]["unit_id"]
    assert all(second not in directory(stack, s) for s in CONSUMERS), "nothing was published"

    stack.kill("units")
    stack.start("units")
    wait_until(lambda: converged(stack), message="consumers to converge after restart")
    for service in CONSUMERS:
        entries = directory(stack, service)
        assert entries[first]["events_applied"] == 1 and entries[second]["events_applied"] == 1


def test_relay_killed_after_publish_before_checkpoint_duplicates_are_dropped(make_stack):
    stack = make_stack(DUDAO_CATCH_UP_SECONDS="3600")
    stack.start_all()
    office = stack.as_role("office")
    stack.stop("units")
    stack.start("units", command=faults.command("relay-kill-after-publish"))
    stack.wait_healthy()
    try:
        stack.request("POST", "/units", office.token, timeout=3,
                      json={"name": "县纪委", "org_type": "党委", "batch": 2})
    except requests.RequestException:
        pass
    wait_until(lambda: stack.processes["units"].poll() is not None, message="relay to kill units")
    checkpoint = stack.db("units")["meta"].find_one({"_id": "relay_checkpoint"})
    assert checkpoint is None, "the checkpoint must not move before the crash"
    stack.kill("units")
    stack.start("units")
    wait_until(lambda: stack.db("units")["meta"].find_one({"_id": "relay_checkpoint"}),
               message="relay checkpoint after re-publishing")
    wait_until(lambda: converged(stack), message="consumers to converge")
    for service in CONSUMERS:
        assert [d["events_applied"] for d in directory(stack, service).values()] == [1]


def test_duplicated_and_reordered_deliveries_end_identical_to_in_order(make_stack):
    # the units relay is off and the consumer's periodic catch-up is slow, so the
    # only deliveries are the ones this test puts on the wire
    stack = make_stack(DUDAO_CATCH_UP_SECONDS="3600")
    stack.start("units", command=faults.command("relay-disabled"))
    for name in ("supervision", "study", "evaluation", "gateway"):
        stack.start(name)
    stack.wait_healthy()
    office = stack.as_role("office")
    for i in range(5):
        register(office, f"单位{i}")
    log = [{k: v for k, v in d.items() if k != "_id"} for d in units_log(stack)]
    assert directory(stack, "supervision") == {}

    scrambled = [log[i] for i in (4, 4, 2, 0, 3, 1, 0, 4)]
    with Connection(stack.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.default_channel, exchange=get_event_exchange("units", {}))
        for env in scrambled:
            producer.publish(json.dumps(env), routing_key=env["type"], content_type="application/json",
                             content_encoding="utf-8", declare=[get_event_exchange("units", {})])

    wait_until(lambda: converged(stack), message="consumers to converge")
    in_order = MemoryProjectionRunner([unit_directory()]).fold(log).collections["unit_directory"]
    for service in CONSUMERS:
        assert directory(stack, service) == in_order


def test_a_consumer_that_cannot_apply_an_event_parks_it_then_replays_it_once(make_stack):
    stack = make_stack()
    for name in ("units", "study", "evaluation", "gateway"):
        stack.start(name)
    stack.start("supervision", command=faults.command("poison-name=坏单位"))
    stack.wait_healthy()
    office = stack.as_role("office")
    good_before = register(office, "好单位甲")
    bad = register(office, "坏单位")
    good_after = register(office, "好单位乙")

    wait_until(lambda: good_after in directory(stack, "supervision"), message="later events flow")
    assert bad not in directory(stack, "supervision")
    assert good_before in directory(stack, "supervision")
    wait_until(lambda: converged(stack, ("study", "evaluation")), message="other consumers unaffected")
    with stack.rpc() as rpc:
        parked = rpc.supervision.parked_events()
    assert [(p["stream_id"], p["status"]) for p in parked] == [(f"unit-{bad}", "parked")]
    assert "injected fault" in parked[0]["error"]

    stack.stop("supervision")
    stack.start("supervision")  # the fix is deployed
    stack.wait_healthy()
    with stack.rpc() as rpc:
        replayed = rpc.supervision.replay_parked(source="units", stream_id=f"unit-{bad}")
        again = rpc.supervision.replay_parked(source="units", stream_id=f"unit-{bad}")
        assert rpc.supervision.parked_events() == []
    assert replayed == {"ok": True, "result": {"replayed": [parked[0]["position"]]}}
    assert again["ok"] is False and again["status"] == 404
    assert converged(stack)


def test_verify_over_rpc_names_an_event_altered_in_the_database(make_stack):
    stack = make_stack()
    stack.start_all()
    office = stack.as_role("office")
    for i in range(3):
        register(office, f"单位{i}")
    with stack.rpc() as rpc:
        assert rpc.units.verify()["ok"] is True
        stack.db("units")["events"].update_one({"_id": 2}, {"$set": {"payload.name": "篡改"}})
        result = rpc.units.verify()
    assert result["ok"] is False
    assert result["first_broken"]["position"] == 2
