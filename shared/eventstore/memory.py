"""In-memory event store: the contract's reference implementation and the unit-test double."""
from __future__ import annotations

import threading

from shared.clock import utc_now_iso
from shared.eventstore.base import (
    AppendRequest,
    CommandKey,
    ConcurrencyError,
    EventStore,
    check_fingerprint,
    command_record,
    empty_head,
    seal,
)
from shared.personal_data import Keyring


class MemoryEventStore(EventStore):
    def __init__(self, service: str, **kwargs):
        super().__init__(service, **kwargs)
        self._log: list[dict] = []
        self._lock = threading.Lock()
        self._head = empty_head()  # kept apart from the log, like MongoDB's head document
        self._commands: dict[str, dict] = {}
        self.keys: dict[str, dict] = {}  # personal data keys (shared.personal_data), apart from the log

    def append_request(self, request: AppendRequest) -> list[dict]:
        with self._lock:
            return self._append_locked(request)

    def _append_locked(self, request: AppendRequest) -> list[dict]:
        recorded = self._recorded(request.command_key)
        if recorded is not None:
            return recorded
        version = self._version(request.stream_id)
        if request.expected_version is not None and request.expected_version != version:
            raise ConcurrencyError(request.stream_id, request.expected_version, version)
        head = self.head()
        subjects = Keyring.subjects_of(request.events)
        keyring = Keyring({s: self.keys[s] for s in subjects if s in self.keys}, utc_now_iso())
        envelopes = seal(request, version, head["position"], head["hash"], keyring=keyring)
        if self.on_append:
            self.on_append(None, keyring.shown_to_caller(envelopes))  # raises before anything is kept
        created, erased = keyring.writes()
        self.keys.update({d["_id"]: d for d in created + erased})
        self._log.extend(envelopes)
        self._head = {"position": envelopes[-1]["position"], "hash": envelopes[-1]["hash"]}
        if request.command_key is not None:
            self._commands[request.command_key.id] = command_record(request.command_key, envelopes)
        return keyring.shown_to_caller(envelopes)

    def append_all(self, requests: list[AppendRequest]) -> list[list[dict]]:
        with self._lock:
            kept = (list(self._log), dict(self._head), dict(self._commands), dict(self.keys))
            try:
                return [self._append_locked(r) for r in requests]
            except BaseException:  # nothing of the batch is kept
                self._log[:], self._head, self._commands, self.keys = kept[0], kept[1], kept[2], kept[3]
                raise

    def recorded_command(self, key: CommandKey) -> list[dict] | None:
        with self._lock:
            return self._recorded(key)

    def _recorded(self, key: CommandKey | None) -> list[dict] | None:
        record = self._commands.get(key.id) if key is not None else None
        if record is None:
            return None
        check_fingerprint(record, key)
        return self._read([e for e in self._log if record["first"] <= e["position"] <= record["last"]],
                          raw=False)

    def key_docs(self, subjects: set[str], session=None) -> dict[str, dict]:
        return {s: dict(self.keys[s]) for s in subjects if s in self.keys}

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
