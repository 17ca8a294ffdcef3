"""Evidence files' storage on the real Mongo-wire server (shared/attachment_files.py and
shared/service_kit/attachments.py), with the standard pymongo GridFS API: written in
chunks and read back byte for byte, a retry's same bytes kept, an orphan replaced, a changed
chunk found by verify, and the ledger's check of attachment ids over a real service storage."""
import hashlib

import pytest
from bson import Binary

from shared import attachments as A
from shared.attachment_files import AttachmentFiles, FileChanged, verify, with_files
from shared.domain import Actor, Rejected
from shared.service_kit import StorageAccess, Wiring
from shared.service_kit.attachments import attachments_of_unit, stored_attachments
from shared.service_kit.storage import Storage
from tests import sample_files as F

UNIT = "u-0123456789ab"
ACTOR = Actor("p-1", "王主任", "office")


@pytest.fixture
def storage(mongo_uri, db_prefix):
    store = Storage(Wiring(service="units"), mongo_uri, f"{db_prefix}_units")
    store.ensure_ready()
    yield StorageAccess(store)
    store.close()


def attach(storage, attachment_id, data, purpose="measure_evidence", unit_id=UNIT):
    command = A.StoreAttachment(actor=ACTOR, attachment_id=attachment_id, unit_id=unit_id, purpose=purpose,
                                filename="e.pdf", declared_type=None, data=data, service="units",
                                unit_known=True)
    [event] = A.decide(None, command)
    AttachmentFiles(storage.db).put(attachment_id, "e.pdf", event.content_type, data, event.sha256)
    storage.execute(A.stream_of(attachment_id), A.decide, A.fold, command, actor=ACTOR)
    return event


def test_a_file_of_several_chunks_comes_back_byte_for_byte(storage):
    data = F.noisy_png(700_000)
    files = AttachmentFiles(storage.db)
    sha = hashlib.sha256(data).hexdigest()
    assert files.put("fu-000000000001", "big.png", "image/png", data, sha) is True
    assert storage.db["attachments.chunks"].count_documents({"files_id": "fu-000000000001"}) == 3
    assert files.read("fu-000000000001") == data
    assert files.digest("fu-000000000001") == (len(data), sha)
    assert files.put("fu-000000000001", "big.png", "image/png", data, sha) is False  # a retry: kept
    other = F.png(seed=3)
    assert files.put("fu-000000000001", "o.png", "image/png", other, hashlib.sha256(other).hexdigest())
    assert files.read("fu-000000000001") == other  # an orphan of other bytes is replaced
    assert files.read("fu-ffffffffffff") is None and files.digest("fu-ffffffffffff") is None


def test_verify_holds_each_recorded_file_against_its_event(storage):
    event = attach(storage, "fu-000000000002", F.pdf("two"))
    attach(storage, "fu-000000000003", F.pdf("three"))
    AttachmentFiles(storage.db).put("fu-000000000009", "orphan.pdf", "application/pdf", F.pdf(), "x")
    report = verify(storage.db)
    assert report == {"ok": True, "checked": 2, "failures": []}
    assert AttachmentFiles(storage.db).orphans() == ["fu-000000000009"]

    chunk = storage.db["attachments.chunks"].find_one({"files_id": "fu-000000000002"})
    changed = bytearray(chunk["data"])
    changed[12] ^= 0x20
    storage.db["attachments.chunks"].update_one({"_id": chunk["_id"]}, {"$set": {"data": Binary(bytes(changed))}})
    [failure] = verify(storage.db)["failures"]
    assert failure["attachment_id"] == "fu-000000000002" and event.sha256 in failure["reason"]
    with pytest.raises(FileChanged):
        AttachmentFiles(storage.db).read_checked("fu-000000000002", event.sha256)
    chain = with_files(storage.store.verify(), storage.db)
    assert chain["ok"] is False and chain["attachments"]["failures"] == [failure]

    storage.db["attachments.chunks"].delete_many({"files_id": "fu-000000000003"})
    storage.db["attachments.files"].delete_one({"_id": "fu-000000000003"})
    missing = {f["attachment_id"]: f["reason"] for f in verify(storage.db)["failures"]}
    assert "missing" in missing["fu-000000000003"]


def test_the_ledgers_check_over_the_services_log(storage):
    attach(storage, "fu-000000000004", F.pdf())
    attach(storage, "fu-000000000005", F.pdf("plan"), purpose="work_plan")
    attach(storage, "fu-000000000006", F.pdf("b"), unit_id="u-ffffffffffff")
    found = stored_attachments(storage, ["fu-000000000004", "fu-000000000007"])
    assert found["fu-000000000004"]["sha256"] == hashlib.sha256(F.pdf()).hexdigest()
    assert found["fu-000000000007"] is None
    [ok] = attachments_of_unit(storage, ["fu-000000000004"], UNIT, "measure_evidence")
    assert ok["attachment_id"] == "fu-000000000004"
    with pytest.raises(Rejected) as refused:
        attachments_of_unit(storage, ["fu-000000000004", "fu-000000000005", "fu-000000000006",
                                      "fu-000000000007"], UNIT, "measure_evidence")
    assert set(refused.value.details["attachments"]) == {"fu-000000000005", "fu-000000000006",
                                                         "fu-000000000007"}
