"""A service database's personal data keys (``personal_keys``, shared.personal_data): the
keys its log seals with and the keys its stored copies (projections, parked events) are
sealed with at rest. One collection, one way to read and write it."""
from __future__ import annotations

import time
from typing import Any, Iterable

from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared import personal_data as pd
from shared.clock import utc_now_iso
from shared.lookups import by_ids

# Reads outside a transaction (the API's queries) keep the live keys they looked up for a
# while: a 5,000-member list would otherwise cost 50 key lookups each time. An erasure
# scrubs every copy in the transaction that destroys the key, so a key kept here past its
# erasure (by another process) opens nothing that is still stored.
READ_CACHE_SECONDS = 60.0
READ_CACHE_SIZE = 50_000


class KeyVault:
    def __init__(self, db):
        self.keys = db[pd.KEY_COLLECTION]
        self._read_cache: dict[str, tuple[float, bytes]] = {}  # key id -> (until, key)

    def docs(self, subjects: Iterable[str], session=None) -> dict[str, dict]:
        """The key documents (keys and tombstones) of these subjects that exist: one query."""
        return by_ids(self.keys, sorted(set(subjects)), session)

    def every_doc(self) -> dict[str, dict]:
        """Every key document (one scan: cheaper than lookups when most are wanted)."""
        return {d["_id"]: d for d in self.keys.find()}

    def keyring(self, subjects: Iterable[str], session=None) -> pd.Keyring:
        return pd.Keyring(self.docs(subjects, session), utc_now_iso())

    def write(self, keyring: pd.Keyring, session) -> None:
        """New keys and erasures, in the caller's transaction: a new key under a unique
        ``_id`` (a concurrent writer that made one first collides, and the transaction's
        retry uses theirs); an erasure replaces the key by its tombstone."""
        created, erased = keyring.writes()
        for doc in erased:
            self._read_cache.pop(doc["_id"], None)
        if created:
            try:
                self.keys.insert_many(created, ordered=True, session=session)
            except BulkWriteError as err:
                if any(e.get("code") == 11000 for e in err.details.get("writeErrors", [])):
                    raise DuplicateKeyError(f"{self.keys.name}: a key was made meanwhile") from err
                raise
        if erased:  # one round trip however many (a retention erases a survey's frame at once)
            self.keys.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in erased],
                                 ordered=False, session=session)

    def sealed(self, doc: Any, session) -> Any:
        """A document with its PersonalTexts sealed for storing, in the caller's transaction
        (a key made for a person first seen)."""
        needed = pd.rest_key_ids(doc)
        if not needed:
            return doc
        keyring = self.keyring(needed, session)
        out = pd.seal_doc(doc, keyring.key_for)
        self.write(keyring, session)
        return out

    def opened(self, docs: list[dict], session=None) -> list[dict]:
        """Stored documents with their sealed values opened (one key lookup for the lot;
        none when nothing in them is sealed)."""
        needed = set().union(*(pd.rest_key_ids(d) for d in docs)) if docs else set()
        if not needed:
            return docs
        if session is not None:  # inside a transaction: what its snapshot holds
            found = self.docs(needed, session)
            keys = {k: pd.key_bytes(found.get(k)) for k in needed}
        else:
            keys = self._keys_for_reading(needed)
        return [pd.open_doc(d, keys.get) for d in docs]

    def _keys_for_reading(self, key_ids: set[str]) -> dict[str, bytes | None]:
        now = time.monotonic()
        out, missing = {}, []
        for key_id in key_ids:
            hit = self._read_cache.get(key_id)
            if hit is not None and hit[0] > now:
                out[key_id] = hit[1]
            else:
                missing.append(key_id)
        if missing:
            found = self.docs(missing)
            if len(self._read_cache) + len(found) > READ_CACHE_SIZE:
                self._read_cache.clear()
            for key_id in missing:
                out[key_id] = key = pd.key_bytes(found.get(key_id))
                if key is not None:  # only a live key is kept: a tombstone is read again
                    self._read_cache[key_id] = (now + READ_CACHE_SECONDS, key)
        return out

    def open_one(self, doc: dict | None, session=None) -> Any:
        return None if doc is None else self.opened([doc], session)[0]
