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
import hashlib
import hmac
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
    # a free-form dict (contact details: {"组长": "…", "电话": "…"}): every text field of it
    every_text: bool = False
    # ``subject`` names a field of the payload itself, not of the dict at ``at``
    subject_at_root: bool = False

    def fields_in(self, holder: dict) -> tuple[str, ...]:
        if not self.every_text:
            return self.fields
        return tuple(k for k, v in holder.items() if isinstance(v, str) or is_sealed(v))

    def subject_of(self, payload: dict, holder: dict) -> str | None:
        value = (payload if self.subject_at_root else holder).get(self.subject)
        return value if isinstance(value, str) else None


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
    # supervision: a group's contact details (names, phone numbers), keyed by the report
    "ReportFiled": (Personal((), "report_id", at="contact", every_text=True, subject_at_root=True),),
}
# Declared fields hold text: the placeholder that replaces them is text.

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


def key_bytes(doc: dict | None) -> bytes | None:
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
            subject = spec.subject_of(payload, holder)
            if subject is not None and spec.fields_in(holder):
                out.add(subject)
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
            subject = spec.subject_of(payload, holder)
            fields = spec.fields_in(holder)
            if subject is None or not fields:
                return holder
            key = key_for(subject)
            return {**holder, **{f: seal_value(holder[f], subject, f, key)
                                 for f in fields
                                 if holder.get(f) is not None and not is_sealed(holder[f])}}

        def showing(holder: dict, spec=spec) -> dict:
            subject = spec.subject_of(payload, holder)
            if subject is None or key_for(subject) is not None:
                return holder
            return {**holder, **{f: PLACEHOLDER for f in spec.fields_in(holder) if holder.get(f) is not None}}

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
            return open_value(value, field, key_bytes(keys.get(value["key"])))
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, field) for v in value]
        return value

    out = walk(payload, "")
    for spec in DECLARED.get(event_type, ()):
        def erasing(holder: dict, spec=spec) -> dict:
            subject = spec.subject_of(payload, holder)
            doc = keys.get(subject) if subject is not None else None
            if doc is None or doc.get("key") is not None:
                return holder
            return {**holder, **{f: PLACEHOLDER for f in spec.fields_in(holder) if holder.get(f) is not None}}

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
        return key_bytes(self.docs[subject])

    def conceal(self, event_type: str, payload: dict) -> tuple[dict, dict]:
        """Seal one event's payload (in append order: an erasure earlier in the batch
        already holds for the events after it)."""
        stored, shown = conceal(event_type, payload, self.key_for)
        for subject in erased_subjects(event_type, payload):
            self.erase(subject)
        return stored, shown

    def erase(self, subject: str) -> None:
        """The subject's key destroyed: a tombstone in its place (none written for a
        subject that already has one)."""
        if subject in self.docs and self.docs[subject] is not None and self.docs[subject].get("key") is None:
            return
        self.docs[subject] = self.erased[subject] = tombstone(subject, self.now)
        self.created.pop(subject, None)

    def existing_key(self, subject: str) -> bytes | None:
        """The subject's key if it has one (none is made)."""
        return key_bytes(self.docs.get(subject))


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


# -- at rest: projections and other stored copies (issue 19) ------------------------------
#
# Projections copy personal data out of the logs (a member's name into the unit's member
# list, a group leader's into the console). Stored as plaintext, an erased person's name
# would stay in the database files' old pages long after the document was scrubbed; so a
# projection document is stored with every personal value sealed too, under a key of the
# database that holds the copy (``rest_key_id``: the source service and the subject, so
# two services' subjects never share one), and opened when read.
#
# While a projection folds, each personal value is a ``PersonalText``: a str (it sorts,
# compares and formats as the text) that remembers the key it is sealed under when the
# document is written. The envelopes are marked before the fold (``mark``) and the loaded
# documents opened marked (``open_doc(..., marked=True)``), so a projection that copies a
# name anywhere carries the mark with it. A value the fold derives from a name (a
# strip(), an f-string) loses the mark and would be stored plain:
# tests/unit/test_personal_at_rest.py folds every service's projections over names and
# checks none of them reaches a stored document.
#
# A sealed value at rest is ``{"sealed": <base64 nonce+ciphertext>, "key": <key id>}``.
# Its nonce is derived from the key and the text (a synthetic IV), so the same document
# seals to the same bytes: a rebuild compares with the live projections byte for byte.

REST_AAD = "dudao-at-rest/1"


class PersonalText(str):
    """A personal value while a projection folds: the text, and the key id it is sealed
    under when stored. Immutable, so copies are itself."""

    def __new__(cls, text: str, key_id: str, stored: dict | None = None):
        made = super().__new__(cls, text)
        made.key_id = key_id
        made.stored = stored  # the sealed value it was opened from: written back as it was
        return made

    def __reduce__(self):
        return PersonalText, (str(self), self.key_id, self.stored)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def rest_key_id(source: str, subject: str) -> str:
    return f"{source}:{subject}"


def mark(event_type: str, payload: dict, source: str) -> dict:
    """The payload with each declared personal text a PersonalText of its subject (the
    placeholder, and anything not text, left as it is)."""
    out = payload
    for spec in DECLARED.get(event_type, ()):
        def marking(holder: dict, spec=spec) -> dict:
            subject = spec.subject_of(payload, holder)
            if subject is None:
                return holder
            key_id = rest_key_id(source, subject)
            return {**holder, **{f: PersonalText(holder[f], key_id) for f in spec.fields_in(holder)
                                 if isinstance(holder.get(f), str) and holder[f] != PLACEHOLDER}}

        out = _copy_with(out, spec.at, marking)
    return out


def marked(envelope: dict, source: str) -> dict:
    """The envelope with its personal texts marked (only a declared type's is copied)."""
    if envelope["type"] not in DECLARED:
        return envelope
    return dict(envelope, payload=mark(envelope["type"], envelope["payload"], source))


def rest_erasures(envelope: dict, source: str) -> list[str]:
    """The at-rest key ids an event of ``source`` destroys: its erased subjects'."""
    return [rest_key_id(source, s) for s in erased_subjects(envelope["type"], envelope["payload"])]


def is_sealed_at_rest(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"sealed", "key"} and isinstance(value["key"], str)


def _walk(value: Any, change: Callable[[Any], Any]) -> Any:
    """``value`` with ``change`` applied to every leaf and sealed value (dicts and lists
    copied only where something changed)."""
    if isinstance(value, dict) and not is_sealed_at_rest(value):
        out = {k: _walk(v, change) for k, v in value.items()}
        return value if all(out[k] is value[k] for k in value) else out
    if isinstance(value, list):
        out = [_walk(v, change) for v in value]
        return value if all(a is b for a, b in zip(out, value)) else out
    return change(value)


def rest_key_ids(doc: Any) -> set[str]:
    """The key ids a document needs: of its sealed values and of its PersonalTexts."""
    found: set[str] = set()

    def note(value):
        if is_sealed_at_rest(value) or isinstance(value, PersonalText):
            found.add(value["key"] if isinstance(value, dict) else value.key_id)
        return value

    _walk(doc, note)
    return found


def _rest_aad(key_id: str) -> bytes:
    return f"{REST_AAD}|{key_id}".encode("utf-8")


def seal_at_rest(text: str, key_id: str, key: bytes) -> dict:
    data = text.encode("utf-8")
    aad = _rest_aad(key_id)
    nonce = hmac.new(key, aad + b"\x00" + data, hashlib.sha256).digest()[:NONCE_BYTES]
    sealed = AESGCM(key).encrypt(nonce, data, aad)
    return {"sealed": base64.b64encode(nonce + sealed).decode("ascii"), "key": key_id}


def open_at_rest(blob: dict, key: bytes | None) -> str:
    if key is None:
        return PLACEHOLDER
    try:
        raw = base64.b64decode(blob["sealed"], validate=True)
        data = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _rest_aad(blob["key"]))
    except (InvalidTag, ValueError, TypeError) as err:
        raise SealBroken(f"a stored personal value under key {blob['key']!r} does not open "
                         f"(changed or sealed with another key)") from err
    return data.decode("utf-8")


def seal_doc(doc: Any, key_for: KeyLookup) -> Any:
    """The document as stored: each PersonalText sealed with ``key_for(key id)``, or the
    placeholder when that key is gone (the person was erased)."""
    def sealing(value):
        if not isinstance(value, PersonalText):
            return value
        key = key_for(value.key_id)
        if key is None:
            return PLACEHOLDER
        # opened from a stored value: the same bytes again (sealing is deterministic)
        return value.stored if value.stored is not None else seal_at_rest(str(value), value.key_id, key)

    return _walk(doc, sealing)


def open_doc(doc: Any, key_for: KeyLookup, marked: bool = False) -> Any:
    """The document as read: each sealed value opened (the placeholder where the key is
    gone), as a PersonalText when ``marked`` (a projection about to fold it)."""
    def opening(value):
        if not is_sealed_at_rest(value):
            return value
        text = open_at_rest(value, key_for(value["key"]))
        return PersonalText(text, value["key"], value) if marked and text != PLACEHOLDER else text

    return _walk(doc, opening)
