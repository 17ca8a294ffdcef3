"""Ballot slips no one can link to a person (issue 19 item 4), the slips print view, the
supervisor's survey pages and the respondent's phone ballot page (issue 17), against a
real stack: the evaluation database searched raw, the pages over HTTP and in Debian's
chromium (tests/e2e/dashboard_browser.py). Screenshots go under test-artifacts/ballot/."""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import requests

from assembly.stack import wait_until
from services.evaluation.domain.hashing import sha256_hex
from tests.e2e import test_dashboard as dash
from tests.e2e.test_dashboard import _unit_in_survey, login, ok, root

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ballot"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
RATE = {"leadership": "satisfied", "campaign": "basically_satisfied"}


def browse(stack, *sessions) -> list[dict]:
    return dash.browse(stack, *sessions, artifacts=ARTIFACTS)


def opened_survey(stack, people=6, name="县统计局（样例）"):
    unit_id, group_id = _unit_in_survey(stack, name, people)
    sup = stack.as_role("supervisor", scope=group_id)
    survey_id = ok(sup.post("/surveys", json={"unit_id": unit_id, "sample_size": people}))["survey_id"]
    return unit_id, group_id, sup, survey_id


def drawn_survey(stack, people=6, name="县统计局（样例）"):
    unit_id, group_id, sup, survey_id = opened_survey(stack, people, name)
    drawn = stack.request("POST", f"/surveys/{survey_id}/draw", stack.token("supervisor", scope=group_id),
                          json={"public_entropy": "dice 6-1"}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert drawn.status_code == 201, (drawn.text, [stack.log(k)[-2500:] for k in ("gateway", "evaluation")])
    wait_until(lambda: sup.get(f"/surveys/{survey_id}").json()["slips"]["issued"] == people,
               message="the survey's slips in the public read")
    return unit_id, group_id, survey_id, drawn.json()


def every_document(stack) -> list[tuple[str, str]]:
    db = stack.db("evaluation")
    return [(name, json.dumps(doc, default=str, ensure_ascii=False))
            for name in db.list_collection_names() for doc in db[name].find({})]


# ---------------------------------------------------------------- unlinkable slips (issue 19.4)
def test_no_stored_document_links_a_sampled_person_to_a_slip(stack):
    _unit, _group, survey_id, drawn = drawn_survey(stack)
    people = drawn["sample"]
    tokens = [b["token"] for b in drawn["ballots"]]
    assert [b["person"] for b in drawn["ballots"]] == people and len(set(tokens)) == len(people)
    secrets = tokens + [sha256_hex(t) for t in tokens]
    docs = every_document(stack)
    hashes_stored = [name for name, text in docs if sha256_hex(tokens[0]) in text]
    assert hashes_stored, "the slips' hashes are stored (the test would find a link)"
    named = [name for name, text in docs if people[0] in text]
    assert named, "the sample is stored (the test would find a link)"
    linked = [(name, text[:300]) for name, text in docs
              if any(p in text for p in people) and any(s in text for s in secrets)]
    assert not linked, linked
    assert not any(t in text for _, text in docs for t in tokens), "a token is stored in clear"


def test_the_public_verification_counts_issued_used_and_unused_slips(stack):
    _unit, _group, survey_id, drawn = drawn_survey(stack, name="县民政局（样例）")
    tokens = [b["token"] for b in drawn["ballots"]]
    for i, token in enumerate(tokens[:2]):
        respondent = stack.as_role("respondent", scope=survey_id, name=f"slip respondent {i}")
        ok(respondent.post("/ballots", json={"token": token, "ratings": RATE}))
    again = stack.as_role("respondent", scope=survey_id, name="slip respondent again")
    assert again.post("/ballots", json={"token": tokens[0], "ratings": RATE}).status_code == 409
    reader = stack.as_role("office")  # the published read: any role, not only the survey's group
    wait_until(lambda: reader.get(f"/surveys/{survey_id}").json()["slips"]["used"] == 2,
               message="the ballots in the public read")
    public = reader.get(f"/surveys/{survey_id}").json()
    assert public["slips"] == {"issued": 6, "used": 2, "unused": 4}
    check = reader.get(f"/surveys/{survey_id}/verification")
    assert check.status_code == 200, check.text
    slips = check.json()["slips"]
    assert check.json()["ok"] is True and slips["ok"] is True
    assert (slips["issued"], slips["used"], slips["unused"]) == (6, 2, 4)
    assert slips["issued_hashes"] == sorted(sha256_hex(t) for t in tokens)
    assert slips["spent_hashes"] == sorted(sha256_hex(t) for t in tokens[:2])
    assert all(slips["checks"].values())


# ---------------------------------------------------------------- the ballot page over HTTP
def page(stack, path, method="GET", **kwargs):
    return requests.request(method, root(stack) + path, timeout=10, allow_redirects=False, **kwargs)


def ballot_form(stack, token):
    """A browser's first visit: the form, its cookie and its token."""
    got = page(stack, f"/dashboard/ballot/{token}")
    assert got.status_code == 200, got.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', got.text).group(1)
    return got.cookies, csrf


def test_the_ballot_page_refuses_a_foreign_form_and_a_missing_answer_and_writes_nothing(stack):
    _unit, _group, survey_id, drawn = drawn_survey(stack, name="县林业局（样例）")
    token = drawn["ballots"][0]["token"]
    cookies, csrf = ballot_form(stack, token)
    same = {"Origin": root(stack)}
    no_csrf = page(stack, f"/dashboard/ballot/{token}", "POST", cookies=cookies, headers=same, data=RATE)
    assert no_csrf.status_code == 403 and "页面已过期" in no_csrf.text
    foreign = page(stack, f"/dashboard/ballot/{token}", "POST", cookies=cookies,
                   headers={"Origin": "http://evil.example"}, data={**RATE, "csrf": csrf})
    assert foreign.status_code == 403
    half = page(stack, f"/dashboard/ballot/{token}", "POST", cookies=cookies, headers=same,
                data={"leadership": "satisfied", "csrf": csrf})
    assert half.status_code == 422 and "请选择一项" in half.text and 'id="problem-campaign"' in half.text
    bad = page(stack, f"/dashboard/ballot/{token}", "POST", cookies=cookies, headers=same,
               data={"leadership": "great", "campaign": "satisfied", "csrf": csrf})
    assert bad.status_code == 422
    verification = stack.as_role("office").get(f"/surveys/{survey_id}/verification").json()
    assert verification["slips"]["used"] == 0
    voted = page(stack, f"/dashboard/ballot/{token}", "POST", cookies=cookies, headers=same,
                 data={**RATE, "csrf": csrf})
    assert voted.status_code == 303 and voted.headers["Location"].endswith("/dashboard/ballot/thanks")
    wait_until(lambda: stack.as_role("office").get(f"/surveys/{survey_id}")
               .json()["slips"]["used"] == 1, message="the page's ballot counted")
    used = page(stack, f"/dashboard/ballot/{token}")
    assert used.status_code == 409 and "此票已经投过" in used.text
    twice = page(stack, f"/dashboard/ballot/{token}", "POST", cookies=cookies, headers=same,
                 data={**RATE, "csrf": csrf})
    assert twice.status_code == 409


# ---------------------------------------------------------------- in the browser
def test_supervisor_opens_draws_prints_and_respondents_vote_on_a_phone(stack):
    unit_id, group_id = _unit_in_survey(stack, "县交通局（样例）", 5)
    sup_token = stack.token("supervisor", scope=group_id, name="测评督导员")
    [sup] = browse(stack, {"viewport": DESKTOP, "steps": [
        *login(sup_token),
        {"goto": f"/dashboard/units/{unit_id}/survey", "as": "unit_page", "charts": False},
        {"shot": "desktop-1-unit-survey"},
        {"fill": ["#sample_size", "3"]}, {"click": "#open-survey-submit"},
        {"text": ["too_small", "#problem-sample_size"]}, {"shot": "desktop-2-open-refused"},
        {"fill": ["#sample_size", "5"]}, {"click": "#open-survey-submit"},
        {"eval": ["survey_url", "location.pathname"]},
        {"text": ["issued_before", "#slips-issued"]}, {"shot": "desktop-3-survey-open"},
        {"fill": ["#public_entropy", "骰子 4-2"]}, {"click": "#draw-survey-submit"},
        {"text": ["warning", "#slips-warning"]},
        {"texts": ["links", ".slip", "data-link"]}, {"texts": ["names", ".slip h2", None]},
        {"eval": ["qr_count", "document.querySelectorAll('.slip svg').length"]},
        {"shot": "desktop-4-slips"},
        {"click": "#back-to-survey"},
        {"text": ["issued_after", "#slips-issued"]}, {"shot": "desktop-5-survey-drawn"},
    ]})
    assert sup["unit_page"]["status"] == 200
    assert "至少需要 5 人" in (sup["too_small"] or ""), sup
    survey_id = sup["survey_url"].rsplit("/", 1)[1]
    assert sup["issued_before"] == "0" and sup["issued_after"] == "5", sup
    assert "仅此一次显示" in sup["warning"] and "不保存姓名与票码的对应关系" in sup["warning"]
    links = sup["links"]
    assert len(links) == 5 == sup["qr_count"] and len(set(links)) == 5
    assert all(link.startswith(root(stack) + "/dashboard/ballot/") for link in links)
    api = stack.as_role("supervisor", scope=group_id).get(f"/surveys/{survey_id}").json()
    assert sorted(sup["names"]) == sorted(api["audit"]["sample"])
    paths = [link.removeprefix(root(stack)) for link in links]

    phone = {"viewport": PHONE, "mobile": True}
    first, second, unknown = browse(
        stack,
        {**phone, "steps": [
            {"goto": paths[0], "as": "form", "charts": False}, {"shot": "phone-1-ballot"},
            {"eval": ["overflow", "document.documentElement.scrollWidth > window.innerWidth"]},
            {"eval": ["unlabelled", "[...document.querySelectorAll('input:not([type=hidden])')]"
                      ".filter(i => !i.labels || !i.labels.length).length"]},
            {"click": "#leadership-satisfied"}, {"click": "#campaign-basically_satisfied"},
            {"shot": "phone-2-ballot-filled"},
            {"click": "#submit-ballot"}, {"eval": ["after", "location.pathname"]},
            {"text": ["thanks", "#ballot-thanks h1"]}, {"shot": "phone-3-thanks"},
            {"goto": paths[0], "as": "again", "charts": False},
            {"text": ["used", "#ballot-used h1"]}, {"shot": "phone-4-used"},
        ]},
        {**phone, "steps": [
            {"goto": paths[1], "charts": False},
            {"click": "#leadership-dissatisfied"}, {"click": "#campaign-satisfied"},
            {"click": "#submit-ballot"}, {"text": ["thanks", "#ballot-thanks h1"]},
        ]},
        {**phone, "steps": [
            {"goto": "/dashboard/ballot/" + "x" * 22, "as": "unknown", "charts": False},
            {"text": ["text", "#ballot-unknown h1"]}, {"shot": "phone-5-unknown"},
        ]},
    )
    assert first["form"]["status"] == 200 and first["overflow"] is False and first["unlabelled"] == 0
    assert first["after"] == "/dashboard/ballot/thanks" and "投票成功" in first["thanks"]
    assert first["again"]["status"] == 409 and first["used"] == "此票已经投过"
    assert "投票成功" in second["thanks"]
    assert unknown["unknown"]["status"] == 404 and unknown["text"] == "票码无效"

    # closing in the browser; then the unused slips meet a closed survey
    closed, phone_closed = browse(stack, {"viewport": DESKTOP, "steps": [
        *login(sup_token), {"goto": f"/dashboard/surveys/{survey_id}", "charts": False},
        {"click": "#close-survey-submit"}, {"eval": ["url", "location.pathname"]},
        {"text": ["status", "#survey-status"]}, {"shot": "desktop-6-survey-closed"}]},
        {"viewport": PHONE, "mobile": True, "steps": [
            {"goto": paths[2], "as": "closed", "charts": False},
            {"text": ["text", "#ballot-closed h1"]}, {"shot": "phone-6-closed"}]})
    assert closed["url"] == f"/dashboard/surveys/{survey_id}", closed
    assert "已结束" in closed["status"], closed
    assert phone_closed["closed"]["status"] == 409 and phone_closed["text"] == "测评已经结束"
    verification = stack.as_role("office").get(f"/surveys/{survey_id}/verification").json()
    assert verification["ok"] and (verification["slips"]["issued"], verification["slips"]["used"]) == (5, 2)


# last in the module: it holds this address back for the limiter's window
def test_guessing_slips_is_held_back_like_failed_logins(stack):
    # the limit is 20 failures a minute (the browser test's unknown slip was one of them)
    answers = [page(stack, f"/dashboard/ballot/guess{i:04d}-{'y' * 16}").status_code for i in range(21)]
    assert 429 in answers, answers
    first = answers.index(429)
    assert first >= 15 and answers[:first] == [404] * first and set(answers[first:]) == {429}, answers
    held = page(stack, "/dashboard/ballot/" + "z" * 22)
    assert held.status_code == 429 and "尝试次数过多" in held.text and int(held.headers["Retry-After"]) > 0
