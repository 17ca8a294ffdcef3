"""The office forgets a person from the dashboard (issue 19, h-erase) against the real stack.

Through the forms, submitted as a browser does: no reason, no tick (我确认：此操作不可撤销), a
member who does not exist, one already erased, a unit or a supervisor posting anyway: each
refused with its Chinese message, no erasure stored. A group's person is erased from the
group's page. And in a real headless Chromium (tests/e2e/dashboard_browser.py): the office
erases a member from the unit's page after a refused unticked try, the API then answers
已删除 for them and the page shows 已删除 where the name was; desktop and 360 px screenshots
under test-artifacts/erasure/."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from assembly.stack import wait_until
from tests.e2e import test_dashboard as dash
from tests.e2e.test_dashboard_office17 import CSRF, PHONE, WIDTH, beside, form_of, keys
from tests.e2e.test_dashboard_security import Browser, root
from tests.e2e.test_erasure import unit_with_members

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "erasure"
FORGOTTEN = "待删甲某" + uuid.uuid4().hex[:4]
KEPT = "保留乙某" + uuid.uuid4().hex[:4]
ERASED = "已删除"


def names(stack, unit) -> dict:
    members = stack.as_role("office").get(f"/units/{unit}/members").json()["members"]
    return {m["member_id"]: m["name"] for m in members}


@pytest.fixture(scope="module")
def unit(stack):
    unit_id, _, ids = unit_with_members(stack, (FORGOTTEN, KEPT), "综合科", "删除测试单位")
    wait_until(lambda: len(names(stack, unit_id)) == 2, 20, 0.2, "the two members listed")
    return {"unit_id": unit_id, "ids": ids}


def person(name, rank="staff", post="科员", home_unit="县财政局") -> dict:
    return {"name": name, "rank": rank, "home_unit": home_unit, "post": post}


def erasures(stack) -> int:
    return stack.db("units")["events"].count_documents({"type": "PersonalDataErased"})


def test_the_unit_pages_erasure_form_refuses_and_the_roles_that_may_not(stack, unit):
    unit_id, member = unit["unit_id"], unit["ids"][FORGOTTEN]
    back = f"/dashboard/units/{unit_id}"
    office = Browser(root(stack))
    assert office.log_in(stack.token("office", "删除活动办")).status_code == 303
    page = office.get(back).text
    form = form_of(page, "erase_member")
    assert f'value="{member}"' in form and FORGOTTEN in form and "我确认：此操作不可撤销" in form
    fields = {**keys(page, "erase_member"), "_back": back, "member_id": member, "reason": "本人撤回同意",
              "_confirm": "on"}
    before = erasures(stack)

    unticked = office.post("/dashboard/act/erase_member", {k: v for k, v in fields.items() if k != "_confirm"})
    assert unticked.status_code == 422
    assert "请勾选确认后再提交：此操作不可撤销" in beside(unticked.text, "erase_member", "_confirm")
    no_reason = office.post("/dashboard/act/erase_member", {**fields, "reason": " "})
    assert no_reason.status_code == 422 and "此项必填" in beside(no_reason.text, "erase_member", "reason")
    nobody = office.post("/dashboard/act/erase_member", {**fields, "member_id": "m-000000000000",
                                                         "_nonce": "erase-nobody-0001"})
    assert nobody.status_code == 404 and "没有这名党员" in nobody.text
    assert erasures(stack) == before and names(stack, unit_id)[member] == FORGOTTEN

    # a unit and a supervisor: never shown the form, refused if they post it anyway
    group = stack.as_role("office").post("/groups", json={
        "name": "删除测试督导组", "leader": person("组长", "section", "副局长"),
        "members": [person("组员")]}).json()["group_id"]
    for role, scope in (("unit", unit_id), ("supervisor", group)):
        other = Browser(root(stack))
        assert other.log_in(stack.token(role, "删除" + role, scope)).status_code == 303
        shown = other.get(back).text
        assert "act/erase_member" not in shown
        posted = other.post("/dashboard/act/erase_member", {**fields, "csrf": CSRF.search(shown).group(1),
                                                            "_nonce": f"erase-{role}-0001"})
        assert posted.status_code == 403 and "此身份无权进行此操作" in posted.text
    group_page = Browser(root(stack))
    assert group_page.log_in(stack.token("supervisor", "删除组员", group)).status_code == 303
    assert "act/erase_group_member" not in group_page.get(f"/dashboard/groups/{group}").text
    assert erasures(stack) == before and names(stack, unit_id)[member] == FORGOTTEN


def test_a_group_person_erased_from_the_group_page_then_again_refused(stack):
    office = stack.as_role("office")
    leader, kept = "督导组长" + uuid.uuid4().hex[:4], "督导组员" + uuid.uuid4().hex[:4]
    formed = office.post("/groups", json={"name": "删除测试二组", "leader": person(leader, "section", "副局长"),
                                          "members": [person(kept, home_unit="县教育局")]})
    assert formed.status_code == 201, formed.text
    gid, leader_id = formed.json()["group_id"], formed.json()["leader_member_id"]
    wait_until(lambda: office.get(f"/groups/{gid}").status_code == 200, 20, 0.2, "the group's page")
    back = f"/dashboard/groups/{gid}"
    browser = Browser(root(stack))
    assert browser.log_in(stack.token("office", "删除活动办")).status_code == 303
    page = browser.get(back).text
    assert f"{leader}（组长，县财政局副局长）" in form_of(page, "erase_group_member")
    fields = {**keys(page, "erase_group_member"), "_back": back, "member_id": leader_id,
              "reason": "督导结束，本人申请删除"}
    unticked = browser.post("/dashboard/act/erase_group_member", fields)
    assert unticked.status_code == 422 and "请勾选确认" in beside(unticked.text, "erase_group_member", "_confirm")
    stranger = browser.post("/dashboard/act/erase_group_member", {
        **fields, "member_id": "p-000000000000", "_confirm": "on", "_nonce": "erase-stranger-0001"})
    assert stranger.status_code == 404 and "此人不是本督导组的成员" in stranger.text
    assert office.get(f"/groups/{gid}").json()["people"][leader_id]["name"] == leader

    done = browser.post("/dashboard/act/erase_group_member", {**fields, "_confirm": "on"})
    assert done.status_code == 303 and done.headers["Location"].endswith("done=erase_group_member"), done.text
    people = wait_until(lambda: (p := office.get(f"/groups/{gid}").json()["people"])[leader_id]["name"] == ERASED
                        and p, 20, 0.2, "已删除 in the group")
    assert people[leader_id]["name"] == ERASED and kept in [p["name"] for p in people.values()]
    shown = browser.get(back).text
    assert f'data-person="{leader_id}"><span data-field="name" class="muted">{ERASED}' in shown
    assert leader not in shown and kept in shown
    assert f'value="{leader_id}"' not in form_of(shown, "erase_group_member")  # nothing left to erase
    again = browser.post("/dashboard/act/erase_group_member", {**fields, "_confirm": "on",
                                                                "_nonce": "erase-again-00001"})
    assert again.status_code == 409 and "该督导组成员的个人信息已删除" in again.text

    # the group's page at 360 px: 已删除 in the list, the form fits
    [phone] = dash.browse(stack, dash.session(
        stack.token("office", "手机活动办"), {"goto": back},
        {"texts": ["people", "ul.people [data-field=name]", None]},
        {"click": "#act-erase_group_member > summary"}, {"eval": ["scroll", WIDTH]},
        {"shot": "phone-group-after"}, viewport=PHONE, mobile=True), artifacts=ARTIFACTS)
    assert sorted(phone["people"]) == sorted([ERASED, kept])
    assert phone["scroll"] <= PHONE["width"], f"the group page overflows at 360 px: {phone['scroll']}px"


def test_the_office_erases_a_member_in_the_browser(stack, unit):
    unit_id, member, kept = unit["unit_id"], unit["ids"][FORGOTTEN], unit["ids"][KEPT]
    page = f"/dashboard/units/{unit_id}"
    token = stack.token("office", "浏览器活动办")
    form = "#act-erase_member"
    [desktop] = dash.browse(stack, dash.session(
        token,
        {"goto": page, "as": "page"}, {"shot": "desktop-unit-before"},
        {"click": f"{form} > summary"},
        {"eval": ["picked", f"document.querySelector('{form} select[name=member_id]').value"]},
        {"select": [f"{form} select[name=member_id]", member]},
        {"fill": [f"{form} textarea[name=reason]", "本人撤回同意（个人信息保护法第四十七条）"]},
        {"shot": "desktop-erase-form"},
        {"click": f"{form} button[type=submit]"},   # not ticked: refused beside the tick
        {"text": ["unticked", f"{form} [data-field=_confirm] .field-error"]},
        {"eval": ["kept_member", f"document.querySelector('{form} select[name=member_id]').value"]},
        {"eval": ["kept_reason", f"document.querySelector('{form} textarea[name=reason]').value"]},
        {"shot": "desktop-erase-unticked"}, {"shot": "desktop-erase-unticked-form", "of": form},
        {"check": f"{form} input[name=_confirm]"},
        {"click": f"{form} button[type=submit]"},
        {"eval": ["landed", "location.pathname + location.search"]},
        {"text": ["notice", "#notice"]},
        {"texts": ["landed_names", "#member-list tbody tr [data-field=name]", None]},
        # the list and the forms (the study chart follows when the study service has the erasure)
        {"eval": ["landed_text", "document.querySelector('#unit-members').innerText + "
                                 "document.querySelector('#actions').innerText"]},
        {"shot": "desktop-erased"}), artifacts=ARTIFACTS)
    assert desktop["page"]["status"] == 200 and desktop["picked"] == ""  # nobody picked for the office
    assert desktop["unticked"] == "请勾选确认后再提交：此操作不可撤销"
    assert desktop["kept_member"] == member and "第四十七条" in desktop["kept_reason"]
    assert desktop["landed"] == f"{page}?done=erase_member" and "删除党员个人信息" in desktop["notice"]
    # the page it lands on already shows 已删除 where the name was (the member list is the units
    # service's own projection, written with the erasure)
    assert sorted(desktop["landed_names"]) == sorted([ERASED, KEPT])
    assert FORGOTTEN not in desktop["landed_text"]

    # the API answers 已删除 where the name was; the other member is kept
    wait_until(lambda: names(stack, unit_id)[member] == ERASED, 20, 0.2, "已删除 in the member list")
    assert names(stack, unit_id) == {member: ERASED, kept: KEPT}
    assert FORGOTTEN not in stack.as_role("office").get(f"/units/{unit_id}/members").text
    assert erasures(stack) >= 1
    study = stack.as_role("office")
    wait_until(lambda: FORGOTTEN not in (sheet := study.get(f"/units/{unit_id}/study").text) and ERASED in sheet,
               30, 0.3, "the study service to forget the name (the page's chart)")

    listed = "#member-list tbody tr"
    for width, viewport, mobile in (("desktop", dash.DESKTOP, False), ("phone", PHONE, True)):
        [shown] = dash.browse(stack, dash.session(
            token, {"goto": page},
            {"texts": ["names", f"{listed} [data-field=name]", None]},
            {"texts": ["rows", listed, "data-member"]},
            {"eval": ["page_text", "document.body.innerText"]},
            {"eval": ["offered", f"[...document.querySelectorAll('{form} select[name=member_id] option')]"
                                 ".map(o => o.value).filter(Boolean)"]},
            {"eval": ["scroll", WIDTH]},
            {"shot": f"{width}-unit-after"}, {"shot": f"{width}-member-list-after", "of": "#unit-members"},
            {"click": f"{form} > summary"}, {"shot": f"{width}-erase-form-after"},
            {"shot": f"{width}-erase-form-only", "of": form},
            # refused (not ticked): the window shows the message, far down the page as the form is
            {"select": [f"{form} select[name=member_id]", kept]},
            {"fill": [f"{form} textarea[name=reason]", "试填"]}, {"click": f"{form} button[type=submit]"},
            {"eval": ["focused", "document.activeElement && document.activeElement.name"]},
            {"eval": ["in_view", f"(() => {{ const r = document.querySelector('{form} [data-field=_confirm] "
                                 ".field-error').getBoundingClientRect(); "
                                 "return r.top >= 0 && r.bottom <= innerHeight; })()"]},
            {"shot": f"{width}-erase-refused-window", "full": False},
            viewport=viewport, mobile=mobile), artifacts=ARTIFACTS)
        assert dict(zip(shown["rows"], shown["names"])) == {member: ERASED, kept: KEPT}, width
        assert FORGOTTEN not in shown["page_text"], width
        assert shown["offered"] == [kept], width                 # the erased member is not offered again
        if mobile:
            assert shown["scroll"] <= PHONE["width"], f"the page overflows at 360 px: {shown['scroll']}px"
        assert shown["focused"] == "_confirm" and shown["in_view"], (width, shown["focused"], shown["in_view"])
    assert names(stack, unit_id) == {member: ERASED, kept: KEPT}  # the unticked tries erased nobody

    # erased once: the same form posted again is refused, nothing more stored
    office = Browser(root(stack))
    assert office.log_in(token).status_code == 303
    before = erasures(stack)
    html = office.get(page).text
    again = office.post("/dashboard/act/erase_member", {**keys(html, "erase_member"), "_back": page,
                                                        "member_id": member, "reason": "再次", "_confirm": "on"})
    assert again.status_code == 409 and "该党员的个人信息已删除，无需再次删除" in again.text
    assert erasures(stack) == before
