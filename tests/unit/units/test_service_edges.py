"""The units entrypoints' edges that need no broker: the study readiness answer
(R7, asked through ``shared.service_kit.ask_peer``) turned into a 503 refusal when the
study service cannot give it, the reaction table covering every foreign event type
the domain consumes, and the one command dispatch."""
import types

import eventlet
import pytest
from nameko.exceptions import RemoteError, UnknownService

from services.units import domain as D
from services.units import handlers as H
from services.units import service as svc
from services.units.domain import commands as C
from services.units.translate import CONSUMED
from shared.edge import refusal
from shared.service_kit import PeerUnavailable

from .helpers import UNIT, U

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
    return types.SimpleNamespace(cluster={"study": study})


def readiness(service, unit_id):
    return H.study_readiness(service, unit_id)


def test_a_plain_readiness_answer_passes_through():
    assert readiness(service_with(FakeStudy(READY)), "u1") == READY


def test_a_command_rpc_shaped_answer_is_unwrapped():
    assert readiness(service_with(FakeStudy({"ok": True, "result": READY})), "u1") == READY


@pytest.mark.parametrize("study, says", [
    (FakeStudy(error=UnknownService("study")), "not running"),
    (FakeStudy(error=RemoteError("MethodNotFound", "readiness")), "cannot answer readiness"),
    (FakeStudy(refusal(404, "not_found", "no such unit")), "refused readiness"),
    (FakeStudy({"something": "else"}), "malformed"),
])
def test_no_readiness_answer_is_a_503_refusal(study, says):
    with pytest.raises(PeerUnavailable) as err:
        readiness(service_with(study), "u1")
    assert err.value.status == 503 and says in err.value.message
    assert err.value.code == "unavailable" and err.value.details["service"] == "study"


def test_a_study_service_that_does_not_answer_in_time_is_a_503(monkeypatch):
    monkeypatch.setenv("DUDAO_RPC_TIMEOUT", "0.05")
    with pytest.raises(PeerUnavailable) as err:
        readiness(service_with(FakeStudy(READY, sleep=1)), "u1")
    assert "did not answer" in err.value.message


def test_every_consumed_event_type_has_a_reaction():
    assert {s: set(t) for s, t in svc.WIRING.reactions.items()} == {s: set(t) for s, t in CONSUMED.items()}
    assert svc.WIRING.sources() == ["evaluation", "supervision"]


def test_one_dispatch_decides_every_command_and_refuses_an_unknown_one():
    assert set(D.HANDLERS) == {getattr(C, name) for name in C.__all__}
    modules = (D.membership, D.planning, D.lifecycle, D.rectification, D.ledger)
    assert sum(len(m.HANDLERS) for m in modules) == len(D.HANDLERS), "a command decided in two modules"
    with pytest.raises(TypeError):
        D.decide(None, object())


def test_every_command_runs_on_its_unit_stream_with_one_fold():
    command = C.AddSection(UNIT, U, "新科")
    assert D.stream_of(command) == "unit-u1"
    assert D.fold_for(command)([]) is None
