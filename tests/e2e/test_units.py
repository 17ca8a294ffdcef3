"""The units service through the gateway (issue 3): registration and reads by scope,
membership (R20, R21), the work plan (R4), requirements (R11), the mobilisation
meeting, the unit's side of the phase gate (R5, with the study service's R7
readiness), rectification (R22) and public notification (R12, R23).

Every refusal is a 4xx JSON error with a clear message and leaves no event behind.
"""
import datetime
import json

from pymongo import MongoClient

from assembly.stack import wait_until
from shared.eventstore.mongo import MongoEventStore
from tests import sample_files

TODAY = datetime.date.today().isoformat()
YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
SECTIONS = ["领导班子", "综合科", "人事科"]
FULL_PLAN = {
    "leader_measures": ["participate_as_ordinary_member", "lead_study", "give_party_lecture",
                        "find_problems", "lead_criticism", "set_rectification"],
    "problems": [{"category": "party_and_government_style", "description": "联系基层和群众不够",
                  "measures": ["领导班子成员分片联系科室"]}],
    "guarantee_systems": ["leadership_responsibility", "contact_points", "supervision_inspection",
                          "mass_evaluation", "acceptance"],
}


def logged(stack):
    return stack.db("units")["events"].count_documents({})


def refused(stack, response, status, code=None, says=None, before=None):
    """Assert a refusal: its status, JSON error body, message, and no event stored."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"] and isinstance(body["details"], dict), body
    if code:
        assert body["error"] == code, body
    if says:
        assert says in body["message"], body["message"]
    if before is not None:
        assert logged(stack) == before, "a refused request stored events"
    return body


def register(stack, name="县委办公室", batch=1, sections=SECTIONS, org_type="党支部"):
    response = stack.as_role("office").post("/units", json={"name": name, "org_type": org_type,
                                                            "batch": batch, "sections": sections})
    assert response.status_code == 201, response.text
    return response.json()["unit_id"]


def enrol(client, unit_id, name, section, **flags):
    response = client.post(f"/units/{unit_id}/members", json={"name": name, "section": section, **flags})
    assert response.status_code == 201, response.text
    return response.json()["member_id"]


def card(stack, unit_id):
    response = stack.as_role("office").get(f"/units/{unit_id}")
    assert response.status_code == 200, response.text
    return response.json()


def in_mobilization(stack, name):
    """A registered unit with a leader, whose meeting was held today (its group arrived and
    approved the work plan first)."""
    unit_id = register(stack, name)
    unit = stack.as_role("unit", scope=unit_id)
    leader = enrol(unit, unit_id, "王主任", "领导班子", is_leader=True)
    assert unit.post(f"/units/{unit_id}/mobilization-meeting", json={"date": TODAY}).status_code == 201
    arrived_and_approved(stack, unit, unit_id)
    held = hold_when_known(unit, unit_id)
    assert held.status_code == 201, held.text
    return unit_id, unit, leader


def arrived_and_approved(stack, unit, unit_id):
    """The unit's group arrives today and approves the unit's full work plan."""
    group_id, supervisor = supervised(stack, unit_id)
    arrived = supervisor.post(f"/groups/{group_id}/arrivals", json={"unit_id": unit_id, "date": TODAY})
    assert arrived.status_code == 201, arrived.text
    assert unit.put(f"/units/{unit_id}/work-plan", json=FULL_PLAN).status_code in (200, 201)
    approved = wait_until(lambda: (lambda r: r if r.status_code != 404 else None)(
        supervisor.post(f"/units/{unit_id}/work-plan/review", json={"decision": "approve"})),
        message="supervision to know the plan")
    assert approved.status_code == 201, approved.text
    return group_id, supervisor


def hold_when_known(unit, unit_id):
    """Hold the meeting once the units service has heard of the arrival and the approval
    (supervision's events reach it a moment later)."""
    def hold():
        answer = unit.post(f"/units/{unit_id}/mobilization-meeting/held", json={})
        return answer if answer.status_code != 409 or "already held" in answer.text else None
    return wait_until(hold, message="the units service to learn of the arrival and the approval")


# --- registration and reads by scope --------------------------------------------------------

def test_office_registers_a_unit_with_its_batch_calendar(stack):
    unit_id = register(stack, "县财政局", batch=2)
    got = card(stack, unit_id)
    assert (got["name"], got["org_type"], got["batch"], got["phase"]) == ("县财政局", "党支部", 2, "registered")
    assert got["sections"] == SECTIONS
    assert got["deadlines"]["mobilization"] == "2024-08-20"
    assert "sections_without_study_group" in got["flags"]


def test_registration_refusals_store_nothing(stack):
    office, before = stack.as_role("office"), logged(stack)
    body = refused(stack, office.post("/units", json={"name": "某局", "org_type": "党小组", "batch": 1}),
                   422, "invalid", before=before)
    assert "org_type" in body["details"]["fields"]
    body = refused(stack, office.post("/units", json={"name": "某局", "org_type": "党组", "batch": 4}),
                   422, "invalid", before=before)
    assert "batch" in body["details"]["fields"]
    unit_id = register(stack, "县审计局")
    refused(stack, stack.as_role("unit", scope=unit_id).post(
        "/units", json={"name": "自封单位", "org_type": "党组", "batch": 1}), 403, "forbidden", before=before + 1)


def test_reads_follow_the_callers_scope(stack):
    mine, other = register(stack, "县民政局"), register(stack, "县水利局")
    unit = stack.as_role("unit", scope=mine)
    assert [c["unit_id"] for c in unit.get("/units").json()] == [mine]
    refused(stack, unit.get(f"/units/{other}"), 403, "forbidden", says="a unit may act only on itself")
    refused(stack, unit.get(f"/units/{other}/members"), 403, "forbidden")
    # a supervisor sees only its own group's units; no group has been assigned these
    supervisor = stack.as_role("supervisor", scope="g-nobody")
    assert supervisor.get("/units").json() == []
    refused(stack, supervisor.get(f"/units/{mine}"), 403, "forbidden", says="may not read")
    refused(stack, stack.as_role("office").get("/units/u-nonexistent"), 404, "not_found")
    office_ids = {c["unit_id"] for c in stack.as_role("office").get("/units").json()}
    assert {mine, other} <= office_ids
    batch_two = stack.as_role("auditor").get("/units", params={"batch": "2"}).json()
    assert all(c["batch"] == 2 for c in batch_two)


def test_county_overview_counts_units_by_batch_and_phase(stack):
    office = stack.as_role("office")
    before = office.get("/overview").json()
    register(stack, "县统计局", batch=3)
    after = stack.as_role("auditor").get("/overview").json()
    assert after["total"] == before["total"] + 1
    assert after["by_batch"]["3"]["registered"] == before["by_batch"].get("3", {}).get("registered", 0) + 1
    assert after["by_phase"]["registered"] == before["by_phase"].get("registered", 0) + 1
    unit_id = register(stack, "县林业局")
    refused(stack, stack.as_role("unit", scope=unit_id).get("/overview"), 403, "forbidden")


# --- membership (R20, R21) ----------------------------------------------------------------

def test_members_sections_study_groups_and_contact_points(stack):
    unit_id = register(stack, "县委组织部")
    unit = stack.as_role("unit", scope=unit_id)
    added = unit.post(f"/units/{unit_id}/sections", json={"section": "干部科"})
    assert added.status_code == 201, added.text
    head = enrol(unit, unit_id, "李科长", "干部科")
    clerk = enrol(unit, unit_id, "张干事", "干部科")
    leader = enrol(unit, unit_id, "王部长", "领导班子", is_leader=True)
    retired = enrol(unit, unit_id, "赵老", None, is_retired=True)
    assert "retired_members_without_group" in card(stack, unit_id)["flags"]

    formed = unit.post(f"/units/{unit_id}/study-groups",
                       json={"section": "干部科", "leader_member_id": head, "member_ids": [clerk]})
    assert formed.status_code == 201, formed.text
    group = formed.json()["study_group_id"]
    placed = unit.post(f"/units/{unit_id}/study-groups/{group}/members", json={"member_id": retired})
    assert placed.status_code == 201, placed.text
    points = unit.put(f"/units/{unit_id}/members/{leader}/contact-points", json={"sections": ["干部科", "综合科"]})
    assert points.status_code == 200, points.text

    listing = unit.get(f"/units/{unit_id}/members").json()
    assert set(listing["by_section"]["干部科"]) == {head, clerk}
    [sg] = listing["study_groups"]
    assert (sg["section"], sg["leader_member_id"], set(sg["member_ids"])) == ("干部科", head, {head, clerk, retired})
    assert listing["retired_without_group"] == []
    by_id = {m["member_id"]: m for m in listing["members"]}
    assert by_id[leader]["contact_sections"] == ["干部科", "综合科"] and by_id[leader]["is_leader"]
    got = card(stack, unit_id)
    assert "retired_members_without_group" not in got["flags"]
    assert got["contact_points"] == {leader: ["干部科", "综合科"]}


def test_membership_refusals_store_nothing(stack):
    mine, other = register(stack, "县商务局", sections=["综合科"]), register(stack, "县交通局", sections=["运输科"])
    unit, theirs = stack.as_role("unit", scope=mine), stack.as_role("unit", scope=other)
    head = enrol(unit, mine, "陈科长", "综合科")
    enrol(unit, mine, "周局长", "综合科", is_leader=True)
    clerk = enrol(unit, mine, "刘干事", "综合科")
    other_head = enrol(theirs, other, "孙科长", "运输科")
    other_group = theirs.post(f"/units/{other}/study-groups",
                              json={"section": "运输科", "leader_member_id": other_head}).json()["study_group_id"]
    before = logged(stack)

    # a section of another unit
    refused(stack, unit.post(f"/units/{mine}/members", json={"name": "某人", "section": "运输科"}),
            422, "rejected", says="is not a section of unit", before=before)
    # a study group of another unit
    refused(stack, unit.post(f"/units/{mine}/study-groups/{other_group}/members", json={"member_id": clerk}),
            422, "rejected", says="is not a study group of unit", before=before)
    # a member of another unit in this unit's study group
    refused(stack, unit.post(f"/units/{mine}/study-groups",
                             json={"section": "综合科", "leader_member_id": head, "member_ids": [other_head]}),
            422, "rejected", says="is not a member of unit", before=before)
    # a study group led by someone not in that section
    added = unit.post(f"/units/{mine}/sections", json={"section": "法规科"})
    assert added.status_code == 201
    before = logged(stack)
    refused(stack, unit.post(f"/units/{mine}/study-groups", json={"section": "法规科", "leader_member_id": head}),
            422, "rejected", says="led by that section's head", before=before)
    # a serving member without a section; contact points for a non-leader; a section twice
    refused(stack, unit.post(f"/units/{mine}/members", json={"name": "某人", "section": None}),
            422, "invalid", before=before)
    refused(stack, unit.put(f"/units/{mine}/members/{clerk}/contact-points", json={"sections": ["综合科"]}),
            422, "rejected", says="only leaders take contact points", before=before)
    refused(stack, unit.post(f"/units/{mine}/sections", json={"section": "综合科"}), 409, "conflict",
            says="already exists", before=before)


def test_a_unit_acting_on_another_unit_is_refused_by_gateway_and_service(stack):
    mine, other = register(stack, "县教育局"), register(stack, "县卫生局")
    unit, before = stack.as_role("unit", scope=mine), logged(stack)
    refused(stack, unit.post(f"/units/{other}/members", json={"name": "某人", "section": "综合科"}),
            403, "forbidden", says="a unit may act only on itself", before=before)
    refused(stack, unit.put(f"/units/{other}/requirements", json={"text": "具体要求"}), 403, "forbidden",
            before=before)
    refused(stack, unit.post(f"/units/{other}/transitions", json={"summary": "申请转段"}), 403, "forbidden",
            before=before)
    # the service enforces the scope itself, whatever reaches it
    impostor = {"id": "p-1", "name": "冒名者", "role": "unit", "scope": mine}
    with stack.rpc() as rpc:
        answer = rpc.units.enrol_member(unit_id=other, name="某人", section="综合科", actor=impostor)
        assert answer["ok"] is False and answer["status"] == 403
        assert "a unit may act only on itself" in answer["message"]
        answer = rpc.units.add_section(unit_id=other, section="新科",
                                       actor={"id": "s-1", "name": "督导员", "role": "supervisor", "scope": "g1"})
        assert answer["ok"] is False and answer["status"] == 403
    assert logged(stack) == before


# --- the work plan (R4) and requirements (R11) --------------------------------------------

def test_work_plan_versions_and_missing_guarantee_system_flag(stack):
    unit_id = register(stack, "县人社局")
    unit = stack.as_role("unit", scope=unit_id)
    four_systems = dict(FULL_PLAN, guarantee_systems=FULL_PLAN["guarantee_systems"][:4])  # B: no 成果验收制度
    first = unit.put(f"/units/{unit_id}/work-plan", json=four_systems)
    assert first.status_code == 200, first.text
    assert first.json()["plan_version"] == 1
    got = card(stack, unit_id)
    assert "work_plan_missing_guarantee_systems" in got["flags"]
    assert got["work_plan"]["missing"]["guarantee_systems"] == ["acceptance"]
    second = unit.put(f"/units/{unit_id}/work-plan", json=FULL_PLAN)
    assert second.json()["plan_version"] == 2
    assert "work_plan_missing_guarantee_systems" not in card(stack, unit_id)["flags"]

    before = logged(stack)
    body = refused(stack, unit.put(f"/units/{unit_id}/work-plan",
                                   json=dict(FULL_PLAN, guarantee_systems=["secret_system"])),
                   422, "invalid", before=before)
    assert "guarantee_systems" in body["details"]["fields"]
    refused(stack, unit.put(f"/units/{unit_id}/requirements", json={"text": ""}), 422, "invalid", before=before)
    assert unit.put(f"/units/{unit_id}/requirements",
                    json={"text": "党员先进性具体要求", "items": ["学习在前", "服务在先"]}).status_code == 200
    assert card(stack, unit_id)["requirements_set"] is True


# --- the mobilisation meeting --------------------------------------------------------------

def test_holding_a_meeting_that_was_never_scheduled_is_refused(stack):
    unit_id = register(stack, "县司法局")
    unit, before = stack.as_role("unit", scope=unit_id), logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/mobilization-meeting/held", json={}), 422, "rejected",
            says="never scheduled", before=before)
    refused(stack, unit.post(f"/units/{unit_id}/mobilization-meeting", json={"date": YESTERDAY}), 422,
            "rejected", says="in the past", before=before)
    assert card(stack, unit_id)["phase"] == "registered"


def test_the_meeting_is_held_only_with_the_group_arrived_and_the_plan_approved(stack):
    """Issue 15: "the mobilisation meeting can be held with the plan unreviewed"."""
    unit_id = register(stack, "县审计局")
    unit = stack.as_role("unit", scope=unit_id)
    assert unit.post(f"/units/{unit_id}/mobilization-meeting", json={"date": TODAY}).status_code == 201
    before = logged(stack)
    body = refused(stack, unit.post(f"/units/{unit_id}/mobilization-meeting/held", json={}), 409,
                   "conflict", says="group_arrival, work_plan_approved", before=before)
    assert body["details"]["missing"] == ["group_arrival", "work_plan_approved"]
    group_id, supervisor = supervised(stack, unit_id)
    assert supervisor.post(f"/groups/{group_id}/arrivals",
                           json={"unit_id": unit_id, "date": TODAY}).status_code == 201
    assert unit.put(f"/units/{unit_id}/work-plan", json=FULL_PLAN).status_code in (200, 201)
    wait_until(lambda: stack.db("units")["events"].find_one(
        {"type": "GroupArrivalNoted", "payload.unit_id": unit_id}), message="units to note the arrival")
    before = logged(stack)
    body = refused(stack, unit.post(f"/units/{unit_id}/mobilization-meeting/held", json={}), 409,
                   "conflict", says="work_plan_approved", before=before)
    assert body["details"] == {"missing": ["work_plan_approved"], "work_plan_status": "submitted",
                               "work_plan_version": 1}
    assert card(stack, unit_id)["phase"] == "registered"
    approved = wait_until(lambda: (lambda r: r if r.status_code != 404 else None)(
        supervisor.post(f"/units/{unit_id}/work-plan/review", json={"decision": "approve"})),
        message="supervision to know the plan")
    assert approved.status_code == 201, approved.text
    assert hold_when_known(unit, unit_id).status_code == 201
    assert card(stack, unit_id)["phase"] == "mobilization"


def test_holding_the_scheduled_meeting_starts_phase_one(stack):
    unit_id = register(stack, "县科技局")
    unit = stack.as_role("unit", scope=unit_id)
    scheduled = unit.post(f"/units/{unit_id}/mobilization-meeting", json={"date": TODAY})
    assert scheduled.status_code == 201, scheduled.text
    arrived_and_approved(stack, unit, unit_id)
    held = hold_when_known(unit, unit_id)
    assert held.status_code == 201, held.text
    assert held.json()["phase"] == "mobilization"
    got = card(stack, unit_id)
    assert got["phase"] == "mobilization" and got["phase_label"] == "学习动员"
    assert got["mobilization_meeting"] == {"scheduled": TODAY, "held": TODAY}
    assert got["history"][-1]["previous_phase"] == "registered"
    assert "requirements_missing" in got["flags"]
    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/mobilization-meeting/held", json={}), 409, "conflict",
            says="already held", before=before)
    # every consumer learns the phase from the units log
    wait_until(lambda: (stack.db("supervision")["unit_directory"].find_one({"_id": unit_id}) or {})
               .get("phase") == "mobilization", message="supervision to see phase 1")


# --- the phase gate (R5) with the study service's readiness (R7) --------------------------

def test_applying_from_a_phase_that_cannot_be_left_by_application_is_refused(stack):
    unit_id = register(stack, "县环保局")
    unit, before = stack.as_role("unit", scope=unit_id), logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "学习动员阶段总结"}), 422,
            "rejected", says="by holding its mobilisation meeting, not by application", before=before)


def test_leaving_phase_one_needs_requirements_and_study_readiness_then_one_open_application(stack):
    unit_id, unit, leader = in_mobilization(stack, "县文化局")
    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "学习动员阶段总结"}), 422,
            "rejected", says="specific requirements", before=before)
    assert unit.put(f"/units/{unit_id}/requirements", json={"text": "具体要求"}).status_code == 200

    # the study service knows the member, who has no centralised study hours (R7)
    wait_until(lambda: stack.as_role("office").get(f"/units/{unit_id}/study").status_code == 200,
               message="study to know the unit")
    before = logged(stack)
    body = refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "学习动员阶段总结"}),
                   422, "rejected", says="below the centralised-study floor", before=before)
    assert [m["member_id"] for m in body["details"]["members_below"]] == [leader]

    # a recorded exemption (never a silent one, and never the unit's own) makes the unit ready
    exempted = stack.as_role("office").post(f"/units/{unit_id}/study-exemptions",
                                            json={"member_id": leader, "reason": "长期病休"})
    assert exempted.status_code == 201, exempted.text
    applied = unit.post(f"/units/{unit_id}/transitions", json={"summary": "学习动员阶段总结"})
    assert applied.status_code == 201, applied.text
    transition = applied.json()
    assert (transition["from_phase"], transition["to_phase"]) == ("mobilization", "analysis")
    got = card(stack, unit_id)
    assert got["open_application"]["transition_id"] == transition["transition_id"]
    assert got["phase"] == "mobilization"  # applying never moves the unit

    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "再次申请"}), 409, "conflict",
            says="is still open", before=before)
    assert card(stack, unit_id)["phase"] == "mobilization"


# --- rectification (R22) and notification (R12, R23) ---------------------------------------

def test_rectification_measures_wait_for_the_rectification_phase(stack):
    unit_id, unit, leader = in_mobilization(stack, "县农业局")
    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/rectification-measures",
                             json={"description": "整改文山会海", "owner_member_id": leader, "due": TODAY}),
            422, "rejected", says="整改提高 or 补课", before=before)
    refused(stack, unit.post(f"/units/{unit_id}/rectification-measures/r-none/completion", json={}),
            422, "rejected", says="is not a measure of unit", before=before)


def test_public_notification_records_the_scope(stack):
    unit_id = register(stack, "县粮食局")
    unit, before = stack.as_role("unit", scope=unit_id), logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/notifications", json={"scope": ["群众甲"]}), 422, "rejected",
            says="no campaign progress to notify", before=before)
    unit_id, unit, _ = in_mobilization(stack, "县物价局")
    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/notifications", json={"scope": []}), 422, "invalid",
            before=before)
    told = unit.post(f"/units/{unit_id}/notifications",
                     json={"scope": ["群众甲", "乡镇代表乙", "办事群众丙"], "subject": "学习动员阶段进展"})
    assert told.status_code == 201, told.text
    [note] = card(stack, unit_id)["notifications"]
    assert (note["notification_id"], note["scope_size"], note["date"]) == (told.json()["notification_id"], 3, TODAY)
    stored = stack.db("units")["events"].find_one({"type": "PublicNotified", "payload.unit_id": unit_id})
    # issue 19: the log keeps the scope as one pseudonymous id per person, in order, and each
    # name sealed with that person's key (read back through the store, the names are there)
    people = ["群众甲", "乡镇代表乙", "办事群众丙"]
    ids = stored["payload"]["scope"]
    assert len(set(ids)) == 3 and all(i.startswith("r-") for i in ids)
    assert not [n for n in people if n in json.dumps(stored["payload"], ensure_ascii=False)]
    client = MongoClient(stack.mongo_uri)
    try:
        log = MongoEventStore("units", client, f"{stack.db_prefix}_units").read_stream(f"unit-{unit_id}")
    finally:
        client.close()
    [shown] = [e for e in log if e["event_id"] == stored["event_id"]]
    assert [p["name"] for p in shown["payload"]["people"]] == people
    assert [p["person_id"] for p in stored["payload"]["people"]] == ids
    assert stored["actor"]["role"] == "unit" and stored["actor"]["scope"] == unit_id


# --- the phase gate through supervision (R5, R6): the unit never moves itself ---------------

PERSON = {"rank": "section", "home_unit": "县委组织部", "post": "科长"}


def supervised(stack, unit_id):
    """The unit's group, formed by the office and assigned the unit unless it has one; its
    supervisor client."""
    group_id = card(stack, unit_id).get("group_id")
    if group_id:
        return group_id, stack.as_role("supervisor", scope=group_id)
    office = stack.as_role("office")
    formed = office.post("/groups", json={"name": "第一督导组", "leader": dict(PERSON, name="钱组长"),
                                          "members": [dict(PERSON, name="吴组员", rank="staff")]})
    assert formed.status_code == 201, formed.text
    group_id = formed.json()["group_id"]
    assigned = office.post(f"/groups/{group_id}/units", json={"unit_id": unit_id})
    assert assigned.status_code == 201, assigned.text
    wait_until(lambda: card(stack, unit_id)["group_id"] == group_id, message="the card to show the group")
    return group_id, stack.as_role("supervisor", scope=group_id)


def group_review(stack, supervisor, transition_id, decision, comments=""):
    def review():  # supervision learns the application from the units log
        answer = supervisor.post(f"/transitions/{transition_id}/group-review",
                                 json={"decision": decision, "comments": comments})
        return answer if answer.status_code != 404 else None
    answer = wait_until(review, message="supervision to know the application")
    assert answer.status_code == 201, answer.text
    return answer.json()


def evidence(stack, unit, unit_id, name="整改佐证.pdf"):
    """An uploaded file of measure evidence: its attachment id."""
    stored = stack.request("POST", "/attachments", unit.token, files={"file": (name, sample_files.pdf())},
                           data={"unit_id": unit_id, "purpose": "measure_evidence"}, timeout=60)
    assert stored.status_code == 201, stored.text
    return stored.json()["attachment_id"]


def sign_off(supervisor, measure_id, comments="复查合格"):
    signed = supervisor.post(f"/measures/{measure_id}/review", json={"decision": "sign_off", "comments": comments})
    assert signed.status_code == 201, signed.text
    return signed.json()


def pass_gate(stack, unit, unit_id, supervisor, summary):
    applied = unit.post(f"/units/{unit_id}/transitions", json={"summary": summary})
    assert applied.status_code == 201, applied.text
    transition = applied.json()
    group_review(stack, supervisor, transition["transition_id"], "agree")
    approved = stack.as_role("office").post(f"/transitions/{transition['transition_id']}/office-decision",
                                            json={"decision": "approve"})
    assert approved.status_code == 201, approved.text
    wait_until(lambda: card(stack, unit_id)["phase"] == transition["to_phase"],
               message=f"the unit to enter {transition['to_phase']}")
    return transition


def phase_two_done(unit, unit_id, leader):
    """The unit's 分析评议 records, leaders first (R22, R23): opinions from every source led
    by its leader, a 谈心, the leader's 党性分析材料 and the 专题民主生活会."""
    def first_opinion():  # evaluation learns the unit entered 分析评议 from the units log
        answer = unit.post(f"/units/{unit_id}/analysis/opinions",
                           json={"source": "departments", "source_name": "县直部门", "led_by_member_id": leader,
                                 "date": TODAY, "opinion_count": 4, "summary": "征求意见"})
        return answer if answer.status_code == 201 else None
    wait_until(first_opinion, message="evaluation to know the unit is in 分析评议")
    # R19: work reviewed since the 16th Party Congress; an analysis starting later is refused
    late = unit.post(f"/units/{unit_id}/analysis/party-spirit-analyses",
                     json={"member_id": leader, "date": TODAY, "summary": "党性分析", "work_since": "2004-01-01"})
    assert late.status_code == 409 and late.json()["details"]["field"] == "work_since", late.text
    records = [("opinions", {"source": "townships", "source_name": "城关镇", "led_by_member_id": leader,
                             "date": TODAY, "opinion_count": 3, "summary": "征求意见"}),
               ("opinions", {"source": "frequent_visitors", "source_name": "办事群众", "led_by_member_id": leader,
                             "date": TODAY, "opinion_count": 5, "summary": "征求意见"}),
               ("talks", {"member_id": leader, "with_whom": "班子成员", "date": TODAY, "notes": "谈心"}),
               ("party-spirit-analyses", {"member_id": leader, "date": TODAY, "summary": "党性分析",
                                          "thinking_since": "1997-09-12"}),  # R19: thinking further back
               ("democratic-life-meetings", {"date": TODAY, "participant_member_ids": [leader],
                                             "summary": "批评与自我批评"})]
    for path, body in records:
        recorded = unit.post(f"/units/{unit_id}/analysis/{path}", json=body)
        assert recorded.status_code == 201, recorded.text


def run_survey(stack, unit, unit_id, supervisor, rating):
    """Notify a scope, open a survey over it, every sampled person rates ``rating``, close."""
    people = ["群众甲", "乡镇代表乙", "办事群众丙"]
    # in phase survey the notification frames the survey and states the rectification status
    assert unit.post(f"/units/{unit_id}/notifications", json={
        "scope": people, "rectification_status": "整改措施全部落实"}).status_code == 201

    def opened():  # evaluation learns the scope and the phase from the units log
        answer = supervisor.post("/surveys", json={"unit_id": unit_id, "sample_size": len(people)})
        return answer if answer.status_code == 201 else None
    survey_id = wait_until(opened, message="evaluation to open the survey").json()["survey_id"]
    drawn = supervisor.post(f"/surveys/{survey_id}/draw", json={})
    assert drawn.status_code == 201, drawn.text
    for i, ballot in enumerate(drawn.json()["ballots"]):
        respondent = stack.as_role("respondent", scope=survey_id, name=f"respondent {i}")  # one ballot each
        cast = respondent.post("/ballots", json={"token": ballot["token"],
                                                 "ratings": {"leadership": rating, "campaign": rating}})
        assert cast.status_code == 201, cast.text
    closed = supervisor.post(f"/surveys/{survey_id}/close", json={})
    assert closed.status_code == 200, closed.text
    return survey_id


def test_the_phase_changes_only_when_supervision_approves(stack):
    unit_id, unit, leader = in_mobilization(stack, "县发改局")
    assert unit.put(f"/units/{unit_id}/requirements", json={"text": "具体要求"}).status_code == 200
    wait_until(lambda: stack.as_role("office").get(f"/units/{unit_id}/study").status_code == 200,
               message="study to know the unit")
    group_id, supervisor = supervised(stack, unit_id)
    assert supervisor.post(f"/units/{unit_id}/study-exemptions",
                           json={"member_id": leader, "reason": "长期病休"}).status_code == 201

    # the group returns the first application: it is closed, the unit stays and applies again
    first = unit.post(f"/units/{unit_id}/transitions", json={"summary": "学习动员总结（初稿）"}).json()
    group_review(stack, supervisor, first["transition_id"], "return", "学习笔记不全")
    wait_until(lambda: (card(stack, unit_id)["last_application"] or {}).get("outcome") == "returned",
               message="the unit to see the return")
    got = card(stack, unit_id)
    assert got["open_application"] is None and got["phase"] == "mobilization"
    assert got["last_application"]["comments"] == "学习笔记不全"

    # agreed by the group, approved by the office: only now does the phase change
    second = pass_gate(stack, unit, unit_id, supervisor, "学习动员总结")
    got = card(stack, unit_id)
    assert (got["phase"], got["open_application"]) == ("analysis", None)
    assert second["transition_id"] in got["history"][-1]["reason"]
    entered = stack.db("units")["events"].find_one({"type": "PhaseEntered", "payload.unit_id": unit_id,
                                                    "payload.phase": "analysis"})
    assert entered["actor"]["role"] == "system"  # applied by the reaction, never by the unit

    # R6: the office extends the current phase's deadline; the unit's card follows
    until = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
    extended = stack.as_role("office").post(f"/units/{unit_id}/deadline-extensions",
                                            json={"phase": "analysis", "until": until, "reason": "质量需要"})
    assert extended.status_code == 201, extended.text
    wait_until(lambda: card(stack, unit_id)["deadline"] == until, message="the extension on the card")

    # leaving 分析评议 needs evaluation's phase-2 readiness, leaders' records first: refused, nothing stored
    before = logged(stack)
    body = refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "分析评议总结"}), 409,
                   "conflict", says="分析评议 is not finished", before=before)
    assert body["details"]["missing"][0] == "leader_party_spirit_analysis", body
    assert "opinions_from_townships" in body["details"]["missing"]
    phase_two_done(unit, unit_id, leader)
    analysis = stack.db("evaluation")["events"].find_one({"type": "PartySpiritAnalysisSubmitted",
                                                          "payload.unit_id": unit_id})
    assert analysis["payload"]["review_period"] == {"work_since": "2002-11-08", "thinking_since": "1997-09-12"}
    assert stack.db("evaluation")["events"].count_documents({"type": "PartySpiritAnalysisSubmitted",
                                                             "payload.unit_id": unit_id}) == 1  # the late one refused
    # R19: the work reviewed runs from the 16th Party Congress; a later start is refused, nothing stored
    before, evaluated = logged(stack), stack.db("evaluation")["events"].count_documents({})
    body = refused(stack, unit.post(f"/units/{unit_id}/transitions",
                                    json={"summary": "分析评议总结", "work_since": "2004-01-01"}),
                   409, "conflict", says="16th Party Congress", before=before)
    assert body["details"]["field"] == "work_since"
    assert stack.db("evaluation")["events"].count_documents({}) == evaluated
    left = pass_gate(stack, unit, unit_id, supervisor, "分析评议总结")
    applied = stack.db("units")["events"].find_one({"type": "TransitionApplied",
                                                    "payload.transition_id": left["transition_id"]})
    assert applied["payload"]["review_period"] == {"work_since": "2002-11-08", "thinking_since": "2002-11-08"}
    agreed = stack.db("supervision")["events"].find_one({"type": "TransitionAgreed",
                                                         "payload.transition_id": left["transition_id"]})
    assert agreed["payload"]["readiness"]["analysis"]["ready"] is True  # the group's review showed it

    # 整改提高: measures by every leader, completed; then on to the survey, which it leaves only by result
    due = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    added = unit.post(f"/units/{unit_id}/rectification-measures",
                      json={"kind": "commitment", "description": "带头兑现整改承诺", "owner_member_id": leader,
                            "due": due})
    assert added.status_code == 201, added.text
    measure = added.json()["measure_id"]
    assert card(stack, unit_id)["rectification"]["open"][0]["measure_id"] == measure
    # (setup for the ledger's gate: done with evidence, then signed off by the group)
    done = unit.post(f"/units/{unit_id}/rectification-measures/{measure}/completion",
                     json={"note": "已兑现", "attachment_ids": [evidence(stack, unit, unit_id)]})
    assert done.status_code == 201, done.text
    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/rectification-measures/{measure}/completion", json={}),
            409, "conflict", says="already completed", before=before)
    sign_off(supervisor, measure)
    pass_gate(stack, unit, unit_id, supervisor, "整改提高总结")
    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "申请验收"}), 422, "rejected",
            says="only by the survey's result", before=before)
    phases = [h["phase"] for h in card(stack, unit_id)["history"]]
    assert phases == ["mobilization", "analysis", "rectification", "survey"]

    # a failed survey sends the unit to 补课, and its history says why; then survey again, passed
    failed = run_survey(stack, unit, unit_id, supervisor, "dissatisfied")
    wait_until(lambda: card(stack, unit_id)["phase"] == "remedial", message="the unit to enter 补课")
    got = card(stack, unit_id)
    assert failed in got["history"][-1]["reason"] and "补课" in got["history"][-1]["reason"]
    assert "remedial" in got["flags"]
    before = logged(stack)
    refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "补课总结"}), 422, "rejected",
            says="no rectification measures were set in phase 'remedial'", before=before)
    redo = unit.post(f"/units/{unit_id}/rectification-measures",
                     json={"description": "补课：重新征求意见并整改", "owner_member_id": leader, "due": due})
    assert redo.status_code == 201, redo.text
    assert unit.post(f"/units/{unit_id}/rectification-measures/{redo.json()['measure_id']}/completion",
                     json={"note": "已整改", "attachment_ids": [evidence(stack, unit, unit_id)]}).status_code == 201
    sign_off(supervisor, redo.json()["measure_id"])
    pass_gate(stack, unit, unit_id, supervisor, "补课总结")

    # a passed survey is not yet acceptance: the unit awaits 检查验收 in the survey phase
    passed = run_survey(stack, unit, unit_id, supervisor, "satisfied")
    wait_until(lambda: stack.db("units")["events"].find_one({"type": "SurveyPassNoted",
                                                             "payload.survey_id": passed}),
               message="the units service to note the passed survey")
    assert card(stack, unit_id)["phase"] == "survey"
    # a failed inspection sends it back to 整改提高 with the inspection's findings
    inspect(supervisor, unit_id, "fail", "整改措施落实不到位")
    wait_until(lambda: card(stack, unit_id)["phase"] == "rectification", message="the unit back in 整改提高")
    assert "整改措施落实不到位" in card(stack, unit_id)["history"][-1]["reason"]
    before = stack.db("evaluation")["events"].count_documents({})
    again = supervisor.post(f"/units/{unit_id}/acceptance-inspections",
                            json={"result": "pass", "date": TODAY})
    assert again.status_code == 409 and again.json()["details"]["missing"] == ["new_passed_survey"], again.text
    assert stack.db("evaluation")["events"].count_documents({}) == before
    pass_gate(stack, unit, unit_id, supervisor, "整改提高总结（复查）")
    run_survey(stack, unit, unit_id, supervisor, "satisfied")
    inspect(supervisor, unit_id, "pass", "成果扎实")  # only a passed inspection accepts the unit
    wait_until(lambda: card(stack, unit_id)["phase"] == "accepted", message="the unit to be accepted")
    phases = [h["phase"] for h in card(stack, unit_id)["history"]]
    assert phases == ["mobilization", "analysis", "rectification", "survey", "remedial", "survey",
                      "rectification", "survey", "accepted"]


def inspect(supervisor, unit_id, result, notes):
    """检查验收 once evaluation has closed the passed survey (R13)."""
    def inspected():
        answer = supervisor.post(f"/units/{unit_id}/acceptance-inspections",
                                 json={"result": result, "notes": notes, "date": TODAY})
        return answer if answer.status_code == 201 else None
    return wait_until(inspected, message="evaluation to record the inspection")
