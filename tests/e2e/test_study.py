"""Study tracking through the gateway (issue 4): study plans (R9), sessions from the
listed forms and content (R10), the campaign calendar (R8), the 40-学时 floor with
recorded exemptions (R7), readiness, the compliance sheet, member records, the county
table and the ledger workbook. Every refusal is a clear 4xx that stores nothing, and
the figures are rebuilt identically from the logs."""
from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from openpyxl import load_workbook

from assembly.stack import wait_until
from shared.edge import unwrap

WINDOW = [f"2024-02-{d}" for d in range(16, 26)]   # batch 1: 10 half-days from 16 Feb


# ------------------------------------------------------------------ helpers

def study_logged(stack) -> int:
    return stack.db("study")["events"].count_documents({})


def assert_error(response, status, code=None, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["message"] and isinstance(body["details"], dict), body
    if code:
        assert body["error"] == code, body
    if message:
        assert message in body["message"], body
    return body


def make_unit(stack, members, batch=1, sections=("办公室", "综合科")):
    """Register a unit (office), enrol members (unit token) and wait until the study
    service's roster knows them. ``members``: {key: (section, is_leader, is_retired)}."""
    office = stack.as_role("office")
    name = "单位-" + uuid.uuid4().hex[:6]
    created = office.post("/units", json={"name": name, "org_type": "党组", "batch": batch,
                                          "sections": list(sections)})
    assert created.status_code == 201, created.text
    unit_id = created.json()["unit_id"]
    unit = stack.as_role("unit", scope=unit_id)
    ids = {}
    for key, (section, is_leader, is_retired) in members.items():
        enrolled = unit.post(f"/units/{unit_id}/members",
                             json={"name": key, "section": section, "is_leader": is_leader,
                                   "is_retired": is_retired})
        assert enrolled.status_code == 201, enrolled.text
        ids[key] = enrolled.json()["member_id"]
    rosters = stack.db("study")["study_rosters"]
    wait_until(lambda: (doc := rosters.find_one({"_id": unit_id}))
               and len(doc["members"]) == len(members),
               timeout=30, message=f"the study service to learn {unit_id}'s roster")
    return unit_id, ids, unit


def session_body(unit_id, **change):
    body = {"unit_id": unit_id, "form": "lecture", "date": "2024-02-16", "hours": 4,
            "content_keys": ["party_constitution"], "title": "党章专题讲座"}
    body.update(change)
    return body


def record_session(unit, unit_id, **change):
    response = unit.post("/study-sessions", json=session_body(unit_id, **change))
    assert response.status_code == 201, response.text
    return response.json()["session_id"]


def attend(unit, session_id, *member_ids):
    response = unit.post(f"/study-sessions/{session_id}/attendance",
                         json={"member_ids": list(member_ids)})
    assert response.status_code == 201, response.text
    return response.json()


def full_plan(**change):
    plan = {"personnel": {"scope": "全体党员（含离退休干部）", "study_group_ids": []},
            "time": {"self_study_from": "2024-01-20", "self_study_until": "2024-02-09",
                     "centralised_from": "2024-02-16", "centralised_until": "2024-02-25",
                     "planned_hours": 40},
            "content": {"required": ["hu_jintao_speech", "party_constitution",
                                     "central_document_20"],
                        "local_documents": [{"title": "本单位实施意见", "reference": "办发〔2024〕3号"}]},
            "effect": {"goals": ["每名党员撰写心得体会"], "assessment": "学习测试"}}
    plan.update(change)
    return plan


def readiness(stack, unit_id):
    """The answer units and supervision get (typed RPC, the one answer shape)."""
    with stack.rpc() as rpc:
        return unwrap(rpc.study.readiness(unit_id=unit_id))


@pytest.fixture(scope="module")
def neighbour(stack):
    """Another unit, whose member must not be counted at our sessions."""
    return make_unit(stack, {"赵邻": ("办公室", False, False)})


# ------------------------------------------------------------------ R9 study plan

def test_r9_plan_missing_items_are_named_and_nothing_is_stored(stack):
    unit_id, _, unit = make_unit(stack, {"张主任": ("办公室", True, False)})
    before = study_logged(stack)
    body = assert_error(unit.put(f"/units/{unit_id}/study-plan", json={}), 422,
                        message="四落实")
    assert body["details"]["missing"] == ["personnel", "time", "content", "effect"]
    assert body["details"]["missing_labels"] == ["人员", "时间", "内容", "效果"]

    partial = full_plan()
    del partial["time"], partial["effect"]
    body = assert_error(unit.put(f"/units/{unit_id}/study-plan", json=partial), 422)
    assert body["details"]["missing"] == ["time", "effect"]
    assert "time, effect" in body["message"]

    no_goals = full_plan(effect={"goals": ["  "]})
    assert assert_error(unit.put(f"/units/{unit_id}/study-plan", json=no_goals),
                        422)["details"]["missing"] == ["effect"]

    short = full_plan(time={**full_plan()["time"], "planned_hours": 30})
    assert_error(unit.put(f"/units/{unit_id}/study-plan", json=short), 422,
                 message="below the floor")
    ghost_group = full_plan(personnel={"scope": "全体", "study_group_ids": ["sg-nope"]})
    assert_error(unit.put(f"/units/{unit_id}/study-plan", json=ghost_group), 422,
                 message="study groups")
    assert_error(unit.put(f"/units/{unit_id}/study-plan", json={**full_plan(), "x": 1}), 422,
                 "invalid")
    assert study_logged(stack) == before
    assert unit.get(f"/units/{unit_id}/study").json()["has_plan"] is False


def test_r9_complete_plan_is_recorded_with_warnings_and_versions(stack):
    unit_id, _, unit = make_unit(stack, {"张主任": ("办公室", True, False)})
    saved = unit.put(f"/units/{unit_id}/study-plan", json=full_plan())
    assert saved.status_code == 201, saved.text
    assert saved.json()["plan_version"] == 1
    # required content left out is recorded as a warning, not refused
    codes = {w["code"] for w in saved.json()["warnings"]}
    assert codes == {"required_content_not_planned"}
    again = unit.put(f"/units/{unit_id}/study-plan", json=full_plan(
        time={**full_plan()["time"], "centralised_from": "2024-03-01",
              "centralised_until": "2024-03-10"}))
    assert again.status_code == 201 and again.json()["plan_version"] == 2
    assert "centralised_outside_window" in {w["code"] for w in again.json()["warnings"]}
    sheet = unit.get(f"/units/{unit_id}/study").json()
    assert sheet["has_plan"] and sheet["plan"]["plan_version"] == 2
    assert sheet["plan"]["personnel"]["scope"] == "全体党员（含离退休干部）"
    stored = stack.db("study")["events"].find_one({"stream_id": f"study-{unit_id}",
                                                   "type": "StudyPlanSet"})
    assert stored["actor"]["role"] == "unit" and stored["actor"]["scope"] == unit_id


def test_r9_plan_only_by_the_unit_itself(stack, neighbour):
    unit_id, _, _ = make_unit(stack, {"张主任": ("办公室", True, False)})
    before = study_logged(stack)
    assert_error(stack.as_role("office").put(f"/units/{unit_id}/study-plan", json=full_plan()),
                 403, "forbidden")
    other = stack.as_role("unit", scope=neighbour[0])
    assert_error(other.put(f"/units/{unit_id}/study-plan", json=full_plan()), 403, "forbidden")
    assert study_logged(stack) == before


# ------------------------------------------------------------------ R10 sessions

def test_r10_every_listed_form_and_a_referenced_local_document_are_accepted(stack):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False)})
    forms = ["reading_originals", "lecture", "video", "exemplary_member_report"]
    for i, form in enumerate(forms):
        record_session(unit, unit_id, form=form, date=WINDOW[i], hours=3.5,
                       content_keys=["advanced_nature_reader"])
    record_session(unit, unit_id, form="self_study", date="2024-02-01", hours=2,
                   content_keys=[], local_document={"title": "县委实施方案",
                                                    "reference": "县委发〔2024〕1号"})
    sheet = unit.get(f"/units/{unit_id}/study").json()
    assert [s["form"] for s in sheet["sessions"]] == ["self_study", *forms]
    assert sheet["sessions"][0]["mode"] == "self"
    assert sheet["sessions"][0]["local_document"]["reference"] == "县委发〔2024〕1号"
    assert {s["form_label"] for s in sheet["sessions"]} == {
        "读原著", "专题讲座", "看录像", "请基层优秀党员作报告", "自学"}
    assert all(s["hours"] == 3.5 for s in sheet["sessions"][1:])


@pytest.mark.parametrize("change,message", [
    ({"hours": -2}, None),                       # negative: the schema refuses
    ({"hours": 0}, None),
    ({"hours": 100}, None),                      # beyond any day: the schema refuses
    ({"hours": 12}, "at most 8"),                # longer than a working day: the domain refuses
    ({"hours": 1.3}, "whole or half"),
    ({"hours": "lots"}, None),
    ({"hours": "2"}, None),                      # a number in a string is not a number
    ({"content_keys": ["gossip"]}, None),        # outside the list, no document
    ({"content_keys": []}, "local document"),    # no content at all
    ({"content_keys": [], "local_document": {"title": "本单位文件"}}, None),   # no reference
    ({"content_keys": [], "local_document": {"title": "本单位文件", "reference": "  "}},
     "document reference"),
    ({"form": "karaoke"}, None),
    ({"date": "16 Feb"}, None),
    ({"study_group_id": "sg-nope"}, "no such study group"),
])
def test_bad_sessions_are_refused_and_nothing_is_stored(stack, neighbour, change, message):
    unit_id, ids, unit = neighbour
    before = study_logged(stack)
    body = assert_error(unit.post("/study-sessions", json=session_body(unit_id, **change)), 422,
                        message=message)
    if message is None:
        assert body["error"] == "invalid" and body["details"]["fields"]
    assert study_logged(stack) == before


def test_sessions_only_for_the_callers_own_known_unit(stack, neighbour):
    unit_id, _, _ = make_unit(stack, {"张主任": ("办公室", True, False)})
    before = study_logged(stack)
    other = stack.as_role("unit", scope=neighbour[0])
    assert_error(other.post("/study-sessions", json=session_body(unit_id)), 403, "forbidden")
    assert_error(stack.as_role("office").post("/study-sessions", json=session_body(unit_id)),
                 403, "forbidden")
    ghost = "u-" + uuid.uuid4().hex[:12]
    assert_error(stack.as_role("unit", scope=ghost).post("/study-sessions",
                                                         json=session_body(ghost)),
                 404, "not_found", message="not known")
    assert study_logged(stack) == before


# ------------------------------------------------------------------ attendance

def test_attendance_of_members_including_retired_cadres(stack):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False),
                                           "王老": (None, False, True)})
    session_id = record_session(unit, unit_id)
    answer = attend(unit, session_id, ids["张主任"], ids["王老"])
    assert answer["unit_id"] == unit_id
    session = stack.db("study")["study_sessions"].find_one({"_id": session_id})
    assert session["attendee_ids"] == sorted([ids["张主任"], ids["王老"]])
    retired = unit.get(f"/members/{ids['王老']}/study").json()
    assert retired["is_retired"] is True and retired["centralised_hours"] == 4


def test_attendance_refusals_store_nothing(stack, neighbour):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False),
                                           "李科员": ("综合科", False, False)})
    session_id = record_session(unit, unit_id)
    attend(unit, session_id, ids["张主任"])
    future = record_session(unit, unit_id, date="2099-01-04")
    before = study_logged(stack)
    path = f"/study-sessions/{session_id}/attendance"

    # someone who is not a member of this unit (a member of the neighbour, or nobody)
    outsider = neighbour[1]["赵邻"]
    body = assert_error(unit.post(path, json={"member_ids": [ids["李科员"], outsider]}), 422,
                        message="members of the unit")
    assert body["details"]["non_members"] == [outsider]
    assert_error(unit.post(path, json={"member_ids": ["m-nobody"]}), 422,
                 message="members of the unit")
    # a duplicate attendance record
    body = assert_error(unit.post(path, json={"member_ids": [ids["张主任"]]}), 409, "conflict",
                        message="already recorded")
    assert body["details"]["duplicates"] == [ids["张主任"]]
    # a member listed twice: the schema's uniqueItems (the OpenAPI declares it)
    body = assert_error(unit.post(path, json={"member_ids": [ids["李科员"], ids["李科员"]]}), 422, "invalid")
    assert "member_ids" in body["details"]["fields"]
    # malformed, unknown session, before the session, another unit, the wrong role
    assert_error(unit.post(path, json={"member_ids": []}), 422, "invalid")
    assert_error(unit.post("/study-sessions/ss-nope/attendance",
                           json={"member_ids": [ids["李科员"]]}), 404, "not_found")
    assert_error(unit.post(f"/study-sessions/{future}/attendance",
                           json={"member_ids": [ids["李科员"]]}), 422,
                 message="before the session")
    other = stack.as_role("unit", scope=neighbour[0])
    assert_error(other.post(path, json={"member_ids": [outsider]}), 403, "forbidden")
    assert_error(stack.as_role("office").post(path, json={"member_ids": [ids["李科员"]]}),
                 403, "forbidden")

    assert study_logged(stack) == before
    session = stack.db("study")["study_sessions"].find_one({"_id": session_id})
    assert session["attendee_ids"] == [ids["张主任"]]
    assert unit.get(f"/members/{ids['李科员']}/study").json()["centralised_hours"] == 0


# ------------------------------------------------------------------ R7 floor, exemptions, readiness

def test_r7_floor_sheet_order_and_readiness(stack):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False),
                                           "李科员": ("综合科", False, False),
                                           "王老": (None, False, True)})
    sessions = [record_session(unit, unit_id, date=day, hours=4) for day in WINDOW]
    for i, session_id in enumerate(sessions):
        present = [ids["张主任"]] + ([ids["李科员"]] if i < 2 else []) \
            + ([ids["王老"]] if i < 9 else [])
        attend(unit, session_id, *present)
    # self-study is counted apart from the centralised floor
    self_id = record_session(unit, unit_id, form="self_study", date="2024-02-05", hours=6)
    attend(unit, self_id, ids["李科员"])

    sheet = unit.get(f"/units/{unit_id}/study").json()
    names = [m["name"] for m in sheet["members"]]
    assert names == ["李科员", "王老", "张主任"]           # below the floor first, furthest short first
    by_name = {m["name"]: m for m in sheet["members"]}
    assert by_name["张主任"]["centralised_hours"] == 40 and not by_name["张主任"]["below_floor"]
    assert by_name["李科员"]["centralised_hours"] == 8 and by_name["李科员"]["short_by"] == 32
    assert by_name["李科员"]["self_study_hours"] == 6
    assert by_name["王老"]["short_by"] == 4
    assert (sheet["floor"], sheet["below_floor_count"], sheet["ready"]) == (40, 2, False)

    ready = readiness(stack, unit_id)
    assert ready["ready"] is False and ready["floor"] == 40 and ready["member_count"] == 3
    assert [(m["member_id"], m["hours"], m["short_by"]) for m in ready["members_below"]] == [
        (ids["李科员"], 8, 32), (ids["王老"], 36, 4)]
    assert sheet["readiness"] == ready

    record = stack.as_role("office").get(f"/members/{ids['李科员']}/study").json()
    assert record["centralised_hours"] == 8 and record["below_floor"] is True
    assert [s["session_id"] for s in record["sessions"]] == [self_id, *sessions[:2]]


def test_r7_exemption_needs_a_reason_and_a_grantor_and_counts_for_readiness(stack, neighbour):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False),
                                           "李科员": ("综合科", False, False)})
    session_id = record_session(unit, unit_id, hours=8)
    attend(unit, session_id, ids["张主任"], ids["李科员"])
    for day in WINDOW[1:5]:
        attend(unit, record_session(unit, unit_id, date=day, hours=8), ids["张主任"])
    assert readiness(stack, unit_id)["members_below"][0]["member_id"] == ids["李科员"]

    path = f"/units/{unit_id}/study-exemptions"
    office = stack.as_role("office")
    group = stack.as_role("supervisor", scope=supervising_group(stack, unit_id))
    before = study_logged(stack)
    assert_error(office.post(path, json={"member_id": ids["李科员"]}), 422, "invalid")
    assert_error(office.post(path, json={"member_id": ids["李科员"], "reason": "   "}), 422,
                 message="reason")
    assert_error(office.post(path, json={"member_id": neighbour[1]["赵邻"], "reason": "病"}), 422,
                 message="member of the unit")
    # issue 15: never the unit for itself (nor another unit), nor another group's supervisor
    assert_error(unit.post(path, json={"member_id": ids["李科员"], "reason": "病"}), 403)
    other = stack.as_role("unit", scope=neighbour[0])
    assert_error(other.post(path, json={"member_id": ids["李科员"], "reason": "病"}), 403)
    assert_error(stack.as_role("supervisor", scope="g-x").post(
        path, json={"member_id": ids["李科员"], "reason": "病"}), 403, "forbidden",
        message="not in your supervision group")
    assert study_logged(stack) == before

    granted = stack.as_role("office", name="办公室 刘").post(
        path, json={"member_id": ids["李科员"], "reason": "住院治疗，经批准免除"})
    assert granted.status_code == 201, granted.text
    assert_error(group.post(path, json={"member_id": ids["李科员"], "reason": "again"}), 409)
    ready = readiness(stack, unit_id)
    assert ready["ready"] is True and ready["members_below"] == []
    assert ready["exempted"] == [ids["李科员"]]
    record = unit.get(f"/members/{ids['李科员']}/study").json()
    assert record["exempted"] and not record["below_floor"] and record["short_by"] == 32
    assert record["exemption"]["reason"] == "住院治疗，经批准免除"
    assert record["exemption"]["granted_by"]["name"] == "办公室 刘"
    assert record["exemption"]["granted_by"]["role"] == "office"

    # revoking also needs a reason; then the member is below the floor again
    member_path = f"{path}/{ids['李科员']}"
    before = study_logged(stack)
    assert_error(office.delete(member_path), 422, "invalid")
    assert_error(office.delete(f"{path}/{ids['张主任']}?reason=x"), 404)
    assert_error(unit.delete(member_path + "?reason=已出院"), 403)
    assert study_logged(stack) == before
    revoked = group.delete(member_path + "?reason=已出院，补学")
    assert revoked.status_code == 200, revoked.text
    assert readiness(stack, unit_id)["ready"] is False


def test_readiness_of_a_unit_without_members_or_unknown(stack):
    unit_id, _, _ = make_unit(stack, {})
    assert readiness(stack, unit_id) == {"unit_id": unit_id, "ready": False, "floor": 40,
                                         "members_below": [], "exempted": [],
                                         "member_count": 0}
    assert readiness(stack, "u-unknown")["ready"] is False


# ------------------------------------------------------------------ R8 calendar

def test_r8_calendar_flags_centralised_study_outside_the_window(stack):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False)})
    early = unit.post("/study-sessions", json=session_body(unit_id, date="2024-02-10"))
    assert early.status_code == 201
    assert [f["code"] for f in early.json()["calendar_flags"]] == ["centralised_outside_window"]
    assert early.json()["calendar_flags"][0]["window"] == ["2024-02-16", "2024-02-25"]
    inside = unit.post("/study-sessions", json=session_body(unit_id, date="2024-02-20"))
    assert inside.json()["calendar_flags"] == []
    # before the Spring Festival study is mainly self-study: not flagged
    self_study = unit.post("/study-sessions", json=session_body(
        unit_id, form="self_study", date="2024-01-25"))
    assert self_study.json()["calendar_flags"] == []
    sheet = unit.get(f"/units/{unit_id}/study").json()
    assert sheet["calendar"]["centralised_start"] == "2024-02-16"
    assert sheet["calendar"]["spring_festival"] == "2024-02-10"
    assert [(c["code"], c["session_id"]) for c in sheet["conflicts"]] == [
        ("centralised_outside_window", early.json()["session_id"])]


def test_r8_mobilisation_meeting_after_centralised_start_is_flagged(stack):
    """B holds its mobilisation meeting on 18 Feb, after centralised study began. The
    units service refuses meetings in the past, so against the real clock the meeting
    is scheduled ahead; the default calendar is 2024's, whose window opened on 16 Feb
    (B's own dates are covered by the domain tests)."""
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False)})
    sheet = unit.get(f"/units/{unit_id}/study").json()
    assert sheet["conflicts"] == [] and sheet["mobilization_meeting"]["scheduled"] is None
    meeting = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    scheduled = unit.post(f"/units/{unit_id}/mobilization-meeting", json={"date": meeting})
    assert scheduled.status_code == 201, scheduled.text
    sheet = wait_until(
        lambda: (s := unit.get(f"/units/{unit_id}/study").json())["conflicts"] and s,
        message="the study service to flag the meeting date")
    conflict = sheet["conflicts"][0]
    assert conflict["code"] == "mobilization_after_centralised_start"
    assert (conflict["meeting_date"], conflict["centralised_start"]) == (meeting, "2024-02-16")
    assert sheet["mobilization_meeting"]["scheduled"] == meeting
    row = next(r for r in stack.as_role("office").get("/study/county").json()["units"]
               if r["unit_id"] == unit_id)
    assert row["conflict_codes"] == ["mobilization_after_centralised_start"]


# ------------------------------------------------------------------ R10 coverage

def test_r10_coverage_per_member_and_per_unit(stack):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False),
                                           "李科员": ("综合科", False, False)})
    a = record_session(unit, unit_id, content_keys=["party_constitution", "central_document_20"])
    b = record_session(unit, unit_id, date="2024-02-17", content_keys=["hu_jintao_speech"])
    attend(unit, a, ids["张主任"], ids["李科员"])
    attend(unit, b, ids["张主任"])
    lee = unit.get(f"/members/{ids['李科员']}/study").json()["coverage"]
    assert lee["covered"] == ["central_document_20", "party_constitution"]
    assert lee["covered_count"] == 2 and lee["required_count"] == 10 and not lee["complete"]
    assert "党章" not in lee["missing_labels"] and "中央20号文件" not in lee["missing_labels"]
    coverage = unit.get(f"/units/{unit_id}/study").json()["coverage"]
    counted = {i["key"]: i["members_covered"] for i in coverage["items"]}
    assert counted["party_constitution"] == 2 and counted["hu_jintao_speech"] == 1
    assert counted["central_document_20"] == 2
    assert coverage["covered_count"] == 3 and coverage["members_complete"] == 0


# ------------------------------------------------------------------ reads by scope

def supervising_group(stack, unit_id):
    """Form a supervision group and assign the unit to it (once supervision knows it)."""
    office = stack.as_role("office")
    person = {"rank": "section", "home_unit": "县委组织部", "post": "科长"}
    formed = office.post("/groups", json={"name": "督导组-" + uuid.uuid4().hex[:4],
                                          "leader": {"name": "组长", **person},
                                          "members": [{"name": "组员", **person}]})
    assert formed.status_code == 201, formed.text
    group_id = formed.json()["group_id"]
    wait_until(lambda: office.post(f"/groups/{group_id}/units",
                                   json={"unit_id": unit_id}).status_code == 201,
               message="supervision to accept the unit")
    return group_id


def test_member_record_and_sheet_by_scope(stack, neighbour):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False)})
    member = ids["张主任"]
    group_id = supervising_group(stack, unit_id)
    for client in (stack.as_role("office"), stack.as_role("auditor"),
                   stack.as_role("supervisor", scope=group_id), unit):
        assert client.get(f"/members/{member}/study").json()["unit_id"] == unit_id
        assert client.get(f"/units/{unit_id}/study").json()["unit_id"] == unit_id
        assert client.get(f"/units/{unit_id}/study/ledger.xlsx").status_code == 200
    # another unit, a supervisor of another group: the unit's figures are not theirs
    for outsider in (stack.as_role("unit", scope=neighbour[0]),
                     stack.as_role("supervisor", scope="g-other")):
        assert_error(outsider.get(f"/members/{member}/study"), 404)
        assert_error(outsider.get(f"/units/{unit_id}/study"), 403, "forbidden")
        assert_error(outsider.get(f"/units/{unit_id}/study/ledger.xlsx"), 403, "forbidden")
    assert_error(unit.get("/members/m-nobody/study"), 404)
    assert_error(stack.as_role("office").get("/units/u-nobody/study"), 404)
    assert_error(stack.as_role("respondent", scope="sv-1").get(f"/units/{unit_id}/study"), 403)


def test_county_table_least_compliant_first(stack):
    low_id, low, low_unit = make_unit(stack, {"甲": ("办公室", False, False)})
    high_id, high, high_unit = make_unit(stack, {"乙": ("办公室", False, False)})
    for day in WINDOW:
        attend(high_unit, record_session(high_unit, high_id, date=day), high["乙"])
    attend(low_unit, record_session(low_unit, low_id), low["甲"])
    table = stack.as_role("office").get("/study/county").json()
    assert table["floor"] == 40
    rows = {r["unit_id"]: r for r in table["units"]}
    assert rows[low_id]["compliance"] == 0 and rows[high_id]["compliance"] == 1
    order = [r["unit_id"] for r in table["units"]]
    assert order.index(low_id) < order.index(high_id)
    values = [-1 if r["compliance"] is None else r["compliance"] for r in table["units"]]
    assert values == sorted(values)
    assert all("basis" not in r for r in table["units"])
    for client in (stack.as_role("auditor"), stack.as_role("supervisor", scope="g-any")):
        assert client.get("/study/county").status_code == 200
    assert_error(low_unit.get("/study/county"), 403, "forbidden")
    batch_two = stack.as_role("office").get("/study/county?batch=2").json()["units"]
    assert low_id not in {r["unit_id"] for r in batch_two}


# ------------------------------------------------------------------ the ledger workbook

def test_ledger_is_an_excel_workbook(stack, neighbour):
    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False),
                                           "李科员": ("综合科", False, False)})
    session_id = record_session(unit, unit_id, title="学习党章")
    attend(unit, session_id, ids["张主任"], ids["李科员"])
    response = unit.get(f"/units/{unit_id}/study/ledger.xlsx")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert f"study-ledger-{unit_id}.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["党员学时", "学习场次", "出勤登记"]
    members = [row for row in book["党员学时"].iter_rows(min_row=3, values_only=True)]
    assert {(r[0], r[4]) for r in members} == {("张主任", 4), ("李科员", 4)}
    sessions = list(book["学习场次"].iter_rows(min_row=3, values_only=True))
    assert sessions[0][0] == "2024-02-16" and sessions[0][4] == "学习党章"
    assert len(list(book["出勤登记"].iter_rows(min_row=3, values_only=True))) == 2
    other = stack.as_role("unit", scope=neighbour[0])
    assert_error(other.get(f"/units/{unit_id}/study/ledger.xlsx"), 403)
    assert stack.as_role("auditor").get(f"/units/{unit_id}/study/ledger.xlsx").status_code == 200


# ------------------------------------------------------------------ hours derive from events only

def test_rebuilding_the_projections_from_the_logs_gives_the_same_figures(stack):
    from services.study.projections import PROJECTIONS
    from shared.projection_store import MongoProjector

    unit_id, ids, unit = make_unit(stack, {"张主任": ("办公室", True, False),
                                           "李科员": ("综合科", False, False)})
    for day in WINDOW[:3]:
        attend(unit, record_session(unit, unit_id, date=day, hours=3.5),
               ids["张主任"], ids["李科员"])
    stack.as_role("office").post(f"/units/{unit_id}/study-exemptions",
                                 json={"member_id": ids["李科员"], "reason": "长期外派"})
    sheet_before = unit.get(f"/units/{unit_id}/study").json()
    county_before = stack.as_role("office").get("/study/county").json()

    db = stack.db("study")
    projector = MongoProjector(db, PROJECTIONS)
    live = projector.dump()
    assert live["study_members"][ids["张主任"]]["basis"]["tally"]["centralised"] == 21  # half-hours
    # a read model tampered with, or lost: the log still holds the truth
    db["study_members"].update_one({"_id": ids["张主任"]},
                                   {"$set": {"basis.tally.centralised": 999}})
    projector.drop()
    assert db["study_units"].count_documents({}) == 0

    with stack.rpc() as rpc:
        units_log = rpc.units.events_since(0, 0)
        study_log = rpc.study.events_since(0, 0)
    assert any(e["type"] == "StudyAttendanceRecorded" for e in study_log)
    projector.apply(units_log, "units")
    projector.apply(study_log, "study")
    projector.ensure_indexes()

    assert projector.dump() == live
    assert unit.get(f"/units/{unit_id}/study").json() == sheet_before
    assert stack.as_role("office").get("/study/county").json() == county_before
    assert unit.get(f"/members/{ids['张主任']}/study").json()["centralised_hours"] == 10.5
