"""What keeps another site from submitting the dashboard's forms, and when its cookies are
``Secure``.

A form is accepted only when both hold:
- it comes from the dashboard's own origin: the ``Origin`` header names this host (a
  browser sends it on every POST), or, where the browser sends ``Origin: null`` (the
  gateway's ``Referrer-Policy: no-referrer`` makes it do so), ``Sec-Fetch-Site`` says
  ``same-origin``; a request with neither is refused, so the check never passes by default;
- it carries the form token: an HMAC keyed with a secret the browser holds only in an
  HttpOnly cookie, so a page elsewhere can neither read nor compute it. After login the
  secret is the session id (the token is tied to the session); on the login form, which
  has no session yet, it is a random value in a cookie of its own (double submit).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from werkzeug.wrappers import Request

FIELD = "csrf"  # the hidden form field that carries the token
IDEMPOTENT = re.compile(r"^[A-Za-z0-9_-]{16,100}$")  # a form's own retry key (the survey draw)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def form_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"dudao dashboard form", hashlib.sha256).hexdigest()


def token_matches(sent: str | None, secret: str | None) -> bool:
    if not sent or not secret:
        return False
    return hmac.compare_digest(sent.encode(), form_token(secret).encode())


def _from_trusted_proxy(request: Request, trusted_proxies) -> bool:
    return (request.remote_addr or "") in trusted_proxies


def _forwarded(request: Request, header: str) -> str:
    # a chain of proxies appends: the first value is what the client asked for
    return request.headers.get(header, "").split(",")[0].strip().lower()


def own_host(request: Request, trusted_proxies=()) -> str:
    """The host the browser asked for: X-Forwarded-Host from a trusted proxy (one that
    does not pass Host on), else Host."""
    if _from_trusted_proxy(request, trusted_proxies) and _forwarded(request, "X-Forwarded-Host"):
        return _forwarded(request, "X-Forwarded-Host")
    return request.host.lower()


def same_origin(request: Request, trusted_proxies=()) -> bool:
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc.lower() == own_host(request, trusted_proxies)
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def refusal_reason(request: Request, secret: str | None, trusted_proxies=()) -> str | None:
    """Why this form submission is refused, or None when it is the dashboard's own."""
    if not same_origin(request, trusted_proxies):
        return "foreign_origin"
    if not token_matches(request.form.get(FIELD), secret):
        return "bad_form_token"
    return None


def over_tls(request: Request, trusted_proxies=()) -> bool:
    """Served over https: directly, or by a trusted proxy that says so (X-Forwarded-Proto)."""
    if request.scheme == "https":
        return True
    return (_from_trusted_proxy(request, trusted_proxies)
            and _forwarded(request, "X-Forwarded-Proto") == "https")


def cookie_secure(mode: str, request: Request, trusted_proxies=()) -> bool:
    """DUDAO_COOKIE_SECURE: "true", "false", or "auto" (when served over TLS)."""
    if mode == "auto":
        return over_tls(request, trusted_proxies)
    return mode == "true"
