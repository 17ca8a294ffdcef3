"""The import pages' held previews, sealed (issue 19, h-erase; services.gateway.dashboard.sealed
and roster.ListImport): what the gateway's database holds is ciphertext under a key it does
not keep; the token the confirm form carries opens it, and nothing else does: another
session's, another unit's, a changed key, an expired or malformed token are refused, each
with its message."""
import base64
import time

import pytest

from services.gateway.dashboard import roster, sealed

FILE = "PK\x03\x04 姓名 张三丰 综合科".encode("utf-8")  # stands for a workbook naming a person


class Held:
    """The collection, for the calls ListImport makes."""

    def __init__(self):
        self.docs = {}

    def insert_one(self, doc):
        assert doc["_id"] not in self.docs
        self.docs[doc["_id"]] = dict(doc)

    def find_one(self, query):
        found = self.docs.get(query["_id"])
        return dict(found) if found else None

    def delete_one(self, query):
        self.docs.pop(query["_id"], None)

    def delete_many(self, query):
        def matches(doc, cond):
            (field, test), = cond.items()
            if "$lt" in test:
                return field in doc and doc[field] < test["$lt"]
            return (field in doc) == test["$exists"]
        for key in [k for k, d in self.docs.items() if any(matches(d, c) for c in query["$or"])]:
            del self.docs[key]


class Page(roster.ListImport):
    def __init__(self, held, secret="sess-1", kind=roster.ROSTER):
        self.kind, self._held = kind, held
        self.d = type("D", (), {"form_secret": secret})()

    @property
    def held(self):
        return self._held


def test_a_token_carries_an_id_and_a_key_and_nothing_else_parses():
    token, ident, key = sealed.new_token()
    assert sealed.TOKEN.match(token) and len(key) == sealed.KEY_BYTES
    assert sealed.parse(token) == (ident, key)
    assert sealed.new_token()[0] != token                          # fresh each time
    for bad in ("", None, "0" * 63, "0" * 65, "+" * 64, "a.b" * 20):
        with pytest.raises(sealed.UnknownToken):
            sealed.parse(bad)
    blob = sealed.seal(FILE, key, "doc-1")
    assert sealed.unseal(blob, key, "doc-1") == FILE
    with pytest.raises(sealed.WrongKey):
        sealed.unseal(blob, bytes(32), "doc-1")
    with pytest.raises(sealed.WrongKey):                            # moved to another id
        sealed.unseal(blob, key, "doc-2")


def test_the_database_holds_ciphertext_only_and_the_token_opens_it():
    held = Held()
    page = Page(held)
    token = page._hold("u-1", FILE)
    [doc] = held.docs.values()
    assert set(doc) == {"_id", "unit_id", "sealed", "at"}
    stored = repr(doc).encode("utf-8") + bytes(doc["sealed"])
    assert FILE not in stored and "张三丰".encode() not in stored and b"PK\x03\x04" not in stored
    assert base64.urlsafe_b64decode(token)[16:] not in stored     # the key is not stored
    doc_id, data = page._held_file(token, "u-1")
    assert data == FILE and doc_id == doc["_id"]


def refused(page, token, unit="u-1"):
    with pytest.raises(roster.NotHeld) as err:
        page._held_file(token, unit)
    return err.value.status, err.value.message


def test_another_session_unit_or_page_opens_nothing():
    held = Held()
    token = Page(held)._hold("u-1", FILE)
    assert refused(Page(held, secret="sess-2"), token) == (409, "预览已过期（或已导入），请重新上传名册")
    assert refused(Page(held), token, unit="u-2")[0] == 409
    assert refused(Page(held, kind=roster.UNIT_LIST), token, unit=None) == \
        (409, "预览已过期（或已登记），请重新上传单位名单")
    for bad in ("", "0" * 64, "not a token"):
        assert refused(Page(held), bad)[0] == 409
    assert Page(held)._held_file(token, "u-1")[1] == FILE            # still there for its own page


def test_a_changed_key_is_refused_and_the_preview_kept_for_its_own_token():
    held = Held()
    page = Page(held)
    token = page._hold("u-1", FILE)
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-1] ^= 1
    changed = base64.urlsafe_b64encode(bytes(raw)).decode()
    status, message = refused(page, changed)
    assert status == 422 and message == "预览无法打开（确认信息不完整或已被改动），未导入；请重新上传名册"
    assert page._held_file(token, "u-1")[1] == FILE


def test_an_expired_preview_is_refused_and_gone_and_old_plaintext_previews_are_swept():
    held = Held()
    page = Page(held)
    token = page._hold("u-1", FILE)
    for doc in held.docs.values():
        doc["at"] = time.time() - roster.HOLD_SECONDS - 1
    assert refused(page, token) == (409, "预览已过期（超过 30 分钟），请重新上传名册")
    assert held.docs == {}
    # one held before previews were sealed (its file in plaintext), and an expired one: gone
    held.docs["legacy"] = {"_id": "legacy", "unit_id": "u-1", "content": FILE, "at": time.time()}
    held.docs["old"] = {"_id": "old", "unit_id": "u-1", "sealed": b"", "at": 0}
    fresh = page._hold("u-1", FILE)
    assert list(held.docs) == [page._doc_id(sealed.parse(fresh)[0])]
