"""The supervision handlers behind the typed edge, without broker or database: study
readiness is asked with the one peer rule (no answer is a 503 ``unavailable`` refusal
naming the study service, and nothing is stored), and the read checks are the shared
access policy's."""
import eventlet
import pytest
from nameko.exceptions import RemoteError, UnknownService

from services.supervision import handlers as H
from services.supervision import schemas as S
from services.supervision.domain import unit_stream
from services.supervision.projections import TRANSITION_FACTS, UNIT_FACTS, UNIT_GROUPS
from shared.edge import Refused, entrypoint, unwrap
from shared.eventstore.memory import MemoryEventStore
from tests.unit.supervision.helpers import G1, G2, UNIT, arrived, assigned

READY = {"unit_id": UNIT, "ready": True, "floor": 40, "members_below": [], "exempted": []}
SUPERVISOR = {"id": "p-1", "name": "组员", "role": "supervisor", "scope": G1}
OTHER_GROUP = {**SUPERVISOR, "scope": G2}


class FakeStudy:
    def __init__(self, answer=None, error=None, sleep=0):
        self.answer, self.error, self.sleep, self.asked = answer, error, sleep, []

    def readiness(self, unit_id):
        self.asked.append(unit_id)
        if self.sleep:
            eventlet.sleep(self.sleep)
        if self.error:
            raise self.error
        return self.answer


class FakeStorage:
    """The slice of StorageAccess the handlers use, over a memory event store."""

    def __init__(self, docs):
        self.docs, self.store = docs, MemoryEventStore("supervision")

    def get(self, collection, key):
        return self.docs.get(collection, {}).get(key)

    def load(self, stream_id):
        return self.store.read_stream(stream_id)

    def execute(self, stream_id, decide, fold, command, *, actor):
        history = self.store.read_stream(stream_id)
        events = decide(fold(history), command)
        return self.store.append(stream_id, len(history), events, actor=actor.to_dict())


class FakeService:
    def __init__(self, study):
        self.cluster = {"study": study}
        self.storage = FakeStorage({
            UNIT_FACTS: {UNIT: {"unit_id": UNIT, "phase": "mobilization",
                                "requirements_present": True, "open_rectifications": []}},
            UNIT_GROUPS: {UNIT: {"unit_id": UNIT, "group_id": G1}},
            TRANSITION_FACTS: {"t1": {"transition_id": "t1", "unit_id": UNIT,
                                      "from_phase": "mobilization", "to_phase": "analysis",
                                      "summary": "总结", "applicant_id": "unit-u1"}}})
        self.storage.store.append(unit_stream(UNIT), 0, [assigned(), arrived()],
                                  actor={"id": "o", "name": "o", "role": "office"})


group_review = entrypoint(S.GroupReviewSchema)(H.group_review)
readiness = entrypoint(S.TransitionQuerySchema)(H.transition_readiness)


def test_the_group_agrees_with_the_study_services_readiness():
    study = FakeStudy({"ok": True, "result": READY})
    service = FakeService(study)
    result = unwrap(group_review(service, transition_id="t1", decision="agree", actor=SUPERVISOR))
    assert result["status"] == "agreed" and result["readiness"]["study"] == READY
    assert study.asked == [UNIT]


@pytest.mark.parametrize("study, says", [
    (FakeStudy(error=UnknownService("study")), "not running"),
    (FakeStudy(error=RemoteError("MethodNotFound", "readiness")), "(MethodNotFound)"),
    (FakeStudy({"ok": False, "status": 404, "error": "not_found", "message": "no such unit"}),
     "refused readiness"),
])
def test_no_study_readiness_is_a_503_refusal_and_stores_nothing(study, says):
    service = FakeService(study)
    before = service.storage.store.head()
    for answer in (group_review(service, transition_id="t1", decision="agree", actor=SUPERVISOR),
                   readiness(service, transition_id="t1", actor=SUPERVISOR)):
        assert answer["ok"] is False and answer["status"] == 503, answer
        assert answer["error"] == "unavailable" and answer["details"]["service"] == "study"
        assert says in answer["message"] and "学习动员" in answer["message"]
    assert service.storage.store.head() == before


def test_a_study_service_that_does_not_answer_in_time_is_a_503(monkeypatch):
    monkeypatch.setenv("DUDAO_RPC_TIMEOUT", "0.05")
    answer = readiness(FakeService(FakeStudy(READY, sleep=1)), transition_id="t1",
                       actor=SUPERVISOR)
    assert (answer["status"], answer["error"]) == (503, "unavailable")
    assert "did not answer" in answer["message"]


def test_readiness_is_read_by_scope_through_the_access_policy():
    service = FakeService(FakeStudy(READY))
    assert unwrap(readiness(service, transition_id="t1", actor=SUPERVISOR))["blockers"] == []
    with pytest.raises(Refused) as refused:
        unwrap(readiness(service, transition_id="t1", actor=OTHER_GROUP))
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert refused.value.details == {"unit_id": UNIT}
    missing = readiness(service, transition_id="t-nope", actor=SUPERVISOR)
    assert (missing["status"], missing["error"]) == (404, "not_found")
