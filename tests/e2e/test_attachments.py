"""Evidence files through the running system (issue 16 item 4): uploaded as multipart to the
gateway, stored in the owning service's GridFS (units, study or evaluation, by purpose)
with AttachmentStored in its log carrying the sha256, downloaded under the unit's read
scope; every refusal stores nothing (over the limit, bytes unlike the name, an unknown
purpose or unit, another unit's upload); a retry with the same Idempotency-Key answers the
same attachment; the audit bundle carries and checks the files, and a byte changed in a
GridFS chunk is found by `dudao audit verify` and GET /audit/verify."""
from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from bson import Binary
from click.testing import CliRunner

from assembly.cli import main
from assembly.stack import throwaway_stack, wait_until
from tests import sample_files as F
from tests.e2e.test_supervision import assign, form_group, register_unit

LIMIT = 2 * 1024 * 1024  # the test stack's DUDAO_ATTACHMENT_MAX_BYTES
OWNERS = ("units", "study", "evaluation")


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, label="files",
                         env={"DUDAO_ATTACHMENT_MAX_BYTES": str(LIMIT)}) as running:
        yield running


@pytest.fixture(scope="module")
def county(stack):
    """Unit A in group G, unit B in group H, each known to every owning service."""
    g, h = form_group(stack)["group_id"], form_group(stack)["group_id"]
    a, b = register_unit(stack), register_unit(stack)
    assign(stack, g, a)
    assign(stack, h, b)
    for service in ("study", "evaluation"):
        for unit in (a, b):
            wait_until(lambda s=service, u=unit: (stack.db(s)["unit_directory"].find_one({"_id": u}) or {})
                       .get("name"), message=f"{service} to learn of {unit}")
    return {"a": a, "b": b, "g": g, "h": h}


def upload(stack, token, unit_id, purpose, name, data, content_type=None, key=None, **form):
    headers = {"Idempotency-Key": key} if key else {}
    part = (name, data, content_type) if content_type else (name, data)
    return stack.request("POST", "/attachments", token, files={"file": part},
                         data={"unit_id": unit_id, "purpose": purpose, **form}, headers=headers, timeout=60)


def stored(stack) -> dict:
    """What the owning services hold: their files and their AttachmentStored events."""
    return {s: (stack.db(s)["attachments.files"].count_documents({}),
                stack.db(s)["events"].count_documents({"type": "AttachmentStored"})) for s in OWNERS}


def event_of(stack, service, attachment_id) -> dict:
    return stack.db(service)["events"].find_one({"type": "AttachmentStored",
                                                 "payload.attachment_id": attachment_id})


def audit(stack, *args):
    env = {"DUDAO_MONGO_URI": stack.mongo_uri, "DUDAO_DB_PREFIX": stack.db_prefix}
    return CliRunner().invoke(main, ["audit", *args, "--quiet"], env=env, catch_exceptions=False)


def test_a_pdf_and_a_png_go_to_their_owners_and_come_back_byte_for_byte(stack, county):
    unit = stack.token("unit", scope=county["a"])
    pdf, png = F.pdf("work plan"), F.png(seed=1)
    answer = upload(stack, unit, county["a"], "work_plan", "实施方案.pdf", pdf, "application/pdf")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["attachment_id"].startswith("fu-") and body["unit_id"] == county["a"]
    assert (body["sha256"], body["size"], body["content_type"]) == (
        hashlib.sha256(pdf).hexdigest(), len(pdf), "application/pdf")
    assert answer.headers["Idempotency-Key"]
    # the hash in the owning service's log, so its chain covers the file
    event = event_of(stack, "units", body["attachment_id"])
    assert event["payload"]["sha256"] == body["sha256"] and event["payload"]["size"] == len(pdf)
    assert event["payload"]["purpose"] == "work_plan" and event["actor"]["role"] == "unit"

    sheet = upload(stack, unit, county["a"], "study_sign_in", "签到表.png", png, "image/png")
    assert sheet.status_code == 201, sheet.text
    assert sheet.json()["attachment_id"].startswith("fs-")
    assert event_of(stack, "study", sheet.json()["attachment_id"])["payload"]["sha256"] == \
        hashlib.sha256(png).hexdigest()
    minutes = upload(stack, stack.token("office"), county["a"], "life_meeting_minutes", "记录.docx", F.docx())
    assert minutes.status_code == 201, minutes.text
    assert minutes.json()["attachment_id"].startswith("fe-")

    readers = [stack.token("unit", scope=county["a"]), stack.token("office"), stack.token("auditor"),
               stack.token("supervisor", scope=county["g"])]
    for attachment, data, kind in ((body, pdf, "application/pdf"), (sheet.json(), png, "image/png")):
        for token in readers:
            got = stack.request("GET", f"/attachments/{attachment['attachment_id']}", token)
            assert got.status_code == 200, got.text
            assert got.content == data and got.headers["Content-Type"] == kind
            assert got.headers["Content-Disposition"].startswith("attachment; filename=")
            assert "filename*=UTF-8''" in got.headers["Content-Disposition"]


def test_a_download_outside_the_units_scope_is_refused(stack, county):
    answer = upload(stack, stack.token("unit", scope=county["a"]), county["a"], "speech_draft", "讲话.pdf", F.pdf())
    assert answer.status_code == 201, answer.text
    path = f"/attachments/{answer.json()['attachment_id']}"
    for token in (stack.token("unit", scope=county["b"]), stack.token("supervisor", scope=county["h"])):
        refused = stack.request("GET", path, token)
        assert refused.status_code in (403, 404), refused.text
        assert refused.json()["error"] in ("forbidden", "not_found") and b"%PDF" not in refused.content
    assert stack.request("GET", path, stack.token("respondent", scope="s-0123456789ab")).status_code == 403
    assert stack.request("GET", path, None).status_code == 401
    for unknown in ("fu-0123456789ab", "zz-0123456789ab", "nothing"):
        missing = stack.request("GET", f"/attachments/{unknown}", stack.token("office"))
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(stack, county):
    unit = stack.token("unit", scope=county["a"])
    before = stored(stack)
    just_over = F.pdf() + b"%" * (LIMIT + 1 - len(F.pdf()))  # framing and all, within what is read
    answer = upload(stack, unit, county["a"], "measure_evidence", "big.pdf", just_over)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "too_large" and answer.json()["details"]["limit_bytes"] == LIMIT
    far_over = upload(stack, unit, county["a"], "measure_evidence", "huge.pdf", b"%PDF-1.4\n" + bytes(3 * LIMIT))
    assert far_over.status_code == 413 and far_over.json()["error"] == "too_large"
    assert stored(stack) == before


@pytest.mark.parametrize("name,data,declared", [
    ("方案.pdf", F.png(), None),                      # a PNG named .pdf
    ("方案.pdf", b"plain text pretending to be a PDF", "application/pdf"),
    ("记录.docx", F.xlsx(), None),                     # a workbook named .docx
    ("photo.png", F.pdf(), "image/png"),
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n", None),
])
def test_a_file_whose_bytes_are_not_what_its_name_claims_is_refused_storing_nothing(stack, county, name, data,
                                                                                  declared):
    before = stored(stack)
    answer = upload(stack, stack.token("unit", scope=county["a"]), county["a"], "measure_evidence", name, data,
                    declared)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] in ("rejected", "invalid") and "file" in answer.json()["details"]["fields"]
    assert stored(stack) == before


def test_an_unknown_purpose_or_unit_or_another_units_upload_is_refused_storing_nothing(stack, county):
    unit = stack.token("unit", scope=county["a"])
    before = stored(stack)
    cases = [
        (upload(stack, unit, county["a"], "holiday_photos", "a.pdf", F.pdf()), 422),
        (upload(stack, stack.token("office"), "u-" + uuid.uuid4().hex[:12], "work_plan", "a.pdf", F.pdf()), 404),
        (upload(stack, stack.token("office"), "u-" + uuid.uuid4().hex[:12], "study_sign_in", "a.pdf", F.pdf()), 404),
        (upload(stack, unit, county["b"], "work_plan", "a.pdf", F.pdf()), 403),
        (upload(stack, stack.token("supervisor", scope=county["g"]), county["a"], "work_plan", "a.pdf",
                F.pdf()), 403),
        (upload(stack, unit, county["a"], "work_plan", "a.pdf", F.pdf(), stray="x"), 422),
        (stack.request("POST", "/attachments", unit, data={"unit_id": county["a"], "purpose": "work_plan"},
                       files={"other": ("a.pdf", F.pdf())}), 422),
        (stack.request("POST", "/attachments", unit, json={"unit_id": county["a"], "purpose": "work_plan"}), 400),
    ]
    for answer, status in cases:
        assert answer.status_code == status, answer.text
        assert set(answer.json()) == {"error", "message", "details"}
    assert stored(stack) == before


def test_a_retry_with_the_same_idempotency_key_answers_the_same_attachment(stack, county):
    unit = stack.token("unit", scope=county["a"])
    key = str(uuid.uuid4())
    before = stored(stack)["units"]
    first = upload(stack, unit, county["a"], "measure_evidence", "佐证.png", F.png(seed=7), key=key)
    again = upload(stack, unit, county["a"], "measure_evidence", "佐证.png", F.png(seed=7), key=key)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json() == again.json()
    assert stored(stack)["units"] == (before[0] + 1, before[1] + 1)
    other_bytes = upload(stack, unit, county["a"], "measure_evidence", "佐证.png", F.png(seed=8), key=key)
    assert other_bytes.status_code == 409, other_bytes.text
    assert stored(stack)["units"] == (before[0] + 1, before[1] + 1)
    got = stack.request("GET", f"/attachments/{first.json()['attachment_id']}", unit)
    assert got.content == F.png(seed=7)


def test_a_file_of_a_megabyte_and_a_half_is_kept_in_several_chunks(stack, county):
    data = F.noisy_png(1_500_000)
    answer = upload(stack, stack.token("unit", scope=county["a"]), county["a"], "measure_evidence", "大.png", data)
    assert answer.status_code == 201, answer.text
    attachment_id = answer.json()["attachment_id"]
    assert stack.db("units")["attachments.chunks"].count_documents({"files_id": attachment_id}) > 1
    got = stack.request("GET", f"/attachments/{attachment_id}", stack.token("office"))
    assert got.status_code == 200 and got.content == data


def test_the_audit_bundle_carries_the_files_and_verify_bundle_checks_them(stack, county, tmp_path):
    answer = upload(stack, stack.token("unit", scope=county["a"]), county["a"], "work_plan", "方案.pdf",
                    F.pdf("bundle"))
    assert answer.status_code == 201, answer.text
    sha = answer.json()["sha256"]
    bundle = tmp_path / "bundle"
    exported = audit(stack, "export", str(bundle))
    assert exported.exit_code == 0, exported.output
    assert (bundle / "files" / sha).read_bytes() == F.pdf("bundle")
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    assert manifest["services"]["units"]["files"] >= 1
    checked = audit(stack, "verify-bundle", str(bundle))
    assert checked.exit_code == 0, checked.output
    assert "bundle verified" in checked.output

    path = bundle / "files" / sha
    data = bytearray(path.read_bytes())
    data[20] ^= 0x01
    path.write_bytes(bytes(data))
    checked = audit(stack, "verify-bundle", str(bundle))
    assert checked.exit_code == 1
    assert f"PROBLEM files/{sha}" in checked.output and answer.json()["attachment_id"] in checked.output
    path.unlink()
    checked = audit(stack, "verify-bundle", str(bundle))
    assert checked.exit_code == 1 and "is missing" in checked.output


def test_a_byte_changed_in_a_gridfs_chunk_is_found_by_audit_verify(stack, county):
    answer = upload(stack, stack.token("unit", scope=county["a"]), county["a"], "study_sign_in", "签到.pdf",
                    F.pdf("sign in"))
    assert answer.status_code == 201, answer.text
    attachment_id = answer.json()["attachment_id"]
    assert audit(stack, "verify").exit_code == 0
    chunks = stack.db("study")["attachments.chunks"]
    chunk = chunks.find_one({"files_id": attachment_id, "n": 0})
    original = bytes(chunk["data"])
    tampered = bytearray(original)
    tampered[30] ^= 0x01
    chunks.update_one({"_id": chunk["_id"]}, {"$set": {"data": Binary(bytes(tampered))}})
    try:
        result = audit(stack, "verify")
        assert result.exit_code == 1, result.output
        assert f"attachment {attachment_id}" in result.output and "FILE CHANGED" in result.output
        report = json.loads(audit(stack, "verify", "--json").output)
        [failure] = report["services"]["study"]["attachments"]["failures"]
        assert failure["attachment_id"] == attachment_id and report["ok"] is False
        over_http = stack.request("GET", "/audit/verify", stack.token("auditor")).json()
        assert over_http["ok"] is False
        assert over_http["services"]["study"]["attachments"]["failures"][0]["attachment_id"] == attachment_id
        assert over_http["services"]["units"]["ok"] is True
        served = stack.request("GET", f"/attachments/{attachment_id}", stack.token("office"))
        assert served.status_code == 409 and attachment_id in served.json()["message"]
    finally:
        chunks.update_one({"_id": chunk["_id"]}, {"$set": {"data": Binary(original)}})
    assert audit(stack, "verify").exit_code == 0


def test_an_orphaned_file_is_served_to_nobody_and_cleaned_by_ops_orphans(stack, county):
    """A file written without its event (an upload that crashed between the two)."""
    from shared.attachment_files import AttachmentFiles
    db = stack.db("units")
    orphan = "fu-" + uuid.uuid4().hex[:12]
    AttachmentFiles(db).put(orphan, "lost.pdf", "application/pdf", F.pdf("lost"),
                            hashlib.sha256(F.pdf("lost")).hexdigest())
    assert stack.request("GET", f"/attachments/{orphan}", stack.token("office")).status_code == 404
    assert audit(stack, "verify").exit_code == 0  # an event's file is checked, not a stray one
    recorded = db["attachments.files"].count_documents({})
    env = {"DUDAO_MONGO_URI": stack.mongo_uri, "DUDAO_DB_PREFIX": stack.db_prefix}
    listed = CliRunner().invoke(main, ["ops", "orphans", "units", "--older-than", "0"], env=env)
    assert listed.exit_code == 0 and listed.stdout.split() == [orphan], listed.output
    assert CliRunner().invoke(main, ["ops", "orphans", "units"], env=env).stdout.split() == []  # too young
    removed = CliRunner().invoke(main, ["ops", "orphans", "units", "--older-than", "0", "--delete"], env=env)
    assert removed.exit_code == 0, removed.output
    assert db["attachments.files"].count_documents({}) == recorded - 1
    assert db["attachments.chunks"].count_documents({"files_id": orphan}) == 0
