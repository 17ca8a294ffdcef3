"""The handlers without a broker or database: a fake storage holding the projections
the service keeps, so the access policy and what each handler adds to its command show."""
from __future__ import annotations

import pytest

from services.evaluation import domain as D
from services.evaluation import handlers as H
from services.evaluation.projections import UNIT_FACTS, UNIT_GROUPS
from shared.domain import SYSTEM, Actor, Forbidden, NotFound
from tests.unit.evaluation.helpers import GROUP, OFFICE, OTHER_SUPERVISOR, SUPERVISOR, UNIT, UNIT_ACTOR

FACTS_DOC = {"unit_id": UNIT, "phase": "analysis",
             "members": [{"member_id": "L1", "name": "L1", "is_leader": True}]}


class FakeStorage:
    def __init__(self, docs):
        self.docs, self.executed = docs, []

    def get(self, collection, key):
        doc = self.docs.get((collection, key))
        return dict(doc) if doc else None

    def load(self, stream_id):
        return []

    def execute(self, stream_id, decide, fold, command, *, actor):
        events = decide(fold([]), command)
        self.executed.append((stream_id, command))
        return [{"type": e.type, "payload": e.payload()} for e in events]


class Service:
    def __init__(self, group=GROUP):
        docs = {(UNIT_FACTS, UNIT): FACTS_DOC}
        if group:
            docs[(UNIT_GROUPS, UNIT)] = {"unit_id": UNIT, "group_id": group}
        self.storage = FakeStorage(docs)


@pytest.mark.parametrize("actor", [SYSTEM, OFFICE, SUPERVISOR, UNIT_ACTOR])
def test_readers_of_the_unit_get_readiness(actor):
    assert H.readiness(Service(), {"unit_id": UNIT}, actor)["unit_id"] == UNIT


@pytest.mark.parametrize("actor", [OTHER_SUPERVISOR,
                                   Actor(id="x", name="x", role="unit", scope="u-other")])
def test_others_may_not_read_the_unit(actor):
    for query in (H.readiness, H.unit_history):
        with pytest.raises(Forbidden):
            query(Service(), {"unit_id": UNIT}, actor)


def test_an_unknown_unit_is_not_found_for_those_who_read_everything():
    with pytest.raises(NotFound):
        H.readiness(Service(), {"unit_id": "u-nobody"}, OFFICE)


def test_phase_two_records_get_the_units_facts():
    service = Service()
    command = D.SubmitPartySpiritAnalysis(unit_id=UNIT, member_id="L1", date="2005-03-01",
                                          summary="材料", actor=UNIT_ACTOR)
    assert H.submit_party_spirit_analysis(service, command, UNIT_ACTOR) == {"member_id": "L1"}
    [(stream, executed)] = service.storage.executed
    assert stream == f"analysis-{UNIT}" and executed.unit.leader_ids == ("L1",)


def inspection(actor):
    return D.RecordAcceptanceInspection(inspection_id="ai-1", unit_id=UNIT, group_id=None,
                                        result="pass", notes="", date="2005-06-25", actor=actor)


def test_an_inspection_by_another_group_is_refused_before_deciding():
    service = Service()
    with pytest.raises(Forbidden) as info:
        H.record_acceptance_inspection(service, inspection(OTHER_SUPERVISOR), OTHER_SUPERVISOR)
    assert "supervision group" in info.value.message
    assert service.storage.executed == []


@pytest.mark.parametrize("actor", [OFFICE, SUPERVISOR])
def test_an_inspection_is_the_units_group_even_when_the_office_records_it(actor):
    service, recorded = Service(), []

    def execute(stream_id, decide, fold, command, *, actor):
        recorded.append(command)
        return [{"payload": {"inspection_id": command.inspection_id, "survey_id": "s-1"}}]

    service.storage.execute = execute
    assert H.record_acceptance_inspection(service, inspection(actor), actor) == {
        "inspection_id": "ai-1", "survey_id": "s-1"}
    [command] = recorded
    assert command.group_id == GROUP and command.unit.unit_id == UNIT
    assert D.stream_of(command) == f"surveys-{UNIT}"


def test_an_inspection_of_a_unit_without_a_group_is_refused():
    with pytest.raises(Forbidden) as info:
        H.record_acceptance_inspection(Service(group=None), inspection(OFFICE), OFFICE)
    assert "no supervision group" in info.value.message


def test_only_the_units_group_opens_a_survey():
    command = D.OpenSurvey(survey_id="s-1", unit_id=UNIT, group_id="g2", sample_size=1,
                           today="2005-06-10", actor=OTHER_SUPERVISOR)
    service = Service()
    with pytest.raises(Forbidden):
        H.open_survey(service, command, OTHER_SUPERVISOR)
    with pytest.raises(Forbidden):
        H.open_survey(service, command, OFFICE)
    assert service.storage.executed == []
