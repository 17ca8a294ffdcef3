"""Bearer tokens, one per person, stored only as sha256 hashes in the gateway's own database."""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
import uuid

from shared.clock import utc_now_iso
from shared.envelope import ROLES

ISSUABLE_ROLES = tuple(r for r in ROLES if r != "system")
SCOPED_ROLES = {"supervisor": "group id", "unit": "unit id", "respondent": "survey id"}


class TokenError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    scope: str | None

    def actor(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "scope": self.scope}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def validate_grant(name: str, role: str, scope: str | None) -> None:
    if not name or not name.strip():
        raise TokenError("a token needs the name of the person it is for")
    if role not in ISSUABLE_ROLES:
        raise TokenError(f"unknown role {role!r}; one of {', '.join(ISSUABLE_ROLES)}")
    if role in SCOPED_ROLES and not scope:
        raise TokenError(f"a {role} token needs a scope ({SCOPED_ROLES[role]})")
    if role not in SCOPED_ROLES and scope:
        raise TokenError(f"a {role} token takes no scope")


class TokenStore:
    def __init__(self, db):
        self.tokens = db["tokens"]

    def issue(self, name: str, role: str, scope: str | None = None, issued_by: str | None = None) -> dict:
        validate_grant(name, role, scope)
        token = "dd_" + secrets.token_urlsafe(32)
        person_id = "p-" + uuid.uuid4().hex[:12]
        self.tokens.insert_one({"_id": token_hash(token), "person_id": person_id, "name": name.strip(),
                                "role": role, "scope": scope, "issued_at": utc_now_iso(),
                                "issued_by": issued_by, "revoked": False})
        return {"token": token, "person_id": person_id, "name": name.strip(), "role": role,
                "scope": scope}

    def authenticate(self, token: str | None) -> Person | None:
        if not token:
            return None
        doc = self.tokens.find_one({"_id": token_hash(token), "revoked": False})
        if doc is None:
            return None
        return Person(doc["person_id"], doc["name"], doc["role"], doc.get("scope"))

    def revoke(self, person_id: str) -> bool:
        return self.tokens.update_many({"person_id": person_id, "revoked": False},
                                       {"$set": {"revoked": True, "revoked_at": utc_now_iso()}}
                                       ).modified_count > 0

    def list(self) -> list[dict]:
        return [{k: v for k, v in d.items() if k != "_id"} for d in self.tokens.find()]
