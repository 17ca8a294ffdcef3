"""The office's erasure forms (issue 19, h-erase) with the recording stand-in of
test_dashboard_actions: offered to the office only, on a unit's page for its members and on a
group's page for its people (someone already erased is not offered); the reason and the tick
(我确认：此操作不可撤销) are required and checked by the server, each refusal beside its input
with nothing called; the services' refusals (already erased, not found) in Chinese; the
group comes from the page, never from the form."""
from services.gateway.dashboard import forms
from services.gateway.dashboard.views import Dashboard, distinct
from tests.unit.gateway.test_dashboard_actions import OFFICE, SUPERVISOR, UNIT, Services, Sessions, get, post

MEMBERS = {"unit_id": "u-1", "study_groups": [], "members": [
    {"member_id": "m-1", "name": "张三", "section": "综合科", "is_leader": True},
    {"member_id": "m-2", "name": "已删除", "section": "综合科", "is_leader": False, "erased": True}]}
GROUP = {"group_id": "g-1", "name": "第一督导组", "unit_ids": [], "units": {}, "unit_count": 0, "soft_limit": 10,
         "people": {"p-1": {"name": "李组长", "is_leader": True, "home_unit": "县财政局", "post": "副局长"},
                    "p-2": {"name": "王组员", "is_leader": False, "home_unit": "县教育局", "post": "科员"},
                    "p-3": {"name": "已删除", "is_leader": False, "home_unit": "县民政局", "post": "科员"}}}
READS = {"list_members": MEMBERS, "get_group": GROUP, "list_units": []}


def page(person, path):
    response = get(Dashboard(Sessions(person), Services(reads=READS)), path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def form_of(html: str, name: str) -> str:
    return html.split(f'id="act-{name}"')[1].split("</details>")[0]


def field(form: str, name: str) -> str:
    return form.split(f'data-field="{name}"')[1].split("data-field=")[0]


def erase(person, services, action="erase_member", back="/dashboard/units/u-1", **data):
    fields = {"csrf": forms.form_token("sess-1"), "_nonce": "n-erase-1", "_back": back,
              "member_id": "m-1", "reason": "本人撤回同意", "_confirm": "on", **data}
    return post(Dashboard(Sessions(person), services), f"/dashboard/act/{action}",
                {k: v for k, v in fields.items() if v is not None})


def test_the_office_is_offered_the_unit_form_its_members_to_pick_the_tick_labelled():
    form = form_of(page(OFFICE, "/dashboard/units/u-1"), "erase_member")
    assert 'action="/dashboard/act/erase_member"' in form
    member = field(form, "member_id")
    assert '<option value="m-1"' in member and "张三（综合科）" in member
    assert 'value="m-2"' not in member                      # already erased: nothing left to erase
    assert "此项必填" not in form and "我确认：此操作不可撤销" in field(form, "_confirm")
    assert 'name="_confirm"' in form and "checked" not in field(form, "_confirm")
    assert "删除理由" in field(form, "reason")
    assert "无法恢复" in form                                # what it does, said before
    # the page shows the erased member as 已删除, the kept one by name
    members = page(OFFICE, "/dashboard/units/u-1").split('id="member-list"')[1].split("</table>")[0]
    assert "张三" in members and "已删除" in members


def test_a_unit_or_a_supervisor_never_sees_the_forms_and_is_refused_if_it_posts():
    for person in (UNIT, SUPERVISOR):
        assert "act/erase_member" not in page(person, "/dashboard/units/u-1")
    assert "act/erase_group_member" not in page(SUPERVISOR, "/dashboard/groups/g-1")
    for person in (UNIT, SUPERVISOR):
        services = Services(reads=READS)
        refused = erase(person, services)
        assert refused.status_code == 403 and services.commands == []
        assert "此身份无权进行此操作" in refused.get_data(as_text=True)
    services = Services(reads=READS)
    refused = erase(SUPERVISOR, services, "erase_group_member", "/dashboard/groups/g-1", member_id="p-2")
    assert refused.status_code == 403 and services.commands == []


def test_no_reason_or_no_tick_is_refused_beside_its_input_and_nothing_is_called():
    services = Services(reads=READS)
    unticked = erase(OFFICE, services, _confirm=None)
    assert unticked.status_code == 422 and services.commands == []
    form = form_of(unticked.get_data(as_text=True), "erase_member")
    assert "请勾选确认后再提交：此操作不可撤销" in field(form, "_confirm")
    assert "autofocus" in field(form, "_confirm") and form.count("autofocus") == 1  # the window shows it
    assert 'selected' in field(form, "member_id").split('value="m-1"')[1].split(">")[0]  # the pick kept
    blank = erase(OFFICE, services, reason="  ")
    assert blank.status_code == 422 and services.commands == []
    assert "此项必填" in field(form_of(blank.get_data(as_text=True), "erase_member"), "reason")
    both = erase(OFFICE, services, reason="", _confirm=None)   # both said at once
    form = form_of(both.get_data(as_text=True), "erase_member")
    assert both.status_code == 422 and "此项必填" in field(form, "reason") and "请勾选" in field(form, "_confirm")
    nobody = erase(OFFICE, services, member_id="")
    assert nobody.status_code == 422 and services.commands == []
    assert "此项必填" in field(form_of(nobody.get_data(as_text=True), "erase_member"), "member_id")


def test_a_ticked_form_with_a_reason_erases_the_member_once():
    services = Services(reads=READS)
    done = erase(OFFICE, services)
    assert done.status_code == 303 and done.headers["Location"].endswith("/dashboard/units/u-1?done=erase_member")
    (service, rpc, sent), = services.commands
    assert (service, rpc) == ("units", "erase_member_data")
    assert {k: v for k, v in sent.items() if k != "actor"} == {
        "member_id": "m-1", "reason": "本人撤回同意", "idempotency_key": "dash-n-erase-1"}
    assert sent["actor"]["role"] == "office" and "_confirm" not in sent


def test_the_services_refusals_are_said_in_chinese():
    erased = Services(reads=READS, refuse={"ok": False, "status": 409, "error": "conflict", "details":
                                           {"member_id": "m-2"},
                                           "message": "the personal data of member 'm-2' was already erased"})
    again = erase(OFFICE, erased, member_id="m-2")
    form = form_of(again.get_data(as_text=True), "erase_member")
    assert again.status_code == 409 and "该党员的个人信息已删除，无需再次删除" in form
    missing = Services(reads=READS, refuse={"ok": False, "status": 404, "error": "not_found", "details":
                                            {"member_id": "m-9"}, "message": "no member 'm-9'"})
    gone = erase(OFFICE, missing, member_id="m-9")
    assert gone.status_code == 404 and "没有这名党员" in form_of(gone.get_data(as_text=True), "erase_member")
    stranger = Services(reads=READS, refuse={"ok": False, "status": 404, "error": "not_found", "details": {},
                                             "message": "p-9 is not a member of group g-1"})
    refused = erase(OFFICE, stranger, "erase_group_member", "/dashboard/groups/g-1", member_id="p-9")
    assert refused.status_code == 404
    assert "此人不是本督导组的成员" in form_of(refused.get_data(as_text=True), "erase_group_member")


def test_the_group_page_offers_its_people_and_the_group_comes_from_the_page():
    html = page(OFFICE, "/dashboard/groups/g-1")
    form = form_of(html, "erase_group_member")
    people = field(form, "member_id")
    assert "李组长（组长，县财政局副局长）" in people and "王组员（县教育局科员）" in people
    assert 'value="p-3"' not in people and "我确认：此操作不可撤销" in form
    assert "请假和参加批次" in form and "学时" not in form          # what erasing a group's person leaves
    assert "约10个为宜" in html
    no_limit = get(Dashboard(Sessions(OFFICE), Services(reads={**READS, "get_group": {**GROUP, "soft_limit": None}})),
                   "/dashboard/groups/g-1").get_data(as_text=True)
    assert "None" not in no_limit
    assert 'data-person="p-3"><span data-field="name" class="muted">已删除' in html
    services = Services(reads=READS)
    unticked = erase(OFFICE, services, "erase_group_member", "/dashboard/groups/g-1", member_id="p-2",
                     _confirm=None)
    assert unticked.status_code == 422 and services.commands == []
    done = erase(OFFICE, services, "erase_group_member", "/dashboard/groups/g-1", member_id="p-2",
                 group_id="g-other")
    assert done.status_code == 303, done.get_data(as_text=True)[:300]
    (service, rpc, sent), = services.commands
    assert (service, rpc) == ("supervision", "erase_group_member_data")
    assert sent["group_id"] == "g-1" and sent["member_id"] == "p-2" and sent["reason"] == "本人撤回同意"


def test_the_only_member_left_is_not_picked_for_the_office():
    one = {**MEMBERS, "members": [MEMBERS["members"][0]]}
    html = get(Dashboard(Sessions(OFFICE), Services(reads={**READS, "list_members": one})),
               "/dashboard/units/u-1").get_data(as_text=True)
    member = field(form_of(html, "erase_member"), "member_id")
    assert '<option value="m-1"' in member and "selected" not in member   # a wrong pick cannot be undone
    # another form's only choice is still picked already (the unit's contact points, one leader)
    unit_page = get(Dashboard(Sessions(UNIT), Services(reads={**READS, "list_members": one})),
                    "/dashboard/units/u-1").get_data(as_text=True)
    assert "selected" in field(form_of(unit_page, "assign_contact_points"), "member_id")


def test_a_unit_with_nobody_left_to_erase_is_not_offered_the_form():
    everyone_erased = {**MEMBERS, "members": [MEMBERS["members"][1]]}
    response = get(Dashboard(Sessions(OFFICE), Services(reads={**READS, "list_members": everyone_erased})),
                   "/dashboard/units/u-1")
    assert "act/erase_member" not in response.get_data(as_text=True)


def test_repeated_names_stay_apart_in_a_chart():
    assert distinct(["已删除", "张三", "已删除", "已删除"]) == ["已删除", "张三", "已删除（2）", "已删除（3）"]
