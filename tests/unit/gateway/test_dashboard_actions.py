"""The dashboard's forms that act (services.gateway.dashboard.actions, .acting,
.workbench): inputs derived from the routes' real request schemas, the form coerced back
to the schema's types, and a submission's checks on werkzeug requests, with a recording
stand-in for the services (what was called, with which fields and key)."""
import re

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.dashboard import actions as A
from services.gateway.dashboard import forms
from services.gateway.dashboard import workbench as W
from services.gateway.dashboard.views import Dashboard
from services.gateway.tokens import Person

UNIT = Person(id="p-unit", name="单位甲", role="unit", scope="u-1")
OTHER = Person(id="p-unit2", name="单位乙", role="unit", scope="u-2")
SUPERVISOR = Person(id="p-sup", name="督导员", role="supervisor", scope="g-1")
OFFICE = Person(id="p-office", name="活动办", role="office", scope=None)
BASE = "http://gw.example:8080"


def fields_of(name):
    return {f.name: f for f in A.form_fields(W.BY_NAME[name])}


def test_every_declared_action_derives_its_form_and_labels_every_input():
    for action in W.ACTIONS:
        inputs = A.form_fields(action)
        assert inputs, action.name
        for f in inputs:
            assert f.label and not re.fullmatch(r"[a-z_]+", f.label), (action.name, f.name)


def test_schema_types_become_input_kinds():
    enrol = fields_of("enrol_member")
    assert enrol["name"].kind == "text" and enrol["name"].required
    assert enrol["is_leader"].kind == "checkbox" and "unit_id" not in enrol   # the page gives it
    assert fields_of("schedule_meeting")["date"].kind == "date"
    session = fields_of("record_session")
    assert session["hours"].kind == "decimal"
    assert session["form"].kind == "select" and ("lecture", "专题讲座") in session["form"].choices
    assert session["content_keys"].kind == "checkboxes"                     # a List of OneOf
    assert "local_document" not in session                                  # omitted (nested)
    assert fields_of("set_requirements")["items"].kind == "lines"           # a List of free text
    attend = fields_of("record_attendance")
    assert attend["member_ids"].kind == "checkboxes" and attend["member_ids"].choices_from == "members"
    assert attend["session_id"].kind == "select"                           # the path's, picked
    assert fields_of("complete_ledger_measure")["attachment_ids"].kind == "file"
    problem = fields_of("record_problem")
    assert dict(problem["source"].choices)["life_meeting"] == "专题组织生活会"


def test_a_nested_field_is_not_derivable():
    from marshmallow import fields
    with pytest.raises(A.NotDerivable):
        A.derive("x", fields.Nested({"a": fields.String()}), A.Label("x"))


def test_the_form_is_coerced_to_the_schemas_types():
    inputs = A.form_fields(W.BY_NAME["record_session"])
    body, problems = A.coerce(inputs, MultiDict([("form", "lecture"), ("date", "2026-03-01"),
                                                 ("hours", "2.5"), ("content_keys", "hu_jintao_speech"),
                                                 ("content_keys", "zeng_qinghong_speech"), ("title", " 讲座 ")]))
    assert problems == {}
    assert body == {"form": "lecture", "date": "2026-03-01", "hours": 2.5,
                    "content_keys": ["hu_jintao_speech", "zeng_qinghong_speech"], "title": "讲座"}
    body, problems = A.coerce(inputs, MultiDict([("form", "lecture"), ("hours", "两小时")]))
    assert problems == {"date": ["此项必填"], "hours": ["请填写数字"]}
    enrol, _ = A.coerce(A.form_fields(W.BY_NAME["enrol_member"]),
                        MultiDict([("name", "张三"), ("is_retired", "on")]))
    assert enrol == {"name": "张三", "section": None, "is_leader": False, "is_retired": True}
    lines, _ = A.coerce(A.form_fields(W.BY_NAME["set_requirements"]),
                        MultiDict([("text", "要求"), ("items", "一\r\n\r\n 二 \n")]))
    assert lines == {"text": "要求", "items": ["一", "二"]}


def test_a_refusals_details_go_beside_their_inputs():
    inputs = A.form_fields(W.BY_NAME["enrol_member"])
    beside, top = A.field_messages({"fields": {"name": ["Missing data for required field."],
                                               "_schema": ["something else"]}}, inputs)
    assert beside == {"name": ["此项必填"]} and top == ["something else"]


# ------------------------------------------------------------------ the dashboard's side
class Sessions:
    def __init__(self, person):
        self.person = person

    def session_person(self, session_id):
        return self.person if session_id == "sess-1" else None


class Services:
    """Answers reads with empty data and records every command (a 422 when told)."""

    def __init__(self, refuse=None, reads=None):
        self.commands, self.refuse, self.reads = [], refuse, reads or {}

    def __call__(self, service, rpc, fields):
        if "idempotency_key" not in fields:
            card = {"unit_id": "u-1", "name": "单位甲", "sections": ["综合科"], "history": [], "batch": 1,
                    "phase": "mobilization", "members": {"count": 1, "leaders": 1, "retired": 0},
                    "flags": [], "deadlines": {}, "mobilization_meeting": {}, "rectification":
                    {"total": 0, "completed": 0, "open": []}, "notifications": [], "contact_points": {},
                    "study_groups": {}, "retired_without_group": [], "agreed_transitions": []}
            empty = {"get_unit": card,
                     "list_members": {"members": [{"member_id": "m-1", "name": "张三", "section": "综合科",
                                                   "is_leader": True}], "study_groups": []}}
            return {"ok": True, "result": {**empty, **self.reads}.get(rpc, {})}
        self.commands.append((service, rpc, fields))
        if self.refuse:
            return self.refuse
        return {"ok": True, "result": {"member_id": "m-2"}}


def post(dashboard, path, data, origin=BASE, files=None):
    environ = EnvironBuilder(path=path, method="POST", base_url=BASE, data={**data, **(files or {})},
                             headers={"Origin": origin, "Cookie": "dudao_session=sess-1"}).get_environ()
    return dashboard.handle(Request(environ))


def get(dashboard, path):
    environ = EnvironBuilder(path=path, base_url=BASE, headers={"Cookie": "dudao_session=sess-1"}).get_environ()
    return dashboard.handle(Request(environ))


def enrol_form(**extra):
    return {"csrf": forms.form_token("sess-1"), "_nonce": "n-1", "_back": "/dashboard/units/u-1",
            "unit_id": "u-1", "name": "李四", "section": "综合科", **extra}


def test_the_unit_page_offers_its_forms_each_input_labelled():
    page = get(Dashboard(Sessions(UNIT), Services()), "/dashboard/units/u-1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'action="/dashboard/act/enrol_member"' in html
    for input_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        if input_id.endswith("-confirm"):
            continue
        assert f'for="{input_id}"' in html or re.search(rf'<fieldset id="{input_id}"', html), input_id
    assert "张三（综合科）" in html   # the members, for ticking


def test_a_submission_acts_once_per_nonce_and_redirects_with_a_notice():
    services = Services()
    dashboard = Dashboard(Sessions(UNIT), services)
    first = post(dashboard, "/dashboard/act/enrol_member", enrol_form())
    again = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/enrol_member", enrol_form())
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"].endswith("/dashboard/units/u-1?done=enrol_member")
    (_, rpc, fields), (_, _, fields2) = services.commands
    assert rpc == "enrol_member" and fields["unit_id"] == "u-1" and fields["actor"]["id"] == "p-unit"
    assert fields["idempotency_key"] == fields2["idempotency_key"] == "dash-n-1"  # the service acts once
    notice = get(Dashboard(Sessions(UNIT), services), "/dashboard/units/u-1?done=enrol_member")
    assert "已提交：登记党员" in notice.get_data(as_text=True)


@pytest.mark.parametrize("data,origin", [({"csrf": ""}, BASE), ({}, "http://evil.example")])
def test_a_form_without_its_token_or_from_elsewhere_is_refused_and_nothing_is_called(data, origin):
    services = Services()
    response = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/enrol_member",
                    enrol_form(**data), origin=origin)
    assert response.status_code == 403 and services.commands == []


def test_a_refusal_422_shows_each_message_beside_its_field_with_the_values_kept():
    services = Services(refuse={"ok": False, "status": 422, "error": "invalid", "message": "bad",
                                "details": {"fields": {"section": ["a serving member belongs to a section"]}}})
    response = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/enrol_member", enrol_form(section=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    form = html.split('id="act-enrol_member"')[1].split("</details>")[0]
    assert "<details" not in form and form.startswith(" open")     # the refused form is open
    field = form.split('data-field="section"')[1].split('data-field=')[0]
    assert "a serving member belongs to a section" in field and 'class="field-error"' in field
    assert 'value="李四"' in html                       # kept


def test_an_unread_required_field_is_422_beside_it_and_nothing_is_called():
    services = Services()
    response = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/enrol_member", enrol_form(name=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and services.commands == []
    form = html.split('id="act-enrol_member"')[1].split("</details>")[0]
    assert "此项必填" in form.split('data-field="name"')[1].split('data-field=')[0]


def test_a_conflict_stands_at_the_top_of_the_form():
    services = Services(refuse={"ok": False, "status": 409, "error": "conflict", "message": "已登记",
                                "details": {}})
    response = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/enrol_member", enrol_form())
    assert response.status_code == 409
    assert 'class="form-error"' in response.get_data(as_text=True)


def test_a_role_that_cannot_act_is_not_offered_the_form_and_refused_if_it_posts():
    page = get(Dashboard(Sessions(SUPERVISOR), Services()), "/dashboard/units/u-1").get_data(as_text=True)
    assert "/dashboard/act/enrol_member" not in page
    assert "/dashboard/act/record_problem" in page     # a supervisor may propose a problem
    services = Services()
    response = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/enrol_member", enrol_form())
    assert response.status_code == 403 and services.commands == []


def test_a_unit_cannot_act_on_another_unit():
    services = Services()
    response = post(Dashboard(Sessions(OTHER), services), "/dashboard/act/enrol_member", enrol_form())
    assert response.status_code == 403 and services.commands == []


def test_a_supervisors_arrival_is_for_its_own_group_whatever_the_form_says():
    services = Services()
    page = get(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/units/u-1").get_data(as_text=True)
    assert "/dashboard/act/record_arrival" in page and "/dashboard/act/office_decision" not in page
    unit_page = get(Dashboard(Sessions(UNIT), services), "/dashboard/units/u-1").get_data(as_text=True)
    assert "/dashboard/act/record_arrival" not in unit_page
    response = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/record_arrival",
                    {"csrf": forms.form_token("sess-1"), "_nonce": "n-2", "_back": "/dashboard/units/u-1",
                     "unit_id": "u-1", "group_id": "g-other", "date": "2026-03-02"})
    assert response.status_code == 303
    (service, rpc, fields), = services.commands
    assert (service, rpc) == ("supervision", "record_arrival")
    assert fields["group_id"] == "g-1" and fields["unit_id"] == "u-1" and fields["date"] == "2026-03-02"


def test_the_logout_page_still_renders():
    page = get(Dashboard(Sessions(UNIT), Services()), "/dashboard/logout")
    assert page.status_code == 200 and "/dashboard/act/" not in page.get_data(as_text=True)


# ------------------------------------------------------------------ the office's county pages
OFFICE_FORMS = {"overview": ("register_unit",), "groups": ("form_group", "assign_unit"),
                "obligations": ("send_directive",)}
GROUPS = [{"group_id": "g-full", "name": "第一督导组", "unit_count": 10, "soft_limit": 10, "over_soft_limit": False},
          {"group_id": "g-room", "name": "第二督导组", "unit_count": 3, "soft_limit": 10, "over_soft_limit": False}]
COUNTY = {"overview": {"by_batch": {}, "by_phase": {}, "flagged": []}, "list_groups": GROUPS,
          "list_units": [{"unit_id": "u-9", "name": "县水利局"}], "list_obligations": [
              {"obligation_id": "o-1", "type": "arrival", "owed_by": "group", "due": "2026-03-01",
               "status": "overdue", "days_overdue": 3, "unit_id": "u-9", "group_id": "g-room"}]}


def test_the_offices_forms_derive_with_their_inputs():
    unit = fields_of("register_unit")
    assert unit["org_type"].kind == "select" and ("党组", "党组") in unit["org_type"].choices
    assert unit["batch"].kind == "number" and unit["sections"].kind == "lines" and unit["name"].required
    assign = fields_of("assign_unit")
    assert assign["group_id"].kind == "select" and assign["group_id"].choices_from == "groups"
    assert assign["unit_id"].choices_from == "units" and assign["date"].kind == "date"
    assert W.BY_NAME["assign_unit"].confirm                              # R1's confirm step
    directive = fields_of("send_directive")
    assert {"unit_id", "group_id", "obligation_id", "text", "reply_by"} <= set(directive)
    assert directive["text"].kind == "textarea" and directive["reply_by"].kind == "date"


@pytest.mark.parametrize("page,names", OFFICE_FORMS.items())
def test_the_county_pages_offer_the_offices_forms_to_the_office_only(page, names):
    html = get(Dashboard(Sessions(OFFICE), Services(reads=COUNTY)), f"/dashboard/{page}").get_data(as_text=True)
    for name in names:
        assert f'action="/dashboard/act/{name}"' in html, name
    for input_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        assert f'for="{input_id}"' in html or re.search(rf'<fieldset id="{input_id}"', html), input_id
    auditor = Person(id="p-aud", name="审计", role="auditor", scope=None)
    for other in (auditor, SUPERVISOR):
        seen = get(Dashboard(Sessions(other), Services(reads=COUNTY)), f"/dashboard/{page}").get_data(as_text=True)
        for name in names:
            if name != "send_directive" or other is auditor:  # a supervisor may urge its own units
                assert f"/dashboard/act/{name}" not in seen, (other.role, name)


def test_the_group_choices_show_who_is_at_the_soft_limit():
    html = get(Dashboard(Sessions(OFFICE), Services(reads=COUNTY)), "/dashboard/groups").get_data(as_text=True)
    assert "第一督导组（负责10个单位，已达上限）" in html and "第二督导组（负责3个单位）" in html
    assert 'name="_confirm"' in html


def assign_form(group, **extra):
    return {"csrf": forms.form_token("sess-1"), "_nonce": "n-9", "_back": "/dashboard/groups",
            "group_id": group, "unit_id": "u-9", **extra}


def test_assigning_to_a_group_at_the_soft_limit_is_refused_until_confirmed():
    services = Services(reads=COUNTY)
    refused = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/assign_unit", assign_form("g-full"))
    assert refused.status_code == 422 and services.commands == []
    form = refused.get_data(as_text=True).split('id="act-assign_unit"')[1].split("</details>")[0]
    beside = form.split('data-field="_confirm"')[1]
    assert "请勾选确认后再提交" in beside and 'class="field-error"' in beside
    done = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/assign_unit",
                assign_form("g-full", _confirm="on"))
    assert done.status_code == 303
    (service, rpc, fields), = services.commands
    assert (service, rpc) == ("supervision", "assign_unit")
    assert fields["group_id"] == "g-full" and fields["unit_id"] == "u-9"


def test_a_group_with_room_needs_no_tick_and_a_supervisor_may_not_assign():
    services = Services(reads=COUNTY)
    assert post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/assign_unit",
                assign_form("g-room")).status_code == 303
    assert [c[1] for c in services.commands] == ["assign_unit"]
    sup = Services(reads=COUNTY)
    assert post(Dashboard(Sessions(SUPERVISOR), sup), "/dashboard/act/assign_unit",
                assign_form("g-room", _confirm="on")).status_code == 403 and sup.commands == []


def test_the_office_registers_a_unit_and_sends_a_directive_through_the_forms():
    services = Services(reads=COUNTY)
    token = forms.form_token("sess-1")
    registered = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/register_unit", {
        "csrf": token, "_nonce": "n-10", "_back": "/dashboard/overview", "name": "县林业局",
        "org_type": "党组", "batch": "2", "sections": "办公室\n林政科"})
    assert registered.status_code == 303 and registered.headers["Location"].endswith("done=register_unit")
    sent = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/send_directive", {
        "csrf": token, "_nonce": "n-11", "_back": "/dashboard/obligations", "unit_id": "u-9", "group_id": "",
        "obligation_id": "o-1", "text": "请尽快进驻", "reply_by": "2026-03-10"})
    assert sent.status_code == 303
    (_, rpc1, unit), (_, rpc2, directive) = services.commands
    assert rpc1 == "register_unit" and unit["batch"] == 2 and unit["sections"] == ["办公室", "林政科"]
    assert rpc2 == "send_directive" and directive["unit_id"] == "u-9" and "group_id" not in directive
    assert directive["obligation_id"] == "o-1" and directive["actor"]["role"] == "office"


def test_forming_a_group_flattens_its_people_into_inputs_and_lines():
    group = fields_of("form_group")
    assert group["leader.rank"].kind == "select" and ("section", "正科级") in group["leader.rank"].choices
    assert group["members"].kind == "rows" and "leader.member_id" not in group and "leader" not in group
    body, problems = A.coerce(A.form_fields(W.BY_NAME["form_group"]), MultiDict([
        ("name", "第三督导组"), ("leader.name", "赵一"), ("leader.rank", "section"),
        ("leader.home_unit", "县财政局"), ("leader.post", "副局长"),
        ("members", "钱二，科员，县财政局，科员\n\n孙三, deputy_section, 县民政局, 副科长")]))
    assert problems == {}
    assert body == {"name": "第三督导组",
                    "leader": {"name": "赵一", "rank": "section", "home_unit": "县财政局", "post": "副局长"},
                    "members": [{"name": "钱二", "rank": "staff", "home_unit": "县财政局", "post": "科员"},
                                {"name": "孙三", "rank": "deputy_section", "home_unit": "县民政局",
                                 "post": "副科长"}]}
    _, missing = A.coerce(A.form_fields(W.BY_NAME["form_group"]), MultiDict([("name", "组")]))
    assert missing["leader.name"] == ["此项必填"] and "members" not in missing   # the service says 422


def test_the_office_forms_a_group_through_the_groups_page():
    services = Services(reads=COUNTY)
    html = get(Dashboard(Sessions(OFFICE), services), "/dashboard/groups").get_data(as_text=True)
    assert 'action="/dashboard/act/form_group"' in html and 'for="form_group-leader.rank"' in html
    assert "/dashboard/act/form_group" not in get(Dashboard(Sessions(SUPERVISOR), services),
                                                  "/dashboard/groups").get_data(as_text=True)
    done = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/form_group", {
        "csrf": forms.form_token("sess-1"), "_nonce": "n-12", "_back": "/dashboard/groups", "name": "第三督导组",
        "leader.name": "赵一", "leader.rank": "section", "leader.home_unit": "县财政局", "leader.post": "副局长",
        "members": "钱二，科员，县财政局，科员"})
    assert done.status_code == 303
    (_, rpc, fields), = services.commands
    assert rpc == "form_group" and fields["leader"]["name"] == "赵一" and fields["members"][0]["rank"] == "staff"


def test_when_the_group_counts_cannot_be_read_the_tick_is_asked_for():
    assign = W.BY_NAME["assign_unit"]
    assert W.confirm_needed(assign, lambda *a: None, {"group_id": "g-room"})        # unknown: asked
    assert not W.confirm_needed(assign, lambda *a: GROUPS, {"group_id": "g-room"})  # room: not asked
    assert W.confirm_needed(assign, lambda *a: GROUPS, {"group_id": "g-full"})
