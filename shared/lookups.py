"""Documents by ``_id``, many at once: the one way read models and keys are looked up."""
from __future__ import annotations

from typing import Iterable

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
