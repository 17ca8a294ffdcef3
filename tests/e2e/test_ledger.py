"""The rectification ledger (整改台账) through the gateway: problem → measure → completion
with an uploaded file → the group returns it → completion → sign-off (销号) → the gate out
of 整改提高 passes; each refusal a 4xx that stores nothing."""
import datetime
import io

from openpyxl import load_workbook

from assembly.stack import wait_until
from tests.e2e.test_units import (
    TODAY,
    card,
    evidence,
    in_mobilization,
    logged,
    pass_gate,
    phase_two_done,
    refused,
    supervised,
)

DUE = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()


def in_rectification(stack, name):
    unit_id, unit, leader = in_mobilization(stack, name)
    assert unit.put(f"/units/{unit_id}/requirements", json={"text": "具体要求"}).status_code == 200
    wait_until(lambda: stack.as_role("office").get(f"/units/{unit_id}/study").status_code == 200,
               message="study to know the unit")
    group_id, supervisor = supervised(stack, unit_id)
    assert supervisor.post(f"/units/{unit_id}/study-exemptions",
                           json={"member_id": leader, "reason": "长期病休"}).status_code == 201
    pass_gate(stack, unit, unit_id, supervisor, "学习动员总结")
    phase_two_done(unit, unit_id, leader)
    pass_gate(stack, unit, unit_id, supervisor, "分析评议总结")
    return unit_id, unit, leader, group_id, supervisor


def ledger(stack, unit_id, role="office", scope=None):
    got = stack.as_role(role, scope=scope).get(f"/units/{unit_id}/rectification")
    assert got.status_code == 200, got.text
    return got.json()


def test_the_whole_path_from_problem_to_sign_off_and_the_gate(stack):
    unit_id, unit, leader, group_id, supervisor = in_rectification(stack, "县住建局")
    stranger = stack.as_role("supervisor", scope="g-000000000000")  # another group's supervisor

    # 问题清单: the unit lists a problem from the opinions gathered; its group proposes one
    listed = unit.post(f"/units/{unit_id}/problems", json={
        "category": "party_and_government_style", "description": "群众反映审批环节多、时间长",
        "source": "opinions", "source_ref": "op-1"})
    assert listed.status_code == 201, listed.text
    problem = listed.json()["problem_id"]
    assert problem.startswith(f"{unit_id}.p-")
    proposed = supervisor.post(f"/units/{unit_id}/problems", json={
        "category": "internal_management", "description": "档案管理不规范", "source": "inspection"})
    assert proposed.status_code == 201, proposed.text
    before = logged(stack)
    refused(stack, stranger.post(f"/units/{unit_id}/problems", json={
        "category": "livelihood", "description": "x", "source": "plan"}), 403, "forbidden", before=before)
    refused(stack, unit.post(f"/units/{unit_id}/problems", json={
        "category": "weather", "description": "x", "source": "plan"}), 422, before=before)

    # a measure under it, owned by the leader
    added = unit.post(f"/problems/{problem}/measures",
                      json={"owner_member_id": leader, "due": DUE, "commitment": "审批事项限时办结"})
    assert added.status_code == 201, added.text
    measure = added.json()["measure_id"]

    # done without evidence: refused, nothing stored
    before = logged(stack)
    refused(stack, unit.post(f"/measures/{measure}/completion", json={"summary": "已落实", "attachment_ids": []}),
            422, before=before)
    refused(stack, unit.post(f"/measures/{measure}/completion",
                             json={"summary": "已落实", "attachment_ids": ["fu-0123456789ab"]}),
            422, "rejected", says="not", before=before)
    # with an uploaded file: reported done
    file_id = evidence(stack, unit, unit_id)
    before = logged(stack)
    done = unit.post(f"/measures/{measure}/completion", json={"summary": "已落实", "attachment_ids": [file_id]})
    assert done.status_code == 201, done.text
    completed = stack.db("units")["events"].find_one({"type": "RectificationMeasureCompleted",
                                                      "payload.measure_id": measure})
    assert completed["payload"]["evidence"][0]["attachment_id"] == file_id
    assert len(completed["payload"]["evidence"][0]["sha256"]) == 64  # the chain covers the file's hash

    # 复查: never the unit itself, nor another group; the own group returns it
    before = logged(stack)
    refused(stack, unit.post(f"/measures/{measure}/review", json={"decision": "sign_off"}), 403, before=before)
    refused(stack, stranger.post(f"/measures/{measure}/review", json={"decision": "sign_off"}), 403,
            "forbidden", before=before)
    returned = supervisor.post(f"/measures/{measure}/review", json={"decision": "return", "comments": "佐证不足"})
    assert returned.status_code == 201 and returned.json()["returns"] == 1, returned.text
    got = ledger(stack, unit_id, "unit", unit_id)
    [mine] = [p for p in got["problems"] if p["problem_id"] == problem]
    assert mine["measures"][0]["status"] == "open" and mine["measures"][0]["returns"] == 1
    assert got["figures"]["returns"] == 1
    assert stranger.get(f"/units/{unit_id}/rectification").status_code == 403  # read by scope

    # leaving 整改提高 with open problems: 409 naming them, nothing stored
    before = logged(stack)
    body = refused(stack, unit.post(f"/units/{unit_id}/transitions", json={"summary": "整改提高总结"}), 409,
                   "conflict", before=before)
    assert {p["problem_id"] for p in body["details"]["open_problems"]} == {problem, proposed.json()["problem_id"]}

    # done again, signed off: the problem is signed off with it
    again = unit.post(f"/measures/{measure}/completion",
                      json={"summary": "补充材料后已落实", "attachment_ids": [evidence(stack, unit, unit_id)]})
    assert again.status_code == 201, again.text
    signed = supervisor.post(f"/measures/{measure}/review", json={"decision": "sign_off", "comments": "合格"})
    assert signed.status_code == 201 and signed.json()["problem_signed_off"] is True, signed.text

    # a signed-off measure is reopened only by the office, with a reason
    before = logged(stack)
    refused(stack, unit.post(f"/measures/{measure}/reopening", json={"reason": "x"}), 403, before=before)
    refused(stack, stack.as_role("office").post(f"/measures/{measure}/reopening", json={"reason": ""}), 422,
            before=before)

    # the group's proposal is carried forward (结转) with a reason the group accepts
    other = proposed.json()["problem_id"]
    assert unit.post(f"/problems/{other}/acceptance", json={}).status_code == 201  # the unit accepts it first
    asked = unit.post(f"/problems/{other}/carry-forward", json={"reason": "需结合档案馆建设长期推进"})
    assert asked.status_code == 201, asked.text
    before = logged(stack)
    refused(stack, stranger.post(f"/problems/{other}/carry-forward/review", json={"decision": "accept"}), 403,
            before=before)
    accepted = supervisor.post(f"/problems/{other}/carry-forward/review", json={"decision": "accept"})
    assert accepted.status_code == 201 and accepted.json()["status"] == "carried", accepted.text

    got = ledger(stack, unit_id, "supervisor", group_id)
    assert (got["figures"]["problems"], got["figures"]["signed_off"], got["figures"]["carried"]) == (2, 1, 1)

    # the gate passes; the notification before the survey carries the ledger's figures
    pass_gate(stack, unit, unit_id, supervisor, "整改提高总结")
    assert card(stack, unit_id)["phase"] == "survey"
    notified = unit.post(f"/units/{unit_id}/notifications", json={
        "scope": ["张三", "李四"], "rectification_status": "问题2个：销号1个、结转1个", "date": TODAY})
    assert notified.status_code == 201, notified.text
    event = stack.db("units")["events"].find_one({"type": "PublicNotified", "payload.unit_id": unit_id})
    assert event["payload"]["ledger"]["signed_off"] == 1 and event["payload"]["ledger"]["carried"] == 1

    # supervision's measure obligation is met on the sign-off date
    def met():
        found = stack.as_role("office").get("/obligations", params={"unit_id": unit_id, "type": "measure"})
        rows = found.json() if found.status_code == 200 else []
        rows = rows.get("obligations", rows) if isinstance(rows, dict) else rows
        return rows if rows and all(o["status"].startswith("met") for o in rows) else None
    wait_until(met, message="the measure obligation met on sign-off")

    # the ledger as Excel, per unit and county-wide, read back
    sheet = unit.get(f"/units/{unit_id}/rectification.xlsx")
    assert sheet.status_code == 200, sheet.text
    rows = list(load_workbook(io.BytesIO(sheet.content))["整改台账"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[4] for row in rows) == ["已结转", "已销号"]  # the measure's problem, and the carried one
    assert stranger.get(f"/units/{unit_id}/rectification.xlsx").status_code == 403
    county = stack.as_role("office").get("/rectification.xlsx")
    assert county.status_code == 200
    names = {row[0] for row in load_workbook(io.BytesIO(county.content))["统计"].iter_rows(min_row=2, values_only=True)}
    assert "县住建局" in names


def test_a_low_inspection_score_proposes_a_problem_the_unit_accepts_or_answers(stack):
    unit_id, unit, leader, group_id, supervisor = in_rectification(stack, "县水利局")
    scores = {"leadership_responsibility": 8, "leaders_set_example": 9, "working_strength": 7,
              "measures_in_place": 3, "problems_solved": 2, "results_evident": 7, "work_promoted": 8}
    inspected = supervisor.post("/inspections", json={"unit_id": unit_id, "date": TODAY, "scores": scores,
                                                      "notes": {"problems_solved": "群众反映的问题无进展"}})
    assert inspected.status_code == 201, inspected.text
    inspection = inspected.json()["inspection_id"]

    def proposals():
        got = [p for p in ledger(stack, unit_id)["problems"] if p["source"] == "inspection"]
        return got if len(got) == 2 else None
    found = wait_until(proposals, message="the low scores proposed in the unit's ledger")
    assert {p["source_ref"] for p in found} == {f"{inspection}#measures_in_place", f"{inspection}#problems_solved"}
    assert {p["status"] for p in found} == {"proposed"}
    # exactly once: the units log holds one ProblemRecorded per point
    assert stack.db("units")["events"].count_documents({"type": "ProblemRecorded", "payload.unit_id": unit_id,
                                                        "payload.source": "inspection"}) == 2
    solved = next(p["problem_id"] for p in found if p["source_ref"].endswith("problems_solved"))
    in_place = next(p["problem_id"] for p in found if p["source_ref"].endswith("measures_in_place"))

    # a proposed problem takes no measure and holds the gate
    before = logged(stack)
    refused(stack, unit.post(f"/problems/{solved}/measures",
                             json={"owner_member_id": leader, "due": DUE, "commitment": "x"}), 409, before=before)
    # refusals: another unit, the supervisor, an empty reply; nothing stored
    other_unit = stack.as_role("unit", scope="u-000000000000")
    refused(stack, other_unit.post(f"/problems/{solved}/acceptance", json={}), 403, before=before)
    refused(stack, other_unit.post(f"/problems/{solved}/answer", json={"reply": "理由"}), 403, before=before)
    refused(stack, supervisor.post(f"/problems/{solved}/acceptance", json={}), 403, before=before)
    refused(stack, supervisor.post(f"/problems/{solved}/answer", json={"reply": "理由"}), 403, before=before)
    refused(stack, unit.post(f"/problems/{solved}/answer", json={"reply": "  "}), 422, before=before)
    refused(stack, unit.post(f"/problems/{solved}/answer", json={}), 422, before=before)

    # accepted: open, it takes a measure
    accepted = unit.post(f"/problems/{solved}/acceptance", json={})
    assert accepted.status_code == 201 and accepted.json()["status"] == "open", accepted.text
    refused(stack, unit.post(f"/problems/{solved}/answer", json={"reply": "理由"}), 409, before=logged(stack))
    added = unit.post(f"/problems/{solved}/measures",
                      json={"owner_member_id": leader, "due": DUE, "commitment": "建立群众诉求台账"})
    assert added.status_code == 201, added.text
    # answered: closed as answered, the group reads the reply
    answered = unit.post(f"/problems/{in_place}/answer", json={"reply": "各项措施已于检查后三日内落实，附会议纪要"})
    assert answered.status_code == 201 and answered.json()["status"] == "answered", answered.text
    got = ledger(stack, unit_id, "supervisor", group_id)
    [reply] = [p for p in got["problems"] if p["problem_id"] == in_place]
    assert (reply["status"], reply["reply"]) == ("answered", "各项措施已于检查后三日内落实，附会议纪要")
    assert got["proposals"] == {"proposed": 0, "answered": 1}

    # carried forward (结转): supervision's measure obligation ends waived, never overdue
    measure = added.json()["measure_id"]
    assert unit.post(f"/problems/{solved}/carry-forward", json={"reason": "需跨年度推进"}).status_code == 201
    assert supervisor.post(f"/problems/{solved}/carry-forward/review",
                           json={"decision": "accept"}).status_code == 201

    def waived():
        found = stack.as_role("office").get("/obligations", params={"unit_id": unit_id, "type": "measure"})
        rows = found.json() if found.status_code == 200 else []
        rows = rows.get("obligations", rows) if isinstance(rows, dict) else rows
        mine = [o for o in rows if o.get("subject") == measure]
        return mine if mine and mine[0]["status"] == "waived" else None
    wait_until(waived, message="the carried-forward measure's obligation waived")
