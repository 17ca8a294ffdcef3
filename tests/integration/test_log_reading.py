"""Reading a whole log with the reader thread (shared.eventstore.mongo.read_log) against the
real server. The test run is monkey-patched by eventlet, where read_log reads in line, so
the threaded path runs in a clean interpreter, as the audit CLI and the benchmarks do."""
import json
import subprocess
import sys
import textwrap

from pymongo import MongoClient

from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore, read_log

ACTOR = {"id": "p1", "name": "Office clerk", "role": "office", "scope": None}
EVENTS = 57


def filled(mongo_uri, db_prefix):
    client = MongoClient(mongo_uri)
    store = MongoEventStore("units", client, f"{db_prefix}_units")
    store.ensure_indexes()
    for i in range(EVENTS):
        store.append(f"s{i % 4}", None, [NewEvent("ThingHappened", {"n": i})], actor=ACTOR)
    return client, store


def test_in_line_under_eventlet(mongo_uri, db_prefix):
    client, store = filled(mongo_uri, db_prefix)
    try:
        assert [d["_id"] for d in read_log(store.events, {"_id": {"$gt": 10, "$lte": 20}}, 3)] == list(range(11, 21))
        assert store.verify()["checked"] == EVENTS
    finally:
        client.close()


def test_with_a_reader_thread(mongo_uri, db_prefix):
    client, _store = filled(mongo_uri, db_prefix)
    client.close()
    script = textwrap.dedent("""
        import json, sys, threading
        from pymongo import MongoClient
        from pymongo.errors import OperationFailure
        from shared.eventstore.mongo import MongoEventStore, read_log
        from shared.readahead import green

        uri, db = sys.argv[1], sys.argv[2]
        client = MongoClient(uri)
        store = MongoEventStore("units", client, db)
        out = {"green": green(), "verify": store.verify()}
        out["range"] = [d["_id"] for d in read_log(store.events, {"_id": {"$gt": 10, "$lte": 20}}, 3)]
        docs = read_log(store.events, {}, 2)
        out["first"] = next(docs)["_id"]
        docs.close()  # stops and joins the reader
        out["readers_after_close"] = [t.name for t in threading.enumerate() if t.name == "read-ahead"]
        try:
            list(read_log(store.events, {"$bogus": 1}, 2))
            out["error"] = None
        except OperationFailure as err:  # raised by the reader thread, re-raised here
            out["error"] = type(err).__name__
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script, mongo_uri, f"{db_prefix}_units"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["green"] is False
    assert out["verify"]["ok"] and out["verify"]["checked"] == EVENTS
    assert out["range"] == list(range(11, 21))
    assert out["first"] == 1 and out["readers_after_close"] == []
    assert out["error"] == "OperationFailure"
