"""Obligations through the running system (issue 15): derived from the record, overdue only
once the scheduler (one instance at a time, by lease) records the due date passing on its
clock, listed by scope, waived by the office; two schedulers never record one twice, and
an as-of view shows an obligation open at one moment and overdue at a later one.

The scheduler's clock is moved forward by restarting the supervision service with
``DUDAO_CLOCK_OFFSET`` (the one clock, shared.clock): the rest of the stack keeps the wall's."""
import datetime as dt
import time

import pytest

from assembly.stack import throwaway_stack, wait_until
from shared.clock import utc_now_iso
from tests.e2e.test_study import WINDOW, attend, record_session
from tests.e2e.test_supervision import (
    _unit_in_mobilization_and_ready,
    assign,
    day,
    form_group,
    register_unit,
    schedule_meeting,
)

AHEAD = 5  # days the restarted schedulers' clock runs ahead of the wall


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, label="oblig",
                         env={"DUDAO_SCHEDULER_SECONDS": "0.5"}) as running:
        yield running


def overdue_events(stack, obligation_id=None) -> int:
    query = {"type": "ObligationBecameOverdue"}
    if obligation_id:
        query["payload.obligation_id"] = obligation_id
    return stack.db("supervision")["events"].count_documents(query)


def card(stack, unit_id) -> dict:
    answer = stack.as_role("office").get(f"/units/{unit_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def supervision_logged(stack) -> int:
    return stack.db("supervision")["events"].count_documents({})


def obligations(stack, token_role="office", scope=None, **query):
    answer = stack.as_role(token_role, scope=scope).get("/obligations", params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def county(stack):
    """A unit assigned to a group, its meeting in three days: the group owes its arrival
    by tomorrow, the unit its approved plan by the day after; and a second unit elsewhere."""
    group = form_group(stack)
    unit_id = register_unit(stack)
    assign(stack, group["group_id"], unit_id)
    schedule_meeting(stack, unit_id, day(3))
    other_group = form_group(stack)
    other_unit = register_unit(stack)
    assign(stack, other_group["group_id"], other_unit)
    wait_until(lambda: len(obligations(stack, unit_id=unit_id)) == 2, 30,
               message="the obligations derived from the meeting")
    return {"group_id": group["group_id"], "unit_id": unit_id, "other_group": other_group["group_id"],
            "other_unit": other_unit, "before": utc_now_iso()}


def test_the_meeting_makes_obligations_that_are_open_on_todays_clock(stack, county):
    found = {o["type"]: o for o in obligations(stack, unit_id=county["unit_id"])}
    assert set(found) == {"arrival", "work_plan"}
    arrival = found["arrival"]
    assert (arrival["due"], arrival["owed_by"], arrival["group_id"], arrival["status"],
            arrival["days_overdue"]) == (day(1), "group", county["group_id"], "open", 0)
    assert found["work_plan"]["due"] == day(2) and found["work_plan"]["owed_by"] == "unit"
    assert overdue_events(stack) == 0


def test_the_obligations_as_an_excel_workbook(stack, county):
    import io

    from openpyxl import load_workbook

    answer = stack.as_role("office").get("/obligations.xlsx", params={"unit_id": county["unit_id"]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    rows = list(book["督办台账"].iter_rows(min_row=2, values_only=True))
    listed = obligations(stack, unit_id=county["unit_id"])
    assert sorted(r[-1] for r in rows) == sorted(o["obligation_id"] for o in listed)
    counts = {r[0]: r[-1] for r in book["统计"].iter_rows(min_row=2, values_only=True)}
    assert counts["督导组到位"] == 1 and counts["实施方案审批"] == 1
    other = stack.as_role("unit", scope=county["other_unit"]).get("/obligations.xlsx")
    assert other.status_code == 200
    assert list(load_workbook(io.BytesIO(other.content))["督办台账"].iter_rows(min_row=2)) == []


def test_each_reader_sees_only_their_scope(stack, county):
    mine = obligations(stack, "unit", county["unit_id"])
    assert {o["unit_id"] for o in mine} == {county["unit_id"]}
    assert obligations(stack, "unit", county["other_unit"]) == []
    # a unit asking for another's is answered with its own (scope wins over the filter)
    assert obligations(stack, "unit", county["other_unit"], unit_id=county["unit_id"]) == []
    assert {o["unit_id"] for o in obligations(stack, "supervisor", county["group_id"])} == {county["unit_id"]}
    assert obligations(stack, "supervisor", county["other_group"]) == []
    assert obligations(stack, "auditor") == obligations(stack, "office")
    bad = stack.as_role("office").get("/obligations", params={"status": "late-ish"})
    assert bad.status_code == 422 and "status" in bad.json()["details"]["fields"]


def test_two_schedulers_ahead_of_the_wall_record_each_passed_date_once(stack, county):
    stack.kill("supervision")
    stack.start("supervision", DUDAO_CLOCK_OFFSET=f"{AHEAD}d")
    stack.start("supervision", "supervision-2", DUDAO_CLOCK_OFFSET=f"{AHEAD}d")
    stack.wait_answering(["supervision"])
    arrival_id = f"{county['unit_id']}:arrival"
    wait_until(lambda: overdue_events(stack, arrival_id) == 1, 30, message="the arrival recorded overdue")
    wait_until(lambda: overdue_events(stack, f"{county['unit_id']}:work_plan") == 1, 30,
               message="the plan recorded overdue")
    ticks_later = supervision_logged(stack)
    time.sleep(3)  # several ticks of both schedulers: nothing more to record
    assert all(stack.processes[k].poll() is None for k in ("supervision", "supervision-2"))
    assert overdue_events(stack, arrival_id) == 1
    assert supervision_logged(stack) == ticks_later
    found = {o["type"]: o for o in obligations(stack, status="overdue", unit_id=county["unit_id"])}
    assert set(found) == {"arrival", "work_plan"}
    wait_until(lambda: card(stack, county["unit_id"])["overdue"]["count"] == 2, 30,
               message="the unit card to carry its overdue obligations")
    assert card(stack, county["unit_id"])["overdue"]["types"] == ["arrival", "work_plan"]
    assert "overdue" in card(stack, county["unit_id"])["flags"]
    assert found["arrival"]["days_overdue"] == AHEAD - 1
    event = stack.db("supervision")["events"].find_one({"payload.obligation_id": arrival_id})
    assert event["actor"]["role"] == "system" and event["payload"]["observed_on"] == day(AHEAD)


def test_as_of_shows_the_arrival_open_before_and_overdue_after(stack, county):
    wait_until(lambda: overdue_events(stack, f"{county['unit_id']}:arrival") == 1, 30)
    auditor = stack.as_role("auditor")

    def arrival_at(moment):
        answer = auditor.get("/audit/as-of", params={"time": moment, "unit": county["unit_id"]})
        assert answer.status_code == 200, answer.text
        [doc] = answer.json()["services"]["supervision"]["supervision_obligations"]
        return next(o for o in doc["obligations"] if o["type"] == "arrival")["status"]

    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=AHEAD + 1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    assert arrival_at(county["before"]) == "open"
    assert arrival_at(later) == "overdue"


def test_the_office_waives_an_overdue_obligation_with_a_reason(stack, county):
    arrival_id = f"{county['unit_id']}:arrival"
    wait_until(lambda: overdue_events(stack, arrival_id) == 1, 30)
    office = stack.as_role("office")
    before = supervision_logged(stack)
    for token, body, status in ((stack.as_role("supervisor", scope=county["group_id"]), {"reason": "x"}, 403),
                                (office, {"reason": ""}, 422),
                                (office, {}, 422)):
        refused = token.post(f"/obligations/{arrival_id}/waive", json=body)
        assert refused.status_code == status, refused.text
    unknown = office.post(f"/obligations/{county['unit_id']}:nothing/waive", json={"reason": "x"})
    assert unknown.status_code == 404, unknown.text
    assert supervision_logged(stack) == before
    waived = office.post(f"/obligations/{arrival_id}/waive", json={"reason": "组长住院，市委同意"})
    assert waived.status_code == 201, waived.text
    wait_until(lambda: {o["obligation_id"] for o in obligations(stack, status="waived")} == {arrival_id}, 30,
               message="the waiver listed")
    again = office.post(f"/obligations/{arrival_id}/waive", json={"reason": "again"})
    assert again.status_code == 409, again.text
    wait_until(lambda: card(stack, county["unit_id"])["overdue"]["types"] == ["work_plan"], 30,
               message="the waived arrival off the unit card")


def test_a_directive_is_sent_refused_answered_and_falls_overdue_unanswered(stack, county):
    """The supervision service's clock runs AHEAD days ahead here (the tests above)."""
    unit_id, group_id = county["unit_id"], county["group_id"]
    office, sup = stack.as_role("office"), stack.as_role("supervisor", scope=group_id)
    before = supervision_logged(stack)
    refusals = ((stack.as_role("unit", scope=unit_id), {"unit_id": unit_id}, 403),
                (stack.as_role("supervisor", scope=county["other_group"]), {"unit_id": unit_id}, 403),
                (sup, {"group_id": group_id}, 403),
                (office, {"unit_id": unit_id, "reply_by": day(1)}, 422),
                (office, {"unit_id": unit_id, "group_id": group_id}, 422),
                (office, {"unit_id": "u-000000000000"}, 404))
    for token, body, status in refusals:
        answer = token.post("/directives", json={"text": "请报告", "reply_by": day(AHEAD + 1), **body})
        assert answer.status_code == status, (body, answer.text)
    assert supervision_logged(stack) == before

    sent = sup.post("/directives", json={"unit_id": unit_id, "obligation_id": f"{unit_id}:work_plan",
                                         "text": "工作方案尚未审批，请于两日内报送", "reply_by": day(AHEAD + 1)})
    assert sent.status_code == 201, sent.text
    to_group = office.post("/directives", json={"group_id": group_id, "text": "请报告到位情况",
                                                "reply_by": day(AHEAD + 1)})
    assert to_group.status_code == 201, to_group.text
    directive_id = sent.json()["directive_id"]
    stranger = stack.as_role("unit", scope=county["other_unit"])
    assert stranger.post(f"/directives/{directive_id}/reply", json={"text": "x"}).status_code == 403
    own = stack.as_role("unit", scope=unit_id)
    assert own.post(f"/directives/{directive_id}/acknowledgement", json={}).status_code == 201
    replied = own.post(f"/directives/{directive_id}/reply", json={"text": "已报送修改后的方案"})
    assert replied.status_code == 201, replied.text
    assert own.post(f"/directives/{directive_id}/reply", json={"text": "again"}).status_code == 409

    # the group's own directive goes unanswered: with the clock past its reply date it is overdue
    stack.kill("supervision")
    stack.kill("supervision-2")
    stack.start("supervision", DUDAO_CLOCK_OFFSET=f"{AHEAD + 3}d")
    stack.wait_answering(["supervision"])
    group_directive = f"{group_id}:directive:{to_group.json()['directive_id']}"
    wait_until(lambda: overdue_events(stack, group_directive) == 1, 30, message="the directive overdue")
    console = office.get("/console").json()
    assert group_directive in {o["obligation_id"] for o in console["overdue"]}
    mine = {o["obligation_id"]: o for o in obligations(stack, "supervisor", group_id, type="directive")}
    assert mine[group_directive]["status"] == "overdue" and mine[group_directive]["owed_by"] == "group"
    answered = mine[f"{unit_id}:directive:{directive_id}"]
    assert answered["status"] == "met_on_time" and answered["owed_by"] == "unit"


def test_a_units_study_floor_is_met_when_its_last_attendance_is_recorded(stack):
    """R7 across the services: the study service records the floor reached with the attendance
    that completes it (one append), supervision's study_floor obligation, due at the end of
    phase 1 (as extended), is met on that day; an enrolment lapses it, an exemption reaches
    it again."""
    for key in [k for k in ("supervision", "supervision-2") if k in stack.processes]:
        stack.kill(key)  # the tests above left the schedulers' clock ahead of the wall
    stack.start("supervision")
    stack.wait_answering(["supervision"])
    group_id = form_group(stack)["group_id"]
    unit_id = _unit_in_mobilization_and_ready(stack, group_id)  # one member, exempted
    unit, office = stack.as_role("unit", scope=unit_id), stack.as_role("office")

    def floor():
        found = [o for o in obligations(stack, unit_id=unit_id) if o["type"] == "study_floor"]
        return found[0] if found else None

    today = dt.date.today().isoformat()
    # its one member was exempted on record: the floor was reached that day, after the batch's
    # phase-1 deadline (2024's calendar)
    wait_until(lambda: (o := floor()) and o["met_on"] == today, 30,
               message="the study_floor obligation, met, once the unit is in phase 1")
    phase_one = next(o for o in obligations(stack, unit_id=unit_id) if o["type"] == "phase_deadline")
    assert (floor()["due"], floor()["owed_by"], floor()["status"]) == (phase_one["due"], "unit", "met_late")
    extended = office.post(f"/units/{unit_id}/deadline-extensions", json={
        "phase": "mobilization", "until": day(30), "reason": "集中学习需要延长"})
    assert extended.status_code == 201, extended.text
    wait_until(lambda: floor()["due"] == day(30), 30, message="the extension to move the study floor")
    assert floor()["status"] == "met_on_time"

    enrolled = unit.post(f"/units/{unit_id}/members", json={"name": "新党员", "section": None,
                                                             "is_leader": False, "is_retired": True})
    assert enrolled.status_code == 201, enrolled.text
    member_id = enrolled.json()["member_id"]
    wait_until(lambda: floor()["status"] == "open", 30, message="the enrolment to lapse the floor")
    study_events = stack.db("study")["events"]
    lapsed = study_events.find_one({"type": "StudyFloorLapsed", "payload.unit_id": unit_id})
    enrolment = stack.db("units")["events"].find_one({"type": "MemberEnrolled", "payload.member_id": member_id})
    assert lapsed["causation_id"] == enrolment["event_id"] and lapsed["payload"]["members_below"] == [member_id]

    sessions = [record_session(unit, unit_id, date=date, hours=8) for date in WINDOW[:5]]
    for session_id in sessions[:4]:
        attend(unit, session_id, member_id)
    time.sleep(1)  # time for supervision to hear of anything the study service recorded
    assert floor()["status"] == "open"  # 32 学时: short of the floor
    assert study_events.count_documents({"type": "StudyFloorReached", "payload.unit_id": unit_id}) == 1
    attend(unit, sessions[4], member_id)
    wait_until(lambda: floor()["status"] == "met_on_time", 30, message="the last attendance to meet the floor")
    assert floor()["met_on"] == today
    reached = study_events.find_one({"type": "StudyFloorReached", "payload.unit_id": unit_id},
                                    sort=[("_id", -1)])
    attendance = study_events.find_one({"type": "StudyAttendanceRecorded", "payload.session_id": sessions[4]})
    assert reached["_id"] == attendance["_id"] + 1 and reached["correlation_id"] == attendance["correlation_id"]
    assert (reached["payload"]["cause"], reached["payload"]["member_count"]) == ("attendance", 2)
