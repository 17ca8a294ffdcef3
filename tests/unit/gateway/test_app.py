"""services.gateway.app without nameko or a database: the answers the gateway makes itself
(JSON 405 with Allow, JSON 500, 503 for its database, 429, 413, the security headers)."""
import json

import pytest
from pymongo.errors import ServerSelectionTimeoutError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.app import Gateway, harden_headers
from services.gateway.ratelimit import AuthFailureLimiter
from services.gateway.tokens import Person, TokenError, validate_grant

OFFICE = Person("p-office", "office", "office", None)


class Tokens:
    """A token store of one valid token, or one whose database is down."""

    def __init__(self, down: bool = False):
        self.down = down

    def authenticate(self, token):
        if self.down:
            raise ServerSelectionTimeoutError("db1:27017: [Errno 111] Connection refused, "
                                              "Topology Description: <TopologyDescription ...>")
        return OFFICE if token == "good" else None


def gateway(call=None, tokens=None, clock=None, max_body_bytes=1024) -> Gateway:
    limiter = AuthFailureLimiter(3, 60, clock=clock or (lambda: 0.0))
    return Gateway(tokens or Tokens(), call or (lambda *a: {"ok": True, "result": []}),
                   lambda: ({"status": "ok"}, 200), limiter=limiter, max_body_bytes=max_body_bytes)


def request(method, path, token="good", remote="10.1.1.1", headers=None, **kw) -> Request:
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    env = EnvironBuilder(method=method, path="/api/v1" + path, headers=headers,
                         environ_base={"REMOTE_ADDR": remote}, **kw).get_environ()
    return Request(env)


def body(response):
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data())
    assert set(data) == {"error", "message", "details"}
    return data


def test_405_is_json_and_names_the_allowed_methods():
    response = gateway().handle(request("PATCH", "/units"))
    assert response.status_code == 405
    assert body(response)["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_an_unexpected_exception_is_a_json_500_that_tells_nothing():
    def call(*args):
        raise KeyError("secret internals")
    response = gateway(call).handle(request("GET", "/units"))
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert body(response)["error"] == "internal"


def test_its_database_down_is_a_503_that_does_not_leak_the_topology():
    response = gateway(tokens=Tokens(down=True)).handle(request("GET", "/units"))
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "db1" not in text and "Topology" not in text
    assert body(response)["error"] == "unavailable"


def test_failed_tokens_from_one_address_are_held_back_but_a_valid_token_is_not():
    now = [0.0]
    gw = gateway(clock=lambda: now[0])
    for _ in range(3):
        assert gw.handle(request("GET", "/units", token="bad")).status_code == 401
    held = gw.handle(request("GET", "/units", token="bad"))
    assert held.status_code == 429 and body(held)["error"] == "too_many_requests"
    assert int(held.headers["Retry-After"]) == 60
    assert gw.handle(request("GET", "/units", token="good")).status_code == 200
    assert gw.handle(request("GET", "/units", token="bad", remote="10.2.2.2")).status_code == 401
    assert gw.handle(request("GET", "/units", token=None)).status_code == 401  # nothing offered
    now[0] = 61
    assert gw.handle(request("GET", "/units", token="bad")).status_code == 401


def test_a_body_over_the_limit_is_413_json_before_it_is_read():
    response = gateway(max_body_bytes=100).handle(
        request("POST", "/units", data=json.dumps({"name": "x" * 200}),
                content_type="application/json"))
    assert response.status_code == 413 and body(response)["error"] == "too_large"


def test_a_query_integer_beyond_2_53_is_422():
    response = gateway().handle(request("GET", "/units", query_string="batch=100000000000000000000"))
    assert response.status_code == 422
    assert "batch" in body(response)["details"]["fields"]


def test_every_answer_carries_the_security_headers():
    for response in (gateway().handle(request("GET", "/units")),
                     gateway().handle(request("GET", "/units", token="bad")),
                     gateway().handle(request("GET", "/health", token=None))):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store"


def test_dashboard_static_files_keep_their_cache_and_pages_are_not_cached():
    static = dict(harden_headers("/dashboard/static/x.css", [("Cache-Control", "public, max-age=86400")]))
    assert static["Cache-Control"] == "public, max-age=86400"
    assert dict(harden_headers("/dashboard/overview", []))["Cache-Control"] == "no-store"
    api = dict(harden_headers("/api/v1/units", [("Cache-Control", "public")]))
    assert api["Cache-Control"] == "no-store"


@pytest.mark.parametrize("name,role,scope,field", [
    (5, "office", None, "name"), ("", "office", None, "name"), ("x" * 101, "office", None, "name"),
    ("a\x1eb", "office", None, "name"), ("\ud800", "office", None, "name"),
    ("x", "king", None, "role"), ("x", ["office"], None, "role"),
    ("x", "office", "u-0123456789ab", "scope"), ("x", "auditor", "", "scope"),
    ("x", "unit", None, "scope"), ("x", "unit", {"$ne": None}, "scope"),
    ("x", "unit", "g-0123456789ab", "scope"), ("x", "supervisor", "u-0123456789ab", "scope"),
    ("x", "respondent", "s-0123", "scope"), ("x", "unit", "u-0123456789AB", "scope"),
])
def test_grants_are_strictly_typed(name, role, scope, field):
    with pytest.raises(TokenError) as caught:
        validate_grant(name, role, scope, strict_scope=True)
    assert caught.value.field == field


def test_grants_that_are_fine():
    validate_grant("张三　丰", "unit", "u-0123456789ab", strict_scope=True)
    validate_grant("x" * 100, "supervisor", "g-0123456789ab", strict_scope=True)
    validate_grant("x", "respondent", "s-0123456789ab", strict_scope=True)
    validate_grant("x", "operator", None, strict_scope=True)
    validate_grant("x", "supervisor", "g-nobody")  # the command line's looser scope


class BallotTokens(Tokens):
    """One respondent token; records how the gateway claims and settles its ballot."""

    def __init__(self, claims):
        super().__init__()
        self.claims, self.settled = list(claims), []

    def authenticate(self, token):
        return Person("p-r", "群众", "respondent", "s-0123456789ab") if token == "good" else None

    def claim_ballot(self, token, ballot_token):
        return self.claims.pop(0)

    def settle_ballot(self, token, ballot_token, claim, outcome):
        self.settled.append((ballot_token, claim, outcome))


def ballot(gw):
    return gw.handle(request("POST", "/ballots", json={"token": "b" * 16, "ratings": {}}))


def test_a_ballot_without_an_answer_stays_claimed_for_that_ballot_token():
    from services.gateway.app import ServiceUnavailable

    def down(*args):
        raise ServiceUnavailable("evaluation", "no answer within 10s")
    tokens = BallotTokens(["first"])
    response = ballot(gateway(down, tokens))
    assert response.status_code == 503 and "same ballot token" in body(response)["message"]
    assert tokens.settled == [("b" * 16, "first", "unknown")]


@pytest.mark.parametrize("claim,answer,outcome", [
    ("first", {"ok": True, "result": {}}, "cast"),
    ("first", {"ok": False, "status": 409, "error": "conflict", "message": "used"}, "refused"),
    ("first", {"ok": False, "status": 403, "error": "forbidden", "message": "no"}, "refused"),
    ("retry", {"ok": False, "status": 409, "error": "conflict", "message": "used"}, "cast"),
    ("retry", {"ok": True, "result": {}}, "cast"),
])
def test_how_a_ballot_claim_is_settled(claim, answer, outcome):
    tokens = BallotTokens([claim])
    ballot(gateway(lambda *a: answer, tokens))
    assert tokens.settled == [("b" * 16, claim, outcome)]


def test_a_second_ballot_is_409_and_never_reaches_the_service():
    def never(*args):
        raise AssertionError("forwarded")
    response = ballot(gateway(never, BallotTokens([None])))
    assert response.status_code == 409 and body(response)["error"] == "conflict"


@pytest.mark.parametrize("path", ["/health", "/openapi.json"])
def test_health_and_the_openapi_document_answer_get_only(path):
    response = Gateway(Tokens(), lambda *a: {}, lambda: ({"status": "ok"}, 200), openapi=lambda: {},
                       limiter=AuthFailureLimiter(3, 60)).handle(request("PUT", path, token=None))
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert body(response)["details"] == {"allowed": ["GET"]}


@pytest.mark.parametrize("key", ["", "a b", "x" * 201, "ключ"])
def test_a_malformed_idempotency_key_is_a_400_that_calls_no_service(key):
    calls = []
    response = gateway(lambda *a: calls.append(a)).handle(
        request("POST", "/units", json={"name": "x"}, headers={"Idempotency-Key": key}))
    assert response.status_code == 400 and body(response)["details"] == {"header": "Idempotency-Key"}
    assert calls == []


def test_a_well_formed_idempotency_key_goes_through():
    response = gateway(lambda *a: {"ok": True, "result": {"unit_id": "u-1"}}).handle(
        request("POST", "/units", json={"name": "x"}, headers={"Idempotency-Key": "k-" + "x" * 198}))
    assert response.status_code == 201
