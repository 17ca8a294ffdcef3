"""The audit bundle carries the evidence files (shared/audit/bundle.py): each stored as
files/<sha256> beside the log whose AttachmentStored event records it, and verify_bundle
holds each against that event (no database)."""
from shared import attachments as A
from shared.audit import bundle
from shared.domain import Actor
from shared.eventstore.memory import MemoryEventStore
from tests import sample_files as F

UNIT = "u-0123456789ab"
ACTOR = Actor("p-1", "办公室", "unit", UNIT)


def store_with_files(*files: bytes):
    store = MemoryEventStore("units")
    for n, data in enumerate(files):
        [event] = A.decide(None, A.StoreAttachment(
            actor=ACTOR, attachment_id=f"fu-{n:012x}", unit_id=UNIT, purpose="measure_evidence",
            filename=f"e{n}.pdf", declared_type=None, data=data, service="units", unit_known=True))
        store.append(A.stream_of(event.attachment_id), 0, [event], actor=ACTOR.to_dict())
    return store


def export(tmp_path, store, contents: dict):
    return bundle.write_bundle(tmp_path, {"units": store.events_since(0, raw=True)},
                               created_at="2024-03-01T08:00:00.000Z", tool_version="test",
                               attachment_bytes=lambda _service, attachment_id: contents.get(attachment_id))


def test_the_files_are_written_by_sha256_and_verify(tmp_path):
    one, two = F.pdf("one"), F.pdf("two")
    manifest = export(tmp_path, store_with_files(one, two), {"fu-000000000000": one, "fu-000000000001": two})
    assert manifest["services"]["units"]["files"] == 2
    assert (tmp_path / "files" / A.sha256_hex(one)).read_bytes() == one
    report = bundle.verify_bundle(tmp_path)
    assert report["ok"], report["problems"]
    assert report["services"]["units"]["files"] == 2


def test_a_changed_missing_or_stray_file_is_named(tmp_path):
    one = F.pdf("one")
    export(tmp_path, store_with_files(one), {"fu-000000000000": one})
    path = tmp_path / "files" / A.sha256_hex(one)
    data = bytearray(one)
    data[5] ^= 0x01
    path.write_bytes(bytes(data))
    [problem] = bundle.verify_bundle(tmp_path)["problems"]
    assert problem["file"] == f"files/{A.sha256_hex(one)}" and "fu-000000000000" in problem["reason"]
    assert problem["position"] == 1
    path.unlink()
    problems = bundle.verify_bundle(tmp_path)["problems"]
    assert any("is missing" in p["reason"] for p in problems)
    path.write_bytes(one)
    (tmp_path / "files" / ("0" * 64)).write_bytes(b"stray")
    [stray] = bundle.verify_bundle(tmp_path)["problems"]
    assert stray["reason"] == "file is not named in the manifest"


def test_a_file_the_store_no_longer_has_is_exported_missing_and_found(tmp_path):
    manifest = export(tmp_path, store_with_files(F.pdf()), {})
    assert "files" not in manifest["services"]["units"]
    report = bundle.verify_bundle(tmp_path)
    assert not report["ok"] and any("is missing" in p["reason"] for p in report["problems"])


def test_a_bundle_without_files_is_as_before(tmp_path):
    manifest = export(tmp_path, MemoryEventStore("units"), {})
    assert set(manifest["services"]["units"]) == {"file", "count", "head_position", "head_hash", "bytes",
                                                  "sha256"}
    assert bundle.verify_bundle(tmp_path)["ok"]
