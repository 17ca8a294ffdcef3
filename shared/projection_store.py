"""Runs pure projections against MongoDB, inside whatever transaction the caller holds.

A list of envelopes costs one read and one write per collection it touches, however many
events and documents: the documents every event names are loaded with one ``$in`` query,
folded in memory in event order, and what changed goes back in one ``bulk_write`` (issue
18: a find and a replace per event and document made projection writes most of a
command's round trips). Only a document's last state is written; one that the events
left as it was is not written at all.

Personal data is stored sealed (shared.personal_data, "at rest"): the envelopes' personal
texts are marked before the fold, the loaded documents opened, and what is written sealed
with the database's own keys (``KeyVault``), made in the same transaction for a person
first seen and destroyed by an erasure event of the source. One key lookup per chunk."""
from __future__ import annotations

from typing import Iterable

from shared import personal_data as pd
from shared import write_batch as wb
from shared.key_vault import KeyVault
from shared.lookups import by_ids
from shared.projection import Projection

CHUNK = 2000  # envelopes folded between writes when one call is given a whole log


class MongoProjector:
    """Applies envelopes to a service's projections (one collection each).

    ``suffix`` builds a parallel set of collections (``cards__rebuild``) so an
    audit rebuild can replay the log beside the live read models."""

    def __init__(self, db, projections: Iterable[Projection], suffix: str = "",
                 vault: KeyVault | None = None):
        self.db = db
        self.projections = list(projections)
        self.suffix = suffix
        self.vault = vault or KeyVault(db)
        # per projection its collection's name: building a pymongo Collection for every
        # (event, projection) step was half of a fold's time
        self._names = {id(p): p.collection + suffix for p in self.projections}

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
            self._apply_chunk(mine, [pd.marked(e, source) for e in envelopes[at:at + CHUNK]],
                              source, session)

    def _apply_chunk(self, projections: list[Projection], envelopes: list[dict], source: str,
                     session) -> None:
        steps = [(p, env, key) for env in envelopes for p in projections for key in p.keys(env)]
        erased = [key_id for env in envelopes for key_id in pd.rest_erasures(env, source)]
        if not steps and not erased:
            return
        wanted: dict[str, dict] = {}  # collection name -> {key: None}, in first-seen order
        created: set[tuple[str, str]] = set()  # first touched by an event that creates them
        trusting = wb.trusting(session)
        names = self._names
        for p, env, key in steps:
            keys = wanted.setdefault(names[id(p)], {})
            if key not in keys:
                keys[key] = None
                if trusting and env["type"] in p.new_on:
                    created.add((names[id(p)], key))
        loaded: dict[tuple[str, str], dict | None] = {}
        for name, keys in wanted.items():
            keys = [key for key in keys if (name, key) not in created]  # absent: inserted unread
            # one lookup per collection: one aggregation across them ($documents and a
            # $lookup each) was one round trip, but SecantusDB answers a $lookup by scanning
            # the collection (61 ms at 2,000 documents against 1.7 ms for three lookups)
            # freshly loaded and never mutated (apply must not, see Projection): no copies
            found = by_ids(self.db[name], keys, session) if keys else {}
            loaded.update({(name, key): found.get(key) for key in keys})
        loaded.update(dict.fromkeys(created))
        needed = set(erased).union(*(pd.rest_key_ids(d) for d in loaded.values() if d is not None),
                                   *(pd.rest_key_ids(env["payload"]) for env in envelopes
                                     if env["type"] in pd.DECLARED))  # only those are marked
        keyring = self.vault.keyring(needed, session) if needed else None
        if keyring is not None:
            loaded = {at: None if doc is None else pd.open_doc(doc, keyring.existing_key, marked=True)
                      for at, doc in loaded.items()}
        current = dict(loaded)
        for p, env, key in steps:
            name = names[id(p)]
            new = p.apply(current[(name, key)], env, key)
            if new is not None and new.get("_id") != key:
                new = {**new, "_id": key}  # not new["_id"] = key: it may be shared
            current[(name, key)] = new
        for key_id in erased:
            keyring.erase(key_id)
        writes: dict[str, list] = {}
        handles = {name: self.db[name] for name in wanted}
        for (name, key), new in current.items():
            old = loaded[(name, key)]
            if new is old:  # left as it was (or absent and still absent)
                continue
            if keyring is not None and new is not None:
                new = pd.seal_doc(new, keyring.key_for)
            collection = handles[name]
            if new is None:
                writes.setdefault(name, []).append(wb.delete(collection, {"_id": key}))
            elif old is None:
                # absent when loaded (in the caller's transaction, when it holds one): an
                # insert, a tenth of an upsert's cost on SecantusDB; a document that another
                # writer inserted meanwhile makes it fail and the caller try again
                writes.setdefault(name, []).append(wb.insert(collection, new))
            else:
                writes.setdefault(name, []).append(wb.replace(collection, {"_id": key}, new, upsert=True))
        if keyring is not None:
            self.vault.write(keyring, session)
        # gathered with the rest of the caller's transaction when it opened a batch
        # (shared.write_batch), else one bulk_write per collection now
        for name, ops in writes.items():
            wb.add_to(session, handles[name], ops)

    def drop(self) -> None:
        for p in self.projections:
            self.collection(p).drop()

    def dump(self) -> dict[str, dict]:
        """Every document of every projection as stored (sealed), by collection and id
        (for rebuild diffs)."""
        return {p.collection: {d["_id"]: d for d in self.collection(p).find()}
                for p in self.projections}
