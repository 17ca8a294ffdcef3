"""Issue 17's walk: one unit from registration to acceptance through the dashboard only, as
the office, its group's leader, the unit and each sampled respondent in turn (Debian's
chromium through Playwright, tests/e2e/walk_browser.py), the API showing the same state at
every checkpoint; screenshots of every page under test-artifacts/walk/. And the office's
token page (services/gateway/dashboard/tokens_page.py): a refused grant beside its field,
nothing issued; the new token shown once, never in an address; the same form sent twice
issues one token; revoking; no other role may use it."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from shared.clock import today
from tests.e2e.test_dashboard_security import CSRF, Browser, root

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "walk"
WALK = Path(__file__).with_name("walk_browser.py")
NONCE = re.compile(r'name="_nonce" value="([^"]+)"')


def test_one_unit_walks_from_registration_to_acceptance_in_the_browser(stack):
    plan = {"root": root(stack), "office_token": stack.token("office", "活动办周主任"),
            "artifacts": str(ARTIFACTS), "today": today()}
    done = subprocess.run([sys.executable, str(WALK)], input=json.dumps(plan), text=True,
                          capture_output=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    walk = json.loads(done.stdout)
    print(f"the walk took {walk['seconds']} s")
    assert not walk["errors"], walk
    assert not walk["outside"], f"the dashboard reached outside the gateway: {walk['outside']}"
    names = [c["name"] for c in walk["checkpoints"]]
    for wanted in ("registered", "phase mobilization", "phase analysis", "phase rectification",
                   "phase survey", "survey outcome", "phase accepted"):
        assert wanted in names, names
    for checkpoint in walk["checkpoints"]:
        assert checkpoint["page"] == checkpoint["api"], checkpoint
    assert len(walk["shots"]) >= 40 and any(s.startswith(tuple("0123456789")) and "respondent" in s
                                            for s in walk["shots"])
    # the API, read afresh: the unit accepted, its survey passed, the inspection on record
    office = stack.as_role("office")
    unit = walk["ids"]["unit"]
    assert office.get(f"/units/{unit}").json()["phase"] == "accepted"
    history = office.get(f"/units/{unit}/evaluation").json()
    assert [s["outcome"] for s in history["surveys"]] == ["passed"]
    assert [i["result"] for i in history["inspections"]] == ["pass"]


def token_form(browser) -> tuple[dict, str]:
    page = browser.get("/dashboard/tokens")
    assert page.status_code == 200, page.text
    return {"csrf": CSRF.search(page.text).group(1), "_nonce": NONCE.search(page.text).group(1)}, page.text


def holders(stack, name) -> list:
    return [d for d in stack.db("gateway")["tokens"].find({"name": name, "revoked": False})]


def test_the_token_page_issues_once_shows_once_and_revokes(stack):
    office = stack.as_role("office")
    unit = office.post("/units", json={"name": "令牌测试单位", "org_type": "党支部", "batch": 1,
                                       "sections": ["办公室"]}).json()["unit_id"]
    browser = Browser(root(stack))
    assert browser.log_in(stack.token("office", "令牌活动办")).status_code == 303
    form, _ = token_form(browser)

    # refused beside its field, nothing issued: no scope for a unit token, an unknown unit
    refused = browser.post("/dashboard/tokens", {**form, "name": "令牌单位", "role": "unit", "scope": ""})
    assert refused.status_code == 422 and 'id="problem-scope"' in refused.text, refused.text
    assert 'value="令牌单位"' in refused.text
    unknown = browser.post("/dashboard/tokens", {**form, "name": "令牌单位", "role": "unit",
                                                 "scope": "u-000000000000"})
    assert unknown.status_code == 422 and "没有这个单位" in unknown.text
    assert holders(stack, "令牌单位") == []

    # issued: a redirect to the page with no token in it; the token shown there once
    fields = {**form, "name": "令牌单位", "role": "unit", "scope": unit}
    issued = browser.post("/dashboard/tokens", fields)
    assert issued.status_code == 303 and issued.headers["Location"] == "/dashboard/tokens"
    held = list(stack.db("gateway")["dashboard_flashes"].find())
    assert len(held) == 1 and "dd_" not in json.dumps(held, default=str)  # sealed with the session
    shown = browser.get("/dashboard/tokens")
    token = re.search(r'id="issued-token" readonly value="(dd_[^"]+)"', shown.text).group(1)
    assert f"/dashboard/login#token={token}" in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    assert token not in browser.get("/dashboard/tokens").text  # never again
    assert list(stack.db("gateway")["dashboard_flashes"].find()) == []
    assert stack.request("GET", "/whoami", token).json()["scope"] == unit

    # the same form sent twice issues one token
    again = browser.post("/dashboard/tokens", fields)
    assert again.status_code == 409 and "只签发一次" in again.text and "dd_" not in again.text
    assert len(holders(stack, "令牌单位")) == 1

    # no other role is offered the page or may post to it
    other = Browser(root(stack))
    assert other.log_in(token).status_code == 303
    assert other.get("/dashboard/tokens").status_code == 403
    csrf = CSRF.search(other.get(f"/dashboard/units/{unit}").text).group(1)
    posted = other.post("/dashboard/tokens", {"csrf": csrf, "_nonce": "x" * 24, "name": "冒名",
                                              "role": "office"})
    assert posted.status_code == 403 and holders(stack, "冒名") == []

    # revoked from the list: the token and its session end
    person = holders(stack, "令牌单位")[0]["person_id"]
    page = browser.get("/dashboard/tokens").text
    assert f'data-person="{person}"' in page
    no_csrf = browser.post(f"/dashboard/tokens/{person}/revoke", {"csrf": ""})
    assert no_csrf.status_code == 403 and len(holders(stack, "令牌单位")) == 1
    revoked = browser.post(f"/dashboard/tokens/{person}/revoke", {"csrf": CSRF.search(page).group(1)})
    assert revoked.status_code == 303, revoked.text
    assert holders(stack, "令牌单位") == []
    assert stack.request("GET", "/whoami", token).status_code == 401
    assert other.get(f"/dashboard/units/{unit}").status_code in (302, 303)  # to the login
