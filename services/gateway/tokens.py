"""Bearer tokens, one per person, stored only as sha256 hashes in the gateway's own database,
and the dashboard's sessions opened with them (stored the same way)."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import unicodedata
import uuid

from shared.clock import iso, utc_now, utc_now_iso
from shared.envelope import ROLES
from shared.opcount import purpose

ISSUABLE_ROLES = tuple(r for r in ROLES if r != "system")
SCOPED_ROLES = {"supervisor": "group id", "unit": "unit id", "respondent": "survey id"}
# the ids the services mint (shared.edge.new_id): units u-, supervision groups g-, surveys s-
SCOPE_SHAPES = {"unit": re.compile(r"u-[0-9a-f]{12}"), "supervisor": re.compile(r"g-[0-9a-f]{12}"),
                "respondent": re.compile(r"s-[0-9a-f]{12}")}
NAME_MAX = 100
SCOPE_MAX = 100
SESSION_SECONDS = 12 * 3600  # a dashboard session ends this long after its login
NONCE_KEPT_SECONDS = SESSION_SECONDS + 3600  # a form sent at its session's very end, with room
# How long a bearer token found live is believed without asking the database again (issue
# 18: the token check was a database round trip on every request). A revocation through
# this gateway clears the cache at once; one made by other means (another gateway instance,
# a script on the database) takes effect within this many seconds.
TOKEN_CACHE_SECONDS = 2.0
TOKEN_CACHE_MAX = 10_000


class TokenError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    scope: str | None

    def actor(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "scope": self.scope}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _printable(text: str) -> bool:
    # printable, or a space of any script (the ideographic space in a Chinese name)
    return all(ch.isprintable() or unicodedata.category(ch) == "Zs" for ch in text)


def validate_grant(name, role, scope, *, strict_scope: bool = False) -> None:
    """A grant's types and values. ``strict_scope`` (the HTTP API) also holds the scope to
    the shape of the ids its service mints; the command line and test fixtures may name a
    scope that is only a string."""
    if not isinstance(name, str) or not name.strip():
        raise TokenError("a token needs the name of the person it is for (a string)", "name")
    if len(name.strip()) > NAME_MAX:
        raise TokenError(f"a name is at most {NAME_MAX} characters", "name")
    if not _printable(name):
        raise TokenError("a name holds only printable characters", "name")
    if not isinstance(role, str) or role not in ISSUABLE_ROLES:
        shown = role if isinstance(role, str) else type(role).__name__
        raise TokenError(f"unknown role {shown!r}; one of {', '.join(ISSUABLE_ROLES)}", "role")
    if role not in SCOPED_ROLES:
        if scope is not None:
            raise TokenError(f"a {role} token takes no scope (null)", "scope")
        return
    if not isinstance(scope, str) or not scope:
        raise TokenError(f"a {role} token needs a scope: a {SCOPED_ROLES[role]} (a string)", "scope")
    if strict_scope and not SCOPE_SHAPES[role].fullmatch(scope):
        raise TokenError(f"a {role} token's scope is a {SCOPED_ROLES[role]} like "
                         f"{SCOPE_SHAPES[role].pattern[0]}-0123456789ab", "scope")
    if len(scope) > SCOPE_MAX or not scope.isprintable():
        raise TokenError(f"a scope is at most {SCOPE_MAX} printable characters", "scope")


class TokenStore:
    def __init__(self, db, cache_seconds: float = TOKEN_CACHE_SECONDS):
        self.tokens = db["tokens"]
        self.sessions = db["sessions"]
        self.flashes = db["dashboard_flashes"]      # the dashboard's one-time notices (a new token)
        self.form_nonces = db["token_form_nonces"]  # the token page's forms already acted on
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Person]] = {}  # token hash -> (believed until, person)
        self._cache_lock = threading.Lock()
        # moved by every revocation: a lookup that read the database before it (and so may
        # have seen the token live) keeps nothing
        self._generation = 0

    def issue(self, name: str, role: str, scope: str | None = None, issued_by: str | None = None,
              *, strict_scope: bool = False) -> dict:
        validate_grant(name, role, scope, strict_scope=strict_scope)
        token = "dd_" + secrets.token_urlsafe(32)
        person_id = "p-" + uuid.uuid4().hex[:12]
        self.tokens.insert_one({"_id": token_hash(token), "person_id": person_id, "name": name.strip(),
                                "role": role, "scope": scope, "issued_at": utc_now_iso(),
                                "issued_by": issued_by, "revoked": False})
        return {"token": token, "person_id": person_id, "name": name.strip(), "role": role,
                "scope": scope}

    def authenticate(self, token: str | None) -> Person | None:
        """The person of a live bearer token, or None; believed for ``cache_seconds`` once
        found (only live tokens are kept: a refused one is asked about every time)."""
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        key = token_hash(token)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        generation = self._generation
        with purpose("token check"):
            doc = self._live_token(token)
        if doc is None:
            self._cache.pop(key, None)
            return None
        person = _person(doc)
        if self.cache_seconds > 0:
            with self._cache_lock:
                if generation != self._generation:
                    return person
                if len(self._cache) >= TOKEN_CACHE_MAX:
                    self._cache.clear()
                self._cache[key] = (time.monotonic() + self.cache_seconds, person)
        return person

    def forget_cached(self) -> None:
        with self._cache_lock:
            self._generation += 1
            self._cache.clear()

    def _live_token(self, token: str | None) -> dict | None:
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        return self.tokens.find_one({"_id": token_hash(token), "revoked": False})

    def revoke(self, person_id: str) -> bool:
        """Revokes every token of the person and ends every session opened with them."""
        revoked = self.tokens.update_many({"person_id": person_id, "revoked": False},
                                          {"$set": {"revoked": True, "revoked_at": utc_now_iso()}})
        self.forget_cached()  # at once: a revoked token never rides the cache
        self.sessions.delete_many({"person_id": person_id})
        return revoked.modified_count > 0

    # -- the dashboard's sessions. The browser's cookie holds a random session id, never
    # the API token; this database holds only its sha256, the person, the hash of the token
    # it was opened with (a revoked token ends it even if the delete above was missed) and
    # its expiry. Expired sessions are swept as new ones open.

    def open_session(self, token: str | None, seconds: int = SESSION_SECONDS) -> tuple[str, Person] | None:
        """A new session for a live token: (session id, person), or None."""
        doc = self._live_token(token)
        if doc is None:
            return None
        now = utc_now()
        self.sessions.delete_many({"expires_at": {"$lte": iso(now)}})
        session_id = "ds_" + secrets.token_urlsafe(32)
        self.sessions.insert_one({"_id": token_hash(session_id), "person_id": doc["person_id"],
                                  "token": doc["_id"], "opened_at": iso(now),
                                  "expires_at": iso(now + dt.timedelta(seconds=seconds))})
        return session_id, _person(doc)

    def session_person(self, session_id: str | None) -> Person | None:
        """The person of a live session: not expired, its token not revoked."""
        if not session_id or not isinstance(session_id, str) or len(session_id) > 200:
            return None
        session = self.sessions.find_one({"_id": token_hash(session_id),
                                          "expires_at": {"$gt": utc_now_iso()}})
        if session is None:
            return None
        doc = self.tokens.find_one({"_id": session["token"], "revoked": False})
        return _person(doc) if doc else None

    def close_session(self, session_id: str | None) -> None:
        if session_id and isinstance(session_id, str):
            self.sessions.delete_one({"_id": token_hash(session_id)})

    # -- the dashboard's token page (issue 17): a new token is shown once, after the redirect
    # that follows its form (POST-redirect-GET), from a notice held here for the session that
    # issued it, taken (deleted) by the one page that shows it. The POST /tokens route has no
    # idempotency key: each token form carries a nonce used at most once, so the same form sent
    # twice issues one token.

    def use_form_nonce(self, nonce: str) -> bool:
        """True the first time a form's nonce is used, False ever after. A used nonce is
        kept as long as its form could still be sent: a form carries its session's form
        token, and no session outlives SESSION_SECONDS, so older ones are swept."""
        from pymongo.errors import DuplicateKeyError
        now = utc_now()
        self.form_nonces.delete_many({"used_at": {"$lte": iso(now - dt.timedelta(seconds=NONCE_KEPT_SECONDS))}})
        try:
            self.form_nonces.insert_one({"_id": token_hash(nonce), "used_at": iso(now)})
        except DuplicateKeyError:
            return False
        return True

    def put_flash(self, session_id: str, payload: dict, seconds: int = 600) -> None:
        """Held sealed with the session id (which only the browser's cookie holds: this
        database keeps its hash), so the stored notice alone reveals no token."""
        now = utc_now()
        self.flashes.delete_many({"expires_at": {"$lte": iso(now)}})
        salt = secrets.token_hex(16)  # a keystream of its own for every notice
        sealed = _seal(session_id, salt, json.dumps(payload).encode("utf-8"))
        self.flashes.replace_one({"_id": token_hash(session_id)},
                                 {"sealed": base64.b64encode(sealed).decode("ascii"), "salt": salt,
                                  "expires_at": iso(now + dt.timedelta(seconds=seconds))}, upsert=True)

    def take_flash(self, session_id: str | None) -> dict | None:
        """The session's notice, once: deleted as it is read."""
        if not session_id or not isinstance(session_id, str):
            return None
        doc = self.flashes.find_one_and_delete({"_id": token_hash(session_id)})
        if doc is None or doc.get("expires_at", "") <= utc_now_iso() or "sealed" not in doc:
            return None
        return json.loads(_seal(session_id, doc["salt"], base64.b64decode(doc["sealed"])).decode("utf-8"))

    def list(self) -> list[dict]:
        return [{k: v for k, v in d.items() if k != "_id"} for d in self.tokens.find()]

    # -- one ballot per respondent token (DESIGN.md: a respondent only casts their one ballot)
    #
    # The token's document holds `ballot`: absent/null (none yet), then {"state": "pending"}
    # while one is being cast, "cast" for good, or "unknown" when the evaluation service did
    # not answer: that ballot may have been recorded, so only the same ballot token may try
    # again. To recognise it the document keeps a salted hash of that ballot token, never its
    # sha256 (the evaluation log's BallotCast holds that), so the two cannot be joined; the
    # salted hash goes once the outcome is known. A cast ballot leaves only "cast".

    def claim_ballot(self, token: str, ballot_token: str) -> str | None:
        """Atomically claim the right to cast: "first", "retry" (the same ballot after an
        unknown outcome) or None (this token has cast, or is casting, its ballot)."""
        key = token_hash(token)
        claimed = self.tokens.find_one_and_update(
            {"_id": key, "revoked": False, "role": "respondent", "ballot": None},
            {"$set": {"ballot": {"state": "pending", "at": utc_now_iso()}}})
        if claimed is not None:
            return "first"
        doc = self.tokens.find_one({"_id": key, "ballot.state": "unknown"})
        if doc is None:
            return None
        check = _ballot_check(doc["ballot"].get("salt", ""), ballot_token)
        if not hmac.compare_digest(check, doc["ballot"].get("check", "")):
            return None
        retried = self.tokens.find_one_and_update(
            {"_id": key, "ballot.state": "unknown", "ballot.check": check},
            {"$set": {"ballot.state": "pending"}})
        return "retry" if retried is not None else None

    def settle_ballot(self, token: str, ballot_token: str, claim: str, outcome: str) -> None:
        """After the evaluation service's answer: "cast" keeps the claim for good, "refused"
        releases a first claim (and puts a retried one back to unknown), "unknown" (no
        answer) keeps it for that ballot token only."""
        key, pending = token_hash(token), {"_id": token_hash(token), "ballot.state": "pending"}
        if outcome == "cast":
            self.tokens.update_one(pending, {"$set": {"ballot": {"state": "cast", "at": utc_now_iso()}}})
        elif outcome == "refused" and claim == "first":
            self.tokens.update_one(pending, {"$set": {"ballot": None}})
        elif claim == "retry":
            self.tokens.update_one(pending, {"$set": {"ballot.state": "unknown"}})
        else:
            salt = secrets.token_hex(16)
            self.tokens.update_one({"_id": key, "ballot.state": "pending"}, {"$set": {"ballot": {
                "state": "unknown", "at": utc_now_iso(), "salt": salt,
                "check": _ballot_check(salt, ballot_token)}}})


def _seal(session_id: str, salt: str, data: bytes) -> bytes:
    """``data`` XORed with a keystream drawn from the session id and the notice's salt (its
    own inverse)."""
    stream = hashlib.shake_256(f"dudao dashboard flash\0{salt}\0{session_id}".encode("utf-8")).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, stream))


def _person(doc: dict) -> Person:
    return Person(doc["person_id"], doc["name"], doc["role"], doc.get("scope"))


def _ballot_check(salt: str, ballot_token: str) -> str:
    return hmac.new(salt.encode(), str(ballot_token).encode("utf-8", "replace"), hashlib.sha256).hexdigest()
