"""The gateway's hardening (issue 14), through the real gateway: strict token grants, the
generic input limits, one ballot per respondent, JSON 405/404/503, the security headers
and the brake on failed tokens. Every refusal is a JSON error that stores nothing."""
from __future__ import annotations

import concurrent.futures
import threading
import uuid

import pytest
import requests
from requests.adapters import HTTPAdapter

from assembly.stack import wait_until
from shared import launcher
from tests.e2e.dashboard_forms import dashboard_login
from tests.e2e.test_evaluation import Facts, open_and_draw

GOOD_UNIT = {"name": "县委宣传部", "org_type": "党组", "batch": 1}
PERSON = {"rank": "section", "home_unit": "县委组织部", "post": "科长"}
RATINGS = {"leadership": "satisfied", "campaign": "satisfied"}


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error", "message", "details"} and body["message"], body
    assert isinstance(body["details"], dict)
    if code:
        assert body["error"] == code, body
    if field:
        assert field in body["details"]["fields"], body
    return body


def units_logged(stack):
    return stack.db("units")["events"].count_documents({})


def tokens_stored(stack):
    return stack.db("gateway")["tokens"].count_documents({})


def register(stack, name="县委办公室") -> str:
    created = stack.as_role("office").post("/units", json={**GOOD_UNIT, "name": name})
    assert created.status_code == 201, created.text
    return created.json()["unit_id"]


@pytest.fixture(scope="module")
def facts(stack):
    f = Facts(stack)
    yield f
    f.client.close()


# ---------------------------------------------------------------- 1. token grants

@pytest.mark.parametrize("grant,field", [
    ({"name": 5, "role": "office"}, "name"),                       # a number: a 500 before
    ({"name": ["x"], "role": "office"}, "name"),
    ({"name": "", "role": "office"}, "name"),
    ({"name": "x" * 101, "role": "office"}, "name"),
    ({"name": "x\u200b\u2028", "role": "office"}, "name"),         # not printable
    ({"name": "x", "role": "king"}, "role"),
    ({"name": "x", "role": {"$ne": None}}, "role"),
    ({"name": "x", "role": "office", "scope": "u-0123456789ab"}, "scope"),
    ({"name": "x", "role": "auditor", "scope": ""}, "scope"),
    ({"name": "x", "role": "operator", "scope": {}}, "scope"),
    ({"name": "x", "role": "unit"}, "scope"),
    ({"name": "x", "role": "unit", "scope": {"$ne": None}}, "scope"),
    ({"name": "x", "role": "supervisor", "scope": {"$ne": None}}, "scope"),
    ({"name": "x", "role": "respondent", "scope": ["s-0123456789ab"]}, "scope"),
    ({"name": "x", "role": "unit", "scope": "g-0123456789ab"}, "scope"),   # the wrong kind of id
    ({"name": "x", "role": "unit", "scope": "u-1"}, "scope"),
    ({"name": "x", "role": "unit", "scope": "u-000000000000"}, "scope"),   # no such unit
    ({"name": "x", "role": "supervisor", "scope": "g-000000000000"}, "scope"),
    ({"name": "x", "role": "respondent", "scope": "s-000000000000"}, "scope"),
])
def test_a_bad_grant_is_422_and_issues_nothing(stack, grant, field):
    office = stack.as_role("office")
    before = tokens_stored(stack)
    assert_error(office.post("/tokens", json=grant), 422, "invalid", field)
    assert tokens_stored(stack) == before


def test_a_scope_that_is_a_query_operator_no_longer_opens_every_unit(stack):
    """The hole: {"scope": {"$ne": null}} made a unit token that listed every unit."""
    mine, theirs = register(stack, "县委宣传部-甲"), register(stack, "县委宣传部-乙")
    office = stack.as_role("office")
    for role in ("unit", "supervisor"):
        assert_error(office.post("/tokens", json={"name": "x", "role": role, "scope": {"$ne": None}}),
                     422, "invalid", "scope")
    assert stack.db("gateway")["tokens"].count_documents({"scope": {"$type": "object"}}) == 0
    # a unit token issued over HTTP names one existing unit and lists only it
    issued = office.post("/tokens", json={"name": "宣传部办公室", "role": "unit", "scope": mine})
    assert issued.status_code == 201, issued.text
    listed = stack.request("GET", "/units", issued.json()["token"])
    assert [u["unit_id"] for u in listed.json()] == [mine]
    assert theirs in [u["unit_id"] for u in office.get("/units").json()]


def test_scoped_tokens_for_an_existing_group_and_survey(stack, facts):
    office = stack.as_role("office")
    formed = office.post("/groups", json={"name": "督导组-" + uuid.uuid4().hex[:4],
                                          "leader": {"name": "组长", **PERSON},
                                          "members": [{"name": "组员", **PERSON}]})
    assert formed.status_code == 201, formed.text
    group_id = formed.json()["group_id"]
    issued = office.post("/tokens", json={"name": "组长", "role": "supervisor", "scope": group_id})
    assert issued.status_code == 201, issued.text
    unit = facts.unit(phase="survey", people=2)  # the validity gate: a small scope is sampled whole
    survey = open_and_draw(stack, unit, 2)
    issued = office.post("/tokens", json={"name": "群众　甲", "role": "respondent",
                                          "scope": survey["survey_id"]})
    assert issued.status_code == 201, issued.text
    assert issued.json()["name"] == "群众　甲"


def test_a_ten_megabyte_name_is_413(stack):
    office = stack.as_role("office")
    before = tokens_stored(stack)
    response = office.post("/tokens", json={"name": "x" * (10 << 20), "role": "office"})
    assert_error(response, 413, "too_large")
    assert tokens_stored(stack) == before


# ---------------------------------------------------------------- 2. input limits

def post_units(stack, raw: bytes):
    return stack.request("POST", "/units", stack.token("office"), data=raw,
                         headers={"content-type": "application/json"})


@pytest.mark.parametrize("raw,status", [
    (b"[" * 100_000 + b"]" * 100_000, 400),                        # a RecursionError before
    (b'{"name": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001, 400),
    (b'{"name": "\\ud800", "org_type": "\xe5\x85\x9a\xe7\xbb\x84", "batch": 1}', 422),
    (b'{"name": "a\\u001eb", "org_type": "x", "batch": 1}', 422),
    (b'{"name": "x", "org_type": "x", "batch": 100000000000000000000}', 422),
    (b'{"name": "' + b"x" * 20_001 + b'", "org_type": "x", "batch": 1}', 422),
    (b'{"name": "x", "batch": NaN}', 400),
])
def test_hostile_json_is_refused_and_stores_nothing(stack, raw, status):
    before = units_logged(stack)
    assert_error(post_units(stack, raw), status)
    assert units_logged(stack) == before


def test_the_refusal_names_the_field(stack):
    body = assert_error(post_units(stack, b'{"name": "a\\u001eb", "org_type": "x", "batch": 1}'), 422)
    assert "control character" in body["details"]["fields"]["name"][0]
    body = assert_error(post_units(stack, b'{"name": "\\ud800", "org_type": "x", "batch": 1}'), 422)
    assert "surrogate" in body["details"]["fields"]["name"][0]


def test_a_body_over_a_mebibyte_is_413(stack):
    before = units_logged(stack)
    raw = b'{"name": "x", "org_type": "x", "batch": 1, "pad": "' + b"x" * (1 << 20) + b'"}'
    assert_error(post_units(stack, raw), 413, "too_large")
    assert units_logged(stack) == before


def test_deep_json_inside_a_free_form_dict_is_refused(stack):
    supervisor = stack.as_role("supervisor", scope="g-" + uuid.uuid4().hex[:12])
    before = stack.db("supervision")["events"].count_documents({})
    raw = (b'{"unit_id": "u-0123456789ab", "kind": "contact_details", "title": "t", '
           b'"date": "2024-01-01", "contact": ' + b'{"a": ' * 5000 + b'"1"' + b"}" * 5001)
    response = stack.request("POST", "/reports", supervisor.token, data=raw,
                             headers={"content-type": "application/json"})
    assert_error(response, 400, "bad_request")
    assert stack.db("supervision")["events"].count_documents({}) == before


def test_a_member_named_with_a_control_character_is_refused_and_the_ledger_still_builds(stack):
    unit_id = register(stack, "县委统战部")
    unit = stack.as_role("unit", scope=unit_id)
    before = units_logged(stack)
    assert_error(unit.post(f"/units/{unit_id}/members", json={"name": "a\u001eb", "section": None,
                                                               "is_retired": True}),
                 422, "invalid", "name")
    assert units_logged(stack) == before
    ledger = unit.get(f"/units/{unit_id}/study/ledger.xlsx")
    assert ledger.status_code in (200, 404), ledger.text  # never a 500


@pytest.mark.parametrize("query,field", [("batch=100000000000000000000", "batch"),
                                         ("batch=-9007199254740993", "batch"),
                                         ("phase=a%00b", "phase"),
                                         ("phase=a%C2%85b", "phase"),   # C1, as UTF-8
                                         ("phase%7F=1", "phase\\u007f")])
def test_query_values_have_the_same_limits(stack, query, field):
    response = stack.as_role("office").get("/units?" + query)
    assert_error(response, 422, "invalid", field)


def test_a_large_but_safe_batch_is_still_an_ordinary_answer(stack):
    response = stack.as_role("office").get("/units?batch=9007199254740992")
    assert response.status_code in (200, 404), response.text


# ---------------------------------------------------------------- 3. one ballot per respondent

def ballots_cast(stack, survey_id):
    return stack.db("evaluation")["events"].count_documents(
        {"type": "BallotCast", "payload.survey_id": survey_id})


def respondent_token(stack, survey_id):
    issued = stack.as_role("office").post("/tokens", json={
        "name": "群众" + uuid.uuid4().hex[:6], "role": "respondent", "scope": survey_id})
    assert issued.status_code == 201, issued.text
    return issued.json()["token"]


def cast(stack, token, ballot_token):
    return stack.request("POST", "/ballots", token, json={"token": ballot_token, "ratings": RATINGS})


def test_a_respondent_token_casts_one_ballot(stack, facts):
    survey = open_and_draw(stack, facts.unit(phase="survey", people=4), 4)
    survey_id, ballots = survey["survey_id"], [b["token"] for b in survey["drawn"]["ballots"]]
    person = respondent_token(stack, survey_id)
    assert cast(stack, person, ballots[0]).status_code == 201
    assert_error(cast(stack, person, ballots[1]), 409, "conflict")
    assert ballots_cast(stack, survey_id) == 1
    # the second ballot token is still good for its own respondent
    assert cast(stack, respondent_token(stack, survey_id), ballots[1]).status_code == 201
    assert ballots_cast(stack, survey_id) == 2
    # what the gateway keeps links no ballot to the person: the state alone
    doc = stack.db("gateway")["tokens"].find_one({"ballot.state": "cast"})
    assert set(doc["ballot"]) == {"state", "at"}


def test_a_refused_ballot_does_not_use_up_the_respondent(stack, facts):
    survey = open_and_draw(stack, facts.unit(phase="survey", people=2), 2)
    survey_id, ballots = survey["survey_id"], [b["token"] for b in survey["drawn"]["ballots"]]
    person = respondent_token(stack, survey_id)
    assert_error(cast(stack, person, "not-a-ballot-token-" + uuid.uuid4().hex), 403, "forbidden")
    assert_error(stack.request("POST", "/ballots", person, json={"token": ballots[0]}), 422, "invalid")
    assert_error(stack.request("POST", "/ballots", person, json={"token": 5, "ratings": RATINGS}),
                 422, "invalid")
    assert ballots_cast(stack, survey_id) == 0
    assert cast(stack, person, ballots[0]).status_code == 201
    assert ballots_cast(stack, survey_id) == 1


def test_concurrent_ballots_with_one_respondent_token_count_once(stack, facts):
    survey = open_and_draw(stack, facts.unit(phase="survey", people=8), 8)
    survey_id, ballots = survey["survey_id"], [b["token"] for b in survey["drawn"]["ballots"]]
    person = respondent_token(stack, survey_id)
    start = threading.Barrier(len(ballots))

    def attempt(ballot):
        start.wait()
        return cast(stack, person, ballot).status_code

    with concurrent.futures.ThreadPoolExecutor(len(ballots)) as pool:
        statuses = sorted(pool.map(attempt, ballots))
    assert statuses == [201] + [409] * (len(ballots) - 1), statuses
    assert ballots_cast(stack, survey_id) == 1


# ---------------------------------------------------------------- 4. JSON for every failure

def test_405_carries_allow_and_stays_json(stack):
    office = stack.as_role("office")
    for method, path, allowed in (("PATCH", "/units", {"GET", "POST"}),
                                  ("OPTIONS", "/units", {"GET", "POST"}),
                                  ("DELETE", "/whoami", {"GET"})):
        response = stack.request(method, path, office.token)
        body = assert_error(response, 405, "method_not_allowed")
        assert allowed <= set(response.headers["Allow"].split(", ")), response.headers
        assert allowed <= set(body["details"]["allowed"])


@pytest.mark.parametrize("method,url", [("GET", "/api/v1"), ("GET", "/nothing-here"),
                                        ("PUT", "/"), ("POST", "/api")])
def test_paths_no_entrypoint_takes_are_json_not_werkzeug_pages(stack, method, url):
    response = requests.request(method, f"http://127.0.0.1:{stack.port}{url}", timeout=10)
    assert response.status_code in (404, 405)
    assert_error(response, response.status_code)
    assert "<html" not in response.text.lower()


def test_its_database_down_is_a_fast_503_that_names_no_host(stack):
    """A second gateway on the same stack whose database cannot be reached."""
    port = launcher.free_port()
    # no timeouts in the URI: the gateway's own bound (DUDAO_DB_TIMEOUT) answers within the
    # client's 10 s below, where pymongo's default would wait 30 s
    dead = "mongodb://127.0.0.1:9/"
    stack.start("gateway", "gateway-nodb", DUDAO_MONGO_URI=dead, DUDAO_GATEWAY_PORT=port,
                DUDAO_DB_TIMEOUT=2)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base + "/api/v1/whoami"), 60, 0.3, "the second gateway")
        token = stack.token("office")
        for method, path, kw in (("GET", "/api/v1/units", {}),
                                 ("POST", "/api/v1/tokens", {"json": {"name": "x", "role": "office"}})):
            response = requests.request(method, base + path, headers={"Authorization": f"Bearer {token}"},
                                        timeout=10, allow_redirects=False, **kw)
            assert response.status_code == 503, response.text
            assert "127.0.0.1:9" not in response.text and "Topology" not in response.text
            assert_error(response, 503, "unavailable")
        for response in (dashboard_login(requests.Session(), base, token),
                         requests.get(base + "/dashboard/overview", timeout=10,
                                      cookies={"dudao_session": "ds_x"})):
            assert response.status_code == 503, response.text
            assert "127.0.0.1:9" not in response.text and "Topology" not in response.text
        health = requests.get(base + "/api/v1/health", timeout=30)
        assert health.status_code == 503
        assert "127.0.0.1:9" not in health.text and "Topology" not in health.text
    finally:
        stack.stop("gateway-nodb")


def _answers(url):
    try:
        return requests.get(url, timeout=2).status_code
    except requests.RequestException:
        return None


# ---------------------------------------------------------------- 5. security headers

def test_every_answer_carries_the_security_headers(stack):
    root = f"http://127.0.0.1:{stack.port}"
    office = stack.token("office")
    answers = {
        "api ok": stack.request("GET", "/units", office),
        "api 401": stack.request("GET", "/units"),
        "api 404": stack.request("GET", "/nope", office),
        "api 405": stack.request("PATCH", "/units", office),
        "health": stack.request("GET", "/health"),
        "token issued": stack.request("POST", "/tokens", office, json={"name": "x", "role": "auditor"}),
        "login page": requests.get(root + "/dashboard/login", timeout=10),
        "static": requests.get(root + "/dashboard/static/dashboard.css", timeout=10),
        "redirect": requests.get(root + "/", timeout=10, allow_redirects=False),
        "no route": requests.get(root + "/nothing", timeout=10),
    }
    for what, response in answers.items():
        h = response.headers
        assert h.get("X-Content-Type-Options") == "nosniff", what
        assert h.get("X-Frame-Options") == "DENY", what
        assert h.get("Referrer-Policy") == "no-referrer", what
        csp = h.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, what
        assert "frame-ancestors 'none'" in csp, what
    for what in ("api ok", "api 401", "api 404", "api 405", "health", "token issued"):
        assert answers[what].headers["Cache-Control"] == "no-store", what
    assert "max-age" in answers["static"].headers["Cache-Control"]


# ---------------------------------------------------------------- 6. failed authentication

class FromAddress(HTTPAdapter):
    """Connect from another loopback address: the limiter counts per client address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def test_repeated_bad_tokens_from_one_address_are_429_and_a_valid_token_is_not(stack):
    attacker, neighbour = client_from("127.0.0.2"), client_from("127.0.0.3")
    url = stack.base_url + "/units"

    def bad(session):
        return session.get(url, headers={"Authorization": f"Bearer dd_guess{uuid.uuid4().hex}"},
                           timeout=10)

    statuses = [bad(attacker).status_code for _ in range(20)]
    assert statuses == [401] * 20
    held = bad(attacker)
    body = assert_error(held, 429, "too_many_requests")
    assert 0 < int(held.headers["Retry-After"]) <= 60 and body["details"]["retry_after"] > 0
    # a valid token from the same address works; another address is not held back
    good = attacker.get(url, headers={"Authorization": f"Bearer {stack.token('office')}"}, timeout=10)
    assert good.status_code == 200, good.text
    assert_error(bad(neighbour), 401, "unauthenticated")
    # the dashboard's login counts the same failures
    login = dashboard_login(attacker, f"http://127.0.0.1:{stack.port}", "guess")
    assert login.status_code == 429 and "Retry-After" in login.headers
