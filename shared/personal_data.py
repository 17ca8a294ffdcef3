"""Personal data in the logs, erasable (crypto-shredding; DESIGN.md "Personal data").

Which fields are personal is declared once, here (``DECLARED``): per event type, the
fields of the payload (or of a nested dict, or of each dict of a list) that are personal,
and the field of that dict naming the person they belong to (the *subject*). Every event
store seals these fields at append time with the subject's own data key (AES-256-GCM) and
opens them at read time; a domain event in memory always holds plaintext.

A sealed field is stored as ``{"enc": <base64 nonce+ciphertext>, "key": <subject id>}``;
the hash chain covers that, never the plaintext. The keys live apart from the log, in the
``personal_keys`` collection of the same service database (``KEY_COLLECTION``), written
by the transaction that appends the events they seal, so a stored ciphertext never lacks
its key, except after an erasure: an event of a type in ``ERASURES`` destroys its
subject's key in the transaction that appends it, leaving a tombstone (no key material),
and from then on every read shows ``PLACEHOLDER`` where the person's data was; later
appends for that subject store ``{"enc": null, "key": ...}`` (nothing to decrypt).

Logs written before this existed hold plaintext: it is accepted on read (the field is
shown as it is), except that a subject who was erased shows the placeholder there too
(the old bytes stay in that log: an append-only chain cannot rewrite them).

Projections that copied a person's data update on the erasure event with ``scrub``."""
from __future__ import annotations

import base64
import dataclasses
import json
import os
from typing import Any, Callable, Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.domain import ERASED as PLACEHOLDER

KEY_COLLECTION = "personal_keys"
NONCE_BYTES = 12
KEY_BYTES = 32
AAD_PREFIX = "dudao-personal/1"


@dataclasses.dataclass(frozen=True)
class Personal:
    """``fields`` of the dict found at ``at`` are personal data of the person its
    ``subject`` field names. ``at``: "" the payload itself, "leader" a nested dict,
    "members[]" every dict of a list (dots nest: "group.members[]")."""

    fields: tuple[str, ...]
    subject: str
    at: str = ""


# event type -> what in its payload is personal. One place for every service: a new event
# type carrying names or contact details is declared here (tests/unit/test_personal_data.py
# checks every declared field is sealed in the stored payload).
DECLARED: dict[str, tuple[Personal, ...]] = {
    # units: a member of a unit (name)
    "MemberEnrolled": (Personal(("name",), "member_id"),),
    # units: the people a unit notified (通报), the survey's sampling frame: each named by a
    # pseudonymous id (``scope`` holds the ids; the frame and the draw use them)
    "PublicNotified": (Personal(("name",), "person_id", at="people[]"),),
    # supervision: the people of a supervision group
    "GroupFormed": (Personal(("name",), "member_id", at="leader"),
                    Personal(("name",), "member_id", at="members[]")),
    # supervision: a typical case may name a person (the case keys it)
    "TypicalCaseReported": (Personal(("person_name",), "case_id"),),
}
# Declared fields hold text: the placeholder that replaces them is text. (ReportFiled's
# ``contact`` is a group's contact details, a dict: not declared yet, see
# tests/unit/test_personal_data.py NOT_PERSONAL.)

# event type -> the payload field naming the subject whose key it destroys (or, a list,
# the subjects): a member of a unit (units), a member of a supervision group
# (supervision), the respondents a unit notified once their retention has passed (units)
ERASURES: dict[str, str] = {"PersonalDataErased": "subject_id", "GroupMemberDataErased": "subject_id",
                            "RespondentNamesErased": "subject_ids"}


class SealBroken(ValueError):
    """A sealed field that does not open with its subject's key: changed, moved, or
    sealed with another key. Never shown as the placeholder: that would hide tampering."""


# -- the keys -----------------------------------------------------------------------------

def new_key_doc(subject: str, now: str | None = None) -> dict:
    return {"_id": subject, "key": os.urandom(KEY_BYTES), "created_at": now}


def tombstone(subject: str, erased_at: str | None = None) -> dict:
    """What is left of a key after an erasure: no key material."""
    return {"_id": subject, "key": None, "erased_at": erased_at}


def _key_bytes(doc: dict | None) -> bytes | None:
    if doc is None or doc.get("key") is None:
        return None
    return bytes(doc["key"])


# -- sealing one value --------------------------------------------------------------------

def _aad(subject: str, field: str) -> bytes:
    return f"{AAD_PREFIX}|{subject}|{field}".encode("utf-8")


def seal_value(value: Any, subject: str, field: str, key: bytes | None) -> dict:
    if key is None:  # the subject was erased: nothing of the value is kept
        return {"enc": None, "key": subject}
    nonce = os.urandom(NONCE_BYTES)
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    sealed = AESGCM(key).encrypt(nonce, data, _aad(subject, field))
    return {"enc": base64.b64encode(nonce + sealed).decode("ascii"), "key": subject}


def open_value(sealed: dict, field: str, key: bytes | None) -> Any:
    """The plaintext, or PLACEHOLDER when the key is gone; SealBroken when it does not open."""
    if key is None or sealed.get("enc") is None:
        return PLACEHOLDER
    try:
        raw = base64.b64decode(sealed["enc"], validate=True)
        data = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(sealed["key"], field))
    except (InvalidTag, ValueError, TypeError) as err:
        raise SealBroken(f"personal field {field!r} of subject {sealed['key']!r} does not open "
                         f"with its key (changed or sealed with another key)") from err
    return json.loads(data)


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"enc", "key"} and isinstance(value["key"], str)


# -- where the declared fields are --------------------------------------------------------

def _holders(payload: dict, at: str) -> Iterator[dict]:
    """The dicts of ``payload`` the path ``at`` names."""
    nodes: list = [payload]
    for step in (at.split(".") if at else []):
        many = step.endswith("[]")
        name = step[:-2] if many else step
        found = []
        for node in nodes:
            value = node.get(name) if isinstance(node, dict) else None
            if many and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, dict))
            elif not many and isinstance(value, dict):
                found.append(value)
        nodes = found
    yield from (n for n in nodes if isinstance(n, dict))


def declared_subjects(event_type: str, payload: dict) -> set[str]:
    """The subjects a payload of this type holds personal data of (plaintext or sealed)."""
    out = set()
    for spec in DECLARED.get(event_type, ()):
        for holder in _holders(payload, spec.at):
            if isinstance(holder.get(spec.subject), str):
                out.add(holder[spec.subject])
    return out


def erased_subjects(event_type: str, payload: dict) -> list[str]:
    """The subjects whose keys an event of this type destroys (none for other types)."""
    field = ERASURES.get(event_type)
    value = payload.get(field) if field else None
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _copy_with(payload: dict, at: str, change: Callable[[dict], dict]) -> dict:
    """A copy of ``payload`` with every dict at ``at`` replaced by ``change(dict)``."""
    if not at:
        return change(payload)
    step, _, rest = at.partition(".")
    many = step.endswith("[]")
    name = step[:-2] if many else step
    value = payload.get(name)
    if many and isinstance(value, list):
        new = [_copy_with(v, rest, change) if isinstance(v, dict) else v for v in value]
    elif not many and isinstance(value, dict):
        new = _copy_with(value, rest, change)
    else:
        return payload
    return {**payload, name: new}


# -- a payload, both ways -----------------------------------------------------------------

KeyLookup = Callable[[str], "bytes | None"]


def conceal(event_type: str, payload: dict, key_for: KeyLookup) -> tuple[dict, dict]:
    """(the payload to store, the payload to show): declared fields sealed with
    ``key_for(subject)`` (None: the subject is erased, nothing kept, the placeholder shown)."""
    stored, shown = payload, payload
    for spec in DECLARED.get(event_type, ()):
        def sealing(holder: dict, spec=spec) -> dict:
            subject = holder.get(spec.subject)
            if not isinstance(subject, str):
                return holder
            key = key_for(subject)
            return {**holder, **{f: seal_value(holder[f], subject, f, key)
                                 for f in spec.fields
                                 if holder.get(f) is not None and not is_sealed(holder[f])}}

        def showing(holder: dict, spec=spec) -> dict:
            subject = holder.get(spec.subject)
            if not isinstance(subject, str) or key_for(subject) is not None:
                return holder
            return {**holder, **{f: PLACEHOLDER for f in spec.fields if holder.get(f) is not None}}

        stored = _copy_with(stored, spec.at, sealing)
        shown = _copy_with(shown, spec.at, showing)
    return stored, shown


def sealed_subjects(payload: Any) -> set[str]:
    """Every subject whose key some sealed value of ``payload`` names."""
    out: set[str] = set()

    def walk(value):
        if is_sealed(value):
            out.add(value["key"])
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(payload)
    return out


def subjects_to_open(envelope: dict) -> set[str]:
    return sealed_subjects(envelope["payload"]) | declared_subjects(envelope["type"], envelope["payload"])


def reveal(event_type: str, payload: dict, keys: dict[str, dict | None]) -> dict:
    """The payload with every sealed value opened (PLACEHOLDER where the key is gone), and
    declared plaintext (a log from before sealing) of an erased subject shown as PLACEHOLDER.
    ``keys``: subject -> its key document (a tombstone, or None when there is none)."""

    def walk(value, field):
        if is_sealed(value):
            return open_value(value, field, _key_bytes(keys.get(value["key"])))
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, field) for v in value]
        return value

    out = walk(payload, "")
    for spec in DECLARED.get(event_type, ()):
        def erasing(holder: dict, spec=spec) -> dict:
            doc = keys.get(holder.get(spec.subject)) if isinstance(holder.get(spec.subject), str) else None
            if doc is None or doc.get("key") is not None:
                return holder
            return {**holder, **{f: PLACEHOLDER for f in spec.fields if holder.get(f) is not None}}

        out = _copy_with(out, spec.at, erasing)
    return out


def reveal_all(envelopes: Iterable[dict], load: Callable[[set[str]], dict[str, dict]]) -> list[dict]:
    """Envelopes with their payloads revealed; ``load(subjects)`` gives the key documents
    (one lookup for the lot). Envelopes without personal data are handed back as they are."""
    envelopes = list(envelopes)
    # only declared types are sealed (conceal is driven by DECLARED): no other payload is walked
    wanted = [subjects_to_open(e) if e["type"] in DECLARED else set() for e in envelopes]
    subjects = set().union(*wanted) if wanted else set()
    if not subjects:
        return envelopes
    keys = load(subjects)
    return [dict(e, payload=reveal(e["type"], e["payload"], keys)) if need else e
            for e, need in zip(envelopes, wanted)]


class Keyring:
    """The keys one append (one transaction) works with: loaded once for the batch,
    new keys and tombstones collected to be written by that same transaction."""

    def __init__(self, found: dict[str, dict], now: str | None = None):
        self.docs = dict(found)
        self.created: dict[str, dict] = {}
        self.erased: dict[str, dict] = {}
        self.now = now
        self.shown: dict[str, dict] = {}  # event_id -> the payload its caller sees (seal())

    @staticmethod
    def subjects_of(events: Iterable) -> set[str]:
        out = set()
        for event in events:
            out |= declared_subjects(event.type, event.payload)
            out.update(erased_subjects(event.type, event.payload))
        return out

    def shown_to_caller(self, envelopes: list[dict]) -> list[dict]:
        """Copies of sealed envelopes with the payloads as their caller sees them."""
        return [dict(e, payload=self.shown[e["event_id"]]) if e["event_id"] in self.shown else dict(e)
                for e in envelopes]

    def writes(self) -> tuple[list[dict], list[dict]]:
        """(new key documents to insert, tombstones to put in place of keys)."""
        return list(self.created.values()), list(self.erased.values())

    def key_for(self, subject: str) -> bytes | None:
        if subject not in self.docs:
            self.docs[subject] = self.created[subject] = new_key_doc(subject, self.now)
        return _key_bytes(self.docs[subject])

    def conceal(self, event_type: str, payload: dict) -> tuple[dict, dict]:
        """Seal one event's payload (in append order: an erasure earlier in the batch
        already holds for the events after it)."""
        stored, shown = conceal(event_type, payload, self.key_for)
        for subject in erased_subjects(event_type, payload):
            self.docs[subject] = self.erased[subject] = tombstone(subject, self.now)
            self.created.pop(subject, None)
        return stored, shown


# -- projections --------------------------------------------------------------------------

def personal_field_names(subject_field: str) -> set[str]:
    return {f for specs in DECLARED.values() for s in specs if s.subject == subject_field for f in s.fields}


SUBJECT_FIELDS = {s.subject for specs in DECLARED.values() for s in specs}


def scrub(doc: Any, subject: str) -> Any:
    """A copy of a projection document with the subject's personal data replaced by
    PLACEHOLDER: in every dict (at any depth) whose subject field (``member_id``…) names
    them, the fields declared personal for that subject field."""
    if isinstance(doc, list):
        return [scrub(v, subject) for v in doc]
    if not isinstance(doc, dict):
        return doc
    out = {k: scrub(v, subject) for k, v in doc.items()}
    for field in SUBJECT_FIELDS:
        if out.get(field) == subject:
            for name in personal_field_names(field):
                if name in out:
                    out[name] = PLACEHOLDER
    return out
