"""The forms issue 17's walk added (services.gateway.dashboard.workbench: ANALYSIS_ACTIONS,
PROPOSED_ACTIONS, WALK_SUPERVISOR_ACTIONS) and the office's token page
(services.gateway.dashboard.tokens_page), on werkzeug requests with stand-ins for the
services and the token store."""
import re

from services.gateway.dashboard import forms
from services.gateway.dashboard.views import Dashboard
from services.gateway.tokens import Person
from tests.unit.gateway.test_dashboard_actions import OFFICE, SUPERVISOR, UNIT, Services, Sessions, get, post

LEDGER = {"problems": [
    {"problem_id": "pb-1", "description": "公务接待登记不全", "status": "proposed", "measures": []},
    {"problem_id": "pb-2", "description": "服务意识不强", "status": "open", "measures": []}],
    "figures": {}}
MEMBERS = {"members": [{"member_id": "m-1", "name": "张三", "section": "领导班子", "is_leader": True},
                       {"member_id": "m-2", "name": "李四", "section": "综合科"}], "study_groups": []}


def offered(person, services=None) -> str:
    page = get(Dashboard(Sessions(person), services or Services()), "/dashboard/units/u-1")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_each_role_is_offered_its_walk_forms_on_the_unit_page():
    unit, sup = offered(UNIT), offered(SUPERVISOR)
    for name in ("record_opinions", "record_talk", "submit_party_spirit_analysis",
                 "record_democratic_life_meeting", "accept_problem", "answer_problem"):
        assert f"/dashboard/act/{name}\"" in unit and f"/dashboard/act/{name}\"" not in sup, name
    for name in ("read_speech_draft", "grant_exemption", "record_acceptance_inspection"):
        assert f"/dashboard/act/{name}\"" in sup and f"/dashboard/act/{name}\"" not in unit, name
    assert "/dashboard/act/record_acceptance_inspection\"" in offered(OFFICE)  # the office may inspect too


def test_the_unit_may_not_exempt_its_own_members_nor_inspect_itself():
    for name, data in (("grant_exemption", {"member_id": "m-1", "reason": "年老体弱"}),
                       ("record_acceptance_inspection", {"result": "pass", "date": "2024-05-01"})):
        services = Services()
        response = post(Dashboard(Sessions(UNIT), services), f"/dashboard/act/{name}", {
            "csrf": forms.form_token("sess-1"), "_nonce": "n-12345678", "_back": "/dashboard/units/u-1",
            "unit_id": "u-1", **data})
        assert response.status_code == 403 and services.commands == [], name


def test_only_proposed_problems_are_offered_to_accept_or_answer_and_the_answer_is_sent():
    services = Services(reads={"rectification_ledger": LEDGER})
    page = offered(UNIT, services)
    form = page.split('id="act-answer_problem"')[1].split("</details>")[0]
    assert "公务接待登记不全" in form and "服务意识不强" not in form
    refused = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/answer_problem", {
        "csrf": forms.form_token("sess-1"), "_nonce": "n-answer-1", "_back": "/dashboard/units/u-1",
        "problem_id": "pb-1", "reply": ""})
    assert refused.status_code == 422 and services.commands == []
    beside = refused.get_data(as_text=True).split('id="act-answer_problem"')[1].split('data-field="reply"')[1]
    assert "此项必填" in beside.split("data-field=")[0]
    done = post(Dashboard(Sessions(UNIT), services), "/dashboard/act/answer_problem", {
        "csrf": forms.form_token("sess-1"), "_nonce": "n-answer-1", "_back": "/dashboard/units/u-1",
        "problem_id": "pb-1", "reply": "经核查，登记簿齐全"})
    assert done.status_code == 303 and done.headers["Location"].endswith("done=answer_problem")
    [(service, rpc, fields)] = services.commands
    assert (service, rpc) == ("units", "answer_problem")
    assert fields["problem_id"] == "pb-1" and fields["reply"] == "经核查，登记簿齐全"


def test_the_life_meeting_offers_the_leaders_and_the_opinions_a_leader_to_lead():
    page = offered(UNIT, Services(reads={"list_members": MEMBERS}))
    meeting = page.split('id="act-record_democratic_life_meeting"')[1].split("</details>")[0]
    assert 'value="m-1"' in meeting and 'value="m-2"' not in meeting
    opinions = page.split('id="act-record_opinions"')[1].split("</details>")[0]
    assert "部办委局" in opinions and 'value="m-2"' not in opinions


# ------------------------------------------------------------------ the token page
class Tokens(Sessions):
    """The token store's part the page uses."""

    def __init__(self, person):
        super().__init__(person)
        self.issued, self.nonces, self.flash, self.revoked = [], set(), {}, []

    def issue(self, name, role, scope=None, issued_by=None, *, strict_scope=False):
        doc = {"token": f"dd_secret{len(self.issued)}", "person_id": f"p-{len(self.issued)}", "name": name,
               "role": role, "scope": scope}
        self.issued.append(doc)
        return doc

    def use_form_nonce(self, nonce):
        fresh = nonce not in self.nonces
        self.nonces.add(nonce)
        return fresh

    def put_flash(self, session_id, payload, seconds=600):
        self.flash[session_id] = payload

    def take_flash(self, session_id):
        return self.flash.pop(session_id, None)

    def list(self):
        return [{**d, "revoked": d["person_id"] in self.revoked} for d in self.issued]

    def revoke(self, person_id):
        if person_id in self.revoked or not any(d["person_id"] == person_id for d in self.issued):
            return False
        self.revoked.append(person_id)
        return True


class Scopes(Services):
    def __call__(self, service, rpc, fields):
        if rpc == "get_unit" and fields.get("unit_id") == "u-000000000000":
            return {"ok": False, "status": 404, "error": "not_found", "message": "no unit"}
        if rpc == "list_units":
            return {"ok": True, "result": [{"unit_id": "u-0123456789ab", "name": "县档案局"}]}
        if rpc == "list_groups":
            return {"ok": True, "result": []}
        return super().__call__(service, rpc, fields)


def token_form(**extra):
    return {"csrf": forms.form_token("sess-1"), "_nonce": "nonce-0123456789ab", "name": "县档案局党支部",
            "role": "unit", "scope": "u-0123456789ab", **extra}


def test_a_token_is_issued_once_per_form_and_shown_once_after_the_redirect():
    tokens = Tokens(OFFICE)
    first = post(Dashboard(tokens, Scopes()), "/dashboard/tokens", token_form())
    assert first.status_code == 303 and first.headers["Location"] == "/dashboard/tokens"
    again = post(Dashboard(tokens, Scopes()), "/dashboard/tokens", token_form())
    assert again.status_code == 409 and "只签发一次" in again.get_data(as_text=True)
    assert len(tokens.issued) == 1
    shown = get(Dashboard(tokens, Scopes()), "/dashboard/tokens")
    html = shown.get_data(as_text=True)
    assert 'value="dd_secret0"' in html and "/dashboard/login#token=dd_secret0" in html
    assert shown.headers["Cache-Control"] == "no-store"
    assert "dd_secret0" not in get(Dashboard(tokens, Scopes()), "/dashboard/tokens").get_data(as_text=True)


def test_a_refused_grant_stands_beside_its_field_and_issues_nothing():
    for extra, field in (({"name": ""}, "name"), ({"role": "system"}, "role"), ({"scope": ""}, "scope"),
                         ({"scope": "g-0123456789ab"}, "scope"), ({"scope": "u-000000000000"}, "scope")):
        tokens = Tokens(OFFICE)
        response = post(Dashboard(tokens, Scopes()), "/dashboard/tokens", token_form(**extra))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (extra, html)
        assert f'id="problem-{field}"' in html and tokens.issued == [] and tokens.nonces == set(), extra


def test_only_the_office_has_the_token_page_and_a_foreign_form_issues_nothing():
    for person in (UNIT, SUPERVISOR, Person(id="p-a", name="审计", role="auditor", scope=None)):
        tokens = Tokens(person)
        assert get(Dashboard(tokens, Scopes()), "/dashboard/tokens").status_code == 403
        assert post(Dashboard(tokens, Scopes()), "/dashboard/tokens", token_form()).status_code == 403
        assert tokens.issued == []
    tokens = Tokens(OFFICE)
    assert post(Dashboard(tokens, Scopes()), "/dashboard/tokens", token_form(csrf="")).status_code == 403
    assert post(Dashboard(tokens, Scopes()), "/dashboard/tokens", token_form(),
                origin="http://evil.example").status_code == 403
    assert tokens.issued == []


def test_the_holders_are_listed_and_revoked_with_the_form_token():
    tokens = Tokens(OFFICE)
    tokens.issue("周正平", "supervisor", "g-0123456789ab")
    tokens.issue("测评群众1", "respondent", "s-0123456789ab")
    page = get(Dashboard(tokens, Scopes()), "/dashboard/tokens").get_data(as_text=True)
    assert "测评群众1" not in page and "另有 1 个测评群众令牌" in page  # counted, not listed
    assert re.search(r'<tr data-person="p-0"><td>周正平</td>', page)
    assert "dd_secret0" not in page  # the list never shows a token
    refused = post(Dashboard(tokens, Scopes()), "/dashboard/tokens/p-0/revoke", {"csrf": ""})
    assert refused.status_code == 403 and tokens.revoked == []
    done = post(Dashboard(tokens, Scopes()), "/dashboard/tokens/p-0/revoke", {"csrf": forms.form_token("sess-1")})
    assert done.status_code == 303 and tokens.revoked == ["p-0"]
    gone = post(Dashboard(tokens, Scopes()), "/dashboard/tokens/p-0/revoke", {"csrf": forms.form_token("sess-1")})
    assert gone.status_code == 404
    own = post(Dashboard(tokens, Scopes()), "/dashboard/tokens/p-office/revoke", {"csrf": forms.form_token("sess-1")})
    assert own.status_code == 409


def test_the_timeline_says_why_a_unit_entered_a_phase_in_chinese():
    from services.gateway.dashboard import labels as L
    from services.gateway.dashboard.views import unit_timeline
    card = {"history": [
        {"phase": "mobilization", "entered_on": "2024-02-10",
         "reason": "mobilisation meeting (动员会) held on 2024-02-10"},
        {"phase": "analysis", "entered_on": "2024-03-01", "reason": "transition t-0123456789ab approved"},
        {"phase": "accepted", "entered_on": "2024-06-01", "reason": "satisfaction survey s-0123456789ab passed "
         "and acceptance inspection ai-0123456789ab (检查验收) passed"}]}
    details = [i["detail"] for i in unit_timeline(card, {"entries": []}, {"surveys": []})]
    assert details == ["动员大会于2024-02-10召开", "转段申请经活动办批准", "群众满意度测评合格，检查验收通过"]
    assert L.reason("acceptance inspection ai-1 (检查验收) failed: 成果不实; back to 整改提高") == \
        "检查验收未通过，返回整改提高：成果不实"
    assert L.reason("a reason not known here") == "a reason not known here"  # as is, never lost
