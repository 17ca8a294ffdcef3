"""What every event store implementation shares: requests, sealing, upcasting."""
from __future__ import annotations

import abc
import copy
import dataclasses
import uuid
from typing import Any, Callable, Iterable

from shared import personal_data
from shared.clock import utc_now_iso
from shared.domain import Event
from shared.envelope import GENESIS_HASH, chain_hash, verify_chain

ANY = None  # expected_version meaning "whatever the stream is at"


class ConcurrencyError(Exception):
    """The stream moved on since the caller read it: nothing was written."""

    def __init__(self, stream_id: str, expected: int, actual: int):
        super().__init__(f"stream {stream_id} is at version {actual}, expected {expected}; "
                         f"reload and retry")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class CommandKeyReused(Exception):
    """An idempotency key already recorded for a different request: nothing was written."""

    def __init__(self, key: str):
        super().__init__("this Idempotency-Key was already used for a different request; "
                         "send a new key for a new request")
        self.key = key


@dataclasses.dataclass(frozen=True)
class CommandKey:
    """What makes an append idempotent: ``id`` names the command (a hash of who sent it and
    the key they chose), ``fingerprint`` what it asked for. An append whose ``id`` is
    recorded answers the recorded events instead of appending again (or refuses with
    ``CommandKeyReused`` when the fingerprint differs)."""

    id: str
    fingerprint: str


@dataclasses.dataclass(frozen=True)
class NewEvent:
    """An event not yet stored, by type name and JSON-native payload."""

    type: str
    payload: dict
    schema_version: int = 1

    @classmethod
    def of(cls, event: "Event | NewEvent") -> "NewEvent":
        if isinstance(event, NewEvent):
            return event
        return cls(event.type, event.payload(), event.schema_version)


@dataclasses.dataclass
class AppendRequest:
    """All events of one command: they commit together or not at all."""

    stream_id: str
    expected_version: int | None
    events: list
    actor: dict
    correlation_id: str | None = None
    causation_id: str | None = None
    occurred_at: str | None = None
    command_key: CommandKey | None = None

    def __post_init__(self):
        self.events = [NewEvent.of(e) for e in self.events]
        if not self.events:
            raise ValueError("an append needs at least one event")


class Upcasters:
    """Old ``schema_version`` payloads become current ones on read; stored bytes never change."""

    def __init__(self):
        self._steps: dict[tuple[str, int], Callable[[dict], dict]] = {}

    def register(self, event_type: str, from_version: int, step: Callable[[dict], dict]) -> None:
        self._steps[(event_type, from_version)] = step

    def upcast(self, envelope: dict) -> dict:
        key = (envelope["type"], envelope["schema_version"])
        if key not in self._steps:
            return envelope
        env = copy.deepcopy(envelope)
        while (env["type"], env["schema_version"]) in self._steps:
            env["payload"] = self._steps[(env["type"], env["schema_version"])](env["payload"])
            env["schema_version"] += 1
        return env


OnAppend = Callable[[Any, list[dict]], None]  # (session or None, envelopes) -> None


def seal(request: AppendRequest, stream_version: int, head_position: int, head_hash: str,
         recorded_at: str | None = None, keyring: "personal_data.Keyring | None" = None) -> list[dict]:
    """Turn a request into hash-chained envelopes that follow the given heads. With a
    ``keyring``, the declared personal fields are sealed (shared.personal_data) before
    hashing: the chain covers the ciphertext; ``keyring.shown_to_caller`` gives the
    envelopes as the caller sees them (plaintext)."""
    recorded_at = recorded_at or utc_now_iso()
    correlation_id = request.correlation_id or str(uuid.uuid4())
    envelopes, prev = [], head_hash
    for offset, event in enumerate(request.events, start=1):
        payload, shown = (keyring.conceal(event.type, event.payload) if keyring is not None
                          else (event.payload, event.payload))
        env = {
            "event_id": str(uuid.uuid4()),
            "type": event.type,
            "schema_version": event.schema_version,
            "stream_id": request.stream_id,
            "version": stream_version + offset,
            "position": head_position + offset,
            "occurred_at": request.occurred_at or recorded_at,
            "recorded_at": recorded_at,
            "actor": dict(request.actor),
            "correlation_id": correlation_id,
            "causation_id": request.causation_id,
            "payload": payload,
            "prev_hash": prev,
        }
        env["hash"] = prev = chain_hash(prev, env)
        if keyring is not None and shown is not payload:
            keyring.shown[env["event_id"]] = shown
        envelopes.append(env)
    return envelopes


class EventStore(abc.ABC):
    """The contract (tests/integration/test_event_store_contract.py runs it on every store)."""

    def __init__(self, service: str, upcasters: Upcasters | None = None,
                 on_append: OnAppend | None = None):
        self.service = service
        self.upcasters = upcasters or Upcasters()
        self.on_append = on_append

    # -- writing --------------------------------------------------------------------------
    def append(self, stream_id: str, expected_version: int | None, events: Iterable,
               *, actor: dict, correlation_id: str | None = None,
               causation_id: str | None = None, occurred_at: str | None = None,
               command_key: CommandKey | None = None) -> list[dict]:
        """Append one command's events atomically; ConcurrencyError on a stale version.
        With a ``command_key`` already recorded, the events that command appended come back
        instead and nothing is written (checked before the expected version)."""
        request = AppendRequest(stream_id, expected_version, list(events), actor,
                                correlation_id, causation_id, occurred_at, command_key)
        return self.append_request(request)

    @abc.abstractmethod
    def append_request(self, request: AppendRequest) -> list[dict]: ...

    def append_all(self, requests: list[AppendRequest]) -> list[list[dict]]:
        """Several commands' events, on several streams, all committed or none (the office's
        unit list: one new stream a unit): the first refusal (a stale version, a reused key)
        is raised and nothing is written. A recorded command key answers what it appended."""
        raise NotImplementedError(f"{type(self).__name__} cannot append to several streams at once")

    @abc.abstractmethod
    def recorded_command(self, key: CommandKey) -> list[dict] | None:
        """The events the command ``key`` names appended, None when it appended nothing
        (``CommandKeyReused`` when it was recorded with another fingerprint)."""

    # -- reading --------------------------------------------------------------------------
    @abc.abstractmethod
    def _raw_stream(self, stream_id: str) -> list[dict]: ...

    @abc.abstractmethod
    def _raw_since(self, position: int, limit: int | None) -> list[dict]: ...

    @abc.abstractmethod
    def head(self) -> dict: ...

    def read_stream(self, stream_id: str, raw: bool = False) -> list[dict]:
        return self._read(self._raw_stream(stream_id), raw)

    def events_since(self, position: int = 0, limit: int | None = None, raw: bool = False) -> list[dict]:
        """Events with position > ``position``, in position order."""
        return self._read(self._raw_since(position, limit), raw)

    def committed_since(self, position: int, limit: int) -> list[dict]:
        """What this process's own commits wrote after ``position``, as ``events_since``
        would answer it, as far as it runs without a gap; empty when it does not continue
        from there (the relay then reads the log). A store that keeps nothing answers []."""
        return []

    def stream_version(self, stream_id: str) -> int:
        events = self._raw_stream(stream_id)
        return events[-1]["version"] if events else 0

    def iter_all(self, batch: int = 1000, raw: bool = False):
        after = 0
        while True:
            page = self.events_since(after, batch, raw=raw)
            if not page:
                return
            yield from page
            after = page[-1]["position"]

    def _read(self, envelopes: list[dict], raw: bool, session=None) -> list[dict]:
        out = [{k: v for k, v in env.items() if k != "_id"} for env in envelopes]
        if raw:
            return out
        return [self.upcasters.upcast(env) for env in self.reveal(out, session)]

    # -- personal data (shared.personal_data) ------------------------------------------------
    def reveal(self, envelopes: list[dict], session=None) -> list[dict]:
        """Stored envelopes with their sealed personal fields opened (the placeholder where
        a subject was erased): what every non-raw read answers."""
        return personal_data.reveal_all(envelopes, lambda subjects: self.key_docs(subjects, session))

    @abc.abstractmethod
    def key_docs(self, subjects: set[str], session=None) -> dict[str, dict]:
        """The key documents (shared.personal_data) of these subjects that exist."""

    # -- checking -------------------------------------------------------------------------
    def verify(self) -> dict:
        """Recompute the whole chain; name the first broken position."""
        result = verify_chain(self.iter_all(raw=True))
        result["service"] = self.service
        return against_head(result, self.head())


def against_head(result: dict, head: dict) -> dict:
    """A verify_chain result over the whole log, also checked against the head the store
    recorded: a chain that holds but ends short of it lost events from the end."""
    if result["ok"] and (head["position"] != result["head_position"]
                         or head["hash"] != result["head_hash"]):
        result["ok"] = False
        result["first_broken"] = {
            "position": result["head_position"] + 1,
            "found_position": None,
            "reason": f"log ends at {result['head_position']} but the recorded head is "
                      f"{head['position']} (events deleted from the end)"}
    return result


def command_record(key: CommandKey, envelopes: list[dict]) -> dict:
    """What a store keeps of an idempotent command, beside (and with) its events."""
    return {"_id": key.id, "fingerprint": key.fingerprint,
            "stream_id": envelopes[0]["stream_id"],
            "first": envelopes[0]["position"], "last": envelopes[-1]["position"],
            "recorded_at": envelopes[0]["recorded_at"]}


def check_fingerprint(record: dict, key: CommandKey) -> None:
    if record["fingerprint"] != key.fingerprint:
        raise CommandKeyReused(key.id)


def empty_head() -> dict:
    return {"position": 0, "hash": GENESIS_HASH}
