"""tests/faults.py: each fault strikes where the delivery tests need it (the relay dies
before publishing, or after the confirms but before its checkpoint; the unit directory
refuses one unit), and the production modules carry no fault hooks."""
from pathlib import Path

import pytest

from shared import unit_directory as directory
from shared.relay import CHECKPOINT_ID, Relay
from shared.service_kit.relay_provider import OutboxRelay
from tests import faults

ROOT = Path(__file__).resolve().parents[2]


class Killed(Exception):
    pass


def killed():
    raise Killed()  # instead of SIGKILL to this process


class Meta:
    def __init__(self):
        self.docs = {}

    def find_one_and_update(self, query, update, upsert, return_document):
        self.docs["relay_lease"] = dict(update["$set"])
        return self.docs["relay_lease"]

    def find_one(self, query):
        return self.docs.get(query["_id"])

    def update_one(self, query, update, upsert=False):
        doc = self.docs.setdefault(query["_id"], {"position": 0})
        doc["position"] = max(doc["position"], update["$max"]["position"])


class Store:
    service = "units"

    def __init__(self, events):
        self.meta, self.events = Meta(), events

    def events_since(self, after, limit):
        return [e for e in self.events if e["position"] > after][:limit]

    def committed_since(self, after, limit):  # the store's hand-off to the relay: none here
        return []


class Producer:
    def __init__(self):
        self.sent = []

    def publish(self, env, **kwargs):
        self.sent.append(env["position"])


@pytest.fixture
def relay(monkeypatch):
    monkeypatch.setattr(Relay, "publish", Relay.publish)  # put back after the test
    monkeypatch.setattr(Relay, "advance", Relay.advance)
    monkeypatch.setattr(faults, "_die", killed)
    relay = Relay(Store([{"position": p, "type": "UnitRegistered"} for p in (1, 2)]), "amqp://x")
    relay.producer = Producer()
    monkeypatch.setattr(relay, "_producer", lambda: relay.producer)
    return relay


def checkpoint(relay):
    return relay.meta.find_one({"_id": CHECKPOINT_ID})


def test_without_a_fault_the_relay_publishes_then_moves_its_checkpoint(relay):
    assert relay.publish_pending() == 2
    assert relay.producer.sent == [1, 2] and checkpoint(relay) == {"position": 2}


def test_kill_before_publish_dies_with_the_events_read_and_nothing_sent(relay):
    faults.FAULTS["relay-kill-before-publish"]("")
    with pytest.raises(Killed):
        relay.publish_pending()
    assert relay.producer.sent == [] and checkpoint(relay) is None


def test_kill_after_publish_dies_once_every_event_is_confirmed_before_the_checkpoint(relay):
    faults.FAULTS["relay-kill-after-publish"]("")
    with pytest.raises(Killed):
        relay.publish_pending()
    assert relay.producer.sent == [1, 2] and checkpoint(relay) is None


def test_relay_disabled_never_starts_the_relay(monkeypatch):
    monkeypatch.setattr(OutboxRelay, "start", OutboxRelay.start)
    faults.FAULTS["relay-disabled"]("")
    provider = OutboxRelay()
    provider.start()  # no container needed: nothing is started
    assert provider.relay is None


def test_poison_name_refuses_that_unit_only(monkeypatch):
    monkeypatch.setattr(directory, "_apply", directory._apply)
    faults.FAULTS["poison-name"]("坏单位")
    projection = directory.unit_directory()

    def registered(name):
        return {"type": "UnitRegistered", "position": 1,
                "payload": {"unit_id": "u-1", "name": name, "org_type": "党委", "batch": 1}}

    assert projection.apply(None, registered("好单位"), "u-1")["name"] == "好单位"
    with pytest.raises(RuntimeError, match="injected fault"):
        projection.apply(None, registered("坏单位"), "u-1")


def test_the_command_runs_this_module_and_knows_its_faults():
    assert faults.command("poison-name=坏单位")[1:] == ["-m", "tests.faults", "poison-name=坏单位"]
    with pytest.raises(ValueError):
        faults.command("no-such-fault")


def test_no_production_module_reads_a_fault_setting():
    found = [str(path.relative_to(ROOT)) for top in ("shared", "services", "assembly")
             for path in (ROOT / top).rglob("*.py") if "DUDAO_FAULT" in path.read_text("utf-8")]
    assert found == []


def test_kill_before_commit_dies_after_the_transactions_writes(monkeypatch):
    from shared.eventstore.mongo import MongoEventStore
    written = []
    monkeypatch.setattr(MongoEventStore, "_write", lambda self, session, batch: written.append(batch))
    monkeypatch.setattr(faults, "_die", killed)
    faults.FAULTS["kill-before-commit"]("")
    with pytest.raises(Killed):
        MongoEventStore._write(None, "session", ["request"])
    assert written == [["request"]]


def test_slow_reply_delays_only_the_named_rpcs_answers(monkeypatch):
    import eventlet
    from nameko.rpc import Responder
    sent, slept = [], []
    monkeypatch.setattr(Responder, "send_response", lambda self, result, exc_info: sent.append(result))
    monkeypatch.setattr(eventlet, "sleep", slept.append)
    faults.FAULTS["slow-reply"]("verify:2.5")

    class Message:
        def __init__(self, routing_key):
            self.delivery_info = {"routing_key": routing_key}

    for key in ("units.verify", "units.head"):
        responder = Responder.__new__(Responder)
        responder.message = Message(key)
        Responder.send_response(responder, key, None)
    assert sent == ["units.verify", "units.head"] and slept == [2.5]
    with pytest.raises(SystemExit):
        faults.FAULTS["slow-reply"]("verify")
