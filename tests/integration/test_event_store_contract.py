"""One contract every event store passes: the in-memory store and MongoDB on the real server."""
import threading

import pytest
from pymongo import MongoClient

from shared.eventstore import (
    CommandKey,
    CommandKeyReused,
    ConcurrencyError,
    MemoryEventStore,
    NewEvent,
    Upcasters,
)
from shared.eventstore.mongo import MongoEventStore

ACTOR = {"id": "p1", "name": "Office clerk", "role": "office", "scope": None}


def ev(n=0, type_="ThingHappened"):
    return NewEvent(type_, {"n": n})


@pytest.fixture(params=["memory", "mongo"])
def make_store(request, mongo_uri, db_prefix):
    clients = []

    def make(upcasters=None, on_append=None, service="units"):
        if request.param == "memory":
            return MemoryEventStore(service, upcasters=upcasters, on_append=on_append)
        client = MongoClient(mongo_uri)
        clients.append(client)
        store = MongoEventStore(service, client, f"{db_prefix}_{service}",
                                upcasters=upcasters, on_append=on_append)
        store.ensure_indexes()
        return store

    make.kind = request.param
    yield make
    for c in clients:
        c.close()


def test_append_assigns_versions_positions_and_envelope(make_store):
    store = make_store()
    first = store.append("unit-a", 0, [ev(1), ev(2)], actor=ACTOR)
    second = store.append("unit-b", 0, [ev(3)], actor=ACTOR, causation_id=first[0]["event_id"])
    assert [e["version"] for e in first] == [1, 2]
    assert [e["position"] for e in first + second] == [1, 2, 3]
    assert first[0]["correlation_id"] == first[1]["correlation_id"]
    assert second[0]["causation_id"] == first[0]["event_id"]
    assert second[0]["prev_hash"] == first[1]["hash"]
    assert store.head() == {"position": 3, "hash": second[0]["hash"]}
    assert [e["payload"]["n"] for e in store.read_stream("unit-a")] == [1, 2]
    assert set(first[0]) == {"event_id", "type", "schema_version", "stream_id", "version",
                             "position", "occurred_at", "recorded_at", "actor", "correlation_id",
                             "causation_id", "payload", "hash", "prev_hash"}


def test_stale_expected_version_raises_and_writes_nothing(make_store):
    store = make_store()
    store.append("unit-a", 0, [ev(1)], actor=ACTOR)
    with pytest.raises(ConcurrencyError, match="at version 1, expected 0"):
        store.append("unit-a", 0, [ev(2), ev(3)], actor=ACTOR)
    assert len(store.events_since(0)) == 1
    assert store.head()["position"] == 1


def test_any_version_appends_whatever_the_stream_is_at(make_store):
    store = make_store()
    store.append("s", 0, [ev()], actor=ACTOR)
    assert store.append("s", None, [ev()], actor=ACTOR)[0]["version"] == 2


def test_failing_projection_hook_leaves_nothing_written(make_store):
    def explode(session, envelopes):
        raise RuntimeError("projection bug")

    store = make_store(on_append=explode)
    with pytest.raises(RuntimeError, match="projection bug"):
        store.append("s", 0, [ev(1), ev(2)], actor=ACTOR)
    assert store.events_since(0) == []
    assert store.head()["position"] == 0


def test_concurrent_writers_on_one_stream_exactly_one_wins(make_store):
    store = make_store()
    store.append("unit-x", 0, [ev()], actor=ACTOR)
    results, barrier = [], threading.Barrier(8)

    def writer(i):
        barrier.wait()
        try:
            store.append("unit-x", 1, [ev(i), ev(i)], actor=ACTOR)
            results.append("won")
        except ConcurrencyError:
            results.append("lost")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["lost"] * 7 + ["won"]
    assert [e["version"] for e in store.read_stream("unit-x")] == [1, 2, 3]


def test_positions_gap_free_under_eight_concurrent_writers(make_store):
    store = make_store()

    def writer(i):
        for j in range(15):
            store.append(f"stream-{i}", None, [ev(j)] * (1 + j % 3), actor=ACTOR)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    positions = [e["position"] for e in store.events_since(0)]
    assert positions == list(range(1, len(positions) + 1))
    assert len(positions) == 8 * sum(1 + j % 3 for j in range(15))
    assert store.verify()["ok"]


KEY = CommandKey("k-1", "fingerprint-a")


def test_an_append_with_a_recorded_command_key_answers_the_first_events(make_store):
    store = make_store()
    first = store.append("unit-a", 0, [ev(1), ev(2)], actor=ACTOR, command_key=KEY)
    again = store.append("unit-a", 2, [ev(3)], actor=ACTOR, command_key=KEY)
    assert again == first
    assert store.head()["position"] == 2
    assert store.recorded_command(KEY) == first
    assert store.recorded_command(CommandKey("k-2", "fingerprint-a")) is None


def test_the_command_key_is_checked_before_the_expected_version(make_store):
    store = make_store()
    first = store.append("unit-a", 0, [ev(1)], actor=ACTOR, command_key=KEY)
    store.append("unit-a", 1, [ev(2)], actor=ACTOR)
    # the retry decided on the state it read before the first try: a stale version
    assert store.append("unit-a", 0, [ev(1)], actor=ACTOR, command_key=KEY) == first
    assert len(store.events_since(0)) == 2


def test_a_command_key_reused_for_another_request_is_refused_and_writes_nothing(make_store):
    store = make_store()
    store.append("unit-a", 0, [ev(1)], actor=ACTOR, command_key=KEY)
    other = CommandKey(KEY.id, "fingerprint-b")
    with pytest.raises(CommandKeyReused):
        store.append("unit-b", 0, [ev(2)], actor=ACTOR, command_key=other)
    with pytest.raises(CommandKeyReused):
        store.recorded_command(other)
    assert store.head()["position"] == 1


def test_concurrent_appends_with_one_command_key_append_once(make_store):
    store = make_store()
    results, barrier = [], threading.Barrier(8)

    def writer():
        barrier.wait()
        results.append(store.append("unit-k", None, [ev(7)], actor=ACTOR, command_key=KEY))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 8 and all(r == results[0] for r in results)
    assert [e["position"] for e in store.events_since(0)] == [1]


def test_verify_names_the_first_altered_position(make_store):
    store = make_store()
    for i in range(5):
        store.append("s", None, [ev(i)], actor=ACTOR)
    assert store.verify()["ok"] is True
    tamper(store, make_store.kind, 3, payload={"n": 99})
    result = store.verify()
    assert result["ok"] is False
    assert result["first_broken"]["position"] == 3
    assert "altered" in result["first_broken"]["reason"]


def test_verify_names_a_deleted_event(make_store):
    store = make_store()
    for i in range(5):
        store.append("s", None, [ev(i)], actor=ACTOR)
    delete(store, make_store.kind, 2)
    result = store.verify()
    assert result["first_broken"]["position"] == 2
    assert "missing" in result["first_broken"]["reason"]


def test_verify_names_a_deleted_tail(make_store):
    store = make_store()
    for i in range(3):
        store.append("s", None, [ev(i)], actor=ACTOR)
    delete(store, make_store.kind, 3)
    result = store.verify()
    assert result["ok"] is False and result["first_broken"]["position"] == 3


def test_verify_names_an_envelope_with_an_unknown_field(make_store):
    store = make_store()
    for i in range(3):
        store.append("s", None, [ev(i)], actor=ACTOR)
    tamper(store, make_store.kind, 2, smuggled="x")
    result = store.verify()
    assert result["first_broken"]["position"] == 2
    assert "malformed" in result["first_broken"]["reason"]


def test_upcasters_apply_on_read_and_stored_bytes_never_change(make_store):
    up = Upcasters()
    up.register("MemberEnrolled", 1, lambda p: {**p, "is_retired": False})
    store = make_store(upcasters=up)
    store.append("unit-a", 0, [NewEvent("MemberEnrolled", {"name": "Li"}, 1)], actor=ACTOR)
    read = store.read_stream("unit-a")[0]
    assert read["schema_version"] == 2 and read["payload"] == {"name": "Li", "is_retired": False}
    raw = store.read_stream("unit-a", raw=True)[0]
    assert raw["schema_version"] == 1 and raw["payload"] == {"name": "Li"}
    assert store.verify()["ok"]


def test_events_since_pages_in_position_order(make_store):
    store = make_store()
    for i in range(10):
        store.append(f"s{i % 3}", None, [ev(i)], actor=ACTOR)
    page = store.events_since(4, limit=3)
    assert [e["position"] for e in page] == [5, 6, 7]
    assert [e["payload"]["n"] for e in store.iter_all(batch=4)] == list(range(10))


# what someone with write access to the database could do
def tamper(store, kind, position, **changes):
    if kind == "memory":
        store.tamper(position, **changes)
    else:
        store.events.update_one({"_id": position}, {"$set": changes})


def delete(store, kind, position):
    if kind == "memory":
        store.delete(position)
    else:
        store.events.delete_one({"_id": position})


def test_append_all_writes_several_streams_together_or_none(make_store):
    from shared.eventstore import AppendRequest
    store = make_store()
    store.append("unit-b", 0, [ev(0)], actor=ACTOR)
    with pytest.raises(ConcurrencyError):  # one stale request: the whole batch refused
        store.append_all([AppendRequest("unit-a", 0, [ev(1)], ACTOR),
                          AppendRequest("unit-b", 0, [ev(2)], ACTOR)])
    assert store.read_stream("unit-a") == [] and store.head()["position"] == 1
    key = CommandKey("req-1:0", "fp")
    written = store.append_all([AppendRequest("unit-a", 0, [ev(1)], ACTOR, command_key=key),
                                AppendRequest("unit-c", 0, [ev(3), ev(4)], ACTOR)])
    assert [[e["position"] for e in envs] for envs in written] == [[2], [3, 4]]
    assert written[1][0]["prev_hash"] == written[0][0]["hash"]
    # a retry of a recorded command answers what it appended, nothing written again
    again = store.append_all([AppendRequest("unit-a", 0, [ev(1)], ACTOR, command_key=key)])
    assert [e["event_id"] for e in again[0]] == [written[0][0]["event_id"]]
    assert store.head()["position"] == 4 and store.verify()["ok"]
