"""The dashboard's login form submitted as a browser does (its form token, its Origin),
for the e2e tests that check what the login answers."""
from __future__ import annotations

import re

import requests

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def dashboard_login(http: requests.Session, base: str, token: str) -> requests.Response:
    """GET the login page on ``http`` (which keeps its form cookie), then POST the token."""
    page = http.get(base + "/dashboard/login", timeout=10)
    return http.post(base + "/dashboard/login", timeout=10, allow_redirects=False,
                     data={"token": token, "csrf": CSRF.search(page.text).group(1)},
                     headers={"Origin": base})
