"""The dashboard's forms that act (issue 17) against the real stack, submitted as a
browser does: a form without its token writes nothing (403); a field the service refuses
comes back 422 with the message beside it; a role the route refuses is not offered the
form and is refused if it posts anyway; the same form sent twice acts once; a supervisor's
inspection (a dict of the seven points) recorded through its form, a bad score refused beside
that point's input."""
from __future__ import annotations

import re

from assembly.stack import wait_until
from tests.e2e.test_dashboard_security import Browser, root

FORM = re.compile(r'<form method="post" action="/dashboard/act/enrol_member".*?</form>', re.S)
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
NONCE = re.compile(r'name="_nonce" value="([^"]+)"')


def enrol_form(page: str) -> dict:
    form = FORM.search(page).group(0)
    return {"csrf": CSRF.search(form).group(1), "_nonce": NONCE.search(form).group(1)}


def members(stack, unit):
    return stack.as_role("office").get(f"/units/{unit}/members").json()["members"]


def test_the_unit_pages_enrol_form(stack):
    office = stack.as_role("office")
    unit = office.post("/units", json={"name": "表单测试单位", "org_type": "党组", "batch": 1,
                                       "sections": ["综合科"]}).json()["unit_id"]
    browser = Browser(root(stack))
    assert browser.log_in(stack.token("unit", "表单单位", unit)).status_code == 303
    page = browser.get(f"/dashboard/units/{unit}")
    assert page.status_code == 200
    fields = {**enrol_form(page.text), "_back": f"/dashboard/units/{unit}", "unit_id": unit,
              "name": "王五", "section": "综合科"}

    # no form token: refused, nothing written
    assert browser.post("/dashboard/act/enrol_member", {**fields, "csrf": ""}).status_code == 403
    assert members(stack, unit) == []

    # the service's refusal beside its field, the values kept
    refused = browser.post("/dashboard/act/enrol_member", {**fields, "section": ""})
    assert refused.status_code == 422
    form = refused.text.split('id="act-enrol_member"')[1].split("</details>")[0]
    assert "field-error" in form.split('data-field="section"')[1].split("data-field=")[0]
    assert 'value="王五"' in form and members(stack, unit) == []

    # sent twice with the same nonce: acts once
    first = browser.post("/dashboard/act/enrol_member", fields)
    again = browser.post("/dashboard/act/enrol_member", fields)
    assert first.status_code == again.status_code == 303, again.text
    assert first.headers["Location"].endswith("done=enrol_member")
    wait_until(lambda: len(members(stack, unit)) == 1, 10, 0.2, "the member")
    assert [m["name"] for m in members(stack, unit)] == ["王五"]
    assert "已提交：登记党员" in browser.get(first.headers["Location"].replace(root(stack), "")).text

    # a supervisor is not offered the unit's enrolment and is refused if it posts it anyway
    leader = {"name": "组长", "rank": "section", "home_unit": "县财政局", "post": "副局长"}
    group = office.post("/groups", json={"name": "表单测试督导组", "leader": leader, "members": [
        {"name": "组员", "rank": "staff", "home_unit": "县财政局", "post": "科员"}]}).json()["group_id"]
    sup = Browser(root(stack))
    assert sup.log_in(stack.token("supervisor", "表单督导员", group)).status_code == 303
    sup_page = sup.get(f"/dashboard/units/{unit}")
    assert "/dashboard/act/enrol_member" not in sup_page.text
    posted = sup.post("/dashboard/act/enrol_member", {**fields, "csrf": CSRF.search(sup_page.text).group(1),
                                                      "_nonce": "another-nonce"})
    assert posted.status_code == 403
    assert len(members(stack, unit)) == 1


INSPECTION = re.compile(r'<form method="post" action="/dashboard/act/record_inspection".*?</form>', re.S)


def test_a_supervisor_records_an_inspection_through_the_form(stack):
    from shared.inspection_points import INSPECTION_POINTS
    from tests.e2e.test_supervision import arrived_unit, day

    group, unit = arrived_unit(stack)
    gid = group["group_id"]
    sup = Browser(root(stack))
    assert sup.log_in(stack.token("supervisor", "检查督导员", gid)).status_code == 303
    page = sup.get(f"/dashboard/units/{unit}")
    form = INSPECTION.search(page.text).group(0)
    for key, name in INSPECTION_POINTS.items():     # one labelled input per point
        assert f'name="scores.{key}"' in form and name in form
    fields = {"csrf": CSRF.search(form).group(1), "_nonce": NONCE.search(form).group(1),
              "_back": f"/dashboard/units/{unit}", "unit_id": unit, "date": day(0), "findings": "整体较好",
              "notes.problems_solved": "群众反映的问题仍有积案",
              **{f"scores.{k}": "8" for k in INSPECTION_POINTS}}

    def inspections():
        return stack.as_role("supervisor", scope=gid).get(f"/groups/{gid}").json()["units"][unit]["inspections"]

    # a score out of the configured range: the service's message beside that point, nothing written
    refused = sup.post("/dashboard/act/record_inspection", {**fields, "scores.problems_solved": "11"})
    assert refused.status_code == 422, refused.text
    again = refused.text.split('id="act-record_inspection"')[1].split("</details>")[0]
    beside = again.split('data-field="scores.problems_solved"')[1].split("data-field=")[0]
    assert "应在 0 至 10 之间" in beside and 'value="11"' in beside
    assert "field-error" not in again.split('data-field="scores.work_promoted"')[1].split("data-field=")[0]
    assert inspections() == []

    done = sup.post("/dashboard/act/record_inspection", {**fields, "scores.problems_solved": "5"})
    assert done.status_code == 303, done.text
    assert done.headers["Location"].endswith("done=record_inspection")
    recorded = wait_until(inspections, 10, 0.2, "the inspection")
    assert len(recorded) == 1 and recorded[0]["total"] == 8 * 6 + 5


def form_of(page: str, action: str) -> str:
    return re.search(rf'<form method="post" action="/dashboard/act/{action}".*?</form>', page, re.S).group(0)


def test_a_unit_submits_its_work_plan_and_the_reviewer_sees_what_it_misses(stack):
    from tests.e2e.test_supervision import arrived_unit

    group, unit = arrived_unit(stack)
    browser = Browser(root(stack))
    assert browser.log_in(stack.token("unit", "方案单位", unit)).status_code == 303
    form = form_of(browser.get(f"/dashboard/units/{unit}").text, "submit_work_plan")
    assert 'name="problems.0.category"' in form and 'name="problems.2.measures"' in form
    fields = {"csrf": CSRF.search(form).group(1), "_nonce": NONCE.search(form).group(1),
              "_back": f"/dashboard/units/{unit}", "unit_id": unit,
              "leader_measures": "lead_study", "guarantee_systems": "contact_points",
              "problems.0.category": "members_and_organisations", "problems.0.description": "学习不深入",
              "problems.0.measures": "每周集中学习\n专题党课"}
    # a row with a description but no category: refused beside that row's input, nothing stored
    refused = browser.post("/dashboard/act/submit_work_plan", {**fields, "problems.1.description": "无类别"})
    assert refused.status_code == 422
    row = refused.text.split('data-field="problems.1.category"')[1].split("data-field=")[0]
    assert "此项必填" in row
    assert stack.as_role("office").get(f"/units/{unit}").json().get("work_plan") is None

    done = browser.post("/dashboard/act/submit_work_plan", fields)
    assert done.status_code == 303, done.text
    plan = wait_until(lambda: stack.as_role("office").get(f"/units/{unit}").json().get("work_plan"), 10, 0.2,
                      "the plan on the card")
    assert plan["version"] == 1 and "lead_study" not in plan["missing"]["leader_measures"]

    sup = Browser(root(stack))
    assert sup.log_in(stack.token("supervisor", "方案督导员", group["group_id"])).status_code == 303
    review = sup.get(f"/dashboard/units/{unit}").text.split('id="act-review_work_plan"')[1].split("</details>")[0]
    context = review.split('data-context="work_plan_missing"')[1].split("</div>")[0]
    assert "第 1 稿" in context and "领导责任制" in context and "带头参加学习" not in context


def form_keys(page: str, action: str) -> dict:
    form = form_of(page, action)
    return {"csrf": CSRF.search(form).group(1), "_nonce": NONCE.search(form).group(1)}


def test_the_office_registers_a_unit_forms_a_group_and_assigns_over_the_soft_limit_only_when_confirmed(stack):
    office = stack.as_role("office")
    browser = Browser(root(stack))
    assert browser.log_in(stack.token("office", "表单活动办")).status_code == 303

    # register a unit through the overview page's form: the API lists it
    page = browser.get("/dashboard/overview").text
    done = browser.post("/dashboard/act/register_unit", {
        **form_keys(page, "register_unit"), "_back": "/dashboard/overview", "name": "表单登记单位",
        "org_type": "党组", "batch": "2", "sections": "办公室\n业务科"})
    assert done.status_code == 303, done.text
    assert done.headers["Location"].endswith("done=register_unit")

    def registered():
        return [u for u in office.get("/units").json() if u["name"] == "表单登记单位"]
    wait_until(lambda: registered(), 10, 0.2, "the registered unit")
    unit = registered()[0]
    assert unit["batch"] == 2
    assert office.get(f"/units/{unit['unit_id']}").json()["sections"] == ["办公室", "业务科"]

    # a group formed through the groups page's form, then filled to the soft limit (R1: about 10 units)
    page = browser.get("/dashboard/groups").text
    formed = browser.post("/dashboard/act/form_group", {
        **form_keys(page, "form_group"), "_back": "/dashboard/groups", "name": "满额督导组",
        "leader.name": "满额组长", "leader.rank": "section", "leader.home_unit": "县财政局",
        "leader.post": "副局长", "members.0.name": "满额组员", "members.0.rank": "staff",
        "members.0.home_unit": "县财政局", "members.0.post": "科员"})
    assert formed.status_code == 303, formed.text

    def formed_group():
        return [g for g in office.get("/groups").json() if g["name"] == "满额督导组"]
    wait_until(formed_group, 10, 0.2, "the formed group")
    group = formed_group()[0]["group_id"]
    assert formed_group()[0]["leader_name"] == "满额组长"
    limit = None
    for i in range(30):
        row = next(g for g in office.get("/groups").json() if g["group_id"] == group)
        limit = row["soft_limit"]
        if limit is not None and row["unit_count"] >= limit:
            break
        filler = office.post("/units", json={"name": f"满额单位{i}", "org_type": "党支部", "batch": 1}).json()
        wait_until(lambda: office.post(f"/groups/{group}/units", json={"unit_id": filler["unit_id"]})
                   .status_code == 201, 10, 0.2, "supervision knows the unit")

    def count():
        return next(g for g in office.get("/groups").json() if g["group_id"] == group)["unit_count"]
    at_limit = count()
    assert at_limit >= limit

    page = browser.get("/dashboard/groups").text
    assert "满额督导组（负责" in page and "已达上限" in page
    fields = {**form_keys(page, "assign_unit"), "_back": "/dashboard/groups", "group_id": group,
              "unit_id": unit["unit_id"]}
    refused = browser.post("/dashboard/act/assign_unit", fields)
    assert refused.status_code == 422
    beside = refused.text.split('id="act-assign_unit"')[1].split('data-field="_confirm"')[1]
    assert "请勾选确认后再提交" in beside.split("</details>")[0]
    assert count() == at_limit and unit["unit_id"] not in office.get(f"/groups/{group}").json()["unit_ids"]

    assigned = browser.post("/dashboard/act/assign_unit", {**fields, "_confirm": "on"})
    assert assigned.status_code == 303, assigned.text
    wait_until(lambda: count() == at_limit + 1, 10, 0.2, "the assignment")
    assert unit["unit_id"] in office.get(f"/groups/{group}").json()["unit_ids"]
