"""Durable before acknowledged (DESIGN.md guarantee 7): every append the store answered
survives a kill -9 of the database server and a restart on the same storage.

The embedded server acknowledges a commit before its log is on disk unless it runs with
``--sync-on-commit`` (``launcher.secantus_command`` starts it so); the store asks for a
journaled write concern, which a real MongoDB honours the same way."""
import os
import signal

import eventlet
import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from shared import launcher
from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore

pytestmark = pytest.mark.slow

ACTOR = {"id": "p1", "name": "clerk", "role": "office", "scope": None}
WRITERS = 4
KILL_AFTER = 150  # acknowledged appends before the server is killed


def _store(port: int) -> tuple[MongoClient, MongoEventStore]:
    client = MongoClient(launcher.mongo_uri_for(port), serverSelectionTimeoutMS=2000)
    store = MongoEventStore("units", client, "durability_units")
    store.ensure_indexes()
    return client, store


def test_acknowledged_appends_survive_kill_9_of_the_database(tmp_path):
    if os.environ.get("DUDAO_MONGO_URI"):
        pytest.skip("kills its own embedded server; a real MongoDB is not ours to kill")
    port = launcher.free_port()
    server = launcher.start_secantus(tmp_path, port)
    client, store = _store(port)
    acknowledged: list[tuple[str, int]] = []
    killed = eventlet.event.Event()

    def writer(n: int) -> None:
        version = 0
        while not killed.ready():
            try:
                store.append(f"unit-{n}", version, [NewEvent("ThingHappened", {"n": version})],
                             actor=ACTOR)
            except PyMongoError:
                return  # the server is gone: this append was never acknowledged
            version += 1
            acknowledged.append((f"unit-{n}", version))

    writers = [eventlet.spawn(writer, n) for n in range(WRITERS)]
    with eventlet.Timeout(60):
        while len(acknowledged) < KILL_AFTER:
            eventlet.sleep(0.001)
    os.killpg(server.pid, signal.SIGKILL)
    killed.send(True)
    server.wait(10)
    for w in writers:
        w.wait()
    client.close()
    answered = list(acknowledged)

    server = launcher.start_secantus(tmp_path, port)
    try:
        client, store = _store(port)
        stored = {(e["stream_id"], e["version"]) for e in store.events_since(0)}
        lost = [a for a in answered if a not in stored]
        assert lost == [], f"{len(lost)} acknowledged appends lost of {len(answered)}"
        assert store.verify()["ok"]
        positions = [e["position"] for e in store.events_since(0)]
        assert positions == list(range(1, len(positions) + 1))
        client.close()
    finally:
        server.terminate()
        server.wait(10)
