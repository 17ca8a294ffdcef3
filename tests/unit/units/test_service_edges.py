"""The units entrypoints' edges that need no broker: the study readiness answer
(R7) turned into a refusal when the study service cannot give it, and the reaction
table covering every foreign event type the domain consumes."""
import eventlet
import pytest
from nameko.exceptions import RemoteError, UnknownService

from services.units import service as svc
from services.units.translate import CONSUMED

READY = {"unit_id": "u1", "ready": True, "floor": 40, "members_below": [], "exempted": []}


class FakeStudy:
    def __init__(self, answer=None, error=None, sleep=0):
        self.answer, self.error, self.sleep = answer, error, sleep

    def readiness(self, unit_id):
        if self.sleep:
            eventlet.sleep(self.sleep)
        if self.error:
            raise self.error
        return self.answer


def service_with(study):
    service = svc.UnitsService.__new__(svc.UnitsService)
    service.cluster = {"study": study}
    return service


def test_a_plain_readiness_answer_passes_through():
    assert service_with(FakeStudy(READY))._readiness("u1") == READY


def test_a_command_rpc_shaped_answer_is_unwrapped():
    assert service_with(FakeStudy({"ok": True, "result": READY}))._readiness("u1") == READY


@pytest.mark.parametrize("study, says", [
    (FakeStudy(error=UnknownService("study")), "not running"),
    (FakeStudy(error=RemoteError("MethodNotFound", "readiness")), "cannot answer readiness"),
    (FakeStudy({"ok": False, "status": 404, "message": "no such unit"}), "refused readiness"),
    (FakeStudy({"something": "else"}), "malformed"),
])
def test_no_readiness_answer_is_a_503_refusal(study, says):
    with pytest.raises(svc.StudyUnavailable) as err:
        service_with(study)._readiness("u1")
    assert err.value.status == 503 and says in err.value.message


def test_a_study_service_that_does_not_answer_in_time_is_a_503(monkeypatch):
    monkeypatch.setenv("DUDAO_RPC_TIMEOUT", "0.05")
    with pytest.raises(svc.StudyUnavailable) as err:
        service_with(FakeStudy(READY, sleep=1))._readiness("u1")
    assert "did not answer" in err.value.message


def test_every_consumed_event_type_has_a_reaction():
    assert {s: set(t) for s, t in svc.WIRING.reactions.items()} == {s: set(t) for s, t in CONSUMED.items()}
    assert svc.WIRING.sources() == ["evaluation", "supervision"]
