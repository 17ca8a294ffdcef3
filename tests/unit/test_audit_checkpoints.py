"""shared.audit.checkpoints over a memory log: each consumer x source pair judged by the
event the source holds at the checkpoint's position (against real databases, the CLI and
the gateway route: tests/integration/test_audit.py)."""
from shared.audit import checkpoints, remote
from shared.eventstore import MemoryEventStore, NewEvent

ACTOR = {"id": "o", "name": "office", "role": "office", "scope": None}


def source(n: int = 3) -> MemoryEventStore:
    store = MemoryEventStore("units")
    for i in range(n):
        store.append(f"unit-{i}", 0, [NewEvent("Counted", {"n": i})], actor=ACTOR)
    return store


def judge(store, kept: dict) -> dict:
    # the lookup the gateway makes, with the log's events_since in place of the RPC
    event_at = remote._event_at(lambda _source, _rpc, kw: store.events_since(kw["position"], kw["limit"]))
    return checkpoints.check({"study": [{"source": "units", **kept}]}, event_at,
                             lambda _source: store.head())


def test_the_event_applied_is_ok_and_nothing_applied_yet_too():
    store = source()
    at_two = store.events_since(1, 1)[0]["hash"]
    assert judge(store, {"position": 2, "hash": at_two})["pairs"][0]["status"] == "ok"
    fresh = judge(source(0), {"position": 0, "hash": "0" * 64})
    assert fresh["ok"] and checkpoints.render(fresh["pairs"][0]) == "study <- units: ok, nothing applied yet"


def test_past_the_head_is_ahead_another_hash_forked_and_both_fail():
    store = source()
    ahead = judge(store, {"position": 4, "hash": "a" * 64})
    assert ahead["ok"] is False
    assert {k: ahead["pairs"][0][k] for k in ("status", "source_head", "source_hash")} == {
        "status": "ahead", "source_head": 3, "source_hash": None}
    forked = judge(store, {"position": 3, "hash": "f" * 64})
    assert forked["ok"] is False and forked["pairs"][0]["source_hash"] == store.head()["hash"]
    assert checkpoints.render(forked["pairs"][0]) == (
        f"study <- units: FORKED: study applied units #3 with hash {'f' * 64}; "
        f"the units log holds {store.head()['hash']} there")


def test_no_hash_kept_is_unchecked_not_failed_unless_ahead():
    store = source()
    unchecked = judge(store, {"position": 3, "hash": None})
    assert unchecked["ok"] is True and unchecked["pairs"][0]["status"] == "unchecked"
    assert judge(store, {"position": 5, "hash": None})["pairs"][0]["status"] == "ahead"


def test_the_verdict_needs_both_the_chains_and_the_checkpoints():
    fine, lost = {"ok": True, "pairs": []}, {"ok": False, "pairs": []}
    assert checkpoints.verdict({"units": {"ok": True}}, fine)["ok"] is True
    assert checkpoints.verdict({"units": {"ok": True}}, lost)["ok"] is False
    assert checkpoints.verdict({"units": {"ok": False}}, fine)["ok"] is False
