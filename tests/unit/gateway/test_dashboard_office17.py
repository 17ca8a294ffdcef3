"""Issue 17's office, supervisor and unit forms (h-office17b), with the recording stand-in
of test_dashboard_actions: 督办 offered by role (the office to a unit or a group, a group only
to its own units, never to a group), a unit's acknowledgement and reply beside the
directive's text and reply date, typical cases, briefings, and the office's unit list page."""
import re

import pytest

from services.gateway.dashboard import forms
from services.gateway.dashboard.views import Dashboard
from services.gateway.tokens import Person
from tests.unit.gateway.test_dashboard_actions import (
    COUNTY,
    OFFICE,
    SUPERVISOR,
    UNIT,
    Services,
    Sessions,
    fields_of,
    get,
    post,
)

AUDITOR = Person(id="p-aud", name="审计", role="auditor", scope=None)
TOKEN = forms.form_token("sess-1")


def entry(position, type_, **payload):
    return {"position": position, "occurred_at": "2026-03-01T08:00:00Z", "type": type_,
            "actor": {"id": "x", "name": "x", "role": "office"}, "payload": {"unit_id": "u-1", **payload}}


HISTORY = {"unit_id": "u-1", "entries": [
    entry(1, "DirectiveSent", directive_id="d-1", recipient="unit", text="请于三日内报送整改方案",
          reply_by="2026-03-10", sent_on="2026-03-01", group_id="g-1",
          obligation_id=None, sent_by="office-1", sender_role="office"),
    entry(2, "DirectiveSent", directive_id="d-2", recipient="unit", text="请说明学习学时不足的原因",
          reply_by="2026-03-12", sent_on="2026-03-02", group_id="g-1",
          obligation_id=None, sent_by="office-1", sender_role="office"),
    entry(3, "DirectiveAcknowledged", directive_id="d-2", acknowledged_on="2026-03-03", acknowledged_by="u"),
    entry(4, "DirectiveSent", directive_id="d-3", recipient="unit", text="已答复的通知", reply_by="2026-03-05",
          sent_on="2026-03-01", group_id="g-1",
          obligation_id=None, sent_by="office-1", sender_role="office"),
    entry(5, "DirectiveReplied", directive_id="d-3", text="已办", replied_on="2026-03-04", replied_by="u"),
    entry(6, "TypicalCaseReported", case_id="c-1", group_id="g-1", kind="experience", title="党员承诺制",
          description="…", person_name=None, date="2026-03-02"),
    entry(7, "TypicalCaseRecommended", case_id="c-1", group_id="g-1", recipient="unit", date="2026-03-03"),
    entry(8, "TypicalCaseReported", case_id="c-2", group_id="g-1", kind="person", title="老党员张三",
          description="…", person_name="张三", date="2026-03-02"),
    entry(9, "TypicalCaseRecommended", case_id="c-2", group_id="g-1", recipient="unit", date="2026-03-03"),
    entry(10, "TypicalCaseRecommended", case_id="c-2", group_id="g-1", recipient="office", date="2026-03-03"),
]}
READS = {**COUNTY, "unit_history": HISTORY}


def form_of(html: str, name: str) -> str:
    return html.split(f'id="act-{name}"')[1].split("</details>")[0]


def offered(person, path, reads=READS) -> str:
    page = get(Dashboard(Sessions(person), Services(reads=reads)), path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return page.get_data(as_text=True)


def test_the_new_forms_derive_from_their_routes_schemas():
    ack = fields_of("acknowledge_directive")
    assert list(ack) == ["directive_id"] and ack["directive_id"].choices_from == "unacknowledged_directives"
    reply = fields_of("reply_to_directive")
    assert reply["text"].kind == "textarea" and reply["text"].required
    assert reply["directive_id"].choices_from == "open_directives"
    own = fields_of("send_unit_directive")
    assert set(own) == {"obligation_id", "text", "reply_by"}          # the unit given, no group
    assert "group_id" not in fields_of("send_directive_to_own_unit")
    case = fields_of("report_typical_case")
    assert dict(case["kind"].choices) == {"experience": "典型经验", "person": "典型人物"}
    assert case["date"].kind == "date" and not case["person_name"].required and "unit_id" not in case
    assert dict(fields_of("recommend_typical_case")["recipient"].choices)["office"] == "领导小组办公室"
    assert fields_of("publicise_typical_case")["channel"].required
    brief = fields_of("compile_briefing")
    assert [(f.name, f.kind) for f in brief.values()] == [("title", "text"), ("period_from", "date"),
                                                          ("period_to", "date")]


@pytest.mark.parametrize("person, page, wanted, unwanted", [
    # 督办 is the office's: to a unit or a group; a group's only to its own units, never to a group
    (OFFICE, "/dashboard/obligations", {"send_directive"}, {"send_directive_to_own_unit"}),
    (SUPERVISOR, "/dashboard/obligations", {"send_directive_to_own_unit"}, {"send_directive"}),
    (AUDITOR, "/dashboard/obligations", set(), {"send_directive", "send_directive_to_own_unit"}),
    (SUPERVISOR, "/dashboard/units/u-1", {"send_unit_directive", "report_typical_case", "recommend_typical_case"},
     {"acknowledge_directive", "reply_to_directive", "publicise_typical_case", "send_directive"}),
    (UNIT, "/dashboard/units/u-1", {"acknowledge_directive", "reply_to_directive"},
     {"send_unit_directive", "report_typical_case", "recommend_typical_case", "publicise_typical_case"}),
    (OFFICE, "/dashboard/units/u-1", {"publicise_typical_case"},
     {"send_unit_directive", "acknowledge_directive", "reply_to_directive", "report_typical_case"}),
    (OFFICE, "/dashboard/reports", {"compile_briefing"}, set()),
    (SUPERVISOR, "/dashboard/reports", set(), {"compile_briefing"}),
])
def test_each_role_is_offered_only_what_it_can_take(person, page, wanted, unwanted):
    html = offered(person, page)
    for name in wanted:
        assert f'action="/dashboard/act/{name}"' in html, name
    for name in unwanted:
        assert f'action="/dashboard/act/{name}"' not in html, name
    for input_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        if not input_id.endswith("-confirm"):
            assert f'for="{input_id}"' in html or re.search(rf'<fieldset id="{input_id}"', html), input_id


def test_the_office_directive_form_goes_to_a_supervisor_refused_and_nothing_called():
    services = Services(reads=READS)
    refused = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/send_directive", {
        "csrf": TOKEN, "_nonce": "n-20", "_back": "/dashboard/obligations", "group_id": "g-1",
        "text": "请整改", "reply_by": "2026-03-10"})
    assert refused.status_code == 403 and services.commands == []
    assert "此身份无权进行此操作" in refused.get_data(as_text=True)
    # the unit's answer forms are the unit's only: the supervisor (whom the route lets answer a
    # group's directive) is refused them here
    again = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/reply_to_directive", {
        "csrf": TOKEN, "_nonce": "n-21", "_back": "/dashboard/units/u-1", "directive_id": "d-1", "text": "已办"})
    assert again.status_code == 403 and services.commands == []


def test_the_supervisors_directive_names_the_page_unit_and_no_group():
    services = Services(reads=READS)
    sent = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/send_unit_directive", {
        "csrf": TOKEN, "_nonce": "n-22", "_back": "/dashboard/units/u-1", "unit_id": "u-1",
        "group_id": "g-other", "text": "请尽快召开动员大会", "reply_by": "2026-03-10"})
    assert sent.status_code == 303
    (_, rpc, fields), = services.commands
    assert rpc == "send_directive" and fields["unit_id"] == "u-1" and "group_id" not in fields


def test_the_unit_sees_each_waiting_directives_text_and_reply_date_and_answers_it():
    html = offered(UNIT, "/dashboard/units/u-1")
    ack, reply = form_of(html, "acknowledge_directive"), form_of(html, "reply_to_directive")
    context = reply.split('data-context="unit_directives"')[1].split("</div>")[0]
    assert "2026-03-10前答复（未签收）：请于三日内报送整改方案" in context
    assert "2026-03-12前答复（已签收）：请说明学习学时不足的原因" in context
    assert "已答复的通知" not in context
    waiting = html.split('id="directives"')[1].split("</section>")[0]         # at the top of the page
    assert "待答复的督办通知（2）" in waiting and "请于三日内报送整改方案" in waiting and "已答复的通知" not in waiting
    assert "发出督办通知" in html.split('id="timeline"')[1].split("</ol>")[0]   # the timeline in Chinese
    assert re.findall(r'<option value="(d-\d)"', ack) == ["d-1"]                 # d-2 was acknowledged
    assert '<option value="d-1" selected>' in ack                                 # the only one, picked
    assert re.findall(r'<option value="(d-\d)"', reply) == ["d-1", "d-2"]         # d-3 was answered
    services = Services(reads=READS)
    done = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/reply_to_directive", {
        "csrf": TOKEN, "_nonce": "n-23", "_back": "/dashboard/units/u-1", "directive_id": "d-1",
        "text": "已报送整改方案"})
    assert done.status_code == 303 and done.headers["Location"].endswith("done=reply_to_directive")
    (_, rpc, fields), = services.commands
    assert (rpc, fields["directive_id"], fields["text"]) == ("reply_to_directive", "d-1", "已报送整改方案")


def test_a_reply_without_text_or_directive_is_422_beside_the_field_and_nothing_called():
    services = Services(reads=READS)
    refused = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/reply_to_directive", {
        "csrf": TOKEN, "_nonce": "n-24", "_back": "/dashboard/units/u-1", "directive_id": "", "text": ""})
    assert refused.status_code == 422 and services.commands == []
    form = form_of(refused.get_data(as_text=True), "reply_to_directive")
    for field in ("directive_id", "text"):
        assert "此项必填" in form.split(f'data-field="{field}"')[1].split("data-field=")[0], field


def test_a_directive_answered_already_is_the_services_409_at_the_top_of_the_form():
    services = Services(reads=READS, refuse={"ok": False, "status": 409, "error": "conflict",
                                             "message": "directive d-1 was acknowledged on 2026-03-03"})
    refused = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/acknowledge_directive", {
        "csrf": TOKEN, "_nonce": "n-25", "_back": "/dashboard/units/u-1", "directive_id": "d-1"})
    assert refused.status_code == 409
    assert "与当前状态不符" in form_of(refused.get_data(as_text=True), "acknowledge_directive")


def test_typical_cases_are_offered_by_where_they_stand():
    sup = offered(SUPERVISOR, "/dashboard/units/u-1")
    recommend = form_of(sup, "recommend_typical_case")
    assert re.findall(r'<option value="(c-\d)"', recommend) == ["c-1"]            # c-2 went to both
    assert "典型经验：党员承诺制（2026-03-02）；已推荐给所去单位党委（党组）" in recommend
    office = form_of(offered(OFFICE, "/dashboard/units/u-1"), "publicise_typical_case")
    assert re.findall(r'<option value="(c-\d)"', office) == ["c-2"]


def test_a_typical_person_without_a_name_is_refused_beside_the_name():
    services = Services(reads=READS, refuse={"ok": False, "status": 422, "error": "invalid", "message": "m",
                                             "details": {"fields": {
                                                 "person_name": ["an exemplary person needs a name"]}}})
    refused = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/report_typical_case", {
        "csrf": TOKEN, "_nonce": "n-26", "_back": "/dashboard/units/u-1", "unit_id": "u-1", "kind": "person",
        "title": "老党员", "description": "事迹", "date": "2026-03-02"})
    assert refused.status_code == 422
    beside = form_of(refused.get_data(as_text=True), "report_typical_case").split(
        'data-field="person_name"')[1].split("data-field=")[0]
    assert "典型人物须填写姓名" in beside and 'class="field-error"' in beside
    (_, _, fields), = services.commands
    assert fields["unit_id"] == "u-1" and fields["kind"] == "person"


BRIEFINGS = [{"briefing_id": "brief-1", "title": "活动简报第1期", "period_from": "2026-03-01",
              "period_to": "2026-03-07", "compiled_on": "2026-03-08", "report_ids": ["r-1", "r-2"]}]
BRIEFING = {**BRIEFINGS[0], "sections": [{"kind": "progress", "label": "工作进展", "items": [
    {"report_id": "r-1", "unit_id": "u-9", "group_id": "g-room", "kind": "progress", "date": "2026-03-02",
     "title": "进驻情况", "body": "已进驻", "urgent": False}]}]}


def test_the_reports_page_lists_the_briefings_and_the_briefing_page_shows_and_offers_the_docx():
    reads = {**READS, "list_briefings": BRIEFINGS, "get_briefing": BRIEFING, "list_reports": []}
    html = offered(OFFICE, "/dashboard/reports", reads)
    listed = html.split('id="briefings"')[1].split("</section>")[0]
    assert 'href="/dashboard/briefings/brief-1"' in listed and "2026-03-01 至 2026-03-07" in listed
    assert 'href="/dashboard/briefings/brief-1.docx"' in listed
    page = offered(OFFICE, "/dashboard/briefings/brief-1", reads)
    assert "活动简报第1期" in page and "进驻情况" in page and "县水利局" in page and "第二督导组" in page
    assert 'id="briefing-download"' in page
    assert "id=\"briefings\"" not in offered(SUPERVISOR, "/dashboard/reports", reads)   # the office's and auditors'


def test_a_briefing_period_the_service_refuses_stands_beside_its_date():
    services = Services(reads={**READS, "list_briefings": [], "list_reports": []},
                        refuse={"ok": False, "status": 422, "error": "invalid", "message": "m",
                                "details": {"fields": {"period_to": ["period_to is before period_from"]}}})
    refused = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/compile_briefing", {
        "csrf": TOKEN, "_nonce": "n-27", "_back": "/dashboard/reports", "title": "简报",
        "period_from": "2026-03-08", "period_to": "2026-03-01"})
    assert refused.status_code == 422
    beside = form_of(refused.get_data(as_text=True), "compile_briefing").split(
        'data-field="period_to"')[1].split("data-field=")[0]
    assert "截止日期早于起始日期" in beside and 'value="2026-03-01"' in beside


def test_the_unit_list_page_is_the_offices():
    html = offered(OFFICE, "/dashboard/unit-list")
    assert 'id="unit-list-template"' in html and 'id="unit-list-file"' in html
    assert 'href="/dashboard/unit-list"' in offered(OFFICE, "/dashboard/overview")
    sup = offered(SUPERVISOR, "/dashboard/unit-list")
    assert 'id="unit-list-file"' not in sup and "只有活动办可以登记单位" in sup


def test_a_domain_refusals_message_goes_beside_the_input_its_details_name_not_its_facts():
    services = Services(reads=READS, refuse={"ok": False, "status": 422, "error": "rejected",
                                             "message": "the reply date has already passed",
                                             "details": {"reply_by": "2026-02-01", "today": "2026-03-01"}})
    refused = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/send_unit_directive", {
        "csrf": TOKEN, "_nonce": "n-28", "_back": "/dashboard/units/u-1", "unit_id": "u-1", "text": "督促",
        "reply_by": "2026-02-01"})
    assert refused.status_code == 422
    form = form_of(refused.get_data(as_text=True), "send_unit_directive")
    near = form.split('data-field="reply_by"')[1].split("data-field=")[0]
    assert "答复期限已过" in near and "2026-03-01" not in form.split('data-field="obligation_id"')[0]
    # beside the case it names (the one picked), in words, not its details' values
    services = Services(reads=READS, refuse={"ok": False, "status": 422, "error": "rejected",
                                             "message": "a typical case is publicised only after it was "
                                                        "recommended to both the unit and the office",
                                             "details": {"case_id": "c-1", "not_yet_recommended_to": ["office"]}})
    refused = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/publicise_typical_case", {
        "csrf": TOKEN, "_nonce": "n-29", "_back": "/dashboard/units/u-1", "case_id": "c-1", "channel": "县电视台"})
    near = form_of(refused.get_data(as_text=True), "publicise_typical_case").split(
        'data-field="case_id"')[1].split("data-field=")[0]
    assert "典型须先向所去单位党委（党组）和活动办推荐" in near and "office" not in near
    # a refusal naming no input stands at the top, in words
    services = Services(reads=READS, refuse={"ok": False, "status": 422, "error": "rejected",
                                             "message": "the reply date has already passed",
                                             "details": {"today": "2026-03-01"}})
    refused = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/send_unit_directive", {
        "csrf": TOKEN, "_nonce": "n-30", "_back": "/dashboard/units/u-1", "unit_id": "u-1", "text": "督促",
        "reply_by": "2026-02-01"})
    top = form_of(refused.get_data(as_text=True), "send_unit_directive").split('class="form-error"')[1]
    assert "未通过校验：答复期限已过" in top.split("</div>")[0]


def test_an_answer_or_recommendation_form_with_nothing_to_pick_is_not_offered():
    for person, names in ((UNIT, ("acknowledge_directive", "reply_to_directive")),
                          (SUPERVISOR, ("recommend_typical_case",)), (OFFICE, ("publicise_typical_case",))):
        html = offered(person, "/dashboard/units/u-1", COUNTY)          # no directive, no case
        for name in names:
            assert f"/dashboard/act/{name}" not in html, (person.role, name)
    assert "/dashboard/act/report_typical_case" in offered(SUPERVISOR, "/dashboard/units/u-1", COUNTY)
