"""Documents by ``_id``, many at once: the one way read models and keys are looked up."""
from __future__ import annotations

from typing import Iterable

from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern

# keys per $in query: SecantusDB answers an $in on _id from the index, but its cost grows
# faster than the keys (measured: 100 keys 42 ms, 400 keys 2 s; 100 point lookups 271 ms)
IN_KEYS = 100


def by_ids(collection, ids: Iterable, session=None) -> dict:
    """{_id: document} for the ids that exist: one query per IN_KEYS ids (a single id is a
    point lookup), each sized so that it needs no getmore."""
    ordered = list(dict.fromkeys(ids))
    found = {}
    for at in range(0, len(ordered), IN_KEYS):
        part = ordered[at:at + IN_KEYS]
        query = {"_id": part[0]} if len(part) == 1 else {"_id": {"$in": part}}
        # limited to the ids asked for: a batch that came back exactly full made pymongo ask
        # for more with a getMore (one round trip per lookup) that could only answer nothing
        cursor = collection.find(query, session=session).batch_size(len(part)).limit(len(part))
        found.update((d["_id"], d) for d in cursor)
    return found


PROBE_COLLECTION = "lookups_probe"
_across: dict[int, bool] = {}  # id(client) -> whether one aggregation may read several collections


def by_ids_across(db, wanted: dict[str, Iterable], session=None) -> dict[tuple[str, object], dict]:
    """{(collection name, _id): document} for several collections' ids: one aggregation
    (``$documents`` and a ``$lookup`` per collection, one round trip instead of one per
    collection, issue 18) when the ids are few enough for one result document and the
    server runs such a pipeline inside a transaction (asked once per client); else
    ``by_ids`` per collection."""
    wanted = {name: list(dict.fromkeys(ids)) for name, ids in wanted.items()}
    if len(wanted) > 1 and sum(map(len, wanted.values())) <= IN_KEYS and _across_supported(db):
        return _in_one_aggregation(db, wanted, session)
    return {(name, key): doc for name, ids in wanted.items()
            for key, doc in by_ids(db[name], ids, session).items()}


def _in_one_aggregation(db, wanted: dict[str, list], session) -> dict:
    aliases = {f"c{i}": name for i, name in enumerate(wanted)}
    pipeline = [{"$documents": [{}]}] + [
        {"$lookup": {"from": name, "as": alias,
                     "pipeline": [{"$match": {"_id": {"$in": wanted[name]}}}]}}
        for alias, name in aliases.items()]
    [row] = list(db.aggregate(pipeline, session=session))
    return {(name, doc["_id"]): doc for alias, name in aliases.items() for doc in row[alias]}


def _across_supported(db) -> bool:
    known = _across.get(id(db.client))
    if known is None:
        known = _across[id(db.client)] = _probe(db)
    return known


def _probe(db) -> bool:
    """Whether the server runs the pipeline inside a transaction (MongoDB 5.1 and later,
    SecantusDB): tried once on an empty collection, in a transaction aborted after."""
    with db.client.start_session() as session:
        session.start_transaction(read_concern=ReadConcern("snapshot"))
        try:
            _in_one_aggregation(db, {PROBE_COLLECTION: ["probe"], PROBE_COLLECTION + "_2": ["probe"]}, session)
            return True
        except OperationFailure:
            return False
        finally:
            try:
                session.abort_transaction()
            except OperationFailure:
                pass
