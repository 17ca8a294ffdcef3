"""Runs pure projections against MongoDB, inside whatever transaction the caller holds."""
from __future__ import annotations

from typing import Iterable

from shared.projection import Projection


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
        for env in envelopes:
            for p in self.projections:
                if p.source == source:
                    self._apply_one(p, env, session)

    def _apply_one(self, p: Projection, env: dict, session) -> None:
        coll = self.collection(p)
        for key in p.keys(env):
            # freshly loaded and only tested for None below: no copy needed (and apply
            # must not mutate it anyway, see Projection)
            old = coll.find_one({"_id": key}, session=session)
            new = p.apply(old, env, key)
            if new is None:
                if old is not None:
                    coll.delete_one({"_id": key}, session=session)
            else:
                if new.get("_id") != key:
                    new = {**new, "_id": key}  # not new["_id"] = key: it may be shared
                coll.replace_one({"_id": key}, new, upsert=True, session=session)

    def drop(self) -> None:
        for p in self.projections:
            self.collection(p).drop()

    def dump(self) -> dict[str, dict]:
        """Every document of every projection, by collection and id (for rebuild diffs)."""
        return {p.collection: {d["_id"]: d for d in self.collection(p).find()}
                for p in self.projections}
