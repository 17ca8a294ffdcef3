"""In-memory event store: the contract's reference implementation and the unit-test double."""
from __future__ import annotations

import threading

from shared.eventstore.base import AppendRequest, ConcurrencyError, EventStore, empty_head, seal


class MemoryEventStore(EventStore):
    def __init__(self, service: str, **kwargs):
        super().__init__(service, **kwargs)
        self._log: list[dict] = []
        self._lock = threading.Lock()
        self._head = empty_head()  # kept apart from the log, like MongoDB's head document

    def append_request(self, request: AppendRequest) -> list[dict]:
        with self._lock:
            version = self._version(request.stream_id)
            if request.expected_version is not None and request.expected_version != version:
                raise ConcurrencyError(request.stream_id, request.expected_version, version)
            head = self.head()
            envelopes = seal(request, version, head["position"], head["hash"])
            if self.on_append:
                self.on_append(None, envelopes)  # raises before anything is kept
            self._log.extend(envelopes)
            self._head = {"position": envelopes[-1]["position"], "hash": envelopes[-1]["hash"]}
            return [dict(e) for e in envelopes]

    def _version(self, stream_id: str) -> int:
        versions = [e["version"] for e in self._log if e["stream_id"] == stream_id]
        return versions[-1] if versions else 0

    def _raw_stream(self, stream_id: str) -> list[dict]:
        return [dict(e) for e in self._log if e["stream_id"] == stream_id]

    def _raw_since(self, position: int, limit: int | None) -> list[dict]:
        page = [e for e in self._log if e["position"] > position]
        return [dict(e) for e in (page[:limit] if limit else page)]

    def head(self) -> dict:
        return dict(self._head)

    # tamper helpers for the contract tests (what an attacker with DB access could do)
    def tamper(self, position: int, **changes) -> None:
        self._log[position - 1].update(changes)

    def delete(self, position: int) -> None:
        del self._log[position - 1]
