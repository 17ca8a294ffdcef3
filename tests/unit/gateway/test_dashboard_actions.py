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


def test_a_dict_whose_keys_are_not_a_known_list_is_not_derivable():
    from marshmallow import fields
    with pytest.raises(A.NotDerivable):
        A.derive("x", fields.Dict(keys=fields.String(), values=fields.Integer()), A.Label("x"))
    with pytest.raises(A.NotDerivable):
        A.derive("x", fields.Nested({"a": fields.String()}, many=True), A.Label("x"))


def test_a_dict_becomes_one_labelled_number_input_per_point_with_the_configured_range():
    from services.supervision.domain.config import DEFAULT_CONFIG
    from shared.inspection_points import INSPECTION_POINTS
    scores = fields_of("record_inspection")["scores"]
    assert scores.kind == "dict" and scores.required
    assert [p.name for p in scores.parts] == [f"scores.{k}" for k in INSPECTION_POINTS]
    assert [p.label for p in scores.parts] == list(INSPECTION_POINTS.values())
    assert {(p.kind, p.low, p.high, p.required) for p in scores.parts} == \
        {("number", DEFAULT_CONFIG.min_score, DEFAULT_CONFIG.max_score, True)}
    notes = fields_of("record_inspection")["notes"]
    assert notes.kind == "dict" and not any(p.required for p in notes.parts)
    assert "unit_id" not in fields_of("record_inspection")          # the page gives it


def test_nested_schemas_become_fieldsets_and_a_list_of_them_rows():
    plan = fields_of("submit_work_plan")
    assert plan["leader_measures"].kind == plan["guarantee_systems"].kind == "checkboxes"
    problems = plan["problems"]
    assert problems.kind == "rows" and [r.name for r in problems.parts] == ["problems.0", "problems.1",
                                                                            "problems.2"]
    row = {p.name: p for p in problems.parts[0].parts}
    assert row["problems.0.category"].kind == "select" and row["problems.0.category"].label == "问题类别"
    assert dict(row["problems.0.category"].choices)["members_and_organisations"] == "党员和党组织存在的突出问题"
    assert row["problems.0.measures"].kind == "lines"
    study = fields_of("set_study_plan")
    assert [study[k].kind for k in ("personnel", "time", "content", "effect")] == ["group"] * 4
    time = {p.name: p for p in study["time"].parts}
    assert time["time.planned_hours"].kind == "decimal" and time["time.centralised_from"].kind == "date"
    docs = {p.name: p for p in study["content"].parts}["content.local_documents"]
    assert docs.kind == "rows" and docs.parts[0].parts[0].name == "content.local_documents.0.title"


def inspection_form(**scores):
    from shared.inspection_points import INSPECTION_POINTS
    points = {k: "8" for k in INSPECTION_POINTS} | scores
    return [("date", "2026-03-05"), ("findings", "学习记录不全"), ("notes.problems_solved", "仍有积案")] + \
        [(f"scores.{k}", v) for k, v in points.items()]


def test_a_dict_is_coerced_back_from_its_inputs():
    from shared.inspection_points import INSPECTION_POINTS
    inputs = A.form_fields(W.BY_NAME["record_inspection"])
    body, problems = A.coerce(inputs, MultiDict(inspection_form(problems_solved="3")))
    assert problems == {}
    assert body == {"date": "2026-03-05", "findings": "学习记录不全", "notes": {"problems_solved": "仍有积案"},
                    "scores": {k: 3 if k == "problems_solved" else 8 for k in INSPECTION_POINTS}}
    body, problems = A.coerce(inputs, MultiDict(inspection_form(results_evident="好", work_promoted="")))
    assert problems == {"scores.results_evident": ["请填写整数"], "scores.work_promoted": ["此项必填"]}


def test_nested_rows_are_coerced_and_blank_rows_or_parts_left_out():
    inputs = A.form_fields(W.BY_NAME["submit_work_plan"])
    body, problems = A.coerce(inputs, MultiDict([
        ("leader_measures", "lead_study"), ("guarantee_systems", "contact_points"),
        ("problems.0.category", "members_and_organisations"), ("problems.0.description", "学习不深入"),
        ("problems.0.measures", "每周学习\n专题党课"), ("problems.2.category", ""), ("speech_draft", "")]))
    assert problems == {}
    assert body == {"leader_measures": ["lead_study"], "guarantee_systems": ["contact_points"],
                    "problems": [{"category": "members_and_organisations", "description": "学习不深入",
                                  "measures": ["每周学习", "专题党课"]}]}
    _, problems = A.coerce(inputs, MultiDict([("problems.1.description", "只写了描述")]))
    assert problems == {"problems.1.category": ["此项必填"]}          # beside that row's input
    study, problems = A.coerce(A.form_fields(W.BY_NAME["set_study_plan"]), MultiDict([
        ("time.centralised_from", "2026-03-01"), ("time.planned_hours", "40"), ("effect.goals", "提高认识")]))
    assert problems == {}
    assert study == {"time": {"centralised_from": "2026-03-01", "planned_hours": 40.0},
                     "effect": {"goals": ["提高认识"]}}                # untouched parts are not sent


def test_a_nested_refusal_goes_beside_the_nested_input():
    inputs = A.form_fields(W.BY_NAME["record_inspection"])
    beside, top = A.field_messages({"fields": {
        "scores": {"problems_solved": {"value": ["Must be greater than or equal to 0 and less than or "
                                                 "equal to 10."]},
                   "_schema": ["missing points: work_promoted"]},
        "date": ["Not a valid date."], "elsewhere": ["x"]}}, inputs)
    assert beside == {"scores.problems_solved": ["应在 0 至 10 之间"], "scores": ["missing points: work_promoted"],
                      "date": ["请填写日期"]}
    assert top == ["x"]
    rows = A.form_fields(W.BY_NAME["submit_work_plan"])
    beside, _ = A.field_messages({"fields": {"problems": {"1": {"category": ["Must be one of: a, b."]}}}}, rows)
    assert beside == {"problems.1.category": ["请从列表中选择"]}


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


def inspection_post(**scores):
    return MultiDict([("csrf", forms.form_token("sess-1")), ("_nonce", "n-insp"),
                      ("_back", "/dashboard/units/u-1"), ("unit_id", "u-1")] + inspection_form(**scores))


def test_the_supervisor_is_offered_the_inspection_and_its_points_are_sent_as_a_dict():
    from shared.inspection_points import INSPECTION_POINTS
    services = Services()
    page = get(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/units/u-1").get_data(as_text=True)
    form = page.split('id="act-record_inspection"')[1].split("</details>")[0]
    for key, name in INSPECTION_POINTS.items():
        field = form.split(f'data-field="scores.{key}"')[1].split("data-field=")[0]
        assert f'name="scores.{key}"' in field and name in field and 'min="0" max="10"' in field
    unit_page = get(Dashboard(Sessions(UNIT), services), "/dashboard/units/u-1").get_data(as_text=True)
    assert "/dashboard/act/record_inspection" not in unit_page
    assert "/dashboard/act/submit_work_plan" in unit_page and "/dashboard/act/set_study_plan" in unit_page
    assert "/dashboard/act/submit_work_plan" not in page and "/dashboard/act/set_study_plan" not in page
    response = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/record_inspection",
                    inspection_post(problems_solved="4"))
    assert response.status_code == 303
    (service, rpc, fields), = services.commands
    assert (service, rpc) == ("supervision", "record_inspection") and fields["unit_id"] == "u-1"
    assert fields["scores"] == {k: 4 if k == "problems_solved" else 8 for k in INSPECTION_POINTS}
    refused = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/record_inspection", inspection_post())
    assert refused.status_code == 403 and len(services.commands) == 1


def test_an_unreadable_score_is_422_beside_its_point_and_nothing_is_called():
    services = Services()
    response = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/record_inspection",
                    inspection_post(results_evident="很好"))
    assert response.status_code == 422 and services.commands == []
    form = response.get_data(as_text=True).split('id="act-record_inspection"')[1].split("</details>")[0]
    field = form.split('data-field="scores.results_evident"')[1].split("data-field=")[0]
    assert "请填写整数" in field and 'value="很好"' in field
    other = form.split('data-field="scores.problems_solved"')[1].split("data-field=")[0]
    assert "field-error" not in other and 'value="8"' in other


def test_a_services_range_refusal_stands_beside_the_point():
    services = Services(refuse={"ok": False, "status": 422, "error": "invalid", "message": "bad", "details": {
        "fields": {"scores": {"problems_solved": {"value": [
            "Must be greater than or equal to 0 and less than or equal to 10."]}}}}})
    response = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/act/record_inspection",
                    inspection_post(problems_solved="11"))
    assert response.status_code == 422
    form = response.get_data(as_text=True).split('id="act-record_inspection"')[1].split("</details>")[0]
    field = form.split('data-field="scores.problems_solved"')[1].split("data-field=")[0]
    assert "应在 0 至 10 之间" in field and 'class="field-error"' in field


class Context(Services):
    """A unit whose plan misses items, an application open from ``from_phase`` (none when
    None), the evaluation service's readiness and supervision's blockers."""

    def __init__(self, from_phase="analysis"):
        super().__init__()
        self.from_phase = from_phase

    def __call__(self, service, rpc, fields):
        answer = super().__call__(service, rpc, fields)
        if rpc == "get_unit":
            answer["result"] = {**answer["result"], "work_plan": {
                "version": 2, "status": "submitted", "missing": {
                    "leader_measures": ["lead_study"], "problems_without_measures": [],
                    "guarantee_systems": ["contact_points"]}},
                "open_application": self.from_phase and {
                    "transition_id": "t-1", "from_phase": self.from_phase, "to_phase": "rectification",
                    "applied_on": "2026-04-01"}}
        if rpc == "transition_readiness":
            answer["result"] = {"transition_id": "t-1", "blockers": [
                {"check": "study", "message": "members are below the study floor without exemption"}]}
        if rpc == "readiness":
            answer["result"] = {"unit_id": "u-1", "ready": False,
                                "missing": [{"code": "leader_heart_to_heart_talk", "message": "leaders who…",
                                             "member_ids": ["m-1", "m-2"]},
                                            {"code": "opinions_from_townships", "message": "no opinions…"},
                                            {"code": "new_code", "message": "as the service said"}]}
        return answer


def test_the_reviewer_sees_the_plans_missing_items_and_the_readiness_above_the_forms():
    page = get(Dashboard(Sessions(SUPERVISOR), Context()), "/dashboard/units/u-1").get_data(as_text=True)
    review = page.split('id="act-review_work_plan"')[1].split("</details>")[0]
    context = review.split('data-context="work_plan_missing"')[1].split("</div>")[0]
    assert "第 2 稿" in context and "带头参加学习" in context and "党员联系点制度" in context
    assert review.index("data-context") < review.index('data-field="decision"')   # above the form's inputs
    group = page.split('id="act-group_review"')[1].split("</details>")[0]
    readiness = group.split('data-context="readiness"')[1].split("</div>")[0]
    assert "领导班子成员未开展谈心活动（2 人）" in readiness and "未向乡镇征求意见" in readiness
    assert "as the service said" in readiness and "leaders who" not in readiness
    assert "<input" not in review.split('data-context="work_plan_missing"')[1].split("</div>")[0]  # read only
    unit_page = get(Dashboard(Sessions(UNIT), Context()), "/dashboard/units/u-1").get_data(as_text=True)
    assert 'data-context="work_plan_missing"' not in unit_page


def test_the_readiness_shown_is_the_open_applications():
    page = get(Dashboard(Sessions(SUPERVISOR), Context("mobilization")), "/dashboard/units/u-1")
    group = page.get_data(as_text=True).split('id="act-group_review"')[1].split("</details>")[0]
    readiness = group.split('data-context="readiness"')[1].split("</div>")[0]
    assert "学习动员 → 整改提高" in readiness and "有党员学习未达到规定学时" in readiness
    assert "谈心" not in readiness                      # not the analysis phase's checks
    page = get(Dashboard(Sessions(SUPERVISOR), Context(None)), "/dashboard/units/u-1").get_data(as_text=True)
    assert 'data-context="readiness"' not in page      # no application: nothing to review


@pytest.mark.parametrize("name,form,path", [
    ("record_inspection", inspection_form(), {}),
    ("submit_work_plan", [("leader_measures", "lead_study"), ("guarantee_systems", "contact_points"),
                          ("problems.0.category", "members_and_organisations"),
                          ("problems.0.description", "学习不深入"), ("problems.0.measures", "每周学习")],
     {"unit_id": "u-1"}),
    ("set_study_plan", [("personnel.scope", "全体党员"), ("time.centralised_from", "2026-03-01"),
                        ("time.centralised_until", "2026-04-30"), ("time.planned_hours", "40"),
                        ("content.required", "hu_jintao_speech"),
                        ("content.local_documents.0.title", "县委文件"),
                        ("content.local_documents.0.reference", "县发〔2026〕1号"),
                        ("effect.goals", "提高认识"), ("effect.assessment", "群众测评")], {"unit_id": "u-1"}),
])
def test_a_coerced_nested_form_is_what_the_routes_schema_accepts(name, form, path):
    action = W.BY_NAME[name]
    body, problems = A.coerce(A.form_fields(action), MultiDict(form))
    assert problems == {}
    body = {**body, "unit_id": "u-1", **path}
    assert A.schema_class(action.route)().validate(body) == {}, body


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


def test_forming_a_group_offers_the_leader_as_a_group_and_members_as_rows():
    group = fields_of("form_group")
    leader = {p.name: p for p in group["leader"].parts}
    assert group["leader"].kind == "group" and "leader.member_id" not in leader
    assert leader["leader.rank"].kind == "select" and ("section", "正科级") in leader["leader.rank"].choices
    assert group["members"].kind == "rows"
    body, problems = A.coerce(A.form_fields(W.BY_NAME["form_group"]), MultiDict([
        ("name", "第三督导组"), ("leader.name", "赵一"), ("leader.rank", "section"),
        ("leader.home_unit", "县财政局"), ("leader.post", "副局长"),
        ("members.0.name", "钱二"), ("members.0.rank", "staff"), ("members.0.home_unit", "县财政局"),
        ("members.0.post", "科员"),
        ("members.2.name", "孙三"), ("members.2.rank", "deputy_section"), ("members.2.home_unit", "县民政局"),
        ("members.2.post", "副科长")]))
    assert problems == {}
    assert body == {"name": "第三督导组",
                    "leader": {"name": "赵一", "rank": "section", "home_unit": "县财政局", "post": "副局长"},
                    "members": [{"name": "钱二", "rank": "staff", "home_unit": "县财政局", "post": "科员"},
                                {"name": "孙三", "rank": "deputy_section", "home_unit": "县民政局",
                                 "post": "副科长"}]}
    _, missing = A.coerce(A.form_fields(W.BY_NAME["form_group"]), MultiDict([("name", "组")]))
    assert missing["leader.name"] == ["此项必填"]


def test_the_office_forms_a_group_through_the_groups_page():
    services = Services(reads=COUNTY)
    html = get(Dashboard(Sessions(OFFICE), services), "/dashboard/groups").get_data(as_text=True)
    assert 'action="/dashboard/act/form_group"' in html and 'for="form_group-leader-rank"' in html
    assert "/dashboard/act/form_group" not in get(Dashboard(Sessions(SUPERVISOR), services),
                                                  "/dashboard/groups").get_data(as_text=True)
    done = post(Dashboard(Sessions(OFFICE), services), "/dashboard/act/form_group", {
        "csrf": forms.form_token("sess-1"), "_nonce": "n-12", "_back": "/dashboard/groups", "name": "第三督导组",
        "leader.name": "赵一", "leader.rank": "section", "leader.home_unit": "县财政局", "leader.post": "副局长",
        "members.0.name": "钱二", "members.0.rank": "staff", "members.0.home_unit": "县财政局",
        "members.0.post": "科员"})
    assert done.status_code == 303
    (_, rpc, fields), = services.commands
    assert rpc == "form_group" and fields["leader"]["name"] == "赵一" and fields["members"][0]["rank"] == "staff"


def test_when_the_group_counts_cannot_be_read_the_tick_is_asked_for():
    assign = W.BY_NAME["assign_unit"]
    assert W.confirm_needed(assign, lambda *a: None, {"group_id": "g-room"})        # unknown: asked
    assert not W.confirm_needed(assign, lambda *a: GROUPS, {"group_id": "g-room"})  # room: not asked
    assert W.confirm_needed(assign, lambda *a: GROUPS, {"group_id": "g-full"})
