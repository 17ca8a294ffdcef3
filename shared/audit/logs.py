"""Direct read access to every service's log, for the auditor's CLI.

The log of service S is the ``events`` collection of ``settings().database_name(S)``
(``_id`` = position); its head is ``meta`` {_id: "log_head", position, hash}. Only the
audit CLI reads several services' databases; services and the gateway never do."""
from __future__ import annotations

import heapq
from typing import Iterable, Iterator

from pymongo import MongoClient

from shared.config import DOMAIN_SERVICES, settings
from shared.eventstore.base import empty_head
from shared.eventstore.mongo import HEAD_ID, MongoEventStore, read_log

BATCH = 2000


class AuditDatabases:
    """One client over every domain service's database."""

    def __init__(self, client: MongoClient | None = None, services=DOMAIN_SERVICES):
        self.settings = settings()
        self.client = client or MongoClient(self.settings.mongo_uri)
        self.services = tuple(services)

    def close(self) -> None:
        self.client.close()

    def db(self, service: str):
        return self.client[self.settings.database_name(service)]

    def store(self, service: str) -> "ScanningStore":
        return ScanningStore(service, self.client, self.settings.database_name(service))

    def count(self, service: str) -> int:
        """Events in the log (for progress bars), by its head: counting the collection is
        a whole-collection scan on SecantusDB, as long as reading it."""
        return self.head(service)["position"]

    def head(self, service: str) -> dict:
        """The head the log records: {position, hash}."""
        head = self.db(service)["meta"].find_one({"_id": HEAD_ID})
        return {"position": head["position"], "hash": head["hash"]} if head else empty_head()

    def event_at(self, service: str, position: int) -> dict | None:
        """The stored envelope at a position (an ``_id`` point lookup), or None."""
        return self.db(service)["events"].find_one({"_id": position}, {"_id": 0})

    def revealed(self, service: str, envelopes: Iterable[dict], chunk: int = 500) -> Iterator[dict]:
        """Stored envelopes of ``service`` with their personal fields opened with that
        service's keys (shared.personal_data): what a replay of projections reads. The
        envelopes themselves are left as they are (a chain check may hold them)."""
        store, batch = self.store(service), []
        for env in envelopes:
            batch.append(env)
            if len(batch) >= chunk:
                yield from store.reveal(batch)
                batch = []
        if batch:
            yield from store.reveal(batch)

    def read(self, service: str, after: int = 0, upto: int | None = None) -> Iterator[dict]:
        """Raw stored envelopes (without ``_id``) in position order, read ahead on a thread."""
        query: dict = {"_id": {"$gt": after}}
        if upto is not None:
            query["_id"]["$lte"] = upto
        for doc in read_log(self.db(service)["events"], query, BATCH):
            del doc["_id"]
            yield doc


class ScanningStore(MongoEventStore):
    """The service's event store with an optional callback per envelope read (progress
    bars); ``verify`` walks the log once, through ``MongoEventStore.iter_all``."""

    on_read = None

    def iter_all(self, batch: int = BATCH, raw: bool = False):
        for doc in super().iter_all(batch, raw):
            if self.on_read:
                self.on_read(doc)
            yield doc


def merged(logs: dict[str, Iterable[dict]],
           order: Iterable[str] = DOMAIN_SERVICES) -> Iterator[tuple[str, dict]]:
    """Every service's log in one global order: recorded_at, then service, then position.

    Each log keeps its own position order (a merge, never a sort), so a consumer sees a
    source's events in the order it would have received them."""
    rank = {name: i for i, name in enumerate(order)}

    def keyed(service, envelopes):
        r = rank.get(service, len(rank))
        for env in envelopes:
            yield (env["recorded_at"], r, env["position"]), service, env

    for _key, service, env in heapq.merge(*(keyed(s, e) for s, e in logs.items()), key=lambda t: t[0]):
        yield service, env
