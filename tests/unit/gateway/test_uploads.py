"""The gateway's side of evidence files (services/gateway/app.py), without nameko: the
multipart upload read within DUDAO_ATTACHMENT_MAX_BYTES and sent to the service its purpose
names, a download to the service its id's prefix names, and every refusal made before any
service is called."""
import base64
import io

import pytest

from services.gateway.app import content_disposition, plain_name
from services.gateway.tokens import Person
from tests import sample_files as F
from tests.unit.gateway.test_app import Tokens, body, gateway, request

UNIT = "u-0123456789ab"
LIMIT = 4096


class UnitTokens(Tokens):
    def authenticate(self, token):
        return Person("p-unit", "办公室", "unit", UNIT) if token == "unit" else super().authenticate(token)


class Calls:
    def __init__(self):
        self.made = []

    def __call__(self, service, rpc, kwargs):
        self.made.append((service, rpc, kwargs))
        if rpc == "read_attachment":
            return {"ok": True, "result": {"__file__": {"filename": "签到表.pdf", "media_type": "application/pdf",
                                                         "content_base64": base64.b64encode(F.pdf()).decode()}}}
        return {"ok": True, "result": {"attachment_id": "fs-0123456789ab"}}


def post(calls, fields, files, token="good", limit=LIMIT, **kw):
    data = {**fields, **{name: (io.BytesIO(content), filename) for name, (filename, content) in files.items()}}
    g = gateway(calls, UnitTokens())
    g.attachment_max_bytes = limit
    return g.handle(request("POST", "/attachments", token=token, data=data, **kw))


@pytest.mark.parametrize("purpose,owner", [("work_plan", "units"), ("measure_evidence", "units"),
                                           ("speech_draft", "units"), ("study_sign_in", "study"),
                                           ("life_meeting_minutes", "evaluation")])
def test_the_purpose_decides_which_service_gets_the_bytes(purpose, owner):
    calls = Calls()
    response = post(calls, {"unit_id": UNIT, "purpose": purpose}, {"file": ("/home/张/签到.pdf", F.pdf())})
    assert response.status_code == 201
    [(service, rpc, kwargs)] = calls.made
    assert (service, rpc) == (owner, "store_attachment")
    assert base64.b64decode(kwargs["content_base64"]) == F.pdf()
    assert kwargs["filename"] == "签到.pdf" and kwargs["unit_id"] == UNIT and kwargs["idempotency_key"]
    assert response.headers["Idempotency-Key"] == kwargs["idempotency_key"]


@pytest.mark.parametrize("fields,files,token,status", [
    ({"unit_id": UNIT, "purpose": "holiday"}, {"file": ("a.pdf", F.pdf())}, "good", 422),
    ({"unit_id": UNIT}, {"file": ("a.pdf", F.pdf())}, "good", 422),
    ({"purpose": "work_plan"}, {"file": ("a.pdf", F.pdf())}, "good", 422),
    ({"unit_id": UNIT, "purpose": "work_plan"}, {"other": ("a.pdf", F.pdf())}, "good", 422),
    ({"unit_id": UNIT, "purpose": "work_plan", "extra": "x"}, {"file": ("a.pdf", F.pdf())}, "good", 422),
    ({"unit_id": UNIT, "purpose": "work_plan"}, {"file": ("a.pdf", F.pdf()), "more": ("b.pdf", F.pdf())},
     "good", 422),
    ({"unit_id": UNIT, "purpose": "work_plan\x00"}, {"file": ("a.pdf", F.pdf())}, "good", 422),
    ({"unit_id": "u-ffffffffffff", "purpose": "work_plan"}, {"file": ("a.pdf", F.pdf())}, "unit", 403),
    ({"unit_id": UNIT, "purpose": "work_plan"}, {"file": ("a.pdf", F.pdf() + bytes(LIMIT))}, "good", 413),
    ({"unit_id": UNIT, "purpose": "work_plan"}, {"file": ("a.pdf", bytes(LIMIT + 70_000))}, "good", 413),
    ({"unit_id": UNIT, "purpose": "work_plan"}, {"file": ("a.pdf", F.pdf())}, None, 401),
])
def test_every_refusal_is_made_before_any_service_is_called(fields, files, token, status):
    calls = Calls()
    response = post(calls, fields, files, token=token)
    assert response.status_code == status, response.get_data()
    body(response)
    assert calls.made == []


def test_an_upload_that_is_not_multipart_is_a_400():
    calls = Calls()
    g = gateway(calls)
    response = g.handle(request("POST", "/attachments", json={"unit_id": UNIT, "purpose": "work_plan"}))
    assert response.status_code == 400 and "multipart/form-data" in body(response)["message"]
    assert calls.made == []


def test_a_file_over_the_limit_says_the_limit():
    response = post(Calls(), {"unit_id": UNIT, "purpose": "work_plan"}, {"file": ("a.pdf", bytes(LIMIT + 1))})
    assert response.status_code == 413
    assert body(response)["details"] == {"limit_bytes": LIMIT}


def test_a_download_goes_to_the_service_its_prefix_names_and_comes_back_as_the_file():
    calls = Calls()
    response = gateway(calls).handle(request("GET", "/attachments/fs-0123456789ab"))
    assert response.status_code == 200 and response.get_data() == F.pdf()
    assert response.mimetype == "application/pdf"
    assert calls.made[0][:2] == ("study", "read_attachment")
    assert "filename*=UTF-8''%E7%AD%BE%E5%88%B0%E8%A1%A8.pdf" in response.headers["Content-Disposition"]
    calls = Calls()
    missing = gateway(calls).handle(request("GET", "/attachments/xx-0123456789ab"))
    assert missing.status_code == 404 and calls.made == []


def test_names_and_dispositions():
    assert plain_name("C:\\Users\\张\\方案.pdf") == "方案.pdf" and plain_name("/tmp/a/b.png") == "b.png"
    assert content_disposition("plan.pdf") == 'attachment; filename=plan.pdf'
    assert content_disposition("方案 1.pdf") == ("attachment; filename=\"__ 1.pdf\"; "
                                                "filename*=UTF-8''%E6%96%B9%E6%A1%88%201.pdf")
