"""Issue 17's office, supervisor and unit forms (h-office17b) against the real stack: the
office registers units from an Excel list (a bad row named by row and column, nothing
registered; a good list registered, every unit); 督办 offered by role and a unit's
acknowledgement and reply beside the directive's text and reply date; typical cases
reported, recommended and publicised; a briefing compiled, listed, viewed and downloaded.
Every refusal writes nothing. In headless Chromium: screenshots at desktop and 360 px under
test-artifacts/workbench/."""
from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from openpyxl import load_workbook

from assembly.stack import wait_until
from services.units.unit_list_workbook import rows_workbook
from tests import sample_files
from tests.e2e import test_dashboard as dash
from tests.e2e.test_dashboard_security import Browser, root
from tests.e2e.test_supervision import arrived_unit, day

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workbench"
PHONE = {"width": 360, "height": 740}
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
NONCE = re.compile(r'name="_nonce" value="([^"]+)"')
WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def form_of(page: str, action: str) -> str:
    return re.search(rf'<form method="post" action="/dashboard/act/{action}".*?</form>', page, re.S).group(0)


def keys(page: str, action: str) -> dict:
    form = form_of(page, action)
    return {"csrf": CSRF.search(form).group(1), "_nonce": NONCE.search(form).group(1)}


def beside(page: str, action: str, field: str) -> str:
    form = page.split(f'id="act-{action}"')[1].split("</details>")[0]
    return form.split(f'data-field="{field}"')[1].split("data-field=")[0]


def logged(stack, service) -> int:
    return stack.db(service)["events"].count_documents({})


def unit_names(stack) -> set:
    return {u["name"] for u in stack.as_role("office").get("/units").json()}


def page_keys(page: str, nonce: str) -> dict:
    """A form the page does not offer, posted anyway: the page's token, a nonce of its own."""
    return {"csrf": CSRF.search(page).group(1), "_nonce": nonce}


def shoot(stack, token: str, steps: list, name: str) -> None:
    """The page the steps reach, at desktop width and at 360 px (where it must not scroll sideways)."""
    dash.browse(stack, dash.session(token, *steps, {"shot": f"desktop-{name}"}))
    [phone] = dash.browse(stack, dash.session(token, *steps, {"eval": ["scroll", WIDTH]}, {"shot": f"phone-{name}"},
                                              viewport=PHONE, mobile=True))
    assert phone["scroll"] <= PHONE["width"], f"{name} overflows at 360 px: {phone['scroll']}px"


def open_form(name: str) -> dict:
    return {"eval": [f"opened-{name}", f"!!(document.querySelector('#act-{name}').open = true)"]}


# ---------------------------------------------------------------- 1. the office's unit list
def test_the_office_registers_a_unit_list_all_or_nothing_in_the_browser(stack, tmp_path, monkeypatch):
    monkeypatch.setattr(dash, "ARTIFACTS", ARTIFACTS)
    office = stack.as_role("office")
    tag = uuid.uuid4().hex[:5]
    taken = office.post("/units", json={"name": f"已登记单位{tag}", "org_type": "党组", "batch": 1}).json()
    wait_until(lambda: f"已登记单位{tag}" in unit_names(stack), 10, 0.2, "the registered unit")
    good_rows = [{"单位名称": f"名单单位{tag}{i}", "党组织类型": "党支部" if i % 2 else "党委", "批次": 1 + i % 3,
                  "科室": "办公室、业务科" if i == 0 else None} for i in range(4)]
    bad_rows = [*good_rows, {"单位名称": f"名单单位{tag}9", "党组织类型": "党组", "批次": 5},          # row 6
                {"单位名称": f"已登记单位{tag}", "党组织类型": "党组", "批次": 2}]                        # row 7
    bad, good = tmp_path / "名单-有误.xlsx", tmp_path / "名单.xlsx"
    bad.write_bytes(rows_workbook(bad_rows))
    good.write_bytes(rows_workbook(good_rows))

    # the API: the template's lists, office only; the preview names both bad rows; refusals
    template = stack.request("GET", "/unit-list-template.xlsx", stack.token("office"))
    assert template.status_code == 200 and template.headers["Content-Type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(template.content))["单位名单"]
    assert [c.value for c in sheet[1]] == ["单位名称", "党组织类型", "批次", "科室"]
    assert {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}["C2:C2001"] == '"1,2,3"'
    assert stack.request("GET", "/unit-list-template.xlsx", stack.token("supervisor", scope="g-x")).status_code == 403
    before = logged(stack, "units")
    preview = stack.request("POST", "/unit-list/preview", stack.token("office"),
                            files={"file": ("名单.xlsx", bad.read_bytes(), XLSX)}, timeout=60)
    assert preview.status_code == 200, preview.text
    assert {(p["row"], p["column"], p["code"]) for p in preview.json()["problems"]} == {
        (6, "batch", "not_a_batch"), (7, "name", "duplicate_unit")}
    refused = stack.request("POST", "/unit-list", stack.token("office"),
                            files={"file": ("名单.xlsx", bad.read_bytes(), XLSX)}, timeout=60)
    assert refused.status_code == 422 and refused.json()["details"]["bad_rows"] == [6, 7]
    assert stack.request("POST", "/unit-list", stack.token("unit", scope=taken["unit_id"]),
                         files={"file": ("名单.xlsx", good.read_bytes(), XLSX)}, timeout=60).status_code == 403
    pdf = stack.request("POST", "/unit-list", stack.token("office"),
                        files={"file": ("名单.xlsx", sample_files.pdf(), XLSX)}, timeout=60)
    assert pdf.status_code == 422 and "file" in pdf.json()["details"]["fields"]
    assert logged(stack, "units") == before

    # the browser: the overview's link, a bad list named row by row (nothing registered), then a good one
    [desktop] = dash.browse(stack, dash.session(
        stack.token("office"),
        {"goto": "/dashboard/overview", "charts": False}, {"texts": ["link", "#unit-list-link", "href"]},
        {"goto": "/dashboard/unit-list", "as": "page", "charts": False}, {"shot": "desktop-unit-list"},
        {"upload": ["#unit-list-file", str(bad)]}, {"click": "#unit-list-check"},
        {"text": ["summary", "#unit-list-summary"]},
        {"texts": ["rows", "#unit-list-problems tbody tr", "data-row"]},
        {"texts": ["problems", "#unit-list-problems tbody tr", None]},
        {"eval": ["confirm_offered", "!!document.querySelector('#unit-list-import')"]},
        {"shot": "desktop-unit-list-bad-rows"},
        {"upload": ["#unit-list-file", str(good)]}, {"click": "#unit-list-check"},
        {"text": ["good_summary", "#unit-list-summary"]}, {"shot": "desktop-unit-list-preview"},
        {"click": "#unit-list-import"},
        {"eval": ["landed", "location.pathname"]}, {"text": ["notice", "#notice"]},
        {"shot": "desktop-unit-list-registered"}))
    assert desktop["link"] == ["/dashboard/unit-list"] and desktop["page"]["status"] == 200
    assert desktop["rows"] == ["6", "7"] and not desktop["confirm_offered"]
    sixth = desktop["problems"][0]
    assert "第 6 行" in sixth and "批次" in sixth and "1、2 或 3" in sixth
    assert "该单位已登记" in desktop["problems"][1] and "未登记任何单位" in desktop["summary"]
    assert "可以登记 4 个单位" in desktop["good_summary"]
    assert desktop["landed"] == "/dashboard/overview" and desktop["notice"] == "已登记 4 个单位"
    wait_until(lambda: {r["单位名称"] for r in good_rows} <= unit_names(stack), 20, 0.2, "the listed units")
    listed = {u["name"]: u for u in office.get("/units").json()}
    first = office.get(f"/units/{listed[f'名单单位{tag}0']['unit_id']}").json()
    assert first["sections"] == ["办公室", "业务科"] and listed[f"名单单位{tag}2"]["batch"] == 3
    assert f"名单单位{tag}9" not in listed

    # at 360 px the problem table fits; a supervisor may read the page but not upload
    [phone] = dash.browse(stack, dash.session(
        stack.token("office"), {"goto": "/dashboard/unit-list", "charts": False},
        {"upload": ["#unit-list-file", str(bad)]}, {"click": "#unit-list-check"},
        {"eval": ["scroll", WIDTH]}, {"text": ["summary", "#unit-list-summary"]},
        {"shot": "phone-unit-list-bad-rows"}, viewport=PHONE, mobile=True))
    assert phone["scroll"] <= PHONE["width"], f"the page overflows at 360 px: {phone['scroll']}px"
    assert "有问题" in phone["summary"]
    sup = Browser(root(stack))
    assert sup.log_in(stack.token("supervisor", "名单督导员", "g-none")).status_code == 303
    page = sup.get("/dashboard/unit-list")
    assert page.status_code == 200 and 'id="unit-list-file"' not in page.text
    posted = sup.post("/dashboard/unit-list", {"csrf": CSRF.search(page.text).group(1), "action": "check"})
    assert posted.status_code == 403 and "只有活动办可以登记单位" in posted.text


# ---------------------------------------------------------------- 4, 5. 督办 by role; the unit's answer
def test_directives_are_offered_by_role_and_the_unit_acknowledges_and_replies(stack, monkeypatch):
    monkeypatch.setattr(dash, "ARTIFACTS", ARTIFACTS)
    group, unit = arrived_unit(stack)
    gid = group["group_id"]
    office = stack.as_role("office")
    text = "请于五日内报送学习动员阶段的工作小结"
    directive = office.post("/directives", json={"unit_id": unit, "text": text, "reply_by": day(5)})
    assert directive.status_code == 201, directive.text
    did = directive.json()["directive_id"]

    # the supervisor: its own units' form on the obligations page and the unit page, never the office's
    sup = Browser(root(stack))
    assert sup.log_in(stack.token("supervisor", "督办督导员", gid)).status_code == 303
    obligations = sup.get("/dashboard/obligations").text
    assert "/dashboard/act/send_directive_to_own_unit" in obligations
    assert 'action="/dashboard/act/send_directive"' not in obligations
    before = logged(stack, "supervision")
    to_group = sup.post("/dashboard/act/send_directive", {
        **keys(obligations, "send_directive_to_own_unit"), "_back": "/dashboard/obligations",
        "group_id": gid, "text": "督促", "reply_by": day(3)})
    assert to_group.status_code == 403 and "此身份无权进行此操作" in to_group.text
    assert logged(stack, "supervision") == before
    unit_page = sup.get(f"/dashboard/units/{unit}").text
    sent = sup.post("/dashboard/act/send_unit_directive", {
        **keys(unit_page, "send_unit_directive"), "_back": f"/dashboard/units/{unit}", "unit_id": unit,
        "text": "请落实集中学习学时", "reply_by": day(7)})
    assert sent.status_code == 303, sent.text
    # a reply date already passed: the service's refusal beside the date
    late = sup.post("/dashboard/act/send_unit_directive", {
        **keys(unit_page, "send_unit_directive"), "_nonce": "late-directive", "_back": f"/dashboard/units/{unit}",
        "unit_id": unit, "text": "过期", "reply_by": day(-3)})
    assert late.status_code == 422 and "答复期限已过" in beside(late.text, "send_unit_directive", "reply_by")

    def history():
        return office.get(f"/units/{unit}/supervision").json()["entries"]
    wait_until(lambda: sum(e["type"] == "DirectiveSent" for e in history()) == 2, 10, 0.2, "both directives")
    assert logged(stack, "supervision") > before

    # the unit: both directives with their text and reply date; acknowledge one, reply to it
    browser = Browser(root(stack))
    assert browser.log_in(stack.token("unit", "督办单位", unit)).status_code == 303
    page = browser.get(f"/dashboard/units/{unit}").text
    context = page.split('id="act-reply_to_directive"')[1].split('data-context="unit_directives"')[1].split("</div>")[0]
    assert f"{day(5)}前答复（未签收）：{text}" in context and "请落实集中学习学时" in context
    assert "/dashboard/act/send_unit_directive" not in page
    waiting = page.split('id="directives"')[1].split("</section>")[0]     # above the forms, at the top
    assert f"{day(5)}前答复" in waiting and text in waiting and 'href="#act-reply_to_directive"' in waiting
    acked = browser.post("/dashboard/act/acknowledge_directive", {
        **keys(page, "acknowledge_directive"), "_back": f"/dashboard/units/{unit}", "directive_id": did})
    assert acked.status_code == 303, acked.text
    wait_until(lambda: any(e["type"] == "DirectiveAcknowledged" for e in history()), 10, 0.2, "the acknowledgement")
    again = browser.post("/dashboard/act/acknowledge_directive", {
        **keys(page, "acknowledge_directive"), "_nonce": "second-ack", "_back": f"/dashboard/units/{unit}",
        "directive_id": did})
    assert again.status_code == 409 and "与当前状态不符" in again.text
    page = browser.get(f"/dashboard/units/{unit}").text
    before = logged(stack, "supervision")
    empty = browser.post("/dashboard/act/reply_to_directive", {
        **keys(page, "reply_to_directive"), "_back": f"/dashboard/units/{unit}", "directive_id": did, "text": " "})
    assert empty.status_code == 422 and "此项必填" in beside(empty.text, "reply_to_directive", "text")
    assert logged(stack, "supervision") == before
    replied = browser.post("/dashboard/act/reply_to_directive", {
        **keys(page, "reply_to_directive"), "_back": f"/dashboard/units/{unit}", "directive_id": did,
        "text": "工作小结已报送督导组"})
    assert replied.status_code == 303, replied.text
    wait_until(lambda: any(e["type"] == "DirectiveReplied" for e in history()), 10, 0.2, "the reply")
    # another unit may not answer it
    other_unit = arrived_unit(stack)[1]
    other = Browser(root(stack))
    assert other.log_in(stack.token("unit", "别的单位", other_unit)).status_code == 303
    other_page = other.get(f"/dashboard/units/{other_unit}").text
    assert "/dashboard/act/reply_to_directive" not in other_page      # nothing addressed to it
    foreign = other.post("/dashboard/act/reply_to_directive", {
        **page_keys(other_page, "foreign-reply"), "_back": f"/dashboard/units/{other_unit}", "directive_id": did,
        "text": "代答"})
    assert foreign.status_code == 403

    assert 'id="directives"' in browser.get(f"/dashboard/units/{unit}").text    # one still waits
    shoot(stack, stack.token("unit", "督办单位", unit), [
        {"goto": f"/dashboard/units/{unit}", "charts": False}, open_form("reply_to_directive"),
        open_form("acknowledge_directive")], "unit-directives")


# ---------------------------------------------------------------- 3. typical cases
def test_a_typical_case_is_reported_recommended_to_both_and_publicised_through_the_forms(stack, monkeypatch):
    monkeypatch.setattr(dash, "ARTIFACTS", ARTIFACTS)
    group, unit = arrived_unit(stack)
    office = stack.as_role("office")
    sup = Browser(root(stack))
    assert sup.log_in(stack.token("supervisor", "典型督导员", group["group_id"])).status_code == 303
    back = f"/dashboard/units/{unit}"
    page = sup.get(back).text
    fields = {**keys(page, "report_typical_case"), "_back": back, "unit_id": unit, "kind": "person",
              "title": "老党员义务宣讲", "description": "退休后坚持宣讲十年", "date": day(0)}
    before = logged(stack, "supervision")
    nameless = sup.post("/dashboard/act/report_typical_case", fields)
    assert nameless.status_code == 422 and "field-error" in beside(nameless.text, "report_typical_case", "person_name")
    assert 'value="老党员义务宣讲"' in nameless.text and logged(stack, "supervision") == before
    done = sup.post("/dashboard/act/report_typical_case", {**fields, "person_name": "李大爷"})
    assert done.status_code == 303, done.text

    def cases():
        return [e for e in office.get(f"/units/{unit}/supervision").json()["entries"] if "case_id" in e["payload"]]
    wait_until(lambda: cases(), 10, 0.2, "the case")
    case = cases()[0]["payload"]["case_id"]

    # publicity before both recommendations: not offered, and the service refuses it
    office_browser = Browser(root(stack))
    assert office_browser.log_in(stack.token("office", "典型活动办")).status_code == 303
    office_page = office_browser.get(back).text
    assert "/dashboard/act/publicise_typical_case" not in office_page   # nothing recommended to both yet
    early = office_browser.post("/dashboard/act/publicise_typical_case", {
        **page_keys(office_page, "early-publicity"), "_back": back, "case_id": case, "channel": "县电视台"})
    assert early.status_code == 422 and "典型须先向所去单位党委（党组）和活动办推荐" in early.text

    for recipient in ("unit", "office"):
        page = sup.get(back).text
        assert f'value="{case}"' in form_of(page, "recommend_typical_case")
        sent = sup.post("/dashboard/act/recommend_typical_case", {
            **keys(page, "recommend_typical_case"), "_back": back, "case_id": case, "recipient": recipient})
        assert sent.status_code == 303, sent.text
        wait_until(lambda: any(e["type"] == "TypicalCaseRecommended" and e["payload"]["recipient"] == recipient
                               for e in cases()), 10, 0.2, "the recommendation")
    page = sup.get(back).text
    assert "/dashboard/act/recommend_typical_case" not in page          # both done: nothing to recommend
    twice = sup.post("/dashboard/act/recommend_typical_case", {
        **page_keys(page, "twice"), "_back": back, "case_id": case, "recipient": "office"})
    assert twice.status_code == 409

    office_page = office_browser.get(back).text
    assert f'value="{case}"' in form_of(office_page, "publicise_typical_case")
    published = office_browser.post("/dashboard/act/publicise_typical_case", {
        **keys(office_page, "publicise_typical_case"), "_back": back, "case_id": case, "channel": "县电视台"})
    assert published.status_code == 303, published.text
    wait_until(lambda: any(e["type"] == "TypicalCasePublicised" for e in cases()), 10, 0.2, "the publicity")

    shoot(stack, stack.token("supervisor", "典型督导员", group["group_id"]),
          [{"goto": back, "charts": False}, open_form("report_typical_case")], "typical-cases")


# ---------------------------------------------------------------- 2. briefings
def test_the_office_compiles_lists_views_and_downloads_a_briefing(stack, monkeypatch):
    monkeypatch.setattr(dash, "ARTIFACTS", ARTIFACTS)
    group, unit = arrived_unit(stack)
    title = "学习动员进展" + uuid.uuid4().hex[:4]
    report = stack.as_role("supervisor", scope=group["group_id"]).post("/reports", json={
        "unit_id": unit, "kind": "progress", "title": title, "body": "集中学习已开始", "date": day(0)})
    assert report.status_code == 201, report.text
    office = Browser(root(stack))
    assert office.log_in(stack.token("office", "简报活动办")).status_code == 303
    page = office.get("/dashboard/reports").text
    fields = {**keys(page, "compile_briefing"), "_back": "/dashboard/reports", "title": "活动简报第1期",
              "period_from": day(0), "period_to": day(-1)}
    before = logged(stack, "supervision")
    backwards = office.post("/dashboard/act/compile_briefing", fields)
    assert backwards.status_code == 422
    assert "field-error" in beside(backwards.text, "compile_briefing", "period_to")
    assert logged(stack, "supervision") == before
    done = office.post("/dashboard/act/compile_briefing", {**fields, "period_to": day(0)})
    assert done.status_code == 303, done.text
    api = stack.as_role("office")
    wait_until(lambda: api.get("/briefings").json(), 10, 0.2, "the briefing listed")
    brief = next(b for b in api.get("/briefings").json() if report.json()["report_id"] in b["report_ids"])
    listed = office.get("/dashboard/reports").text.split('id="briefings"')[1].split("</section>")[0]
    assert f'/dashboard/briefings/{brief["briefing_id"]}"' in listed and "活动简报第1期" in listed
    view = office.get(f"/dashboard/briefings/{brief['briefing_id']}")
    assert view.status_code == 200 and title in view.text and "集中学习已开始" in view.text
    docx = office.get(f"/dashboard/briefings/{brief['briefing_id']}.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert "wordprocessingml" in docx.headers["Content-Type"]
    # a supervisor reads the reports page without the office's briefings, and may not compile
    sup = Browser(root(stack))
    assert sup.log_in(stack.token("supervisor", "简报督导员", group["group_id"])).status_code == 303
    sup_page = sup.get("/dashboard/reports").text
    assert 'id="briefings"' not in sup_page and "/dashboard/act/compile_briefing" not in sup_page
    assert sup.get(f"/dashboard/briefings/{brief['briefing_id']}").status_code == 403
    posted = sup.post("/dashboard/act/compile_briefing", {**fields, "csrf": CSRF.search(sup_page).group(1),
                                                          "_nonce": "sup-brief", "period_to": day(0)})
    assert posted.status_code == 403

    shoot(stack, stack.token("office"), [{"goto": "/dashboard/reports", "charts": False},
                                         open_form("compile_briefing")], "briefings")
    shoot(stack, stack.token("office"), [{"goto": f"/dashboard/briefings/{brief['briefing_id']}", "charts": False}],
          "briefing")
