"""The web dashboard (issue 9) in a real headless Chromium: log in with a pasted token,
open every page, check the figures shown against the API's JSON, check that a phone-sized
screen has no horizontal overflow, and save screenshots under test-artifacts/dashboard/.

The browser runs in a process of its own (tests/e2e/dashboard_browser.py: Debian's
chromium through Playwright), driven by a plan of steps; the figures it read come back
as JSON and are compared here with the API's answers.

The county comes from ``assembly.demo.load`` when the demo loader is there; otherwise a
small county is made here through the API (plus, for the survey, the facts evaluation
needs appended to the units and supervision logs, as tests/e2e/test_evaluation.py does).
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pymongo import MongoClient

from assembly.stack import wait_until
from services.gateway.dashboard.labels import PHASE as PHASE_LABELS
from shared.eventstore import NewEvent
from shared.eventstore.mongo import MongoEventStore

TODAY = dt.date.today()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
BROWSER = Path(__file__).with_name("dashboard_browser.py")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
FIXTURE_ACTOR = {"id": "e2e-fixture", "name": "e2e fixture", "role": "system", "scope": None}


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def person(name, rank="staff", post="科员"):
    return {"name": name, "rank": rank, "home_unit": "县财政局", "post": post}


# ---------------------------------------------------------------- a small county via the API
FULL_PLAN = {
    "leader_measures": ["participate_as_ordinary_member", "lead_study", "give_party_lecture",
                        "find_problems", "lead_criticism", "set_rectification"],
    "problems": [{"category": "party_and_government_style", "description": "联系群众不够",
                  "measures": ["领导班子成员分片联系科室"]}],
    "guarantee_systems": ["leadership_responsibility", "contact_points", "supervision_inspection",
                          "mass_evaluation", "acceptance"],
}


def build_county(stack) -> dict:
    office = stack.as_role("office")
    units = []
    for name, batch in (("县档案馆（样例）", 1), ("县人大办公室（样例）", 1), ("县财政局（样例）", 2),
                        ("县水利局（样例）", 3)):
        units.append(ok(office.post("/units", json={"name": name, "org_type": "党组", "batch": batch,
                                                    "sections": ["领导班子", "综合科"]}))["unit_id"])
    first, late, studying, _later = units
    sup_facts = stack.db("supervision")["supervision_unit_facts"]
    wait_until(lambda: sup_facts.count_documents({"_id": {"$in": units}}) == len(units),
               message="supervision to learn the units")
    groups = []
    for name in ("样例第一督导组", "样例第二督导组"):
        groups.append(ok(office.post("/groups", json={
            "name": name, "leader": person(name + "组长", "section", "副局长"),
            "members": [person(name + "组员甲"), person(name + "组员乙")]}))["group_id"])
    # an arrival is never dated after today: the late unit's meeting is tomorrow instead
    for unit_id, meeting in ((first, day(10)), (late, day(1))):
        ok(stack.as_role("unit", scope=unit_id).post(f"/units/{unit_id}/mobilization-meeting",
                                                     json={"date": meeting}))
        wait_until(lambda: (sup_facts.find_one({"_id": unit_id}) or {}).get("meeting_date") == meeting,
                   message="supervision to learn the meeting date")
    for unit_id in (first, late):
        ok(office.post(f"/groups/{groups[0]}/units", json={"unit_id": unit_id}))
    ok(office.post(f"/groups/{groups[1]}/units", json={"unit_id": studying}))
    sup = stack.as_role("supervisor", scope=groups[0])
    ok(sup.post(f"/groups/{groups[0]}/arrivals", json={"unit_id": first, "date": day(0)}))
    ok(sup.post(f"/groups/{groups[0]}/arrivals", json={"unit_id": late, "date": day(0)}))
    ok(sup.post("/reports", json={"unit_id": first, "kind": "major_issue", "title": "群众集体上访苗头",
                                  "body": "需及时处置", "date": day(0)}))
    ok(sup.post("/reports", json={"unit_id": first, "kind": "progress", "title": "学习动员进展",
                                  "body": "集中学习已开始", "date": day(0)}))

    # study: one unit with members, its meeting held, and a session attended by some
    unit = stack.as_role("unit", scope=studying)
    members = [ok(unit.post(f"/units/{studying}/members", json={
        "name": n, "section": s, "is_leader": s == "领导班子"}))["member_id"]
        for n, s in (("王局长", "领导班子"), ("李科长", "综合科"), ("张干事", "综合科"))]
    ok(unit.post(f"/units/{studying}/mobilization-meeting", json={"date": day(0)}))
    # the meeting is held with its group arrived and the work plan approved (issue 15's gate)
    sup2 = stack.as_role("supervisor", scope=groups[1])
    ok(sup2.post(f"/groups/{groups[1]}/arrivals", json={"unit_id": studying, "date": day(0)}))
    ok(unit.put(f"/units/{studying}/work-plan", json=FULL_PLAN))
    ok(wait_until(lambda: (lambda r: r if r.status_code != 404 else None)(sup2.post(
        f"/units/{studying}/work-plan/review", json={"decision": "approve"})),
        message="supervision to know the plan"))
    ok(wait_until(lambda: (lambda r: r if r.status_code != 409 else None)(unit.post(
        f"/units/{studying}/mobilization-meeting/held", json={})),
        message="units to hear of the arrival and the approval"))
    rosters = stack.db("study")["study_rosters"]
    wait_until(lambda: len((rosters.find_one({"_id": studying}) or {}).get("members", [])) == 3,
               message="the study roster")
    session = ok(unit.post("/study-sessions", json={
        "unit_id": studying, "form": "lecture", "date": day(0), "hours": 6,
        "content_keys": ["party_constitution"], "title": "党章专题讲座"}))["session_id"]
    ok(unit.post(f"/study-sessions/{session}/attendance", json={"member_ids": members[:2]}))

    survey_unit, survey = _surveyed_unit(stack)
    return {"units": units, "groups": groups, "survey_unit": survey_unit, "surveys": [survey]}


def _surveyed_unit(stack):
    """A unit in phase 'survey' (facts appended to the units/supervision logs), and a
    closed survey of 6 ballots, 5 of them satisfied."""
    unit_id, group_id = _unit_in_survey(stack, "县审计局（样例）", 6)
    sup = stack.as_role("supervisor", scope=group_id)
    survey_id = ok(sup.post("/surveys", json={"unit_id": unit_id, "sample_size": 6}))["survey_id"]
    drawn = ok(sup.post(f"/surveys/{survey_id}/draw", json={"public_entropy": "dice 3-5-1"}))
    ratings = [("satisfied", "satisfied")] * 3 + [("basically_satisfied", "satisfied")] * 2 \
        + [("dissatisfied", "basically_satisfied")]
    for i, (ballot, (leadership, campaign)) in enumerate(zip(drawn["ballots"], ratings)):
        respondent = stack.as_role("respondent", scope=survey_id, name=f"respondent {i}")  # one ballot each
        ok(respondent.post("/ballots", json={"token": ballot["token"], "ratings": {
            "leadership": leadership, "campaign": campaign}}))
    ok(sup.post(f"/surveys/{survey_id}/close", json={}))
    wait_until(lambda: stack.as_role("office").get(f"/surveys/{survey_id}").json()["status"] == "closed",
               message="the survey's public result")
    return unit_id, survey_id


def _unit_in_survey(stack, name: str, people: int) -> tuple[str, str]:
    """A unit in phase 'survey' that notified ``people`` people (under 30: sampled whole),
    its group arrived: facts appended to the units/supervision logs."""
    client = MongoClient(stack.mongo_uri)
    try:
        units = MongoEventStore("units", client, f"{stack.db_prefix}_units")
        supervision = MongoEventStore("supervision", client, f"{stack.db_prefix}_supervision")
        unit_id, group_id = "u-" + uuid.uuid4().hex[:12], "g-" + uuid.uuid4().hex[:8]
        scope = [f"{unit_id}-person-{i:02d}" for i in range(people)]
        units.append(f"unit-{unit_id}", None, [NewEvent(t, p) for t, p in (
            ("UnitRegistered", {"unit_id": unit_id, "name": name, "org_type": "党组",
                                "batch": 1, "sections": ["office"], "deadlines": {}}),
            ("MemberEnrolled", {"unit_id": unit_id, "member_id": "L1", "name": "审计局长",
                                "section": "office", "is_leader": True, "is_retired": False}),
            ("PhaseEntered", {"unit_id": unit_id, "phase": "survey",
                              "previous_phase": "rectification", "deadline": None,
                              "reason": "e2e fixture", "entered_on": day(0)}),
            # the notification framing the survey: in phase survey, stating the rectification
            ("PublicNotified", {"unit_id": unit_id, "notification_id": "n-" + unit_id,
                                "scope": scope, "date": day(0), "phase": "survey",
                                "rectification_status": "整改措施全部落实，群众反映的问题已解决"}))],
            actor=FIXTURE_ACTOR)
        supervision.append(f"group-{group_id}", None, [NewEvent("UnitAssigned", {
            "group_id": group_id, "unit_id": unit_id, "over_soft_limit": False, "unit_count": 1,
            "soft_limit": 10, "assigned_on": day(0)}), NewEvent("GroupArrived", {
                "group_id": group_id, "unit_id": unit_id, "date": day(0), "deadline": None,
                "late": False, "meeting_date": None, "tasks": []})], actor=FIXTURE_ACTOR)
    finally:
        client.close()
    db = stack.db("evaluation")
    wait_until(lambda: (db["evaluation_unit_facts"].find_one(
        {"_id": unit_id, "phase": "survey", "latest_notification": {"$ne": None}})
        and db["evaluation_unit_groups"].find_one({"_id": unit_id, "group_id": group_id,
                                                   "arrived_on": day(0)})),
        30, message="evaluation to learn the surveyed unit")
    return unit_id, group_id


# ---------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="module")
def county(stack):
    """The demo county when assembly.demo is there, plus a small county made here (whose
    late arrival, urgent report, studying unit and survey the tests rely on)."""
    if importlib.util.find_spec("assembly.demo") is not None:
        from assembly import demo
        try:
            demo.load(stack.base_url, stack.token("office"), log=lambda *a: None)
        except demo.DemoError as err:  # its own test reports that; the pages show what loaded
            warnings.warn(f"the demo county loaded only in part: {err}")
    made = build_county(stack)
    office = stack.as_role("office")
    wait_until(lambda: any(a["unit_id"] == made["units"][1] for g in office.get("/groups").json()
                           for a in g["late_arrivals"]), message="the late arrival on the console")
    return made


def root(stack) -> str:
    return stack.base_url.removesuffix("/api/v1")


def login(token) -> list:
    return [{"goto": "/dashboard/login", "charts": False}, {"fill": ["#token", token]},
            {"click": "#login"}]


def browse(stack, *sessions, artifacts: Path | None = None) -> list[dict]:
    """Run sessions in the browser; every page loaded without script errors and
    without reaching past the gateway. Returns each session's values. Screenshots go
    to ``artifacts`` (this module's folder by default)."""
    plan = {"root": root(stack), "artifacts": str(artifacts or ARTIFACTS), "sessions": list(sessions)}
    done = subprocess.run([sys.executable, str(BROWSER)], input=json.dumps(plan), text=True,
                          capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout)
    for answer in answers:
        assert not answer["errors"], answer
        assert not answer["outside"], f"the dashboard reached outside the gateway: {answer['outside']}"
    return [a["values"] for a in answers]


def session(token, *steps, viewport=DESKTOP, mobile=False) -> dict:
    return {"viewport": viewport, "mobile": mobile, "steps": [*login(token), *steps]}


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def fields(prefix: str, row: str, names) -> list:
    """Steps reading the cells [data-field=name] of one row into values[prefix:name]."""
    return [{"text": [f"{prefix}:{n}", f"{row} [data-field='{n}']"]} for n in names]


# ---------------------------------------------------------------- login and logout
def named(cookies: list, name: str) -> list:
    return [c for c in cookies if c["name"] == name]


def login_and_logout(token, viewport, mobile, shot) -> dict:
    return {"viewport": viewport, "mobile": mobile, "steps": [
        {"goto": "/dashboard/overview", "as": "anonymous", "charts": False},
        {"shot": f"{shot}-login"},
        {"fill": ["#token", "dd_not-a-token"]}, {"click": "#login"},
        {"text": ["refused", ".error"]}, {"cookies": "no_cookie"}, {"shot": f"{shot}-login-refused"},
        # the form cookie gone (say the browser restarted on this page): refused, a fresh form
        {"clear_cookies": True}, {"fill": ["#token", token]}, {"click": "#login"},
        {"text": ["stale", ".error"]}, {"cookies": "stale_cookies"}, {"shot": f"{shot}-login-stale"},
        {"fill": ["#token", token]}, {"click": "#login"},
        {"eval": ["landed", "location.pathname"]}, {"cookies": "cookies"},
        {"eval": ["script_cookie", "document.cookie"]}, {"text": ["who", ".who"]},
        # the logout URL opened by hand only asks; the person is still logged in
        {"goto": "/dashboard/logout", "as": "logout_page", "charts": False},
        {"text": ["logout_question", "main"]}, {"shot": f"{shot}-logout-confirm"},
        {"goto": "/dashboard/overview", "as": "still_in"},
        {"click": "#logout"},
        {"eval": ["after_logout", "location.pathname"]}, {"cookies": "cookies_after"},
        {"text": ["bye", "#notice"]}, {"shot": f"{shot}-logged-out"},
        {"goto": "/dashboard/overview", "as": "again", "charts": False}]}


def test_login_opens_a_session_in_an_httponly_cookie_and_logout_ends_it(stack, county):
    token = stack.token("office")
    for v in browse(stack, login_and_logout(token, DESKTOP, False, "desktop"),
                    login_and_logout(token, PHONE, True, "phone")):
        assert urlsplit(v["anonymous"]["url"]).path == "/dashboard/login"
        assert "令牌无效" in v["refused"] and named(v["no_cookie"], "dudao_session") == []
        assert "已过期" in v["stale"] and named(v["stale_cookies"], "dudao_session") == []
        assert v["landed"] == "/dashboard/overview"
        [cookie] = named(v["cookies"], "dudao_session")
        assert cookie["value"] != token and token not in str(v["cookies"])  # an id, not the token
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/dashboard"
        assert v["script_cookie"] == ""  # page scripts cannot read it
        assert "test office" in v["who"]
        assert v["logout_page"]["status"] == 200 and "确定要退出" in v["logout_question"]
        assert v["still_in"]["url"].endswith("/dashboard/overview")
        assert v["after_logout"] == "/dashboard/login" and "已退出" in v["bye"]
        assert named(v["cookies_after"], "dudao_session") == []
        assert urlsplit(v["again"]["url"]).path == "/dashboard/login"


def test_a_revoked_token_is_logged_out(stack, county):
    office = stack.as_role("office")
    issued = office.post("/tokens", json={"name": "临时审计", "role": "auditor"}).json()
    [before] = browse(stack, session(issued["token"], {"eval": ["at", "location.pathname"]}))
    assert before["at"] == "/dashboard/overview"
    assert office.delete(f"/tokens/{issued['person_id']}").status_code == 200
    [after] = browse(stack, session(issued["token"], {"eval": ["at", "location.pathname"]}))
    assert after["at"] == "/dashboard/login"


# ---------------------------------------------------------------- the pages against the API
def test_county_overview_shows_units_by_phase_and_batch(stack, county):
    # the page is compared with the API read just before it and checked again just after: a
    # unit whose overdue flag changed in between (events of the fixture still arriving, a
    # deadline passing) means the two reads saw different counties, so the pair is taken again
    office = stack.as_role("office")
    for _ in range(5):
        api = office.get("/overview").json()
        v = _overview_page(stack, api)
        if office.get("/overview").json() == api:
            break
    assert v["page"]["status"] == 200
    _check_overview(v, api)


def _overview_page(stack, api: dict) -> dict:
    """What the overview page shows of the figures ``api`` has."""
    steps = [{"goto": "/dashboard/overview", "as": "page"}, {"text": ["total", "[data-testid=total]"]}]
    steps += [{"text": [f"phase:{p}", f"[data-testid=phase-{p}]"]} for p in api["by_phase"]]
    for batch, counts in api["by_batch"].items():
        row = f"#by-batch tr[data-batch='{batch}']"
        steps += [{"text": [f"{batch}:{p}", f"{row} td[data-phase='{p}']"]} for p in [*counts, "total"]]
    steps += [{"eval": ["traces", "document.getElementById('chart-overview').data"
                                  ".map(t => ({name: t.name, y: t.y}))"]},
              {"texts": ["flagged", "#flagged li", "data-unit"]}, {"shot": "overview-desktop"}]
    [v] = browse(stack, session(stack.token("office"), *steps))
    return v


def _check_overview(v: dict, api: dict) -> None:
    assert v["total"] == str(api["total"])
    for phase, n in api["by_phase"].items():
        assert v[f"phase:{phase}"] == str(n)
    for batch, counts in api["by_batch"].items():
        for phase, n in counts.items():
            assert v[f"{batch}:{phase}"] == str(n)
        assert v[f"{batch}:total"] == str(sum(counts.values()))
    # one stacked bar trace per phase present, drawn from the same numbers
    assert {t["name"] for t in v["traces"]} == {PHASE_LABELS[p] for p in api["by_phase"]}
    assert sum(sum(t["y"]) for t in v["traces"]) == api["total"]
    assert v["flagged"] == [f["unit_id"] for f in api["flagged"]]


def test_group_portfolios_with_deadlines_and_late_arrivals(stack, county):
    office = stack.as_role("office")
    groups = office.get("/groups").json()
    late_group = next(g for g in groups if g["group_id"] == county["groups"][0])
    portfolio = office.get(f"/groups/{late_group['group_id']}").json()
    cards = {u["unit_id"]: u for u in office.get("/units").json()}
    steps = [{"goto": "/dashboard/groups"}]
    for g in groups:
        steps += fields(g["group_id"], f"#groups tr[data-group='{g['group_id']}']",
                        ("unit_count", "late", "urgent"))
    steps += [{"shot": "groups-desktop"}, {"goto": f"/dashboard/groups/{late_group['group_id']}"},
              {"text": ["title", "h1"]}, {"text": ["late_count", "[data-testid=late_count]"]}]
    for unit_id in portfolio["unit_ids"]:
        steps += fields(unit_id, f"#portfolio tr[data-unit='{unit_id}']",
                        ("arrival_deadline", "arrived_on", "deadline", "phase"))
    steps += [{"shot": "group-desktop"}]
    [v] = browse(stack, session(stack.token("office"), *steps))
    for g in groups:
        assert v[f"{g['group_id']}:unit_count"] == str(g["unit_count"])
        assert v[f"{g['group_id']}:late"] == str(len(g["late_arrivals"]))
        assert v[f"{g['group_id']}:urgent"] == str(len(g["urgent_reports"]))
    assert v["title"] == portfolio["name"]
    late_ids = {a["unit_id"] for a in late_group["late_arrivals"]}
    assert county["units"][1] in late_ids and v["late_count"] == str(len(late_ids))
    for unit_id in portfolio["unit_ids"]:
        work = portfolio["units"][unit_id]
        assert v[f"{unit_id}:arrival_deadline"] == (work["arrival_deadline"] or "—")
        assert v[f"{unit_id}:arrived_on"].startswith(work["arrived_on"] or "未进驻")
        assert ("迟到" in v[f"{unit_id}:arrived_on"]) == (unit_id in late_ids)
        assert v[f"{unit_id}:deadline"] == (cards[unit_id]["deadline"] or "—")
        assert v[f"{unit_id}:phase"] == PHASE_LABELS[cards[unit_id]["phase"]]


def test_a_supervisor_sees_only_their_own_group(stack, county):
    mine, other = county["groups"]
    [v] = browse(stack, session(
        stack.token("supervisor", None, mine),
        {"eval": ["landed", "location.pathname"]}, {"texts": ["nav", "nav a", None]},
        {"goto": "/dashboard/groups"}, {"texts": ["rows", "#groups tbody tr", "data-group"]},
        {"goto": f"/dashboard/groups/{other}", "as": "other", "charts": False},
        {"text": ["message", "#message"]},
        {"goto": "/dashboard/overview", "as": "overview", "charts": False}))
    assert v["landed"] == f"/dashboard/groups/{mine}"
    # 督办 and 整改台账 (the county ledger page): their own units
    assert v["nav"] == ["督导组", "学习情况", "满意度测评", "紧急报告", "督办", "整改台账"]
    assert v["rows"] == [mine]
    assert v["other"]["status"] == 403 and "无权查看" in v["message"]
    assert v["overview"]["status"] == 403


def test_study_compliance_per_unit(stack, county):
    table = stack.as_role("office").get("/study/county").json()["units"]
    steps = [{"goto": "/dashboard/study"}, {"texts": ["order", "#study tbody tr", "data-unit"]},
             {"eval": ["bars", "document.getElementById('chart-study').data[0].x.length"]}]
    for unit in table:
        steps += fields(unit["unit_id"], f"#study tr[data-unit='{unit['unit_id']}']",
                        ("member_count", "below_floor_count", "exempted_count", "compliance", "ready"))
    steps += [{"shot": "study-desktop"}]
    [v] = browse(stack, session(stack.token("office"), *steps))
    assert v["order"] == [u["unit_id"] for u in table]
    for unit in table:
        for field in ("member_count", "below_floor_count", "exempted_count"):
            assert v[f"{unit['unit_id']}:{field}"] == str(unit[field])
        assert v[f"{unit['unit_id']}:compliance"] == pct(unit["compliance"])
        assert v[f"{unit['unit_id']}:ready"] == ("是" if unit["ready"] else "否")
    assert v["bars"] == sum(1 for u in table if u["member_count"])


def test_survey_results_with_their_confidence_intervals(stack, county):
    office = stack.as_role("office")
    table = office.get("/evaluation/county").json()
    surveys = [office.get(f"/surveys/{r['latest_survey_id']}").json()
               for r in table if r["latest_survey_id"]]
    assert any(s["survey_id"] == county["surveys"][0] for s in surveys)
    steps = [{"goto": "/dashboard/surveys"},
             {"eval": ["trace", "(d => ({x: d.x, y: d.y, plus: d.error_y.array, "
                                "minus: d.error_y.arrayminus}))"
                                "(document.getElementById('chart-surveys').data[0])"]}]
    for survey in surveys:
        steps += fields(survey["survey_id"], f"#surveys tr[data-survey='{survey['survey_id']}']",
                        ("leadership", "campaign", "outcome", "turnout"))
    for row in table:
        steps += fields(row["unit_id"], f"#county tr[data-unit='{row['unit_id']}']",
                        ("surveys_held", "failed_surveys"))
    steps += [{"shot": "surveys-desktop"}]
    [v] = browse(stack, session(stack.token("office"), *steps))
    names = {r["unit_id"]: r["name"] for r in table}
    for survey in surveys:
        sid = survey["survey_id"]
        for key in ("leadership", "campaign"):
            part, shown = survey["result"][key], v[f"{sid}:{key}"]
            assert f"{part['share']['numerator']}/{part['share']['denominator']}" in shown
            assert pct(part["share"]["value"]) in shown
            assert f"{pct(part['ci']['low'])}–{pct(part['ci']['high'])}" in shown
        expected = {"passed": "合格", "failed": "不合格"}.get(survey["outcome"])
        if expected:
            assert v[f"{sid}:outcome"] == expected
        turnout = survey["result"]["turnout"]
        assert v[f"{sid}:turnout"] == f"{turnout['numerator']}/{turnout['denominator']}"
        # the chart's error bars are the interval
        part = survey["result"]["leadership"]
        i = v["trace"]["x"].index(names[survey["unit_id"]])
        assert v["trace"]["y"][i] == round(part["share"]["value"] * 100, 1)
        assert abs(v["trace"]["y"][i] + v["trace"]["plus"][i] - part["ci"]["high"] * 100) < 0.11
        assert abs(v["trace"]["y"][i] - v["trace"]["minus"][i] - part["ci"]["low"] * 100) < 0.11
    for row in table:
        assert v[f"{row['unit_id']}:surveys_held"] == str(row["surveys_held"])
        assert v[f"{row['unit_id']}:failed_surveys"] == str(row["failed_surveys"])


def test_an_invalid_survey_is_shown_as_to_be_repeated(stack, county):
    # 1 of a whole scope of 3 voted: under the 2/3 turnout, neither passed nor failed
    unit_id, group_id = _unit_in_survey(stack, "县档案局（样例）", 3)
    sup = stack.as_role("supervisor", scope=group_id)
    survey_id = ok(sup.post("/surveys", json={"unit_id": unit_id, "sample_size": 3}))["survey_id"]
    drawn = ok(sup.post(f"/surveys/{survey_id}/draw", json={}))
    ok(stack.as_role("respondent", scope=survey_id, name="respondent").post("/ballots", json={
        "token": drawn["ballots"][0]["token"], "ratings": {"leadership": "satisfied",
                                                           "campaign": "satisfied"}}))
    assert ok(sup.post(f"/surveys/{survey_id}/close", json={}))["valid"] is False
    wait_until(lambda: [r for r in stack.as_role("office").get("/evaluation/county").json()
                        if r["unit_id"] == unit_id and r["status"] == "invalid"],
               message="the county table to show the invalid survey")
    row = f"#surveys tr[data-survey='{survey_id}']"
    [v] = browse(stack, session(stack.token("office"), {"goto": "/dashboard/surveys"},
                                *fields(survey_id, row, ("outcome", "leadership", "turnout")),
                                *fields(unit_id, f"#county tr[data-unit='{unit_id}']", ("status",)),
                                {"eval": ["x", "document.getElementById('chart-surveys').data[0].x"]}))
    assert v[f"{survey_id}:outcome"] == "无效（须重新测评）"
    assert v[f"{survey_id}:leadership"] == "—" and v[f"{survey_id}:turnout"] == "1/3"
    assert v[f"{unit_id}:status"] == "无效（须重新测评）"
    assert "县档案局（样例）" not in v["x"]  # no verdict, so no share on the chart


def test_urgent_reports(stack, county):
    reports = stack.as_role("office").get("/reports", params={"urgent": "1"}).json()
    assert any(r["title"] == "群众集体上访苗头" for r in reports)
    steps = [{"goto": "/dashboard/reports", "charts": False},
             {"texts": ["order", "#reports article", "data-report"]}]
    for r in reports:
        steps += fields(r["report_id"], f"article[data-report='{r['report_id']}']", ("title", "date"))
    steps += [{"shot": "reports-desktop"}]
    [v] = browse(stack, session(stack.token("office"), *steps))
    assert v["order"] == [r["report_id"] for r in reports]
    for r in reports:
        assert v[f"{r['report_id']}:title"] == r["title"]
        assert v[f"{r['report_id']}:date"] == r["date"]


def test_the_obligations_page_lists_what_is_owed_with_the_countys_counts(stack, county):
    listed = stack.as_role("office").get("/obligations").json()
    assert listed, "the county's meetings make obligations"
    steps = [{"goto": "/dashboard/obligations?status=all", "charts": False},
             {"texts": ["rows", "#obligations tbody tr", "data-obligation"]},
             {"texts": ["statuses", "#obligations tbody tr [data-field='status']", None]},
             {"texts": ["arrival-counts", "#obligation-counts tr[data-type='arrival'] td[data-status]", None]},
             {"shot": "obligations-desktop"},
             {"goto": "/dashboard/obligations", "charts": False},
             {"texts": ["overdue-rows", "#obligations tbody tr", "data-obligation"]}]
    [v] = browse(stack, session(stack.token("office"), *steps))
    assert sorted(v["rows"]) == sorted(o["obligation_id"] for o in listed)
    labels = {"open": "待完成", "met_on_time": "按期完成", "met_late": "逾期完成", "overdue": "已逾期",
              "waived": "已免除"}
    assert sorted(v["statuses"]) == sorted(labels[o["status"]] for o in listed)
    arrivals = [o for o in listed if o["type"] == "arrival"]
    assert [int(n) for n in v["arrival-counts"]] == [sum(o["status"] == s for o in arrivals)
                                                     for s in ("overdue", "open", "met_late", "met_on_time",
                                                               "waived")]
    assert sorted(v["overdue-rows"]) == sorted(o["obligation_id"] for o in listed if o["status"] == "overdue")


def test_a_units_page_with_its_timeline(stack, county):
    unit_id = county["units"][2]  # meeting held, members studying, assigned to a group
    unit_api = stack.as_role("unit", scope=unit_id)
    card = unit_api.get(f"/units/{unit_id}").json()
    history = unit_api.get(f"/units/{unit_id}/supervision").json()
    study = unit_api.get(f"/units/{unit_id}/study").json()
    [v] = browse(stack, session(
        stack.token("unit", None, unit_id), {"eval": ["landed", "location.pathname"]},
        {"goto": f"/dashboard/units/{unit_id}"},
        {"text": ["title", "h1"]}, {"text": ["phase", "[data-testid=phase]"]},
        {"text": ["members", "[data-testid=members]"]},
        {"text": ["below", "[data-testid=below_floor]"]},
        {"text": ["compliance", "[data-testid=compliance]"]},
        {"texts": ["dates", "#timeline time", None]}, {"text": ["timeline", "#timeline"]},
        {"eval": ["bars", "document.getElementById('chart-study').data[0].y"]},
        {"shot": "unit-desktop"},
        {"goto": f"/dashboard/units/{county['units'][0]}", "as": "other", "charts": False},
        {"text": ["message", "#message"]},
        {"goto": "/dashboard/study", "as": "study", "charts": False}))
    assert v["landed"] == f"/dashboard/units/{unit_id}"
    assert v["title"] == card["name"] and v["phase"] == card["phase_label"]
    assert v["members"] == str(card["members"]["count"])
    assert v["below"] == str(study["below_floor_count"])
    assert v["compliance"] == pct(study["compliance"])
    assert len(v["dates"]) == len(card["history"]) + len(history["entries"])
    assert v["dates"] == sorted(v["dates"])
    assert "进入阶段：学习动员" in v["timeline"] and "分配督导组" in v["timeline"]
    assert sorted(v["bars"]) == sorted(m["centralised_hours"] for m in study["members"])
    # a unit sees no other unit's page, nor the county's
    assert v["other"]["status"] == 403 and "本单位" in v["message"]
    assert v["study"]["status"] == 403


def surveyed_unit(stack) -> dict:
    """A unit the units service knows with the most surveys (the demo's re-surveyed unit)."""
    office = stack.as_role("office")
    known = {u["unit_id"] for u in office.get("/units").json()}
    rows = [r for r in office.get("/evaluation/county").json()
            if r["unit_id"] in known and r["surveys_held"]]
    if not rows:
        pytest.skip("no surveyed unit known to the units service (the demo county is missing)")
    return max(rows, key=lambda r: (r["surveys_held"], r["unit_id"]))


def test_a_surveyed_units_page_lists_every_survey_round(stack, county):
    row = surveyed_unit(stack)
    history = stack.as_role("office").get(f"/units/{row['unit_id']}/evaluation").json()
    [v] = browse(stack, session(
        stack.token("office"), {"goto": f"/dashboard/units/{row['unit_id']}"},
        {"texts": ["surveys", "#unit-surveys tbody tr", "data-survey"]},
        {"text": ["timeline", "#timeline"]}, {"shot": "unit-surveyed-desktop"}))
    assert v["surveys"] == [s["survey_id"] for s in history["surveys"]]
    assert v["timeline"].count("满意度测评结束") == sum(1 for s in history["surveys"] if s["closed_on"])


# ---------------------------------------------------------------- a phone-sized screen
def test_every_page_fits_a_phone_screen(stack, county):
    pages = {"overview": "/overview", "groups": "/groups", "group": f"/groups/{county['groups'][0]}",
             "study": "/study", "surveys": "/surveys", "reports": "/reports",
             "obligations": "/obligations?status=all",
             "unit": f"/units/{county['units'][2]}",
             "surveyed-unit": f"/units/{surveyed_unit(stack)['unit_id']}"}
    steps = []
    for name, path in pages.items():
        steps += [{"goto": "/dashboard" + path, "as": f"{name}:page",
                   "charts": name not in ("reports", "obligations")},
                  {"eval": [f"{name}:width", "window.innerWidth"]},
                  {"eval": [f"{name}:scroll", "Math.max(document.documentElement.scrollWidth, "
                                              "document.body.scrollWidth)"]},
                  {"eval": [f"{name}:charts", "[...document.querySelectorAll('.chart')].map("
                                              "c => c.getBoundingClientRect().right)"]},
                  {"shot": f"phone-{name}"}]
    [v] = browse(stack, session(stack.token("office"), *steps, viewport=PHONE, mobile=True))
    for name in pages:
        assert v[f"{name}:page"]["status"] == 200, name
        width = v[f"{name}:width"]
        assert width == PHONE["width"]
        assert v[f"{name}:scroll"] <= width, f"{name} overflows: {v[f'{name}:scroll']}px > {width}px"
        assert all(right <= width + 0.5 for right in v[f"{name}:charts"]), name


def test_the_county_rectification_page_shows_every_ledger_in_scope(stack, county):
    office = stack.as_role("office")
    data = office.get("/rectification")
    assert data.status_code == 200, data.text
    data = data.json()
    steps = [{"goto": "/dashboard/rectification", "as": "page"},
             {"texts": ["rows", "#ledgers tbody tr", "data-unit"]},
             {"texts": ["problems", "#ledgers tbody tr [data-figure='problems']", None]},
             {"texts": ["links", "#ledgers tbody tr a", "href"]},
             {"text": ["total", "[data-testid='problems']"]},
             {"texts": ["download", "#download", "href"]},
             {"eval": ["charts", "document.querySelectorAll('.chart').length"]},
             {"shot": "rectification-desktop"}]
    phone = [{"goto": "/dashboard/rectification", "as": "page"},
             {"eval": ["width", "window.innerWidth"]},
             {"eval": ["scroll", "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"]},
             {"eval": ["table", "[document.querySelector('#ledgers').scrollWidth,"
                                " document.querySelector('#ledgers').parentElement.clientWidth]"]},
             {"shot": "rectification-phone"}]
    group_id = county["groups"][0]
    mine = stack.as_role("supervisor", scope=group_id).get("/rectification").json()
    sup = [{"goto": "/dashboard/rectification", "as": "page"},
           {"texts": ["rows", "#ledgers tbody tr", "data-unit"]}, {"shot": "rectification-supervisor"}]
    unit_id = county["units"][2]
    refused_ = [{"goto": "/dashboard/rectification", "as": "page", "charts": False}]
    v, p, s, u = browse(stack, session(stack.token("office"), *steps),
                        session(stack.token("office"), *phone, viewport=PHONE, mobile=True),
                        session(stack.token("supervisor", scope=group_id), *sup),
                        session(stack.token("unit", scope=unit_id), *refused_))
    assert v["page"]["status"] == 200
    assert v["rows"] == [row["unit_id"] for row in data["units"]]
    assert [int(n) for n in v["problems"]] == [row["figures"]["problems"] for row in data["units"]]
    assert all(href.endswith(f"/dashboard/units/{row['unit_id']}") for href, row in zip(v["links"], data["units"]))
    assert int(v["total"]) == data["totals"]["problems"]
    assert v["download"][0].endswith("/dashboard/rectification.xlsx")
    assert v["charts"] >= 1
    assert p["scroll"] <= p["width"], f"the page overflows a phone: {p['scroll']}px > {p['width']}px"
    table, room = p["table"]
    assert table <= room, f"the units' ledger table needs sideways scrolling on a phone: {table}px > {room}px"
    assert s["rows"] == [row["unit_id"] for row in mine["units"]]
    assert set(s["rows"]) <= set(v["rows"]) and len(s["rows"]) < len(v["rows"])
    assert u["page"]["status"] == 403
    # the county read refuses a unit over HTTP too
    assert stack.as_role("unit", scope=unit_id).get("/rectification").status_code == 403
