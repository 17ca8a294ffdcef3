"""Runs pure projections against MongoDB, inside whatever transaction the caller holds.

A list of envelopes costs one read and one write per collection it touches, however many
events and documents: the documents every event names are loaded with one ``$in`` query,
folded in memory in event order, and what changed goes back in one ``bulk_write`` (issue
18: a find and a replace per event and document made projection writes most of a
command's round trips). Only a document's last state is written; one that the events
left as it was is not written at all."""
from __future__ import annotations

from typing import Iterable

from pymongo import DeleteOne, InsertOne, ReplaceOne

from shared.projection import Projection

CHUNK = 2000  # envelopes folded between writes when one call is given a whole log
# keys per $in query: SecantusDB answers an $in on _id from the index, but its cost grows
# faster than the keys (measured: 100 keys 42 ms, 400 keys 2 s; 100 point lookups 271 ms)
IN_KEYS = 100


class MongoProjector:
    """Applies envelopes to a service's projections (one collection each).

    ``suffix`` builds a parallel set of collections (``cards__rebuild``) so an
    audit rebuild can replay the log beside the live read models."""

    def __init__(self, db, projections: Iterable[Projection], suffix: str = ""):
        self.db = db
        self.projections = list(projections)
        self.suffix = suffix

    def collection(self, projection: Projection):
        return self.db[projection.collection + self.suffix]

    def ensure_indexes(self) -> None:
        for p in self.projections:
            for index in p.indexes:
                self.collection(p).create_index(list(index))

    def sources(self) -> set[str]:
        return {p.source for p in self.projections}

    def apply(self, envelopes: Iterable[dict], source: str, session=None) -> None:
        mine = [p for p in self.projections if p.source == source]
        if not mine:
            return
        envelopes = list(envelopes)
        for at in range(0, len(envelopes), CHUNK):
            self._apply_chunk(mine, envelopes[at:at + CHUNK], session)

    def _apply_chunk(self, projections: list[Projection], envelopes: list[dict], session) -> None:
        steps = [(p, env, key) for env in envelopes for p in projections for key in p.keys(env)]
        if not steps:
            return
        wanted: dict[str, dict] = {}  # collection name -> {key: None}, in first-seen order
        for p, _env, key in steps:
            wanted.setdefault(self.collection(p).name, {})[key] = None
        loaded: dict[tuple[str, str], dict | None] = {}
        for name, keys in wanted.items():
            ordered = list(keys)
            found = {}
            for at in range(0, len(ordered), IN_KEYS):
                part = ordered[at:at + IN_KEYS]
                query = {"_id": part[0]} if len(part) == 1 else {"_id": {"$in": part}}
                # freshly loaded and never mutated (apply must not, see Projection): no copies
                found.update((d["_id"], d) for d in self.db[name].find(query, session=session).batch_size(len(part)))
            loaded.update({(name, key): found.get(key) for key in ordered})
        current = dict(loaded)
        for p, env, key in steps:
            name = self.collection(p).name
            new = p.apply(current[(name, key)], env, key)
            if new is not None and new.get("_id") != key:
                new = {**new, "_id": key}  # not new["_id"] = key: it may be shared
            current[(name, key)] = new
        writes: dict[str, list] = {}
        for (name, key), new in current.items():
            old = loaded[(name, key)]
            if new is old:  # left as it was (or absent and still absent)
                continue
            if new is None:
                writes.setdefault(name, []).append(DeleteOne({"_id": key}))
            elif old is None:
                # absent when loaded (in the caller's transaction, when it holds one): an
                # insert, a tenth of an upsert's cost on SecantusDB; a document that another
                # writer inserted meanwhile makes it fail and the caller try again
                writes.setdefault(name, []).append(InsertOne(new))
            else:
                writes.setdefault(name, []).append(ReplaceOne({"_id": key}, new, upsert=True))
        for name, ops in writes.items():
            self.db[name].bulk_write(ops, ordered=False, session=session)

    def drop(self) -> None:
        for p in self.projections:
            self.collection(p).drop()

    def dump(self) -> dict[str, dict]:
        """Every document of every projection, by collection and id (for rebuild diffs)."""
        return {p.collection: {d["_id"]: d for d in self.collection(p).find()}
                for p in self.projections}
