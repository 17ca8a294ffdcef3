"""The study service's typed RPC entrypoints without a broker or a database: named
fields and an actor in, the one answer shape out; storage is the projections folded in
memory, supervision a fake peer."""
import inspect

import pytest
from nameko.exceptions import UnknownService

from services.study import domain as D
from services.study.projections import PROJECTIONS
from services.study.service import StudyService
from shared.projection import MemoryProjectionRunner, envelope_for

from .helpers import UNIT, enrolled, registered, standard_units_log

UNIT_TOKEN = {"id": "p-u1", "name": "县委办公室党支部", "role": "unit", "scope": UNIT}
OFFICE = {"id": "p-office", "name": "办公室", "role": "office", "scope": None}
PLAN = {"personnel": {"scope": "全体党员"},
        "time": {"centralised_from": "2024-02-16", "centralised_until": "2024-02-25",
                 "planned_hours": 40},
        "content": {"required": ["party_constitution"]},
        "effect": {"goals": ["心得体会"]}}
SESSION = {"form": "lecture", "date": "2024-02-16", "hours": 4,
           "content_keys": ["party_constitution"]}


class FakeStorage:
    """StorageAccess's reads and ``execute`` over in-memory projections and streams."""

    def __init__(self, units_log):
        self.runner = MemoryProjectionRunner(PROJECTIONS).fold(units_log, source="units")
        self.streams: dict[str, list] = {}
        self.position = 0

    def get(self, collection, key):
        return self.runner.collections.get(collection, {}).get(key)

    def find(self, collection, query=None, sort=None, limit=0):
        docs = [d for d in self.runner.collections.get(collection, {}).values()
                if all(d.get(k) == v for k, v in (query or {}).items())]
        for field, _ in reversed(sort or []):
            docs.sort(key=lambda d: d.get(field) or "")
        return docs

    def load(self, stream_id):
        return list(self.streams.get(stream_id, []))

    def execute(self, stream_id, decide, fold, command, *, actor):
        history = self.load(stream_id)
        envelopes = []
        for event in decide(fold(history), command):
            self.position += 1
            envelopes.append(envelope_for(event, stream_id=stream_id, position=self.position,
                                          version=len(history) + len(envelopes) + 1,
                                          actor=actor.to_dict()))
        self.streams[stream_id] = history + envelopes
        self.runner.fold(envelopes, source="study")
        return envelopes


class FakeSupervision:
    def __init__(self, group_id=None, error=None):
        self.group_id, self.error, self.asked = group_id, error, []

    def group_of_unit(self, unit_id):
        self.asked.append(unit_id)
        if self.error:
            raise self.error
        return self.group_id


def service(supervision=None, units_log=None):
    svc = StudyService.__new__(StudyService)
    svc.storage = FakeStorage(units_log if units_log is not None else standard_units_log())
    svc.cluster = {"supervision": supervision or FakeSupervision()}
    return svc


def supervisor(group_id):
    return {"id": "p-sup", "name": "督导组长", "role": "supervisor", "scope": group_id}


def ok(answer):
    assert answer["ok"] is True, answer
    return answer["result"]


def refused(answer, status, error):
    assert answer["ok"] is False, answer
    assert (answer["status"], answer["error"]) == (status, error), answer
    assert answer["message"] and isinstance(answer["details"], dict)
    return answer


def test_entrypoints_take_named_fields_an_actor_and_an_idempotency_key():
    for name in ("set_study_plan", "record_session", "record_attendance", "grant_exemption",
                 "revoke_exemption", "unit_study", "member_study", "county", "ledger",
                 "readiness"):
        params = inspect.signature(getattr(StudyService, name)).parameters
        assert [(n, p.kind) for n, p in params.items()][1:3] == [
            ("actor", inspect.Parameter.KEYWORD_ONLY),
            ("idempotency_key", inspect.Parameter.KEYWORD_ONLY)], name
        assert list(params.values())[-1].kind == inspect.Parameter.VAR_KEYWORD, name
    assert not hasattr(StudyService, "known_unit")


def test_a_plan_a_session_and_attendance_found_through_the_session():
    svc = service()
    plan = ok(svc.set_study_plan(unit_id=UNIT, **PLAN, actor=UNIT_TOKEN))
    assert plan["unit_id"] == UNIT and plan["plan_version"] == 1
    recorded = ok(svc.record_session(unit_id=UNIT, **SESSION, actor=UNIT_TOKEN))
    assert recorded["session_id"].startswith("ss-") and recorded["calendar_flags"] == []
    attended = ok(svc.record_attendance(session_id=recorded["session_id"],
                                        member_ids=["m1", "m2"], actor=UNIT_TOKEN))
    assert attended == {"session_id": recorded["session_id"], "unit_id": UNIT,
                        "member_ids": ["m1", "m2"]}
    stored = svc.storage.streams[D.unit_stream(UNIT)]
    assert [e["type"] for e in stored] == ["StudyPlanSet", "StudySessionRecorded",
                                           "StudyAttendanceRecorded"]
    assert stored[0]["actor"]["role"] == "unit"
    sheet = ok(svc.unit_study(unit_id=UNIT, actor=OFFICE))
    by_id = {m["member_id"]: m for m in sheet["members"]}
    assert by_id["m1"]["centralised_hours"] == 4 and sheet["has_plan"] is True


def test_refusals_come_back_typed_and_store_nothing():
    svc = service()
    other_unit = {**UNIT_TOKEN, "scope": "u-other"}
    answer = refused(svc.record_session(unit_id=UNIT, **SESSION, actor=other_unit),
                     403, "forbidden")
    assert answer["details"] == {"unit": UNIT, "your_unit": "u-other"}
    answer = refused(svc.record_session(unit_id=UNIT, **{**SESSION, "form": "karaoke"},
                                        actor=UNIT_TOKEN), 422, "invalid")
    assert "form" in answer["details"]["fields"]
    refused(svc.record_attendance(session_id="ss-nope", member_ids=["m1"], actor=UNIT_TOKEN),
            404, "not_found")
    refused(svc.set_study_plan(unit_id=UNIT, actor=UNIT_TOKEN), 422, "rejected")   # 四落实
    assert svc.storage.streams == {}


def test_exemptions_granted_and_revoked_with_a_reason():
    svc = service()
    ok(svc.grant_exemption(unit_id=UNIT, member_id="m4", reason="长期卧病", actor=OFFICE))
    assert ok(svc.readiness(unit_id=UNIT))["exempted"] == ["m4"]
    revoked = ok(svc.revoke_exemption(unit_id=UNIT, member_id="m4", reason="已康复",
                                      actor=OFFICE))
    assert revoked == {"unit_id": UNIT, "member_id": "m4", "revoked": True}
    refused(svc.revoke_exemption(unit_id=UNIT, member_id="m4", actor=OFFICE), 422, "invalid")
    refused(svc.grant_exemption(unit_id=UNIT, member_id="m4", reason="x",
                                actor=supervisor("g-1")), 403, "forbidden")


def test_the_units_own_group_exempts_and_the_unit_itself_never_does():
    supervision = FakeSupervision(group_id="g-1")
    svc = service(supervision)
    body = refused(svc.grant_exemption(unit_id=UNIT, member_id="m4", reason="长期卧病",
                                       actor=UNIT_TOKEN), 403, "forbidden")
    assert "never by the unit" in body["message"]
    refused(svc.grant_exemption(unit_id=UNIT, member_id="m4", reason="长期卧病",
                                actor=supervisor("g-2")), 403, "forbidden")
    assert svc.storage.streams == {}
    ok(svc.grant_exemption(unit_id=UNIT, member_id="m4", reason="长期卧病", actor=supervisor("g-1")))
    assert supervision.asked == [UNIT, UNIT]  # only a supervisor's grant asks for the group
    refused(svc.revoke_exemption(unit_id=UNIT, member_id="m4", reason="已康复", actor=UNIT_TOKEN),
            403, "forbidden")
    ok(svc.revoke_exemption(unit_id=UNIT, member_id="m4", reason="已康复", actor=supervisor("g-1")))


def test_readiness_answers_the_one_shape_for_peers():
    svc = service()
    ready = ok(svc.readiness(unit_id=UNIT))
    assert ready["unit_id"] == UNIT and ready["ready"] is False and ready["member_count"] == 4
    unknown = ok(svc.readiness(unit_id="u-unknown"))
    assert unknown["ready"] is False and unknown["member_count"] == 0
    refused(svc.readiness(), 422, "invalid")


def test_a_supervisor_reads_the_units_of_its_group_only():
    peer = FakeSupervision(group_id="g-1")
    svc = service(peer)
    assert ok(svc.unit_study(unit_id=UNIT, actor=supervisor("g-1")))["unit_id"] == UNIT
    assert peer.asked == [UNIT]
    refused(svc.unit_study(unit_id=UNIT, actor=supervisor("g-2")), 403, "forbidden")
    refused(svc.ledger(unit_id=UNIT, actor=supervisor("g-2")), 403, "forbidden")
    # whose member this is, an outsider is not told
    refused(svc.member_study(member_id="m1", actor=supervisor("g-2")), 404, "not_found")
    assert ok(svc.member_study(member_id="m1", actor=supervisor("g-1")))["unit_id"] == UNIT
    # the office and auditors read without asking supervision
    asked = len(peer.asked)
    ok(svc.unit_study(unit_id=UNIT, actor=OFFICE))
    assert len(peer.asked) == asked


@pytest.mark.parametrize("peer, says", [
    (FakeSupervision(error=UnknownService("supervision")), "not running"),
    (FakeSupervision(group_id={"ok": False, "status": 404, "error": "not_found",
                               "message": "no such unit", "details": {}}), "refused"),
])
def test_a_supervisor_read_without_supervision_is_a_503_naming_it(peer, says):
    answer = refused(service(peer).unit_study(unit_id=UNIT, actor=supervisor("g-1")),
                     503, "unavailable")
    assert says in answer["message"] and answer["details"]["service"] == "supervision"


def test_county_by_batch_text_or_number():
    log = [*standard_units_log(), registered("u2", name="县财政局", batch=2),
           enrolled("m9", "钱科长", unit_id="u2")]
    svc = service(units_log=log)
    everyone = ok(svc.county(actor=OFFICE))
    assert {r["unit_id"] for r in everyone["units"]} == {UNIT, "u2"} and everyone["floor"] == 40
    for batch in ("2", 2):
        assert [r["unit_id"] for r in ok(svc.county(batch=batch, actor=OFFICE))["units"]] == ["u2"]
    assert ok(svc.county(batch="9", actor=OFFICE))["units"] == []


def test_one_dispatch_idiom_unknown_commands_are_type_errors():
    class Unknown:
        unit_id = UNIT
    for call in (D.stream_of, D.fold_for, lambda c: D.decide(D.StudyState(), c)):
        with pytest.raises(TypeError):
            call(Unknown())
    plan = D.SetStudyPlan(unit_id=UNIT, roster=None, today="2024-02-16")
    assert D.stream_of(plan) == "study-u1" and D.fold_for(plan)([]) == D.StudyState()
    assert set(D.HANDLERS) == {D.SetStudyPlan, D.RecordStudySession, D.RecordAttendance,
                               D.GrantExemption, D.RevokeExemption, D.NoteMemberEnrolled}
