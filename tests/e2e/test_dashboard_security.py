"""The dashboard's sessions and forms, and the web server's header limits (issue 14, web
hardening), through a real gateway process: a form from another origin or without its
token is a 403 that changes nothing, logout is a POST that ends the session in the
database, the session cookie is a random id (never the API token) that a revoked token
ends, ``Secure`` follows TLS and DUDAO_COOKIE_SECURE, and an oversized request line or
header block is a JSON refusal. The browser side of the same flow: test_dashboard.py.

Only the gateway runs here: the login, logout and home redirects need no other service."""
from __future__ import annotations

import hashlib
import json
import socket
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
import requests

from assembly.stack import throwaway_stack, wait_until
from services.gateway.http_limits import HEADER_LINE_MAX, HEADERS_MAX, REQUEST_LINE_MAX
from shared import launcher
from tests.e2e.dashboard_forms import CSRF
from tests.e2e.test_gateway_hardening import assert_error


def answering(url: str):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, names=[], label="web") as running:
        running.start("gateway")
        wait_until(lambda: answering(f"http://127.0.0.1:{running.port}/dashboard/login"), 60, 0.3,
                   "the gateway")
        yield running


def root(stack, port: int | None = None) -> str:
    return f"http://127.0.0.1:{port or stack.port}"


# ---------------------------------------------------------------- a browser, by hand
class Browser:
    """A requests session that behaves like the dashboard's browser: it sends the
    Origin of the page it is on with every form, and follows nothing on its own."""

    def __init__(self, base: str, origin: str | None = None, headers: dict | None = None):
        self.base, self.http = base, requests.Session()
        self.origin = base if origin is None else origin
        self.headers = headers or {}

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, headers=self.headers, timeout=10,
                             allow_redirects=False, **kw)

    def post(self, path: str, data: dict, origin: str | None = "same", **headers) -> requests.Response:
        sent = {**self.headers, **headers}
        if origin == "same":
            sent["Origin"] = self.origin
        elif origin is not None:
            sent["Origin"] = origin
        return self.http.post(self.base + path, data=data, headers=sent, timeout=10,
                              allow_redirects=False)

    def form_token(self, path: str = "/dashboard/login") -> str:
        page = self.get(path)
        assert page.status_code == 200, page.text
        return CSRF.search(page.text).group(1)

    def log_in(self, token: str) -> requests.Response:
        return self.post("/dashboard/login", {"token": token, "csrf": self.form_token()})

    def session_cookie(self) -> str | None:
        return self.http.cookies.get("dudao_session")

    def home(self) -> str:
        """Where /dashboard/ sends this browser: the person's page, or the login."""
        return self.get("/dashboard/").headers["Location"].split("?")[0]


def set_cookies(response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie of the answer, by name, with its attributes."""
    found = {}
    for header in response.raw.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            found[name] = (morsel, header)
    return found


def sessions(stack):
    return stack.db("gateway")["sessions"]


def logged_in(browser) -> bool:
    return browser.home().endswith("/dashboard/overview")


# ---------------------------------------------------------------- login
def test_a_login_from_the_dashboards_own_form_opens_a_session(stack):
    browser = Browser(root(stack))
    before = sessions(stack).count_documents({})
    answer = browser.log_in(stack.token("office"))
    assert answer.status_code == 303 and answer.headers["Location"] == "/dashboard/"
    assert sessions(stack).count_documents({}) == before + 1
    assert logged_in(browser)


@pytest.mark.parametrize("case", ["no form token", "a wrong form token", "another browser's form token",
                                  "no form cookie", "a foreign Origin", "no Origin",
                                  "Origin null from another site"])
def test_a_login_that_is_not_the_dashboards_own_form_is_403_and_opens_nothing(stack, case):
    browser, other = Browser(root(stack)), Browser(root(stack))
    token = browser.form_token()
    data, origin, headers = {"token": stack.token("office"), "csrf": token}, "same", {}
    if case == "no form token":
        del data["csrf"]
    elif case == "a wrong form token":
        data["csrf"] = "0" * 64
    elif case == "another browser's form token":
        data["csrf"] = other.form_token()
    elif case == "no form cookie":
        browser.http.cookies.clear()
    elif case == "a foreign Origin":
        origin = "http://evil.example"
    elif case == "no Origin":
        origin = None
    else:
        origin, headers = "null", {"Sec-Fetch-Site": "cross-site"}
    before = sessions(stack).count_documents({})
    answer = browser.post("/dashboard/login", data, origin=origin, **headers)
    assert answer.status_code == 403, answer.text
    assert "来自其他网站" in answer.text  # said on the page, with a fresh form to log in from
    assert CSRF.search(answer.text)
    assert "dudao_session" not in set_cookies(answer) and browser.session_cookie() is None
    assert sessions(stack).count_documents({}) == before
    assert browser.home().endswith("/dashboard/login")


def test_a_browser_that_sends_origin_null_for_its_own_page_is_told_by_sec_fetch_site(stack):
    """With Referrer-Policy: no-referrer a browser sends `Origin: null` even on the same
    origin; Sec-Fetch-Site then says where the form came from."""
    browser = Browser(root(stack))
    data = {"token": stack.token("office"), "csrf": browser.form_token()}
    answer = browser.post("/dashboard/login", data, origin="null", **{"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 303, answer.text


def test_a_refused_form_does_not_count_as_a_failed_token(stack):
    """A cross-origin post never tries the token: no guess is learnt, no failure counted
    against the address (the brake would otherwise lock a person out for another site)."""
    browser = Browser(root(stack))
    for _ in range(25):  # more than DUDAO_AUTH_FAILURE_LIMIT (20)
        assert browser.post("/dashboard/login", {"token": "dd_guess"}, origin="http://evil.example"
                            ).status_code == 403
    assert browser.log_in("dd_guess").status_code == 401


# ---------------------------------------------------------------- the session cookie
def test_the_session_cookie_is_a_random_id_not_a_token(stack):
    token = stack.token("office")
    browser = Browser(root(stack))
    answer = browser.log_in(token)
    morsel, header = set_cookies(answer)["dudao_session"]
    value = morsel.value
    assert value != token and token not in header
    stored = list(stack.db("gateway")["tokens"].find()) + list(sessions(stack).find())
    assert all(value not in str(doc) for doc in stored)  # not a token, nor anything kept
    session = sessions(stack).find_one({"_id": hashlib.sha256(value.encode()).hexdigest()})
    assert session and session["expires_at"] > session["opened_at"]
    assert session["token"] == hashlib.sha256(token.encode()).hexdigest()  # the token's hash only
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/dashboard"
    assert not morsel["secure"]  # plain http, straight from the client
    assert 0 < int(morsel["max-age"]) <= 12 * 3600
    # the API does not take it
    assert stack.request("GET", "/whoami", value).status_code == 401


def test_a_token_in_the_old_cookie_no_longer_logs_in_and_is_cleared(stack):
    browser = Browser(root(stack))
    browser.http.cookies.set("dudao_token", stack.token("office"), path="/dashboard")
    answer = browser.get("/dashboard/")
    assert answer.headers["Location"].startswith("/dashboard/login?")
    morsel, _ = set_cookies(answer)["dudao_token"]
    assert morsel.value == "" and morsel["expires"]


# ---------------------------------------------------------------- logout
def test_logout_over_get_only_shows_the_button(stack):
    browser = Browser(root(stack))
    browser.log_in(stack.token("office"))
    page = browser.get("/dashboard/logout")
    assert page.status_code == 200 and 'id="confirm-logout"' in page.text
    assert CSRF.search(page.text)
    assert logged_in(browser)


@pytest.mark.parametrize("case", ["no form token", "the login form's token", "a foreign Origin"])
def test_a_logout_that_is_not_the_dashboards_own_form_is_403_and_ends_nothing(stack, case):
    browser = Browser(root(stack))
    browser.log_in(stack.token("office"))
    data, origin = {"csrf": browser.form_token("/dashboard/logout")}, "same"
    if case == "no form token":
        data = {}
    elif case == "the login form's token":
        data = {"csrf": Browser(root(stack)).form_token()}
    else:
        origin = "http://evil.example"
    answer = browser.post("/dashboard/logout", data, origin=origin)
    assert answer.status_code == 403 and "未退出" in answer.text
    assert sessions(stack).count_documents(
        {"_id": hashlib.sha256(browser.session_cookie().encode()).hexdigest()}) == 1
    assert logged_in(browser)


def test_logout_ends_the_session_in_the_database(stack):
    browser = Browser(root(stack))
    browser.log_in(stack.token("office"))
    cookie = browser.session_cookie()
    answer = browser.post("/dashboard/logout", {"csrf": browser.form_token("/dashboard/logout")})
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/dashboard/login")
    assert set_cookies(answer)["dudao_session"][0].value == ""
    assert sessions(stack).count_documents({"_id": hashlib.sha256(cookie.encode()).hexdigest()}) == 0
    # the old cookie, sent again (say it was copied), opens nothing
    replay = Browser(root(stack))
    replay.http.cookies.set("dudao_session", cookie, path="/dashboard")
    assert replay.home().endswith("/dashboard/login")
    assert "您已退出" in browser.get(answer.headers["Location"]).text


def test_logging_in_again_ends_the_browsers_previous_session(stack):
    browser = Browser(root(stack))
    browser.log_in(stack.token("office"))
    first = browser.session_cookie()
    assert browser.log_in(stack.token("auditor")).status_code == 303
    assert browser.session_cookie() != first
    assert sessions(stack).count_documents({"_id": hashlib.sha256(first.encode()).hexdigest()}) == 0
    assert logged_in(browser)


def test_revoking_the_token_ends_its_sessions(stack):
    office = stack.as_role("office")
    issued = office.post("/tokens", json={"name": "临时审计", "role": "auditor"}).json()
    laptop, phone = Browser(root(stack)), Browser(root(stack))
    for browser in (laptop, phone):
        assert browser.log_in(issued["token"]).status_code == 303
        assert logged_in(browser)
    assert sessions(stack).count_documents({"person_id": issued["person_id"]}) == 2
    assert office.delete(f"/tokens/{issued['person_id']}").status_code == 200
    assert sessions(stack).count_documents({"person_id": issued["person_id"]}) == 0
    assert not logged_in(laptop) and not logged_in(phone)


def test_a_revoked_token_ends_a_session_even_if_its_record_is_left(stack):
    """The session's own check: a token revoked by other means (a restore, a script)
    leaves a session record that still opens nothing."""
    office = stack.as_role("office")
    issued = office.post("/tokens", json={"name": "临时审计乙", "role": "auditor"}).json()
    browser = Browser(root(stack))
    browser.log_in(issued["token"])
    stack.db("gateway")["tokens"].update_one({"person_id": issued["person_id"]},
                                             {"$set": {"revoked": True}})
    assert sessions(stack).count_documents({"person_id": issued["person_id"]}) == 1
    assert not logged_in(browser)


# ---------------------------------------------------------------- Secure
HTTPS = {"X-Forwarded-Proto": "https"}


def test_cookies_are_secure_behind_a_tls_proxy(stack):
    """The client's address (loopback) is a trusted proxy by default: its
    X-Forwarded-Proto https makes both cookies Secure; the page's https Origin is the
    same origin (the host is what is compared)."""
    browser = Browser(root(stack), origin=f"https://127.0.0.1:{stack.port}", headers=HTTPS)
    page = browser.get("/dashboard/login")
    assert set_cookies(page)["dudao_form"][0]["secure"]
    data = {"token": stack.token("office"), "csrf": CSRF.search(page.text).group(1)}
    # requests keeps Secure cookies for https only: send the form cookie by hand
    answer = browser.post("/dashboard/login", data,
                          Cookie=f"dudao_form={set_cookies(page)['dudao_form'][0].value}")
    assert answer.status_code == 303, answer.text
    assert set_cookies(answer)["dudao_session"][0]["secure"]


@pytest.mark.parametrize("env,headers,secure", [
    ({"DUDAO_COOKIE_SECURE": "true"}, {}, True),
    ({"DUDAO_COOKIE_SECURE": "false"}, HTTPS, False),
    ({"DUDAO_TRUSTED_PROXIES": "10.9.9.9"}, HTTPS, False),  # auto: loopback is not trusted here
])
def test_secure_follows_the_configuration(stack, env, headers, secure):
    port = launcher.free_port()
    stack.start("gateway", "gateway-cookies", DUDAO_GATEWAY_PORT=port, **env)
    try:
        wait_until(lambda: answering(root(stack, port) + "/dashboard/login"), 60, 0.3, "the gateway")
        page = requests.get(root(stack, port) + "/dashboard/login", headers=headers, timeout=10)
        assert bool(set_cookies(page)["dudao_form"][0]["secure"]) is secure
        answer = requests.post(root(stack, port) + "/dashboard/login", timeout=10, allow_redirects=False,
                               data={"token": stack.token("office"),
                                     "csrf": CSRF.search(page.text).group(1)},
                               headers={**headers, "Origin": root(stack, port),
                                        "Cookie": f"dudao_form={set_cookies(page)['dudao_form'][0].value}"})
        assert answer.status_code == 303, answer.text
        assert bool(set_cookies(answer)["dudao_session"][0]["secure"]) is secure
    finally:
        stack.stop("gateway-cookies")


# ---------------------------------------------------------------- header sizes
@pytest.mark.parametrize("case", ["a 64 KiB header", "headers over 64 KiB together",
                                  "101 headers", "a long request line"])
def test_oversized_headers_are_refused_as_json(stack, case):
    kw = {}
    if case == "a 64 KiB header":
        kw["headers"] = {"X-Padding": "a" * (64 << 10)}
        status, limit = 431, HEADER_LINE_MAX
    elif case == "headers over 64 KiB together":
        kw["headers"] = {f"X-Padding-{i}": "a" * 8000 for i in range(HEADERS_MAX // 8000 + 1)}
        status, limit = 431, HEADERS_MAX
    elif case == "101 headers":
        kw["headers"] = {f"X-Small-{i}": "a" for i in range(101)}
        status, limit = 431, None
    else:
        kw["params"] = {"q": "a" * REQUEST_LINE_MAX}
        status, limit = 414, REQUEST_LINE_MAX
    answer = stack.request("GET", "/units", stack.token("office"), timeout=10, **kw)
    body = assert_error(answer, status, "too_large")
    if limit:
        assert body["details"]["limit_bytes"] == limit
    assert answer.headers["Connection"] == "close"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    # just under the limits is an ordinary request
    assert stack.request("GET", "/whoami", stack.token("office"), timeout=10,
                         headers={"X-Padding": "a" * 8000}).status_code == 200


@pytest.mark.parametrize("raw", [
    b"NOT HTTP AT ALL\r\n\r\n",
    b"GET /api/v1/health HTTP/2.0\r\n\r\n",
    b"POST /api/v1/units HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /api/v1/units HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
])
def test_a_request_that_is_not_well_formed_http_1_is_refused_as_json(stack, raw):
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 505 ")), head
    assert b"Content-Type: application/json" in head and b"X-Frame-Options: DENY" in head
    assert set(json.loads(body)) == {"error", "message", "details"}


# ---------------------------------------------------------------- back where one was
def test_after_login_the_person_is_back_on_the_page_asked_for(stack):
    browser = Browser(root(stack))
    asked = "/dashboard/units/u-0123456789ab"
    sent = browser.get(asked).headers["Location"]
    assert sent == "/dashboard/login?" + urlencode({"next": asked})
    page = browser.get(sent)
    assert f'name="next" value="{asked}"' in page.text
    data = {"token": stack.token("office"), "csrf": CSRF.search(page.text).group(1), "next": asked}
    assert browser.post("/dashboard/login", data).headers["Location"] == asked


@pytest.mark.parametrize("elsewhere", ["//evil.example/", "https://evil.example/dashboard/",
                                       "/dashboard/login"])
def test_a_login_never_leads_off_the_dashboard(stack, elsewhere):
    browser = Browser(root(stack))
    data = {"token": stack.token("office"), "csrf": browser.form_token(), "next": elsewhere}
    assert browser.post("/dashboard/login", data).headers["Location"] == "/dashboard/"


def test_an_ended_session_says_so_on_the_login_page(stack):
    browser = Browser(root(stack))
    browser.http.cookies.set("dudao_session", "ds_ended-long-ago", path="/dashboard")
    sent = browser.get("/dashboard/overview")
    assert sent.headers["Location"].startswith("/dashboard/login?expired")
    assert set_cookies(sent)["dudao_session"][0].value == ""
    assert "登录已过期" in browser.get(sent.headers["Location"]).text
