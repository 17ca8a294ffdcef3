"""The retention of the survey's respondents (issue 19 item 3): a unit notifies people by
name through the gateway; the log keeps pseudonymous ids as the sampling frame and each name
sealed with its person's key. Once the unit is accepted, the office's obligation to erase
their names shows with its due date (DUDAO_RETENTION_DAYS after acceptance) and nothing is
erased before; when the units service's clock passes it, the names are erased by themselves,
once (a restart appends nothing more), and no API answer or document holds them, while the
survey's tallies and the draw's verification are as they were and every chain verifies.

The stack runs with a retention of 1 day; the clock is moved by restarting the units service
with DUDAO_CLOCK_OFFSET=1d (no waiting)."""
from __future__ import annotations

import datetime
import json
import time
import uuid

import pytest

from assembly.stack import throwaway_stack, wait_until
from shared.eventstore import NewEvent
from tests.e2e.test_erasure import dudao, every_document, every_document_opened, holding
from tests.e2e.test_evaluation import FIXTURE_ACTOR, TODAY, Facts, cast_all

TAG = uuid.uuid4().hex[:6]
PEOPLE = [f"测评群众{c}{TAG}" for c in "甲乙丙丁戊"]
TOMORROW = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, label="e2e",
                         env={"DUDAO_RETENTION_DAYS": "1", "DUDAO_SCHEDULER_SECONDS": "1"}) as running:
        yield running


def names_held(stack) -> list[str]:
    """Where the names are, as the services read their documents (stored sealed, opened)."""
    docs = every_document_opened(stack)
    return sorted({where for name in PEOPLE for where in holding(docs, name)})


def erasures(stack, unit_id) -> list[dict]:
    return list(stack.db("units")["events"].find({"type": "RespondentNamesErased", "payload.unit_id": unit_id}))


@pytest.fixture(scope="module")
def accepted(stack):
    """A unit registered through the gateway, put in phase survey (the life cycle before it
    is appended to its log, as tests/e2e/test_evaluation.py's fixture does), that notifies
    PEOPLE through the gateway, is surveyed (passed) and passes 检查验收: accepted today."""
    office = stack.as_role("office")
    created = office.post("/units", json={"name": "保存期单位-" + TAG, "org_type": "党组", "batch": 1,
                                          "sections": ["办公室"]})
    assert created.status_code == 201, created.text
    unit_id = created.json()["unit_id"]
    group_id = "g-" + uuid.uuid4().hex[:8]
    facts = Facts(stack)
    try:
        facts.enter(unit_id, "survey")
        facts.supervision.append(f"group-{group_id}", None, [
            NewEvent("UnitAssigned", {"group_id": group_id, "unit_id": unit_id, "over_soft_limit": False,
                                      "unit_count": 1, "soft_limit": 10, "assigned_on": TODAY}),
            NewEvent("GroupArrived", {"group_id": group_id, "unit_id": unit_id, "date": TODAY, "deadline": None,
                                      "late": False, "meeting_date": None, "tasks": []})], actor=FIXTURE_ACTOR)
    finally:
        facts.client.close()
    unit = stack.as_role("unit", scope=unit_id)
    notified = unit.post(f"/units/{unit_id}/notifications",
                         json={"scope": PEOPLE, "rectification_status": "整改措施全部落实"})
    assert notified.status_code == 201, notified.text
    sup = stack.as_role("supervisor", scope=group_id)

    def opened():
        answer = sup.post("/surveys", json={"unit_id": unit_id, "sample_size": len(PEOPLE)})
        return answer if answer.status_code == 201 else None
    survey_id = wait_until(opened, timeout=30, message="evaluation to open the survey").json()["survey_id"]
    drawn = sup.post(f"/surveys/{survey_id}/draw", json={})
    assert drawn.status_code == 201, drawn.text
    survey = {"survey_id": survey_id, "drawn": drawn.json()}
    cast_all(stack, survey, [("satisfied", "satisfied")] * len(PEOPLE))
    closed = sup.post(f"/surveys/{survey_id}/close", json={})
    assert closed.status_code == 200, closed.text

    def inspected():
        answer = sup.post(f"/units/{unit_id}/acceptance-inspections",
                          json={"result": "pass", "notes": "成果扎实", "date": TODAY})
        return answer if answer.status_code == 201 else None
    wait_until(inspected, timeout=30, message="evaluation to record the inspection")
    wait_until(lambda: stack.db("units")["units_retention"].find_one({"_id": unit_id, "accepted_on": TODAY}),
               timeout=30, message="the unit to be accepted")
    return {"unit_id": unit_id, "group_id": group_id, "survey_id": survey_id, "drawn": drawn.json()}


def answers(stack, accepted) -> dict:
    office, auditor = stack.as_role("office"), stack.as_role("auditor")
    out = {"survey": office.get(f"/surveys/{accepted['survey_id']}"),
           "verification": auditor.get(f"/surveys/{accepted['survey_id']}/verification"),
           "card": office.get(f"/units/{accepted['unit_id']}"),
           "evaluation": office.get(f"/units/{accepted['unit_id']}/evaluation")}
    for name, response in out.items():
        assert response.status_code == 200, (name, response.text)
    return {name: response.json() for name, response in out.items()}


def obligation(stack, unit_id) -> dict:
    listed = stack.as_role("office").get("/obligations", params={"unit_id": unit_id, "type": "respondent_erasure"})
    assert listed.status_code == 200, listed.text
    [found] = listed.json()
    return found


def test_the_office_sees_it_coming_on_its_obligations_page(stack, accepted):
    from tests.e2e.test_dashboard import DESKTOP, PHONE, browse, session
    oid = f"{accepted['unit_id']}:respondent_erasure"
    row = f"#obligations tbody tr[data-obligation='{oid}']"
    steps = [{"goto": "/dashboard/obligations?status=open&type=respondent_erasure", "charts": False},
             {"text": ["row", row]}, {"text": ["due", f"{row} [data-field='due']"]}]
    desktop, phone = browse(stack, session(stack.token("office"), *steps, {"shot": "retention-desktop"},
                                           viewport=DESKTOP),
                            session(stack.token("office"), *steps, {"shot": "retention-phone"},
                                    viewport=PHONE, mobile=True))
    for seen in (desktop, phone):
        assert "删除测评群众姓名" in seen["row"] and "待完成" in seen["row"]
        assert seen["due"].strip() == TOMORROW
    assert "活动办" in desktop["row"]  # who owes it (a column the phone's width leaves out)


def test_the_frame_is_pseudonymous_and_the_names_are_sealed(stack, accepted):
    ballots = accepted["drawn"]["ballots"]
    assert sorted(b["name"] for b in ballots) == sorted(PEOPLE)  # the printed slips name them
    assert all(b["person"].startswith("r-") for b in ballots)
    assert accepted["drawn"]["sample"] == [b["person"] for b in ballots]
    logs = {w: d for w, d in every_document(stack).items() if w.endswith(".events")}
    assert [n for n in PEOPLE if holding(logs, n)] == []  # no log holds a name
    opened = stack.db("evaluation")["events"].find_one({"type": "SurveyOpened",
                                                        "payload.survey_id": accepted["survey_id"]})
    assert sorted(opened["payload"]["frame"]) == sorted(b["person"] for b in ballots)
    keys = stack.db("units")["personal_keys"]
    assert all(keys.find_one({"_id": b["person"]})["key"] is not None for b in ballots)


def test_the_obligation_shows_before_and_nothing_is_erased_before_it_is_due(stack, accepted):
    found = obligation(stack, accepted["unit_id"])
    assert (found["owed_by"], found["due"], found["status"], found["met_on"]) == \
        ("office", TOMORROW, "open", None)
    time.sleep(3)  # the retention's timer ticks every second: not yet due, nothing happens
    assert erasures(stack, accepted["unit_id"]) == []
    assert names_held(stack) != []  # the names are still where the service shows them


def test_once_due_the_names_are_erased_by_themselves_once(stack, accepted):
    before = answers(stack, accepted)
    unit_id = accepted["unit_id"]
    stack.stop("units")
    stack.start("units", DUDAO_CLOCK_OFFSET="1d")  # the units service's clock: tomorrow
    stack.wait_healthy()
    wait_until(lambda: erasures(stack, unit_id), timeout=30, message="the retention to erase the names")
    [erased] = erasures(stack, unit_id)
    assert set(erased["payload"]) == {"unit_id", "subject_ids", "accepted_on", "retention_days", "due", "erased_on"}
    assert erased["payload"]["due"] == TOMORROW and erased["payload"]["retention_days"] == 1
    assert erased["actor"]["role"] == "system"
    people = sorted(b["person"] for b in accepted["drawn"]["ballots"])
    assert sorted(erased["payload"]["subject_ids"]) == people
    keys = stack.db("units")["personal_keys"]
    assert all(keys.find_one({"_id": p})["key"] is None for p in people)

    wait_until(lambda: not names_held(stack), timeout=30, message="every projection to forget the names")
    wait_until(lambda: obligation(stack, unit_id)["status"] == "met_on_time", timeout=30,
               message="the office's obligation to be met")
    after = answers(stack, accepted)
    assert not [n for n in PEOPLE if n in json.dumps(after, ensure_ascii=False)]
    assert after["survey"] == before["survey"]
    assert after["verification"] == before["verification"]
    assert after["verification"]["ok"] is True
    facts = stack.db("evaluation")["evaluation_unit_facts"].find_one({"_id": unit_id})
    assert {r["person_id"]: r["name"] for r in facts["respondents"]} == dict.fromkeys(people, "已删除")

    # a restart (and every tick since) appends nothing more
    stack.stop("units")
    stack.start("units", DUDAO_CLOCK_OFFSET="1d")
    stack.wait_healthy()
    time.sleep(3)
    assert len(erasures(stack, unit_id)) == 1


def test_verify_and_rebuild_after_the_retention(stack, accepted):
    verified = dudao(stack, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rebuilt = dudao(stack, "audit", "rebuild", "--all", "--json", "--quiet")
    report = json.loads(rebuilt.stdout)
    assert report["verified"], rebuilt.stdout
    assert all(not r["errors"] for r in report["services"].values())
    # evaluation saw every event it follows: its rebuild is its live read models, 已删除 included
    assert report["services"]["evaluation"]["identical"], report["services"]["evaluation"]
    # what the fixture appended straight into the units and supervision logs, no live
    # projection of theirs saw; anything else differing would be ours
    differing = {doc_id for service in ("units", "supervision")
                 for c in report["services"][service]["collections"].values()
                 for doc_id in [*c["missing"], *c["extra"], *(d["_id"] for d in c["differing"])]}
    assert differing <= {accepted["unit_id"], accepted["group_id"]}, differing
    assert names_held(stack) == []
