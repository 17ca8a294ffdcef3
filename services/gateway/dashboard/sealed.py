"""A file the gateway holds for a moment, sealed with a key it does not keep (issue 19).

The import pages (roster.py) hold a previewed file until the person confirms it. The file
names people, so what the gateway's database stores is only ciphertext: each preview is
sealed (AES-256-GCM, in the manner of shared.personal_data) with a fresh random key that is
never stored; the key travels, with the held document's id, in the preview's token, which
the confirm form carries back in a hidden field. The stored document is useless without the
page that holds the token: a copy of the database, a backup or a stray log line of it gives
no name. The associated data binds the ciphertext to the document's id (the session, the
page, the unit), so a sealed file moved to another id does not open.

A token is 64 URL-safe characters: base64 of the id (16 random bytes) and the key (32)."""
from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ID_BYTES = 16
KEY_BYTES = 32
NONCE_BYTES = 12
TOKEN = re.compile(r"^[A-Za-z0-9_-]{64}$")
AAD_PREFIX = "dudao-held-upload/1"


class UnknownToken(LookupError):
    """Not a token the gateway issued (malformed, empty)."""


class WrongKey(ValueError):
    """The token names a held file, but its key does not open it (changed or mistyped)."""


def new_token() -> tuple[str, str, bytes]:
    """(the token, the held document's id part, the key)."""
    ident, key = os.urandom(ID_BYTES), os.urandom(KEY_BYTES)
    return base64.urlsafe_b64encode(ident + key).decode("ascii"), ident.hex(), key


def parse(token: str | None) -> tuple[str, bytes]:
    """(the id part, the key) of a token; UnknownToken when it is not one."""
    if not token or not TOKEN.match(token):
        raise UnknownToken("not a preview token")
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError) as err:
        raise UnknownToken("not a preview token") from err
    return raw[:ID_BYTES].hex(), raw[ID_BYTES:]


def _aad(doc_id: str) -> bytes:
    return f"{AAD_PREFIX}|{doc_id}".encode("utf-8")


def seal(data: bytes, key: bytes, doc_id: str) -> bytes:
    """nonce + ciphertext (with its tag) of ``data``, bound to the held document's id."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data, _aad(doc_id))


def unseal(blob: bytes, key: bytes, doc_id: str) -> bytes:
    """The file; WrongKey when the key (or the id it was bound to) is not the one it was sealed with."""
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(doc_id))
    except (InvalidTag, ValueError) as err:
        raise WrongKey("the held file does not open with this key") from err
