"""A roster import's run of MemberEnrolled reaching the study service (issue 17 item 3): the
inbox hands a run of them to the reaction at once (``on_member_enrolled.run``), against the
real server. What it records and leaves in the read models is what one event at a time
records and leaves, a floor reached before the import included; and with real processes,
every member reaches study exactly once though study is killed inside a run's transaction
and restarted."""
from __future__ import annotations

import dataclasses
import uuid

import pytest

from assembly.stack import wait_until
from services.study import domain as D
from services.study import handlers as H
from services.study.service import WIRING
from services.units.roster_workbook import rows_workbook
from shared.eventstore import MemoryEventStore, NewEvent
from shared.service_kit import Storage, Wiring
from tests import faults
from tests.unit.study.helpers import OFFICE, UNIT, run, session_cmd, standard_roster

ACTOR = {"id": "o", "name": "office", "role": "office", "scope": None}
WEEK = [f"2024-02-{d}" for d in range(16, 21)]  # five 8-学时 lectures: the 40-学时 floor
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECTIONS = ["领导班子", "综合科", "人事科"]
STUDY_COLLECTIONS = ("study_rosters", "study_units", "study_members", "unit_directory")


def units_log(members: int) -> MemoryEventStore:
    """The standard unit (four members), then in one append m2 enrolled again (study folds it
    as a new version of the member, and it changes no floor: so the first event of a run is
    not always the one that lapses it) and ``members`` newcomers."""
    store = MemoryEventStore("units")
    store.append(f"unit-{UNIT}", None, [
        NewEvent("UnitRegistered", {"unit_id": UNIT, "name": "县委办公室", "org_type": "党支部",
                                    "batch": 1}),
        *[NewEvent("MemberEnrolled", {"unit_id": UNIT, "member_id": m, "name": n, "section": "秘书科",
                                      "is_leader": m == "m1", "is_retired": m == "m4"})
          for m, n in (("m1", "张主任"), ("m2", "李科长"), ("m3", "王干事"), ("m4", "赵老"))],
        NewEvent("StudyGroupFormed", {"unit_id": UNIT, "study_group_id": "g1", "section": "秘书科",
                                      "leader_member_id": "m1", "member_ids": ["m1", "m2", "m3", "m4"]}),
        NewEvent("MobilizationMeetingScheduled", {"unit_id": UNIT, "date": "2024-02-14"}),
    ], actor=ACTOR)
    store.append(f"unit-{UNIT}", 7, [
        NewEvent("MemberEnrolled", {"unit_id": UNIT, "member_id": "m2", "name": "李科长", "section": "综合科",
                                    "is_leader": False, "is_retired": False}),
        *[NewEvent("MemberEnrolled", {"unit_id": UNIT, "member_id": f"n{i:03d}", "name": f"新同志{i}",
                                    "section": "秘书科", "is_leader": False, "is_retired": False})
          for i in range(members)]], actor=ACTOR)
    return store


def floor_reached_events() -> list:
    """Every standard member at five 8-学时 lectures: the floor reached."""
    events, state = [], D.StudyState()
    for i, date in enumerate(WEEK):
        new, state = run(state, session_cmd(f"s{i}", date=date, hours=8, today=date))
        events += new
    for i in range(len(WEEK)):
        new, state = run(state, D.RecordAttendance(unit_id=UNIT, session_id=f"s{i}",
                                                   member_ids=("m1", "m2", "m3", "m4"),
                                                   roster=standard_roster(), today="2024-03-01"))
        events += new
    assert events[-1].type == "StudyFloorReached"
    return events


@pytest.fixture
def storages(mongo_uri, db_prefix):
    made = []

    def make(name: str, wiring: Wiring = WIRING) -> Storage:
        storage = Storage(wiring, mongo_uri, f"{db_prefix}_{name}")
        storage.ensure_ready()
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


def one_at_a_time() -> Wiring:
    """The study service's wiring with the reaction as it was before runs: a plain function,
    so the inbox applies each enrolment to the projections and then reacts to it alone."""
    def reaction(ctx, env):
        return H.on_member_enrolled(ctx, env)
    assert not hasattr(reaction, "run")
    return dataclasses.replace(WIRING, reactions={"units": {"MemberEnrolled": reaction}})


def study_of(storage: Storage) -> dict:
    """The unit's study log (what each event says and which units event caused it) and the
    read models fed by the units log."""
    log = [(e["type"], e["payload"], e["causation_id"]) for e in storage.store.read_stream(D.unit_stream(UNIT))]
    # opened: each database seals personal data at rest with keys of its own
    models = {name: {d["_id"]: d for d in storage.vault.opened(list(storage.db[name].find()))}
              for name in STUDY_COLLECTIONS}
    return {"log": log, "models": models, "checkpoint": storage.inbox.checkpoint("units")}


@pytest.mark.parametrize("floor_reached", [False, True], ids=["floor-not-reached", "floor-reached"])
def test_a_run_of_enrolments_reacts_as_one_event_at_a_time_would(storages, monkeypatch, floor_reached):
    source = units_log(70)
    fetch = lambda _source, after, limit: source.events_since(after, limit)  # noqa: E731
    together, alone = storages("together"), storages("alone", one_at_a_time())
    for storage in (together, alone):
        if floor_reached:
            storage.store.append(D.unit_stream(UNIT), 0, floor_reached_events(), actor=OFFICE.to_dict())
    runs = []
    whole_run = H.on_member_enrolled.run
    monkeypatch.setattr(H.on_member_enrolled, "run", lambda ctx, envs: runs.append(len(envs)) or whole_run(ctx, envs))
    assert together.inbox.catch_up("units", fetch) == 78  # in the inbox's runs (MAX_RUN)
    assert alone.inbox.catch_up("units", fetch) == 78
    # the runs' enrolments went to the reaction at once: [m1-m4], [m2, n000-n023], [n024-n055], ...
    assert runs == [4, 25, 32, 14]
    got, expected = study_of(together), study_of(alone)
    assert got == expected
    assert got["checkpoint"] == 78
    assert len(got["models"]["study_rosters"][UNIT]["members"]) == 74
    assert got["models"]["unit_directory"][UNIT]["events_applied"] == 78
    lapses = [entry for entry in got["log"] if entry[0] == "StudyFloorLapsed"]
    if floor_reached:  # once, by the first newcomer, with that enrolment as its cause
        first = source.events_since(8, 1)[0]
        assert first["payload"]["member_id"] == "n000"
        assert [(p["members_below"], cause) for _, p, cause in lapses] == [(["n000"], first["event_id"])]
    else:
        assert lapses == []


# ------------------------------------------------------------------ with real processes

def roster_file(n: int) -> bytes:
    return rows_workbook([{"姓名": f"党员{i:04d}", "所在科室/支部": SECTIONS[i % 3], "是否班子成员": "否",
                           "是否离退休": "否"} for i in range(n)])


def test_a_bulk_enrolment_reaches_study_once_per_member_though_study_dies_mid_run(make_stack):
    """300 members in one append; study dies (SIGKILL) inside the transaction of its second
    inbox run holding enrolments, before the commit, and is started again without the
    fault: every member is in study's roster and member records once, every units event of
    the unit was applied once (the unit directory counts them), nothing parked."""
    members = 300
    stack = make_stack()
    stack.start_all()
    stack.stop("study")
    stack.start("study", command=faults.command("kill-in-inbox-run=MemberEnrolled:2"))
    stack.wait_healthy()
    office = stack.as_role("office")
    r = office.post("/units", json={"name": "单位" + uuid.uuid4().hex[:6], "org_type": "党组", "batch": 1,
                                    "sections": SECTIONS})
    assert r.status_code == 201, r.text
    unit_id = r.json()["unit_id"]
    study = stack.db("study")
    wait_until(lambda: study["study_rosters"].find_one({"_id": unit_id}), message="study to learn of the unit")
    answer = stack.request("POST", f"/units/{unit_id}/roster", stack.token("unit", scope=unit_id),
                           files={"file": ("名册.xlsx", roster_file(members), XLSX)}, timeout=120)
    assert answer.status_code == 201, answer.text
    assert answer.json()["enrolled"] == members
    wait_until(lambda: stack.processes["study"].poll() is not None, timeout=120,
               message="study to die inside an inbox run")
    assert stack.processes["study"].returncode == -9
    mid_run = len((study["study_rosters"].find_one({"_id": unit_id}) or {}).get("members", []))
    assert 0 < mid_run < members, "died mid-import: some enrolments applied, not all"

    stack.kill("study")
    stack.start("study")
    units_events = stack.db("units")["events"].count_documents({"payload.unit_id": unit_id})
    head = stack.db("units")["events"].find_one(sort=[("_id", -1)])["_id"]

    def caught_up():
        return (study["inbox_checkpoints"].find_one({"_id": "units"}) or {}).get("position", 0) >= head

    wait_until(caught_up, timeout=180, message="study to catch up with the units log")
    roster = [m["member_id"] for m in study["study_rosters"].find_one({"_id": unit_id})["members"]]
    assert len(roster) == len(set(roster)) == members
    assert sorted(roster) == sorted(answer.json()["member_ids"])
    assert study["study_members"].count_documents({"unit_id": unit_id}) == members
    units_doc = study["study_units"].find_one({"_id": unit_id})
    assert len(units_doc["basis"]["roster"]["members"]) == members
    assert study["unit_directory"].find_one({"_id": unit_id})["events_applied"] == units_events
    assert study["parked_events"].count_documents({}) == 0
    evaluation = stack.db("evaluation")
    wait_until(lambda: (evaluation["inbox_checkpoints"].find_one({"_id": "units"}) or {}).get(
        "position", 0) >= head, timeout=180, message="evaluation to catch up")
    facts = evaluation["evaluation_unit_facts"].find_one({"_id": unit_id})
    assert len({m["member_id"] for m in facts["members"]}) == len(facts["members"]) == members
