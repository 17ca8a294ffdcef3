"""(b) Replay through the store beside a raw cursor read of the same collection.

The log is written through ``MongoEventStore`` (8 writers, 10-event commands) so it
is a real hash-chained log. The store replay is ``store.iter_all()`` (pages of
1000 by position, envelopes cleaned and upcast: every ``UnitRegistered`` is stored
at schema version 1 and upcast to 2) folded into the consumers' real
``unit_directory`` projection with ``MemoryProjectionRunner`` (the pure fold, as a
rebuild computes it before it writes anything). The raw read is one pymongo cursor
over the same collection in ``_id`` (= position) order. Each is timed three times,
alternating, and the median is reported. A fold that writes every change through
``MongoProjector`` (what a consumer's inbox and catch-up do, a page at a time) reads the
same log with ``iter_all`` and is timed from the first read to the last write, also
three times.
"""
from __future__ import annotations

import dataclasses
import itertools
import statistics
import time

from pymongo import MongoClient

from bench.append import run_threads
from bench.workload import ACTOR, WriterScript, upcasters
from shared.eventstore.mongo import MongoEventStore
from shared.projection import MemoryProjectionRunner
from shared.projection_store import CHUNK, MongoProjector
from shared.unit_directory import unit_directory

ROUNDS = 3


@dataclasses.dataclass
class ReplayResult:
    events: int
    units: int
    raw_seconds: float
    store_seconds: float
    read_seconds: float  # iter_all with upcasting, no fold
    mongo_events: int
    mongo_seconds: float  # reading the log and folding it through MongoProjector
    projector_seconds: float  # of which in MongoProjector.apply

    @property
    def projector_rate(self) -> float:
        return self.mongo_events / self.projector_seconds

    @property
    def raw_rate(self) -> float:
        return self.events / self.raw_seconds

    @property
    def store_rate(self) -> float:
        return self.events / self.store_seconds

    @property
    def read_rate(self) -> float:
        return self.events / self.read_seconds

    @property
    def mongo_rate(self) -> float:
        return self.mongo_events / self.mongo_seconds


def write_log(store: MongoEventStore, target_events: int, writers: int = 8) -> None:
    scripts = [WriterScript(i, 10, "r") for i in range(writers)]

    def work(i):
        script = scripts[i]
        while store.head()["position"] < target_events:
            stream_id, expected, events = script.next()
            script.done(len(store.append(stream_id, expected, events, actor=ACTOR)))

    run_threads(writers, work)


def raw_read(collection) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    for _doc in collection.find({}).sort("_id", 1):
        count += 1
    return count, time.perf_counter() - started


def store_replay(store: MongoEventStore) -> tuple[int, int, float]:
    started = time.perf_counter()
    runner = MemoryProjectionRunner([unit_directory()])
    count = 0
    for envelope in store.iter_all():
        runner.apply(envelope, "units")
        count += 1
    elapsed = time.perf_counter() - started
    return count, len(runner.collections["unit_directory"]), elapsed


def store_read(store: MongoEventStore) -> float:
    started = time.perf_counter()
    for _envelope in store.iter_all():
        pass
    return time.perf_counter() - started


def mongo_fold(store: MongoEventStore, limit: int) -> tuple[int, float, float]:
    """The log (its first ``limit`` events; 0: all of it) read with ``iter_all`` and
    folded through ``MongoProjector`` into empty ``__rebuild`` collections, a chunk at a
    time as a consumer's catch-up hands it pages: every load, fold and write the
    projector makes. Returns (events, seconds reading and folding, seconds in the
    projector alone)."""
    projector = MongoProjector(store.db, [unit_directory()], suffix="__rebuild")
    projector.drop()
    envelopes = store.iter_all()
    if limit:
        envelopes = itertools.islice(envelopes, limit)
    envelopes = iter(envelopes)
    count, folding = 0, 0.0
    started = time.perf_counter()
    while chunk := list(itertools.islice(envelopes, CHUNK)):
        at = time.perf_counter()
        projector.apply(chunk, "units")
        folding += time.perf_counter() - at
        count += len(chunk)
    return count, time.perf_counter() - started, folding


def run(client: MongoClient, prefix: str, target_events: int, mongo_fold_events: int) -> ReplayResult:
    store = MongoEventStore("units", client, f"{prefix}_bench_replay", upcasters=upcasters())
    store.ensure_indexes()
    write_log(store, target_events)
    raw_times, store_times, read_times = [], [], []
    events = units = 0
    for _ in range(ROUNDS):
        raw_count, raw_seconds = raw_read(store.events)
        events, units, store_seconds = store_replay(store)
        if raw_count != events:
            raise RuntimeError(f"raw read saw {raw_count} events, the store replay {events}")
        raw_times.append(raw_seconds)
        read_times.append(store_read(store))
        store_times.append(store_seconds)
    sample = store.events_since(0, 1)[0]
    if sample["schema_version"] != 2 or "sections" not in sample["payload"]:
        raise RuntimeError("the upcaster did not run on replay")
    folds = [mongo_fold(store, mongo_fold_events) for _ in range(ROUNDS)]
    mongo_events = folds[0][0]
    result = ReplayResult(events, units, statistics.median(raw_times), statistics.median(store_times),
                          statistics.median(read_times), mongo_events,
                          statistics.median(f[1] for f in folds), statistics.median(f[2] for f in folds))
    print(f"  replay {events} events ({units} units): store+fold {result.store_rate:,.0f} ev/s, "
          f"raw cursor {result.raw_rate:,.0f} ev/s; MongoProjector fold {result.mongo_rate:,.0f} ev/s",
          flush=True)
    return result
