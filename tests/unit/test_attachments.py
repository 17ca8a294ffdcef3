"""Evidence files, the pure part (shared/attachments.py): the sniffed type against the
allow-list, the name and the declared type; the size limit; who may attach what where; the
owner of a purpose and of an id; and the check the ledger makes of the ids a command names."""
import pytest

from shared import attachments as A
from shared.domain import Actor, Conflict, Forbidden, NotFound, Rejected
from tests import sample_files as F

UNIT = "u-0123456789ab"
UNIT_ACTOR = Actor("p-1", "办公室", "unit", UNIT)
OFFICE = Actor("p-2", "王主任", "office")
LIMIT = 1 << 20


@pytest.mark.parametrize("name,data,kind", [
    ("方案.pdf", F.pdf(), "application/pdf"),
    ("photo.PNG", F.png(), "image/png"),
    ("photo.jpg", F.jpeg(), "image/jpeg"),
    ("photo.jpeg", F.jpeg(), "image/jpeg"),
    ("讲话稿.docx", F.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("签到表.xlsx", F.xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("old.doc", F.doc(), "application/msword"),
    ("old.xls", F.xls(), "application/vnd.ms-excel"),
])
def test_each_allowed_kind_is_sniffed_from_its_bytes(name, data, kind):
    assert A.check_file(name, None, data, LIMIT) == kind
    assert A.check_file(name, "application/octet-stream", data, LIMIT) == kind
    assert A.check_file(name, kind, data, LIMIT) == kind


@pytest.mark.parametrize("name,data,declared,says", [
    ("plan.pdf", F.png(), None, "named as a .pdf"),           # a PNG named .pdf
    ("plan.pdf", b"just some text, not a PDF", None, "no allowed kind"),
    ("plan.pdf", b"just some text, not a PDF", "application/pdf", "not a file of a kind"),
    ("minutes.docx", F.xlsx(), None, "named as a .docx"),    # an Excel workbook named .docx
    ("plan", F.pdf(), None, "named as a .(none)"),
    ("plan.pdf", F.pdf(), "image/png", "declared as image/png"),
    ("archive.zip", b"PK\x03\x04" + bytes(100), None, "application/zip"),
    ("a.gif", b"GIF89a" + bytes(20), None, "image/gif"),
])
def test_bytes_that_are_not_what_the_name_or_declared_type_claims_are_refused(name, data, declared, says):
    with pytest.raises(Rejected) as refused:
        A.check_file(name, declared, data, LIMIT)
    assert says in refused.value.message or says in str(refused.value.details)
    assert "file" in refused.value.details["fields"]


def test_a_file_over_the_limit_is_a_413_and_an_empty_one_refused():
    data = F.pdf()
    with pytest.raises(A.TooLarge) as over:
        A.check_file("a.pdf", None, data, len(data) - 1)
    assert over.value.status == 413 and over.value.details["limit_bytes"] == len(data) - 1
    assert A.check_file("a.pdf", None, data, len(data)) == "application/pdf"
    with pytest.raises(Rejected):
        A.check_file("a.pdf", None, b"", LIMIT)


def test_the_purpose_names_the_owning_service_and_the_id_prefix_tells_it_back():
    assert A.owner_of_purpose("measure_evidence") == "units"
    assert A.owner_of_purpose("work_plan") == A.owner_of_purpose("speech_draft") == "units"
    assert A.owner_of_purpose("study_sign_in") == "study"
    assert A.owner_of_purpose("life_meeting_minutes") == "evaluation"
    with pytest.raises(Rejected):
        A.owner_of_purpose("holiday_photos")
    for service, prefix in A.ID_PREFIXES.items():
        assert A.owner_of_id(f"{prefix}-0123456789ab") == service
    for other in ("u-0123456789ab", "fu-xyz", "fu-", "", "fx-0123456789ab", "../fu-0123456789ab"):
        assert A.owner_of_id(other) is None


def command(**changes) -> A.StoreAttachment:
    fields = dict(actor=UNIT_ACTOR, attachment_id="fu-0123456789ab", unit_id=UNIT, purpose="work_plan",
                  filename="方案.pdf", declared_type="application/pdf", data=F.pdf(), max_bytes=LIMIT,
                  service="units", unit_known=True, stored_on="2024-03-01")
    return A.StoreAttachment(**{**fields, **changes})


def test_storing_records_the_size_sha256_and_sniffed_type_once():
    [event] = A.decide(None, command())
    data = F.pdf()
    assert event == A.AttachmentStored(attachment_id="fu-0123456789ab", unit_id=UNIT, purpose="work_plan",
                                       filename="方案.pdf", content_type="application/pdf", size=len(data),
                                       sha256=A.sha256_hex(data), stored_on="2024-03-01")
    state = A.fold([{"type": event.type, "payload": event.payload()}])
    assert state["sha256"] == A.sha256_hex(data)
    with pytest.raises(Conflict):
        A.decide(state, command())
    assert A.decide(None, command(actor=OFFICE))


@pytest.mark.parametrize("changes,error", [
    ({"actor": Actor("p-3", "x", "unit", "u-ffffffffffff")}, Forbidden),   # another unit
    ({"actor": Actor("p-4", "李组长", "supervisor", "g-0123456789ab")}, Forbidden),
    ({"actor": Actor("p-5", "a", "auditor")}, Forbidden),
    ({"purpose": "study_sign_in"}, Rejected),          # not the units service's to keep
    ({"purpose": "holiday_photos"}, Rejected),
    ({"unit_known": False}, NotFound),
    ({"filename": "../../etc/passwd.pdf"}, Rejected),
    ({"filename": "   "}, Rejected),
    ({"data": F.png()}, Rejected),                      # a PNG named 方案.pdf
    ({"max_bytes": 10}, A.TooLarge),
])
def test_every_refusal_comes_before_any_event(changes, error):
    with pytest.raises(error):
        A.decide(None, command(**changes))


def stored(attachment_id, unit_id=UNIT, purpose="measure_evidence"):
    return {"attachment_id": attachment_id, "unit_id": unit_id, "purpose": purpose}


def test_the_ledgers_check_passes_this_units_files_of_the_purpose_and_names_every_other():
    found = {"fu-000000000001": stored("fu-000000000001"), "fu-000000000002": stored("fu-000000000002"),
             "fu-000000000003": stored("fu-000000000003", unit_id="u-ffffffffffff"),
             "fu-000000000004": stored("fu-000000000004", purpose="speech_draft"),
             "fu-000000000005": None}
    ok = A.check_attachments(found, ["fu-000000000001", "fu-000000000002"], UNIT, "measure_evidence")
    assert [f["attachment_id"] for f in ok] == ["fu-000000000001", "fu-000000000002"]
    assert A.check_attachments(found, ["fu-000000000004"], UNIT, ("measure_evidence", "speech_draft"))
    with pytest.raises(Rejected) as refused:
        A.check_attachments(found, list(found), UNIT, "measure_evidence")
    assert refused.value.details["attachments"] == {
        "fu-000000000003": "belongs to another unit", "fu-000000000004": "is speech_draft, not measure_evidence",
        "fu-000000000005": "no such attachment"}
    with pytest.raises(Rejected):
        A.check_attachments({}, ["fu-000000000009"], UNIT, "measure_evidence")
