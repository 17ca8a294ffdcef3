"""The office's token page (issue 17): issue a token to a named person, see who holds one,
revoke a person's tokens; the gateway's own POST /tokens and DELETE /tokens/{person}
(services.gateway.app) done from the dashboard.

    GET  /dashboard/tokens                    the form, the new token (once), the holders
    POST /dashboard/tokens                    ``name``, ``role``, ``scope``, ``_nonce``, ``csrf``
    POST /dashboard/tokens/<person>/revoke    ``csrf``

Held to the route's role list (the office only) and to ``forms`` with the session id as
the secret. The grant is checked exactly as the API checks it (``validate_grant``, and a
scope of a unit or group that exists). The new token is never put in a URL: the POST
keeps it in a notice held server-side for this session (TokenStore.put_flash) and
redirects; the next GET of this page takes the notice, and no later one can show it again.
POST /tokens has no idempotency key, so each rendered form carries a nonce the store lets
act once (TokenStore.use_form_nonce): the same form sent twice issues one token."""
from __future__ import annotations

import secrets

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.dashboard import forms
from services.gateway.dashboard import labels as L
from services.gateway.tokens import SCOPED_ROLES, TokenError, validate_grant
from shared.domain import SYSTEM

# who the office issues tokens to from here (respondents vote from their slips' links)
ROLES = ("unit", "supervisor", "office", "auditor", "operator")
SCOPE_LABEL = {"unit": "单位", "supervisor": "督导组"}
FIELD_TEXT = {"name": "请填写姓名（至多 100 个字符）", "role": "请选择身份",
              "scope": "请选择所属单位或督导组"}


def _allowed(person) -> bool:
    from services.gateway.dashboard.views import _route_roles
    return person.role in _route_roles().get(("gateway", "issue_token"), ())


def page(dash, request: Request, person, status: int = 200, **context) -> Response:
    from services.gateway.dashboard.views import COOKIE, PageError
    if not _allowed(person):
        raise PageError(403, "只有活动办公室可以签发令牌")
    if request is not None and request.method == "POST":
        return issue(dash, request, person)
    issued = context.pop("issued", None)
    if issued is None and status == 200 and request is not None:
        issued = dash.tokens.take_flash(request.cookies.get(COOKIE))
    units = [(u["unit_id"], u["name"]) for u in dash.fetch(person, "units", "list_units")]
    groups = [(g["group_id"], g["name"]) for g in dash.fetch(person, "supervision", "list_groups")]
    names = {**dict(units), **dict(groups)}
    holders: dict = {}
    respondents = set()  # one per ballot the API's respondents cast: counted, not listed
    for doc in dash.tokens.list():
        if doc.get("revoked"):
            continue
        if doc.get("role") == "respondent":
            respondents.add(doc["person_id"])
            continue
        held = holders.setdefault(doc["person_id"], {**doc, "tokens": 0,
                                                     "scope_name": names.get(doc.get("scope"), doc.get("scope"))})
        held["tokens"] += 1
    listed = sorted(holders.values(), key=lambda d: (ROLES.index(d["role"]) if d["role"] in ROLES else 9,
                                                      d.get("issued_at") or ""))
    login = _site(dash, request) + "/dashboard/login" if request is not None else "/dashboard/login"
    response = dash._page(person, "tokens.html", status=status, title="访问令牌", units=units,
                      groups=groups, roles=[(r, L.ROLE.get(r, r)) for r in ROLES], holders=listed,
                      issued=issued, login=login, respondents=len(respondents), nonce=secrets.token_urlsafe(18),
                      kept=context.pop("kept", {}), problems=context.pop("problems", {}),
                      actions=[], notice="已吊销该人员的全部令牌" if dash.query.get("revoked") else None,
                      **context)
    response.headers["Cache-Control"] = "no-store"  # the one page that shows a new token
    return response


def _site(dash, request: Request) -> str:
    from services.gateway.dashboard import slips
    return slips.site(request, dash.trusted_proxies)


def issue(dash, request: Request, person) -> Response:
    from services.gateway.dashboard.views import COOKIE, PREFIX
    get = Request(dict(request.environ, REQUEST_METHOD="GET"))
    if dash._foreign_form(request, dash.form_secret):
        return page(dash, get, person, status=403, error="表单已过期或来自其他网站，未签发；请重新填写")
    name = (request.form.get("name") or "").strip()
    role = request.form.get("role") or ""
    scope = ((request.form.get("scope") or "").strip() or None) if role in SCOPED_ROLES else None
    kept = {"name": name, "role": role, "scope": scope or ""}
    problems = {}
    if role not in ROLES:
        problems["role"] = FIELD_TEXT["role"]
    else:
        try:
            validate_grant(name, role, scope, strict_scope=True)
        except TokenError as err:
            problems[err.field or "name"] = FIELD_TEXT.get(err.field or "name", str(err))
    if not problems and role in SCOPED_ROLES and not _scope_exists(dash, role, scope):
        problems["scope"] = f"没有这个{SCOPE_LABEL.get(role, '')}"
    if problems:
        return page(dash, get, person, status=422, kept=kept, problems=problems,
                    error="未签发：请按提示修改后再提交")
    nonce = request.form.get("_nonce") or ""
    if not forms.IDEMPOTENT.match(nonce) or not dash.tokens.use_form_nonce(nonce):
        # sent twice (or a form without its nonce): one token only, shown once after the first
        return page(dash, get, person, status=409, kept=kept,
                    error="此表单已经提交过，令牌只签发一次（已签发的令牌在提交后的页面上显示过一次）；"
                          "如需再签发，请在本页重新填写")
    issued = dash.tokens.issue(name, role, scope, issued_by=person.id, strict_scope=True)
    dash.tokens.put_flash(request.cookies.get(COOKIE), {
        "name": issued["name"], "role": issued["role"], "scope": issued["scope"],
        "person_id": issued["person_id"], "token": issued["token"]})
    return redirect(PREFIX + "/tokens", 303)


def _scope_exists(dash, role: str, scope: str) -> bool:
    from services.gateway.app import SCOPE_OWNERS
    service, rpc, field = SCOPE_OWNERS[role]
    answer = dash.call(service, rpc, {field: scope, "actor": SYSTEM.to_dict()})
    return bool(answer.get("ok"))


def revoke(dash, request: Request, person, holder: str) -> Response:
    from services.gateway.dashboard.views import PREFIX
    get = Request(dict(request.environ, REQUEST_METHOD="GET"))
    if not _allowed(person):
        from services.gateway.dashboard.views import PageError
        raise PageError(403, "只有活动办公室可以吊销令牌")
    if dash._foreign_form(request, dash.form_secret):
        return page(dash, get, person, status=403, error="表单已过期或来自其他网站，未吊销；请重新操作")
    if holder == person.id:
        return page(dash, get, person, status=409, error="不能吊销自己正在使用的令牌")
    if not dash.tokens.revoke(holder):
        return page(dash, get, person, status=404, error="没有此人的有效令牌（可能已被吊销）")
    return redirect(PREFIX + "/tokens?revoked=1", 303)
