"""The dashboard's form checks and cookie rules (services.gateway.dashboard.forms) and
where a login may lead (views.after_login), on werkzeug requests built here."""
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.dashboard import forms
from services.gateway.dashboard.views import after_login
from shared.config import settings

PROXIES = ("127.0.0.1", "::1")


def request(headers=None, remote="127.0.0.1", scheme="http", data=None) -> Request:
    environ = EnvironBuilder(path="/dashboard/login", method="POST", base_url=f"{scheme}://gw.example:8080",
                             headers=headers or {}, data=data or {},
                             environ_base={"REMOTE_ADDR": remote}).get_environ()
    return Request(environ)


@pytest.mark.parametrize("headers,same", [
    ({"Origin": "http://gw.example:8080"}, True),
    ({"Origin": "https://GW.example:8080"}, True),          # the host is compared, not the scheme
    ({"Origin": "http://gw.example:8081"}, False),
    ({"Origin": "http://evil.example"}, False),
    ({}, False),                                            # no Origin, nothing said: refused
    ({"Origin": "null"}, False),
    ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, True),
    ({"Sec-Fetch-Site": "same-site"}, False),
    ({"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}, False),
])
def test_same_origin(headers, same):
    assert forms.same_origin(request(headers)) is same


def test_a_trusted_proxy_names_the_host_the_browser_asked_for():
    headers = {"Origin": "https://dudao.example", "X-Forwarded-Host": "dudao.example"}
    assert forms.same_origin(request(headers), PROXIES)
    assert not forms.same_origin(request(headers, remote="10.0.0.7"), PROXIES)


def test_the_form_token_is_the_secrets_and_no_other():
    secret = forms.new_secret()
    token = forms.form_token(secret)
    assert token != secret and forms.token_matches(token, secret)
    assert not forms.token_matches(token, forms.new_secret())
    assert not forms.token_matches(None, secret) and not forms.token_matches(token, None)
    origin = {"Origin": "http://gw.example:8080"}
    assert forms.refusal_reason(request(origin, data={"csrf": token}), secret) is None
    assert forms.refusal_reason(request(origin, data={"csrf": "x"}), secret) == "bad_form_token"
    assert forms.refusal_reason(request({}, data={"csrf": token}), secret) == "foreign_origin"


@pytest.mark.parametrize("mode,scheme,headers,remote,secure", [
    ("auto", "http", {}, "127.0.0.1", False),
    ("auto", "https", {}, "10.0.0.7", True),
    ("auto", "http", {"X-Forwarded-Proto": "https"}, "127.0.0.1", True),
    ("auto", "http", {"X-Forwarded-Proto": "https, http"}, "::1", True),
    ("auto", "http", {"X-Forwarded-Proto": "https"}, "10.0.0.7", False),   # not a trusted proxy
    ("true", "http", {}, "10.0.0.7", True),
    ("false", "https", {"X-Forwarded-Proto": "https"}, "127.0.0.1", False),
])
def test_when_cookies_are_secure(mode, scheme, headers, remote, secure):
    assert forms.cookie_secure(mode, request(headers, remote, scheme), PROXIES) is secure


def test_the_setting_is_one_of_three(monkeypatch):
    monkeypatch.setenv("DUDAO_COOKIE_SECURE", "TRUE")
    assert settings().cookie_secure == "true"
    monkeypatch.setenv("DUDAO_COOKIE_SECURE", "yes")
    with pytest.raises(ValueError, match="DUDAO_COOKIE_SECURE"):
        settings()
    monkeypatch.delenv("DUDAO_COOKIE_SECURE")
    monkeypatch.setenv("DUDAO_TRUSTED_PROXIES", " 10.0.0.1, ,10.0.0.2 ")
    assert settings().cookie_secure == "auto" and settings().trusted_proxies == ("10.0.0.1", "10.0.0.2")


@pytest.mark.parametrize("path,goes", [
    ("/dashboard/units/u-0123456789ab", True),
    ("/dashboard/study?x=1", True),
    (None, False), ("", False),
    ("https://evil.example/dashboard/", False),
    ("//evil.example/dashboard/", False),
    ("/dashboard//evil.example", False),
    ("/dashboard/\\evil.example", False),
    ("/dashboard/x\r\nSet-Cookie: a=b", False),
    ("/dashboard/login", False), ("/dashboard/logout", False), ("/dashboard/login/?next=x", False),
    ("/elsewhere", False),
])
def test_where_a_login_may_lead(path, goes):
    assert after_login(path) == (path if goes else None)
