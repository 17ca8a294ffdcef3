"""Evaluation end to end, through the gateway: the satisfaction survey (R12), the
phase-2 records (R22, R23), acceptance inspection (R13) and the read models.

Getting a unit to phase "survey" through the real units + supervision phase gate is
tested by those services; here the facts evaluation needs are real events appended to
the units and supervision services' own logs (UnitRegistered, MemberEnrolled,
PhaseEntered, PublicNotified, UnitAssigned), which those running services then relay
and serve through events_since like any of their own events.
"""
from __future__ import annotations

import datetime
import uuid

import pytest
from pymongo import MongoClient

from assembly.stack import wait_until
from services.evaluation.domain import verify_survey_log
from services.evaluation.domain.hashing import sha256_hex
from shared.edge import unwrap
from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore

FIXTURE_ACTOR = {"id": "e2e-fixture", "name": "e2e fixture", "role": "system", "scope": None}
TODAY = datetime.date.today().isoformat()
RECTIFIED = "整改措施全部落实，群众反映的问题已解决"


class Facts:
    """Appends real events to the units and supervision logs (see module docstring)."""

    def __init__(self, stack):
        self.stack = stack
        self.client = MongoClient(stack.mongo_uri)
        self.units = MongoEventStore("units", self.client, f"{stack.db_prefix}_units")
        self.supervision = MongoEventStore("supervision", self.client,
                                           f"{stack.db_prefix}_supervision")

    def _units(self, unit_id, *events):
        self.units.append(f"unit-{unit_id}", None, [NewEvent(t, p) for t, p in events],
                          actor=FIXTURE_ACTOR)

    def unit(self, *, phase: str, people: int = 10, group_id: str | None = None,
             leaders=("L1",), members=("M1",), arrived: bool = True,
             notified_in: str | None = None, rectification_status: str = RECTIFIED) -> dict:
        unit_id = "u-" + uuid.uuid4().hex[:12]
        group_id = group_id or "g-" + uuid.uuid4().hex[:8]
        scope = [f"{unit_id}-person-{i:02d}" for i in range(people)]
        enrolments = [("MemberEnrolled", {"unit_id": unit_id, "member_id": m, "name": m,
                                          "section": "office", "is_leader": m in leaders,
                                          "is_retired": False})
                      for m in (*leaders, *members)]
        self._units(unit_id,
                    ("UnitRegistered", {"unit_id": unit_id, "name": f"unit {unit_id}",
                                        "org_type": "党委", "batch": 1, "sections": ["office"],
                                        "deadlines": {}}),
                    *enrolments)
        # the notification framing the survey is made in the unit's phase (so in phase survey,
        # once it is there) and states the rectification status, as the survey's gate asks
        if notified_in is not None:
            self.notify(unit_id, scope, notified_in, rectification_status)
        self.enter(unit_id, phase)
        if notified_in is None:
            self.notify(unit_id, scope, phase, rectification_status)
        # the group is assigned and (unless told otherwise) has arrived: a survey needs it there
        supervised = [NewEvent("UnitAssigned", {
            "group_id": group_id, "unit_id": unit_id, "over_soft_limit": False, "unit_count": 1,
            "soft_limit": 10, "assigned_on": TODAY})]
        if arrived:
            supervised.append(NewEvent("GroupArrived", {
                "group_id": group_id, "unit_id": unit_id, "date": TODAY, "deadline": None,
                "late": False, "meeting_date": None, "tasks": []}))
        self.supervision.append(f"group-{group_id}", None, supervised, actor=FIXTURE_ACTOR)
        db = self.stack.db("evaluation")
        known = {"_id": unit_id, "group_id": group_id, "arrived_on": TODAY if arrived else None}
        wait_until(lambda: (db["evaluation_unit_facts"].find_one(
            {"_id": unit_id, "phase": phase, "latest_notification": {"$ne": None}})
            and db["evaluation_unit_groups"].find_one(known)),
            30, message=f"evaluation to learn unit {unit_id}'s facts")
        return {"unit_id": unit_id, "group_id": group_id, "scope": scope}

    def notify(self, unit_id: str, scope: list, phase: str, rectification_status: str = RECTIFIED,
               notification_id: str | None = None) -> None:
        self._units(unit_id, ("PublicNotified", {
            "unit_id": unit_id, "notification_id": notification_id or "n-" + unit_id, "scope": scope,
            "date": TODAY, "phase": phase, "rectification_status": rectification_status}))

    def enter(self, unit_id: str, phase: str, wait: bool = False) -> None:
        self._units(unit_id, ("PhaseEntered", {"unit_id": unit_id, "phase": phase,
                                               "previous_phase": "rectification", "deadline": None,
                                               "reason": "e2e fixture", "entered_on": TODAY}))
        if wait:
            db = self.stack.db("evaluation")
            wait_until(lambda: db["evaluation_unit_facts"].find_one({"_id": unit_id, "phase": phase}),
                       30, message=f"unit {unit_id} in phase {phase}")


@pytest.fixture(scope="module")
def facts(stack):
    f = Facts(stack)
    yield f
    f.client.close()


def events(stack):
    return stack.db("evaluation")["events"]


def count(stack) -> int:
    return events(stack).count_documents({})


def assert_refused(stack, response, status: int, error: str | None = None, says: str = ""):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    if error:
        assert body["error"] == error, body
    assert says.lower() in body["message"].lower(), body
    return body


def open_and_draw(stack, unit, sample_size: int, entropy: str = "") -> dict:
    sup = stack.as_role("supervisor", scope=unit["group_id"])
    opened = sup.post("/surveys", json={"unit_id": unit["unit_id"], "sample_size": sample_size})
    assert opened.status_code == 201, opened.text
    survey_id = opened.json()["survey_id"]
    drawn = sup.post(f"/surveys/{survey_id}/draw", json={"public_entropy": entropy})
    assert drawn.status_code == 201, drawn.text
    return {"survey_id": survey_id, "opened": opened.json(), "drawn": drawn.json(), "sup": sup}


def vote(stack, survey_id: str, token: str, leadership: str, campaign: str):
    # a respondent token casts one ballot (the gateway holds it to that): one each
    respondent = stack.as_role("respondent", scope=survey_id, name=f"respondent {uuid.uuid4().hex[:8]}")
    return respondent.post("/ballots", json={"token": token,
                                             "ratings": {"leadership": leadership,
                                                         "campaign": campaign}})


def cast_all(stack, survey, ratings):
    for ballot, (leadership, campaign) in zip(survey["drawn"]["ballots"], ratings):
        r = vote(stack, survey["survey_id"], ballot["token"], leadership, campaign)
        assert r.status_code == 201, r.text


# ---------------------------------------------------------------- the survey

def test_a_survey_passes_and_its_sample_can_be_recomputed_from_the_log(stack, facts):
    unit = facts.unit(phase="survey", people=6)
    sup = stack.as_role("supervisor", scope=unit["group_id"])
    opened = sup.post("/surveys", json={"unit_id": unit["unit_id"], "sample_size": 6})
    assert opened.status_code == 201, opened.text
    survey_id, seed_hash = opened.json()["survey_id"], opened.json()["seed_hash"]
    assert opened.json()["frame_size"] == 6

    # before the draw the public view shows the commitment and frozen frame, never the seed
    public = stack.as_role("office").get(f"/surveys/{survey_id}").json()
    assert public["status"] == "open" and public["seed_hash"] == seed_hash
    assert public["audit"]["seed"] is None
    assert sorted(public["audit"]["frame"]) == sorted(unit["scope"])
    [opened_env] = list(events(stack).find({"type": "SurveyOpened", "payload.survey_id": survey_id}))
    assert "seed" not in opened_env["payload"]

    drawn = sup.post(f"/surveys/{survey_id}/draw", json={"public_entropy": "dice 3-5-1"})
    assert drawn.status_code == 201, drawn.text
    draw = drawn.json()
    assert sha256_hex(draw["seed"]) == seed_hash
    assert len(draw["sample"]) == 6 and set(draw["sample"]) <= set(unit["scope"])
    assert [b["person"] for b in draw["ballots"]] == draw["sample"]
    tokens = [b["token"] for b in draw["ballots"]]
    assert len(set(tokens)) == 6

    # the log holds only the tokens' hashes, sorted, never a token and never a pairing
    # (issue 19: in SlipsIssued, an event apart from the sample in SampleDrawn)
    [slips_env] = list(events(stack).find({"type": "SlipsIssued", "payload.survey_id": survey_id}))
    assert slips_env["payload"]["token_hashes"] == sorted(sha256_hex(t) for t in tokens)
    raw = str(list(events(stack).find({}, {"_id": 0})))
    assert not any(t in raw for t in tokens)

    # the sample recomputed from the stored events alone matches the one drawn
    check = verify_survey_log(events(stack).find({}).sort("position", 1), survey_id)
    assert check["ok"], check
    assert check["expected_sample"] == draw["sample"]
    served = stack.as_role("auditor").get(f"/surveys/{survey_id}/verification")
    assert served.status_code == 200 and served.json()["ok"] is True
    assert served.json()["expected_sample"] == draw["sample"]

    cast_all(stack, {"survey_id": survey_id, "drawn": draw},
             [("satisfied", "satisfied")] * 3 + [("basically_satisfied", "satisfied")] * 2
             + [("dissatisfied", "basically_satisfied")])
    ballots = list(events(stack).find({"type": "BallotCast", "payload.survey_id": survey_id}))
    assert len(ballots) == 6
    for env in ballots:  # anonymous: neither the respondent's identity nor a person
        assert env["actor"] == {"id": "anonymous", "name": "anonymous", "role": "respondent",
                                "scope": survey_id}
        assert set(env["payload"]) == {"survey_id", "unit_id", "token_hash", "leadership", "campaign"}

    closed = sup.post(f"/surveys/{survey_id}/close", json={})
    assert closed.status_code == 200, closed.text
    assert closed.json()["passed"] is True and closed.json()["outcome"] == "SurveyPassed"
    assert events(stack).count_documents({"type": "SurveyPassed", "payload.survey_id": survey_id}) == 1

    result = wait_until(lambda: (lambda d: d if d["status"] == "closed" else None)(
        stack.as_role("respondent", scope=survey_id, name="anyone").get(f"/surveys/{survey_id}").json()),
        10, message="public result")
    assert result["outcome"] == "passed"
    assert result["result"]["leadership"]["share"]["numerator"] == 5
    assert result["result"]["leadership"]["share"]["denominator"] == 6
    assert result["result"]["turnout"]["numerator"] == 6
    assert "ci" in result["result"]["leadership"]
    assert result["result"]["satisfied_means"] == ["satisfied", "basically_satisfied"]
    assert result["audit"]["seed"] == draw["seed"] and result["audit"]["verification"]["ok"]

    history = stack.as_role("unit", scope=unit["unit_id"]).get(f"/units/{unit['unit_id']}/evaluation")
    assert history.status_code == 200, history.text
    assert [s["outcome"] for s in history.json()["surveys"]] == ["passed"]
    table = stack.as_role("office").get("/evaluation/county").json()
    [row] = [r for r in table if r["unit_id"] == unit["unit_id"]]
    assert row["status"] == "passed" and row["name"] == f"unit {unit['unit_id']}"

    # R13: acceptance inspection follows the passed survey, once
    other_group = stack.as_role("supervisor", scope="g-other")
    before = count(stack)
    r = other_group.post(f"/units/{unit['unit_id']}/acceptance-inspections",
                         json={"result": "pass", "date": TODAY})
    assert_refused(stack, r, 403, "forbidden", "supervision group")
    assert count(stack) == before
    r = sup.post(f"/units/{unit['unit_id']}/acceptance-inspections",
                 json={"result": "pass", "notes": "checked", "date": TODAY})
    assert r.status_code == 201, r.text
    assert r.json()["survey_id"] == survey_id
    before = count(stack)
    r = stack.as_role("office").post(f"/units/{unit['unit_id']}/acceptance-inspections",
                                     json={"result": "pass", "date": TODAY})
    assert_refused(stack, r, 409, "conflict", "already passed acceptance")
    assert count(stack) == before


def test_exactly_two_thirds_passes(stack, facts):
    unit = facts.unit(phase="survey", people=3)
    survey = open_and_draw(stack, unit, 3)
    cast_all(stack, survey, [("satisfied", "basically_satisfied"),
                             ("basically_satisfied", "satisfied"),
                             ("dissatisfied", "dissatisfied")])
    closed = survey["sup"].post(f"/surveys/{survey['survey_id']}/close", json={})
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["passed"] is True and body["outcome"] == "SurveyPassed"
    for target in ("leadership", "campaign"):
        share = body["result"][target]["share"]
        assert (share["numerator"], share["denominator"]) == (2, 3)
        assert body["result"][target]["passed"] is True


def test_below_two_thirds_fails_emits_survey_failed_and_a_new_survey_follows(stack, facts):
    unit = facts.unit(phase="survey", people=4)
    survey = open_and_draw(stack, unit, 4)
    # leadership 3/4 passes, campaign 2/4 < 2/3 fails: the survey fails
    cast_all(stack, survey, [("satisfied", "satisfied"), ("satisfied", "basically_satisfied"),
                             ("basically_satisfied", "dissatisfied"),
                             ("dissatisfied", "dissatisfied")])
    closed = survey["sup"].post(f"/surveys/{survey['survey_id']}/close", json={})
    assert closed.status_code == 200, closed.text
    assert closed.json()["passed"] is False and closed.json()["outcome"] == "SurveyFailed"
    [failed] = list(events(stack).find({"type": "SurveyFailed",
                                        "payload.survey_id": survey["survey_id"]}))
    assert failed["payload"]["failed_targets"] == ["campaign"]
    assert failed["payload"]["unit_id"] == unit["unit_id"]
    assert failed["payload"]["campaign_exact"] == {"numerator": 2, "denominator": 4, "value": 0.5}

    # the same round cannot be surveyed again: 补课 first, then phase survey again
    before = count(stack)
    r = survey["sup"].post("/surveys", json={"unit_id": unit["unit_id"], "sample_size": 3})
    assert_refused(stack, r, 409, "conflict")
    assert count(stack) == before

    facts.enter(unit["unit_id"], "remedial")
    facts.enter(unit["unit_id"], "survey", wait=True)
    wait_until(lambda: stack.db("evaluation")["evaluation_unit_facts"].find_one(
        {"_id": unit["unit_id"], "survey_round": {"$gte": 2}, "phase": "survey"}), 30,
        message="second survey round")
    # after 补课 the unit notifies again, in phase survey: a scope of 3, sampled whole
    facts.notify(unit["unit_id"], unit["scope"][:3], "survey", notification_id="n2-" + unit["unit_id"])
    wait_until(lambda: stack.db("evaluation")["evaluation_unit_facts"].find_one(
        {"_id": unit["unit_id"], "latest_notification.survey_round": 2}), 30,
        message="the second round's notification")
    second = open_and_draw(stack, unit, 3)
    cast_all(stack, second, [("satisfied", "satisfied")] * 3)
    assert second["sup"].post(f"/surveys/{second['survey_id']}/close", json={}).json()["passed"]

    history = stack.as_role("office").get(f"/units/{unit['unit_id']}/evaluation").json()
    wait_until(lambda: [s["outcome"] for s in stack.as_role("office").get(
        f"/units/{unit['unit_id']}/evaluation").json()["surveys"]] == ["failed", "passed"], 10,
        message="history keeps both surveys")
    table = stack.as_role("office").get("/evaluation/county").json()
    [row] = [r for r in table if r["unit_id"] == unit["unit_id"]]
    assert (row["status"], row["surveys_held"], row["failed_surveys"]) == ("passed", 2, 1)
    assert history["unit_id"] == unit["unit_id"]


# ---------------------------------------------------------------- refusals

def test_survey_refusals_store_nothing(stack, facts):
    unit = facts.unit(phase="survey", people=6)
    other = facts.unit(phase="survey", people=6)
    sup = stack.as_role("supervisor", scope=unit["group_id"])

    def refused(response, status, error=None, says=""):
        before = count(stack)
        body = assert_refused(stack, response, status, error, says)
        assert count(stack) == before
        return body

    before = count(stack)
    # a sample larger than the frame; another group's supervisor; not a supervisor
    r = sup.post("/surveys", json={"unit_id": unit["unit_id"], "sample_size": 7})
    assert_refused(stack, r, 422, "rejected", "larger than the notified scope")
    r = stack.as_role("supervisor", scope=other["group_id"]).post(
        "/surveys", json={"unit_id": unit["unit_id"], "sample_size": 3})
    assert_refused(stack, r, 403, "forbidden", "supervision group")
    r = stack.as_role("office").post("/surveys", json={"unit_id": unit["unit_id"], "sample_size": 3})
    assert_refused(stack, r, 403, "forbidden")
    r = sup.post("/surveys", json={"unit_id": unit["unit_id"], "sample_size": "3"})
    assert_refused(stack, r, 422, "invalid")
    # a draw before the commit: no survey was opened, so no seed is committed
    r = sup.post(f"/surveys/s-{uuid.uuid4().hex[:12]}/draw", json={})
    assert_refused(stack, r, 404, "not_found", "no seed is committed")
    assert count(stack) == before
    assert stack.db("evaluation")["sealed_seeds"].count_documents({"unit_id": unit["unit_id"]}) == 0

    a = open_and_draw(stack, unit, 6)
    b = open_and_draw(stack, other, 6)
    # a second draw
    refused(sup.post(f"/surveys/{a['survey_id']}/draw", json={}), 409, "conflict", "second draw")
    # another group may not close it
    refused(stack.as_role("supervisor", scope=other["group_id"]).post(
        f"/surveys/{a['survey_id']}/close", json={}), 403, "forbidden")

    tokens = [t["token"] for t in a["drawn"]["ballots"]]
    # a missing rating, an unknown rating, an unknown target, no ratings at all
    refused(stack.as_role("respondent", scope=a["survey_id"]).post(
        "/ballots", json={"token": tokens[0], "ratings": {"leadership": "satisfied"}}),
        422, "invalid")
    refused(vote(stack, a["survey_id"], tokens[0], "satisfied", "very_happy"), 422, "invalid")
    refused(stack.as_role("respondent", scope=a["survey_id"]).post(
        "/ballots", json={"token": tokens[0], "ratings": {"leadership": "satisfied",
                                                          "campaign": "satisfied",
                                                          "weather": "satisfied"}}),
        422, "invalid")
    refused(stack.as_role("respondent", scope=a["survey_id"]).post("/ballots", json={"token": tokens[0]}),
            422, "invalid")
    # a token from another survey
    refused(vote(stack, a["survey_id"], b["drawn"]["ballots"][0]["token"], "satisfied", "satisfied"),
            403, "forbidden", "issued for survey")
    # a token nobody issued
    refused(vote(stack, a["survey_id"], "not-a-real-token-" + uuid.uuid4().hex, "satisfied",
                 "satisfied"), 403, "forbidden", "not issued")
    # only respondents cast ballots
    refused(stack.as_role("office").post("/ballots", json={
        "token": tokens[0], "ratings": {"leadership": "satisfied", "campaign": "satisfied"}}),
        403, "forbidden")

    # a reused token
    assert vote(stack, a["survey_id"], tokens[0], "satisfied", "satisfied").status_code == 201
    refused(vote(stack, a["survey_id"], tokens[0], "dissatisfied", "dissatisfied"), 409, "conflict",
            "already been used")

    # a ballot after close
    assert sup.post(f"/surveys/{a['survey_id']}/close", json={}).status_code == 200
    refused(vote(stack, a["survey_id"], tokens[1], "satisfied", "satisfied"), 409, "conflict",
            "closed")
    refused(sup.post(f"/surveys/{a['survey_id']}/close", json={}), 409, "conflict", "already closed")
    refused(sup.post(f"/surveys/{a['survey_id']}/draw", json={}), 409, "conflict")

    # closing a survey that was never drawn
    third = facts.unit(phase="survey", people=3)
    sup3 = stack.as_role("supervisor", scope=third["group_id"])
    opened = sup3.post("/surveys", json={"unit_id": third["unit_id"], "sample_size": 3}).json()
    refused(sup3.post(f"/surveys/{opened['survey_id']}/close", json={}), 409, "conflict",
            "not been drawn")
    # a second survey while one is open
    refused(sup3.post("/surveys", json={"unit_id": third["unit_id"], "sample_size": 3}), 409,
            "conflict", "still open")


def test_a_survey_opens_only_in_phase_survey_and_only_for_the_units_group(stack, facts):
    unit = facts.unit(phase="rectification")
    before = count(stack)
    r = stack.as_role("supervisor", scope=unit["group_id"]).post(
        "/surveys", json={"unit_id": unit["unit_id"], "sample_size": 2})
    assert_refused(stack, r, 409, "conflict", "phase")
    r = stack.as_role("supervisor", scope=unit["group_id"]).post(
        "/surveys", json={"unit_id": "u-nobody", "sample_size": 2})
    assert_refused(stack, r, 404, "not_found")
    assert count(stack) == before


def test_a_group_opens_a_survey_only_at_a_unit_it_has_arrived_at(stack, facts):
    unit = facts.unit(phase="survey", arrived=False)
    before = count(stack)
    r = stack.as_role("supervisor", scope=unit["group_id"]).post(
        "/surveys", json={"unit_id": unit["unit_id"], "sample_size": 2})
    assert_refused(stack, r, 409, "conflict", "has not arrived")
    assert r.json()["details"]["missing"] == ["group_arrival"]
    assert count(stack) == before
    assert stack.db("evaluation")["sealed_seeds"].count_documents({"unit_id": unit["unit_id"]}) == 0


# ---------------------------------------------------------------- the validity gate (issue 15)

def test_a_sample_below_the_minimum_is_refused_and_stores_nothing(stack, facts):
    unit = facts.unit(phase="survey", people=5)  # under 30 people: the whole scope is sampled
    sup = stack.as_role("supervisor", scope=unit["group_id"])
    before = count(stack)
    r = sup.post("/surveys", json={"unit_id": unit["unit_id"], "sample_size": 4})
    body = assert_refused(stack, r, 409, "conflict", "too small")
    assert body["details"]["missing"] == ["min_sample"] and body["details"]["required"] == 5
    assert count(stack) == before
    assert stack.db("evaluation")["sealed_seeds"].count_documents({"unit_id": unit["unit_id"]}) == 0


def test_the_framing_notification_is_made_in_phase_survey_and_states_the_rectification(stack, facts):
    # notified right after the rectification gate, before the unit was in phase survey
    unit = facts.unit(phase="survey", people=3, notified_in="rectification")
    uid = unit["unit_id"]
    sup = stack.as_role("supervisor", scope=unit["group_id"])
    before = count(stack)
    r = sup.post("/surveys", json={"unit_id": uid, "sample_size": 3})
    body = assert_refused(stack, r, 409, "conflict", "survey phase")
    assert body["details"]["missing"] == ["survey_phase_notification"]
    assert count(stack) == before

    # through the units service: in phase survey a notification must state the status
    unit_client = stack.as_role("unit", scope=uid)
    units_before = stack.db("units")["events"].count_documents({})
    r = unit_client.post(f"/units/{uid}/notifications", json={"scope": unit["scope"]})
    body = assert_refused(stack, r, 422, "rejected", "rectification status")
    assert body["details"]["missing"] == ["rectification_status"]
    assert stack.db("units")["events"].count_documents({}) == units_before
    r = unit_client.post(f"/units/{uid}/notifications", json={
        "scope": unit["scope"], "subject": "整改情况通报", "rectification_status": RECTIFIED})
    assert r.status_code == 201, r.text
    notification_id = r.json()["notification_id"]
    wait_until(lambda: stack.db("evaluation")["evaluation_unit_facts"].find_one(
        {"_id": uid, "latest_notification.notification_id": notification_id}), 30,
        message="evaluation to learn the new notification")
    r = sup.post("/surveys", json={"unit_id": uid, "sample_size": 3})
    assert r.status_code == 201, r.text


def test_a_notification_without_rectification_status_frames_no_survey(stack, facts):
    # e.g. one logged before the status was asked for
    unit = facts.unit(phase="survey", people=3, rectification_status="")
    before = count(stack)
    r = stack.as_role("supervisor", scope=unit["group_id"]).post(
        "/surveys", json={"unit_id": unit["unit_id"], "sample_size": 3})
    body = assert_refused(stack, r, 409, "conflict", "rectification status")
    assert body["details"]["missing"] == ["rectification_status"]
    assert count(stack) == before


def test_an_invalid_survey_is_repeated_in_the_same_entry(stack, facts):
    unit = facts.unit(phase="survey", people=3)
    uid, office = unit["unit_id"], stack.as_role("office")
    first = open_and_draw(stack, unit, 3)
    cast_all(stack, first, [("satisfied", "satisfied")])  # 1 of 3 < 2/3 turnout
    closed = first["sup"].post(f"/surveys/{first['survey_id']}/close", json={})
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["valid"], body["passed"], body["outcome"]) == (False, False, "SurveyInvalidated")
    assert "1/3" in body["invalid_reasons"][0]
    assert events(stack).count_documents({"type": {"$in": ["SurveyPassed", "SurveyFailed"]},
                                          "payload.survey_id": first["survey_id"]}) == 0
    result = wait_until(lambda: (lambda d: d if d["status"] == "closed" else None)(
        office.get(f"/surveys/{first['survey_id']}").json()), 10, message="public result")
    assert result["outcome"] == "invalid" and result["result"]["valid"] is False
    # neither passed nor failed: no verdict to inspect (the units service, below, keeps the
    # unit in phase survey)
    r = first["sup"].post(f"/units/{uid}/acceptance-inspections", json={"result": "pass", "date": TODAY})
    assert_refused(stack, r, 409, "conflict", "no passed satisfaction survey")
    # for supervision the invalid survey was closed: its survey_close obligation is met
    wait_until(lambda: [o["status"] for o in office.get(
        f"/obligations?unit_id={uid}&type=survey_close").json()] == ["met_on_time"], 30,
        message="the invalid survey's survey_close obligation met")

    # the repeat, in the same entry into phase survey
    second = open_and_draw(stack, unit, 3)
    assert second["opened"]["survey_id"] != first["survey_id"]
    cast_all(stack, second, [("satisfied", "satisfied")] * 2)  # exactly 2/3 turnout: valid
    closed = second["sup"].post(f"/surveys/{second['survey_id']}/close", json={})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["valid"], closed.json()["outcome"]) == (True, "SurveyPassed")
    wait_until(lambda: [(s["outcome"], s["survey_round"]) for s in office.get(
        f"/units/{uid}/evaluation").json()["surveys"]] == [("invalid", 1), ("passed", 1)], 10,
        message="history keeps the invalid survey and its repeat")
    table = office.get("/evaluation/county").json()
    [row] = [r for r in table if r["unit_id"] == uid]
    assert (row["status"], row["surveys_held"], row["failed_surveys"], row["invalid_surveys"]) == (
        "passed", 2, 0, 1)
    # the units service heard only the repeat's verdict: the unit stayed in phase survey
    units_log = stack.db("units")["events"]
    wait_until(lambda: units_log.find_one({"type": "SurveyPassNoted", "payload.unit_id": uid}), 30,
               message="the units service to note the repeat's pass")
    assert [(e["type"], e["payload"].get("phase"), e["payload"].get("survey_id"))
            for e in units_log.find({"payload.unit_id": uid, "type": {"$in": [
                "PhaseEntered", "SurveyPassNoted"]}}).sort("position", 1)] == [
        ("PhaseEntered", "survey", None), ("SurveyPassNoted", None, second["survey_id"])]
    # a passed survey uses up the entry
    r = second["sup"].post("/surveys", json={"unit_id": uid, "sample_size": 3})
    assert_refused(stack, r, 409, "conflict", "already held")


# ---------------------------------------------------------------- phase 2 records

def test_phase_two_records_leaders_first_and_readiness(stack, facts):
    unit = facts.unit(phase="analysis", leaders=("L1",), members=("M1",))
    uid = unit["unit_id"]
    me = stack.as_role("unit", scope=uid)

    def refused(response, status, error=None, says=""):
        before = count(stack)
        assert_refused(stack, response, status, error, says)
        assert count(stack) == before

    # a non-leader's Party-spirit analysis before the leaders'
    refused(me.post(f"/units/{uid}/analysis/party-spirit-analyses",
                    json={"member_id": "M1", "date": TODAY, "summary": "my analysis"}),
            422, "rejected", "leaders write")
    # another unit may not record here (the gateway) nor a supervisor (the role)
    refused(stack.as_role("unit", scope="u-else").post(
        f"/units/{uid}/analysis/talks", json={"member_id": "L1", "with_whom": "M1", "date": TODAY}),
        403, "forbidden")
    refused(stack.as_role("supervisor", scope=unit["group_id"]).post(
        f"/units/{uid}/analysis/talks", json={"member_id": "L1", "with_whom": "M1", "date": TODAY}),
        403, "forbidden")
    refused(me.post(f"/units/{uid}/analysis/opinions",
                    json={"source": "the_press", "led_by_member_id": "L1", "date": TODAY,
                          "opinion_count": 3}), 422, "invalid")
    refused(me.post(f"/units/{uid}/analysis/opinions",
                    json={"source": "townships", "led_by_member_id": "X9", "date": TODAY,
                          "opinion_count": 3}), 404, "not_found")

    with stack.rpc() as cluster:
        first = unwrap(cluster.evaluation.readiness(unit_id=uid))  # the typed RPC
    assert first["ready"] is False
    assert first["missing"][0]["code"] == "leader_party_spirit_analysis"  # leaders first

    for source in ("departments", "townships", "frequent_visitors"):
        r = me.post(f"/units/{uid}/analysis/opinions",
                    json={"source": source, "source_name": source, "led_by_member_id": "L1",
                          "date": TODAY, "opinion_count": 4, "summary": "heard"})
        assert r.status_code == 201 and r.json()["record_id"], r.text
    r = me.post(f"/units/{uid}/analysis/talks",
                json={"member_id": "L1", "with_whom": "M1", "date": TODAY, "notes": "private"})
    assert r.status_code == 201 and r.json()["talk_id"], r.text
    refused(me.post(f"/units/{uid}/analysis/democratic-life-meetings",
                    json={"date": TODAY, "participant_member_ids": ["L1"]}),
            422, "rejected", "have not submitted")
    for member in ("L1", "M1"):
        r = me.post(f"/units/{uid}/analysis/party-spirit-analyses",
                    json={"member_id": member, "date": TODAY, "summary": "analysis"})
        assert r.status_code == 201, r.text
    refused(me.post(f"/units/{uid}/analysis/party-spirit-analyses",
                    json={"member_id": "L1", "date": TODAY, "summary": "again"}), 409, "conflict")
    r = me.post(f"/units/{uid}/analysis/democratic-life-meetings",
                json={"date": TODAY, "participant_member_ids": ["L1"], "summary": "criticism"})
    assert r.status_code == 201 and r.json()["meeting_id"], r.text

    with stack.rpc() as cluster:
        assert unwrap(cluster.evaluation.readiness(unit_id=uid)) == {"unit_id": uid, "ready": True,
                                                                     "missing": []}
    served = stack.as_role("supervisor", scope=unit["group_id"]).get(f"/units/{uid}/analysis/readiness")
    assert served.status_code == 200 and served.json()["ready"] is True
    refused(stack.as_role("supervisor", scope="g-other").get(f"/units/{uid}/analysis/readiness"),
            403, "forbidden")

    history = wait_until(lambda: (lambda h: h if len(h["analysis"]["party_spirit_analyses"]) == 2
                                  else None)(me.get(f"/units/{uid}/evaluation").json()), 10,
                         message="history of phase-2 records")
    assert len(history["analysis"]["opinions"]) == 3
    assert "with_whom" not in history["analysis"]["talks"][0]  # 谈心 stays confidential
    for env in events(stack).find({"stream_id": f"analysis-{uid}"}):
        assert env["actor"]["role"] == "unit" and env["actor"]["scope"] == uid

    # records only in phase 2
    facts.enter(uid, "rectification", wait=True)
    refused(me.post(f"/units/{uid}/analysis/talks",
                    json={"member_id": "L1", "with_whom": "M1", "date": TODAY}), 409, "conflict",
            "phase")


def test_concurrent_ballots_are_all_counted_once(stack, facts):
    from concurrent.futures import ThreadPoolExecutor
    unit = facts.unit(phase="survey", people=10)
    survey = open_and_draw(stack, unit, 10)
    tokens = [b["token"] for b in survey["drawn"]["ballots"]]
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda t: vote(stack, survey["survey_id"], t, "satisfied",
                                             "basically_satisfied").status_code, tokens))
    assert codes == [201] * 10
    # and each again, concurrently: every repeat refused
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda t: vote(stack, survey["survey_id"], t, "dissatisfied",
                                             "dissatisfied").status_code, tokens))
    assert codes == [409] * 10
    closed = survey["sup"].post(f"/surveys/{survey['survey_id']}/close", json={}).json()
    assert closed["result"]["ballots_cast"] == 10
    assert closed["result"]["campaign"]["counts"]["basically_satisfied"] == 10


def test_the_evaluation_log_verifies_and_nothing_was_parked(stack):
    with stack.rpc() as cluster:
        assert cluster.evaluation.verify()["ok"] is True
        assert cluster.evaluation.parked_events() == []
