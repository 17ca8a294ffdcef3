"""(a) Appends through MongoEventStore beside raw pymongo inserts of the same documents.

For each shape (events per command × concurrent writers):
1. the store run: N writer threads append commands for a fixed time;
2. the raw runs: the documents the store wrote are read back exactly as stored and
   re-inserted, command by command (``insert_one`` for a 1-event command,
   ``insert_many`` for a 10-event one), by the same number of threads, each thread
   inserting the commands its store-twin appended, into a fresh collection on the
   same server with the same write concern ("majority", as the store's transaction).

Two raw baselines are printed: the collection with the same indexes as the store's
``events`` collection (the documents need them: stream/version uniqueness is the
optimistic-concurrency guard, event_id/correlation_id/unit_id serve audit reads),
and a bare collection with only ``_id``, which shows what the indexes cost.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict

from pymongo import MongoClient
from pymongo.write_concern import WriteConcern

from bench.workload import ACTOR, WriterScript
from shared.eventstore.mongo import MongoEventStore

WARMUP_COMMANDS = 3


@dataclasses.dataclass
class AppendResult:
    events_per_command: int
    writers: int
    store_events: int
    store_seconds: float
    indexed_seconds: float
    bare_seconds: float
    batches: list  # group-commit batch sizes seen by the store

    @property
    def store_rate(self) -> float:
        return self.store_events / self.store_seconds

    @property
    def indexed_rate(self) -> float:
        return self.store_events / self.indexed_seconds

    @property
    def bare_rate(self) -> float:
        return self.store_events / self.bare_seconds


def run_threads(count: int, work) -> float:
    """Run ``work(i)`` on ``count`` threads released together; seconds until the last ends."""
    barrier = threading.Barrier(count + 1)
    errors = []

    def body(i):
        barrier.wait()
        try:
            work(i)
        except BaseException as err:  # surface it in the main thread
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def _count_batches(store: MongoEventStore) -> list:
    """Record how many commands each group commit carried (instrumentation only)."""
    sizes = []
    original = store._commit_batch

    def counting(batch):
        sizes.append(len(batch))
        return original(batch)

    store._commit_batch = counting
    return sizes


def store_run(client: MongoClient, database: str, size: int, writers: int, seconds: float,
              tag: str) -> tuple[int, float, list, int]:
    store = MongoEventStore("units", client, database)
    store.ensure_indexes()
    scripts = [WriterScript(i, size, tag) for i in range(writers)]

    def append(script: WriterScript):
        stream_id, expected, events = script.next()
        script.done(len(store.append(stream_id, expected, events, actor=ACTOR)))

    for script in scripts:  # warm-up: connections, indexes, code paths
        for _ in range(WARMUP_COMMANDS):
            append(script)
    warm_head = store.head()["position"]
    batches = _count_batches(store)
    deadline = [0.0]

    def work(i):
        while time.perf_counter() < deadline[0]:
            append(scripts[i])

    deadline[0] = time.perf_counter() + seconds + 0.01  # barrier release follows immediately
    elapsed = run_threads(writers, work)
    written = store.head()["position"] - warm_head
    return written, elapsed, batches, warm_head


def stored_commands(client: MongoClient, database: str, after: int, writers: int) -> list[list[list[dict]]]:
    """The documents exactly as stored, grouped by command, per writer that appended them."""
    per_writer: list[list[list[dict]]] = [[] for _ in range(writers)]
    commands: dict[str, list[dict]] = defaultdict(list)
    order: list[str] = []
    for doc in client[database]["events"].find({"_id": {"$gt": after}}).sort("_id", 1):
        if doc["correlation_id"] not in commands:
            order.append(doc["correlation_id"])
        commands[doc["correlation_id"]].append(doc)
    for correlation_id in order:
        docs = commands[correlation_id]
        writer = int(docs[0]["stream_id"].rsplit("-w", 1)[1].split("-")[0])
        per_writer[writer].append(docs)
    return per_writer


def raw_run(client: MongoClient, database: str, per_writer, index_like=None) -> float:
    collection = client[database].get_collection("events", write_concern=WriteConcern("majority"))
    collection.drop()
    if index_like is not None:
        for name, spec in index_like.index_information().items():
            if name != "_id_":
                collection.create_index(spec["key"], unique=spec.get("unique", False), name=name)
    # warm-up on a scratch collection: connections and code paths, not these documents
    scratch = client[database].get_collection("warmup", write_concern=WriteConcern("majority"))
    for n in range(WARMUP_COMMANDS * len(per_writer)):
        scratch.insert_one({"n": n})

    def work(i):
        for docs in per_writer[i]:
            if len(docs) == 1:
                collection.insert_one(docs[0])
            else:
                collection.insert_many(docs, ordered=True)

    return run_threads(len(per_writer), work)


def run(client: MongoClient, prefix: str, seconds: float, shapes) -> list[AppendResult]:
    results = []
    for size, writers in shapes:
        tag = f"a{size}x{writers}"
        store_db, raw_db, bare_db = (f"{prefix}_bench_{kind}_{tag}" for kind in ("store", "raw", "bare"))
        events, elapsed, batches, warm_head = store_run(client, store_db, size, writers, seconds, tag)
        per_writer = stored_commands(client, store_db, warm_head, writers)
        assert sum(len(d) for w in per_writer for d in w) == events
        indexed = raw_run(client, raw_db, per_writer, index_like=client[store_db]["events"])
        bare = raw_run(client, bare_db, per_writer)
        result = AppendResult(size, writers, events, elapsed, indexed, bare, batches)
        print(f"  append {size:>2}-event x {writers} writer(s): store {result.store_rate:,.0f} ev/s, "
              f"raw(indexed) {result.indexed_rate:,.0f} ev/s, raw(_id only) {result.bare_rate:,.0f} ev/s "
              f"({events} events; mean group commit {mean(batches):.1f} commands)", flush=True)
        results.append(result)
        for db in (raw_db, bare_db):
            client.drop_database(db)
    return results


def mean(values) -> float:
    return sum(values) / len(values) if values else 0.0
