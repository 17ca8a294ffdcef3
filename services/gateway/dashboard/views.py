"""The web dashboard's pages, free of nameko like services.gateway.app: each page reads
through the same service RPCs as the /api/v1 routes, with the logged-in person's actor,
after the same role check as the route, so the services' scope rules apply unchanged.

The person's token is pasted once on the login page; it opens a session
(services.gateway.tokens) whose random id, never the token, is kept in an HttpOnly
cookie. Every form (login, logout) is held to services.gateway.dashboard.forms: from
the dashboard's own origin and with its form token, or refused 403 with nothing done."""
from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.app import ServiceUnavailable, file_response, harden
from services.gateway.dashboard import ballot, forms, rectification, surveys_act
from services.gateway.dashboard import labels as L
from services.gateway.dashboard import workbench as W
from services.gateway.dashboard.acting import Acting, refusal
from services.gateway.dashboard.actions import chinese
from services.gateway.ratelimit import AuthFailureLimiter
from services.gateway.routes import all_routes, rpc_fields
from services.gateway.tokens import SESSION_SECONDS, Person, TokenStore
from shared.config import settings
from shared.domain import ERASED

PREFIX = "/dashboard"
COOKIE = "dudao_session"       # the session id
FORM_COOKIE = "dudao_form"     # the login form's secret (forms: double submit)
LEGACY_COOKIE = "dudao_token"  # the raw token an older dashboard kept: cleared wherever seen
HERE = Path(__file__).parent
log = logging.getLogger(__name__)
Call = Callable[[str, str, dict], dict]


class PageError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@functools.lru_cache(maxsize=None)
def _routes() -> dict:
    """(service, rpc) -> the /api/v1 route that forwards to it."""
    return {(r.service, r.rpc): r for r in all_routes()}


def _route_roles() -> dict:
    """(service, rpc) -> roles allowed by the /api/v1 route that forwards to it."""
    return {key: tuple(r.roles) for key, r in _routes().items()}


@functools.lru_cache(maxsize=None)
def _static_file(name: str) -> tuple[bytes, str] | None:
    if name == "plotly.min.js":
        import plotly
        path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        return path.read_bytes(), "application/javascript"
    path = HERE / "static" / name
    if "/" in name or not path.is_file():
        return None
    kind = {"css": "text/css", "js": "application/javascript"}.get(path.suffix[1:], "text/plain")
    return path.read_bytes(), kind


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(["html"]))
    env.globals.update(L=L, PREFIX=PREFIX)
    env.filters["percent"] = L.percent
    env.filters["phase"] = L.phase
    env.filters["batch"] = L.batch
    env.filters["flag"] = L.flag
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


ENV = _env()


class Dashboard(Acting):
    """Answers one request (the gateway makes one per request): ``self.form_secret`` is
    the secret this request's forms are signed with."""

    def __init__(self, tokens: TokenStore, call: Call, *, limiter: AuthFailureLimiter | None = None,
                 max_body_bytes: int = 1024 * 1024, cookie_secure: str | None = None,
                 trusted_proxies: tuple[str, ...] | None = None):
        self.tokens, self.call = tokens, call
        self.limiter = limiter if limiter is not None else AuthFailureLimiter()
        self.max_body_bytes = max_body_bytes
        cfg = settings()
        self.cookie_secure = cookie_secure if cookie_secure is not None else cfg.cookie_secure
        self.trusted_proxies = (trusted_proxies if trusted_proxies is not None
                                else cfg.trusted_proxies)
        self.form_secret: str | None = None
        self.request, self.endpoint, self.args = None, None, {}  # this request's page
        self.query: dict = {}  # this request's query string (the pages that filter read it)
        self.map = Map([
            Rule(PREFIX + "/", endpoint="home", methods=["GET"]),
            Rule(PREFIX + "/login", endpoint="login", methods=["GET", "POST"]),
            Rule(PREFIX + "/logout", endpoint="logout", methods=["POST", "GET"]),
            Rule(PREFIX + "/overview", endpoint="overview", methods=["GET"]),
            Rule(PREFIX + "/groups", endpoint="groups", methods=["GET"]),
            Rule(PREFIX + "/groups/<group>", endpoint="group", methods=["GET"]),
            Rule(PREFIX + "/study", endpoint="study", methods=["GET"]),
            Rule(PREFIX + "/surveys", endpoint="surveys", methods=["GET"]),
            Rule(PREFIX + "/reports", endpoint="reports", methods=["GET"]),
            Rule(PREFIX + "/obligations", endpoint="obligations", methods=["GET"]),
            Rule(PREFIX + "/obligations.xlsx", endpoint="obligations_xlsx", methods=["GET"]),
            Rule(PREFIX + "/briefings/<briefing>", endpoint="briefing", methods=["GET"]),
            Rule(PREFIX + "/briefings/<briefing>.docx", endpoint="briefing_docx", methods=["GET"]),
            Rule(PREFIX + "/rectification", endpoint="rectification", methods=["GET"]),
            Rule(PREFIX + "/rectification.xlsx", endpoint="rectification_xlsx", methods=["GET"]),
            Rule(PREFIX + "/units/<unit>", endpoint="unit", methods=["GET"]),
            Rule(PREFIX + "/units/<unit>/rectification.xlsx", endpoint="unit_ledger_xlsx", methods=["GET"]),
            Rule(PREFIX + "/units/<unit>/roster", endpoint="roster", methods=["GET", "POST"]),
            Rule(PREFIX + "/units/<unit>/roster-template.xlsx", endpoint="roster_template", methods=["GET"]),
            Rule(PREFIX + "/unit-list", endpoint="unit_list", methods=["GET", "POST"]),
            Rule(PREFIX + "/unit-list-template.xlsx", endpoint="unit_list_template", methods=["GET"]),
            Rule(PREFIX + "/static/<name>", endpoint="static", methods=["GET"]),
            # surveys (issue 17): the supervisor's pages, and the respondent's ballot (no login)
            Rule(PREFIX + "/units/<unit>/survey", endpoint="unit_survey", methods=["GET", "POST"]),
            Rule(PREFIX + "/surveys/<survey>", endpoint="survey", methods=["GET"]),
            Rule(PREFIX + "/surveys/<survey>/draw", endpoint="survey_draw", methods=["POST"]),
            Rule(PREFIX + "/surveys/<survey>/close", endpoint="survey_close", methods=["POST"]),
            Rule(PREFIX + "/ballot/thanks", endpoint="ballot_thanks", methods=["GET"]),
            Rule(PREFIX + "/ballot/<token>", endpoint="ballot", methods=["GET", "POST"]),
            Rule(PREFIX + "/act/<action>", endpoint="act", methods=["POST"]),  # acting.py
            # the office's tokens (issue 17): tokens_page.py
            Rule(PREFIX + "/tokens", endpoint="tokens_page", methods=["GET", "POST"]),
            Rule(PREFIX + "/tokens/<holder>/revoke", endpoint="token_revoke", methods=["POST"]),
        ], strict_slashes=False)

    # ------------------------------------------------------------------ plumbing
    def handle(self, request: Request) -> Response:
        request.max_content_length = self.max_body_bytes
        try:
            response = self._handle(request)
        except RequestEntityTooLarge:
            response = self._page(None, "error.html", status=413, message="提交的内容过大")
        except ConnectionFailure as err:
            log.warning("the gateway's database is not answering: %s", err)
            response = self._page(None, "error.html", status=503, message="服务暂时不可用，请稍后再试")
        except Exception:
            log.exception("the dashboard failed on %s %s", request.method, request.path)
            response = self._page(None, "error.html", status=500, message="页面出错，已记录，请稍后再试")
        if LEGACY_COOKIE in request.cookies:
            response.delete_cookie(LEGACY_COOKIE, path=PREFIX)
        return harden(response, request.path)

    def _handle(self, request: Request) -> Response:
        path = request.path
        if path in (PREFIX, ""):
            return redirect(PREFIX + "/")
        try:
            endpoint, args = self.map.bind_to_environ(request.environ).match(path)
        except NotFound:
            return self._page(None, "error.html", status=404, message="页面不存在")
        except MethodNotAllowed as err:
            page = self._page(None, "error.html", status=405, message="不支持该请求方式")
            page.headers["Allow"] = ", ".join(sorted(err.valid_methods or []))
            return page
        if endpoint == "static":
            return self._static(args["name"])
        self.query = request.args.to_dict()
        self.request = request
        if endpoint == "ballot":  # sessionless: the slip's token is the only credential
            return ballot.page(self, request, args["token"])
        if endpoint == "ballot_thanks":
            return ballot.thanks(self)
        if endpoint == "login":
            return self.login(request)
        session_id = request.cookies.get(COOKIE)
        person = self.tokens.session_person(session_id)
        if person is not None:
            self.form_secret = session_id
        if endpoint == "logout":
            return self.logout(request, session_id, person)
        if person is None:  # to the login, and back to this page after it
            why = {"expired": ""} if session_id else {}
            response = redirect(PREFIX + "/login?" + urlencode({**why, "next": request.full_path.rstrip("?")}))
            if session_id:
                response.delete_cookie(COOKIE, path=PREFIX)
            return response
        self.request, self.endpoint, self.args = request, endpoint, args
        try:
            return getattr(self, endpoint)(person, **args)
        except PageError as err:
            return self._page(person, "error.html", status=err.status, message=err.message)
        except ServiceUnavailable as err:
            return self._page(person, "error.html", status=503, message=f"服务暂时不可用：{err}")

    def _static(self, name: str) -> Response:
        found = _static_file(name)
        if found is None:
            return Response("not found", status=404)
        content, mimetype = found
        return Response(content, mimetype=mimetype,
                        headers={"Cache-Control": "public, max-age=86400"})

    def _page(self, person: Person | None, template: str, status: int = 200, **context) -> Response:
        csrf = forms.form_token(self.form_secret) if self.form_secret else None
        if (person is not None and self.request is not None and template != "error.html"
                and "actions" not in context):  # a page's forms (logout's page has none)
            context["actions"] = self.offered(person, self.endpoint, self.args)
            if template == "unit.html":  # the unit's current phase's forms first
                context["action_groups"] = W.by_phase(context["actions"],
                                                      (context.get("card") or {}).get("phase"))
            context["back"] = self.request.full_path.rstrip("?") if self.endpoint != "act" else None
            if self.form_state:
                context["back"] = self._back(self.request.form.get("_back"))[0]
            done = W.BY_NAME.get(self.query.get("done", ""))
            context.setdefault("notice", f"已提交：{done.title}" if done else None)
        html = ENV.get_template(template).render(person=person, nav=self._nav(person), csrf=csrf,
                                                 csrf_field=forms.FIELD, **context)
        return Response(html, status=status, mimetype="text/html")

    def _set_cookie(self, response: Response, request: Request, name: str, value: str,
                    samesite: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, httponly=True, samesite=samesite, path=PREFIX, max_age=max_age,
                            secure=forms.cookie_secure(self.cookie_secure, request, self.trusted_proxies))

    def _foreign_form(self, request: Request, secret: str | None) -> str | None:
        """Why a submitted form is not the dashboard's own (logged: no secret in it), or None."""
        reason = forms.refusal_reason(request, secret, self.trusted_proxies)
        if reason:
            log.warning("refused a dashboard form %s %s from %s: %s (Origin %r)", request.method,
                        request.path, request.remote_addr, reason, request.headers.get("Origin"))
        return reason

    def _nav(self, person: Person | None) -> list[tuple[str, str]]:
        if person is None:
            return []
        items = [("overview", "全县概况", ("units", "overview")),
                 ("groups", "督导组", ("supervision", "list_groups")),
                 ("study", "学习情况", ("study", "county")),
                 ("surveys", "满意度测评", ("evaluation", "county")),
                 ("reports", "紧急报告", ("supervision", "list_reports")),
                 ("obligations", "督办", ("supervision", "list_obligations")),
                 ("rectification", "整改台账", ("units", "rectification_county")),
                 ("tokens", "访问令牌", ("gateway", "issue_token"))]
        nav = [(PREFIX + "/" + key, label) for key, label, rpc in items
               if person.role in _route_roles().get(rpc, ())]
        if person.role == "unit" and person.scope:
            nav.insert(0, (f"{PREFIX}/units/{person.scope}", "本单位"))
        return nav

    def fetch(self, person: Person, service: str, rpc: str, params: dict | None = None,
              query: dict | None = None, missing_ok: bool = False):
        """One read, exactly as the /api/v1 route would make it: the route's role list,
        the unit check for unit tokens, then the RPC with the person's actor."""
        route = _routes().get((service, rpc))
        if route is None or person.role not in route.roles:
            raise PageError(403, f"“{L.ROLE.get(person.role, person.role)}”无权查看此页面")
        if refusal(person, route, params or {}) is not None:
            raise PageError(403, "单位只能查看本单位的情况")
        fields = rpc_fields(_routes()[(service, rpc)], params or {}, query, None)
        answer = self.call(service, rpc, {**fields, "actor": person.actor()})
        if answer.get("ok"):
            return answer.get("result")
        status = answer.get("status", 422)
        if missing_ok and status == 404:
            return None
        said = chinese(str(answer.get("message", "请求被拒绝")))
        if status == 403:
            raise PageError(403, "无权查看：" + said)
        if status == 404:
            raise PageError(404, "未找到：" + said)
        raise PageError(status, said)

    def _unit_names(self, person: Person) -> dict:
        if person.role not in _route_roles().get(("units", "list_units"), ()):
            return {}
        return {u["unit_id"]: u for u in self.fetch(person, "units", "list_units")}

    # ------------------------------------------------------------------ pages
    def _login_page(self, request: Request, status: int = 200, **context) -> Response:
        """The login form, signed with the browser's form secret (a new one if it has none),
        and the dashboard page to return to after it."""
        secret = request.cookies.get(FORM_COOKIE)
        if not secret or len(secret) > 100:
            secret = forms.new_secret()
        self.form_secret = secret
        next_page = after_login(request.values.get("next"))
        response = self._page(None, "login.html", status=status, next_page=next_page, **context)
        # Strict: only the dashboard's own pages send it back; no max-age: gone with the browser
        self._set_cookie(response, request, FORM_COOKIE, secret, samesite="Strict")
        return response

    def login(self, request: Request) -> Response:
        if request.method == "GET":
            notice = next((text for key, text in LOGIN_NOTICES if key in request.args), None)
            return self._login_page(request, notice=notice)
        if self._foreign_form(request, request.cookies.get(FORM_COOKIE)):
            # nothing tried: no token looked up, no failure counted
            return self._login_page(request, status=403, error="登录页面已过期或来自其他网站，"
                                    "请在此页重新粘贴令牌登录")
        token = (request.form.get("token") or "").strip()
        opened = self.tokens.open_session(token)
        if opened is None:
            address = request.remote_addr or "unknown"
            held_back = self.limiter.retry_after(address)
            self.limiter.failed(address)
            if held_back is not None:
                wait = self.limiter.retry_after(address) or held_back
                response = self._login_page(request, status=429, error=f"失败次数过多，请 {wait} 秒后再试")
                response.headers["Retry-After"] = str(wait)
                return response
            return self._login_page(request, status=401, error="令牌无效或已被吊销，请重新输入")
        session_id, _person = opened
        self.tokens.close_session(request.cookies.get(COOKIE))  # a session this browser had ends
        response = redirect(after_login(request.form.get("next")) or PREFIX + "/", 303)
        # Lax, not Strict: a link to a dashboard page from a message or a mail opens it logged
        # in; every change is a POST, held to the form checks whatever the cookie's SameSite
        self._set_cookie(response, request, COOKIE, session_id, samesite="Lax", max_age=SESSION_SECONDS)
        response.delete_cookie(FORM_COOKIE, path=PREFIX)
        return response

    def logout(self, request: Request, session_id: str | None, person: Person | None) -> Response:
        """POST ends the session (here and in the database); GET only shows the button."""
        if person is None:  # no live session: nothing to end
            response = redirect(PREFIX + "/login", 303)
            response.delete_cookie(COOKIE, path=PREFIX)
            return response
        if request.method == "GET":
            return self._page(person, "logout.html", title="退出登录")
        if self._foreign_form(request, session_id):
            return self._page(person, "logout.html", status=403, title="退出登录",
                              error="退出请求已过期或来自其他网站，未退出；请点击下面的按钮退出")
        self.tokens.close_session(session_id)
        response = redirect(PREFIX + "/login?bye", 303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    def home(self, person: Person) -> Response:
        if person.role in ("office", "auditor"):
            return redirect(PREFIX + "/overview")
        if person.role == "supervisor":
            return redirect(f"{PREFIX}/groups/{person.scope}")
        if person.role == "unit":
            return redirect(f"{PREFIX}/units/{person.scope}")
        return self._page(person, "error.html", status=200, message="此身份在看板上没有可查看的页面")

    def overview(self, person: Person) -> Response:
        data = self.fetch(person, "units", "overview")
        units = self._unit_names(person)
        batches = sorted(data.get("by_batch", {}), key=lambda b: int(b))
        phases = [p for p in L.PHASES if data.get("by_phase", {}).get(p)]
        rows = [{"batch": b, "label": L.batch(b),
                 "counts": {p: data["by_batch"][b].get(p, 0) for p in phases},
                 "total": sum(data["by_batch"][b].values())} for b in batches]
        chart = {"data": [{"type": "bar", "name": L.phase(p), "x": [L.batch(b) for b in batches],
                           "y": [data["by_batch"][b].get(p, 0) for b in batches]} for p in phases],
                 "layout": {"barmode": "stack", "yaxis": {"title": {"text": "单位数"}, "dtick": 1}}}
        flagged = [{"unit_id": f["unit_id"], "name": units.get(f["unit_id"], {}).get("name", f["unit_id"]),
                    "flags": f["flags"]} for f in data.get("flagged", [])]
        registered = self.query.get("registered", "")
        notice = {"notice": f"已登记 {registered} 个单位"} if registered.isdigit() else {}
        return self._page(person, "overview.html", title="全县概况", data=data, rows=rows,
                          phases=phases, chart=chart, flagged=flagged, **notice)

    def groups(self, person: Person) -> Response:
        groups = self.fetch(person, "supervision", "list_groups")
        chart = {"data": [
            {"type": "bar", "name": "负责单位", "x": [g["name"] for g in groups],
             "y": [g["unit_count"] for g in groups]},
            {"type": "bar", "name": "迟到进驻", "x": [g["name"] for g in groups],
             "y": [len(g.get("late_arrivals", [])) for g in groups]},
            {"type": "bar", "name": "紧急报告", "x": [g["name"] for g in groups],
             "y": [len(g.get("urgent_reports", [])) for g in groups]}],
            "layout": {"barmode": "group", "yaxis": {"dtick": 1}}}
        return self._page(person, "groups.html", title="督导组", groups=groups, chart=chart)

    def group(self, person: Person, group: str) -> Response:
        portfolio = self.fetch(person, "supervision", "get_group", {"group": group})
        cards = self._unit_names(person)
        rows = []
        for unit_id in portfolio.get("unit_ids", []):
            work = portfolio.get("units", {}).get(unit_id, {})
            card = cards.get(unit_id, {})
            tasks = work.get("tasks") or {}
            rows.append({"unit_id": unit_id, "name": card.get("name", unit_id),
                         "phase": card.get("phase"), "deadline": card.get("deadline"),
                         "arrival_deadline": work.get("arrival_deadline"),
                         "arrived_on": work.get("arrived_on"), "late": bool(work.get("late")),
                         "tasks_done": sum(1 for s in tasks.values() if s == "done"),
                         "tasks_total": len(tasks), "reports": len(work.get("reports", []))})
        people = sorted(portfolio.get("people", {}).items(), key=lambda kv: not kv[1].get("is_leader"))
        chart = {"data": [{"type": "bar", "orientation": "h", "name": "进驻比期限早/晚（天）",
                           "y": [r["name"] for r in rows if r["arrived_on"]],
                           "x": [_days(r["arrival_deadline"], r["arrived_on"]) for r in rows
                                 if r["arrived_on"]],
                           "marker": {"color": ["#c0392b" if r["late"] else "#2e7d32"
                                                for r in rows if r["arrived_on"]]}}],
                 "layout": {"xaxis": {"title": {"text": "迟于进驻期限的天数（负数为提前）"}},
                            "yaxis": {"automargin": True}}}
        return self._page(person, "group.html", title=portfolio.get("name", group),
                          portfolio=portfolio, rows=rows, people=people, chart=chart, ERASED=ERASED)

    def study(self, person: Person) -> Response:
        data = self.fetch(person, "study", "county")
        units = data.get("units", []) if isinstance(data, dict) else data
        with_members = [u for u in units if u.get("member_count")]
        chart = {"data": [{"type": "bar", "orientation": "h", "name": "达标率",
                           "y": [u["name"] for u in with_members],
                           "x": [round((u.get("compliance") or 0) * 100, 1) for u in with_members]}],
                 "layout": {"xaxis": {"title": {"text": "达到40学时的党员比例（%）"}, "range": [0, 100]},
                            "yaxis": {"automargin": True, "autorange": "reversed"}}}
        return self._page(person, "study.html", title="学习情况", units=units,
                          floor=data.get("floor", 40) if isinstance(data, dict) else 40, chart=chart)

    def surveys(self, person: Person) -> Response:
        table = self.fetch(person, "evaluation", "county")
        surveyed = []
        for row in table:
            if row.get("latest_survey_id"):
                survey = self.fetch(person, "evaluation", "get_survey",
                                    {"survey": row["latest_survey_id"]})
                surveyed.append({**row, "survey": survey})
        chart = _survey_chart(surveyed)
        return self._page(person, "surveys.html", title="满意度测评", table=table,
                          surveyed=surveyed, chart=chart)

    def reports(self, person: Person) -> Response:
        reports = self.fetch(person, "supervision", "list_reports", query={"urgent": "1"})
        units = self._unit_names(person)
        groups = {g["group_id"]: g["name"] for g in self.fetch(person, "supervision", "list_groups")}
        briefings = self.fetch(person, "supervision", "list_briefings") \
            if person.role in _route_roles().get(("supervision", "list_briefings"), ()) else None
        return self._page(person, "reports.html", title="紧急报告与简报", reports=reports,
                          units=units, groups=groups, briefings=briefings)

    # 简报 (issue 17, h-office17b): compiled on the reports page (workbench.compile_briefing)
    def briefing(self, person: Person, briefing: str) -> Response:
        doc = self.fetch(person, "supervision", "get_briefing", {"id": briefing})
        return self._page(person, "briefing.html", title=doc.get("title") or "简报", briefing=doc,
                          units=self._unit_names(person),
                          groups={g["group_id"]: g["name"] for g in self.fetch(person, "supervision", "list_groups")})

    def briefing_docx(self, person: Person, briefing: str) -> Response:
        spec = self.fetch(person, "supervision", "briefing_document", {"id": briefing})
        return file_response(spec["__file__"], 200)

    def _obligation_filter(self) -> dict:
        """The page's filters (status defaults to overdue: what needs urging)."""
        chosen = {k: v for k, v in self.query.items() if k in ("status", "type", "group_id", "unit_id") and v}
        chosen.setdefault("status", "overdue")
        if chosen["status"] == "all":
            del chosen["status"]
        if chosen.get("status", "overdue") not in L.OBLIGATION_STATUS:
            raise PageError(422, "未知的状态")
        if chosen.get("type", "arrival") not in L.OBLIGATION_TYPE:
            raise PageError(422, "未知的事项")
        return chosen

    def obligations(self, person: Person) -> Response:
        """督办: what is owed by when, overdue first, by unit, group, type and days overdue,
        with the county's (or the reader's scope's) counts by type and status."""
        chosen = self._obligation_filter()
        listed = self.fetch(person, "supervision", "list_obligations", query=chosen)
        everything = self.fetch(person, "supervision", "list_obligations")
        counts = {kind: {status: 0 for status in L.OBLIGATION_STATUS} for kind in L.OBLIGATION_TYPE}
        for o in everything:
            counts[o["type"]][o["status"]] += 1
        listed.sort(key=lambda o: (-o["days_overdue"], o["due"], o["obligation_id"]))
        groups = {g["group_id"]: g["name"] for g in self.fetch(person, "supervision", "list_groups")} \
            if person.role in _route_roles().get(("supervision", "list_groups"), ()) else {}
        return self._page(person, "obligations.html", title="督办", listed=listed, counts=counts,
                          chosen=chosen, units=self._unit_names(person), groups=groups,
                          download=PREFIX + "/obligations.xlsx?" + urlencode(
                              {**chosen, "status": chosen.get("status", "all")}))

    def obligations_xlsx(self, person: Person) -> Response:
        spec = self.fetch(person, "supervision", "obligations_workbook", query=self._obligation_filter())
        return file_response(spec["__file__"], 200)

    def unit(self, person: Person, unit: str) -> Response:
        card = self.fetch(person, "units", "get_unit", {"unit": unit})
        supervision = self.fetch(person, "supervision", "unit_history", {"unit": unit},
                                 missing_ok=True) or {"entries": []}
        evaluation = self.fetch(person, "evaluation", "unit_history", {"unit": unit},
                                missing_ok=True) or {"surveys": []}
        study = self.fetch(person, "study", "unit_study", {"unit": unit}, missing_ok=True)
        roster = self.fetch(person, "units", "list_members", {"unit": unit}, missing_ok=True) or {}
        timeline = unit_timeline(card, supervision, evaluation)
        charts = {"timeline": _timeline_chart(timeline)}
        if study and study.get("members"):
            members = study["members"]
            names = distinct([m["name"] for m in members])  # two 已删除 (or two 王伟) stay two bars
            charts["study"] = {"data": [
                {"type": "bar", "name": "集中学习", "x": names,
                 "y": [m.get("centralised_hours", 0) for m in members]},
                {"type": "bar", "name": "自学", "x": names,
                 "y": [m.get("self_study_hours", 0) for m in members]}],
                "layout": {"barmode": "stack", "yaxis": {"title": {"text": "学时"}},
                           "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1,
                                       "y0": study.get("floor", 40), "y1": study.get("floor", 40),
                                       "line": {"color": "#c0392b", "dash": "dash"}}]}}
        ledger = self.fetch(person, "units", "rectification_ledger", {"unit": unit}, missing_ok=True)
        imported = self.query.get("imported", "")
        notice = {"notice": f"已导入 {imported} 名党员"} if imported.isdigit() else {}
        directives = W.unit_directives(lambda *_: supervision, unit)  # 督办通知 addressed to the unit
        return self._page(person, "unit.html", title=card.get("name", unit), card=card, **notice,
                          members=roster.get("members", []), ERASED=ERASED, supervision=supervision,
                          directives=directives, evaluation=evaluation, study=study,
                          timeline=timeline, charts=charts, ledger=ledger,
                          LEDGER_PROBLEM={"open": "整改中", "signed_off": "已销号", "carried": "已结转",
                                          "proposed": "待认领", "answered": "已答复"},
                          LEDGER_MEASURE={"open": "整改中", "completed": "待复查", "signed_off": "已销号"})

    # surveys: services.gateway.dashboard.surveys_act
    def unit_survey(self, person: Person, unit: str) -> Response:
        return surveys_act.unit_survey(self, self.request, person, unit)

    def survey(self, person: Person, survey: str) -> Response:
        return surveys_act.survey(self, self.request, person, survey)

    def survey_draw(self, person: Person, survey: str) -> Response:
        return surveys_act.draw(self, self.request, person, survey)

    def survey_close(self, person: Person, survey: str) -> Response:
        return surveys_act.close(self, self.request, person, survey)

    # the office's tokens (issue 17): services/gateway/dashboard/tokens_page.py
    def tokens_page(self, person: Person) -> Response:
        from services.gateway.dashboard import tokens_page
        return tokens_page.page(self, self.request, person)

    def token_revoke(self, person: Person, holder: str) -> Response:
        from services.gateway.dashboard import tokens_page
        return tokens_page.revoke(self, self.request, person, holder)

    # the roster import (issue 17 item 3): services/gateway/dashboard/roster.py
    def roster(self, person: Person, unit: str) -> Response:
        from services.gateway.dashboard.roster import RosterPage
        if self.request.method == "POST":
            return RosterPage(self).post(person, unit, self.request)
        return RosterPage(self).page(person, unit)

    def roster_template(self, person: Person, unit: str) -> Response:
        from services.gateway.dashboard.roster import RosterPage
        return RosterPage(self).template(person, unit)

    # the office's unit list (issue 17, h-office17b): the roster's machinery (roster.UnitListPage)
    def unit_list(self, person: Person) -> Response:
        from services.gateway.dashboard.roster import UnitListPage
        if self.request.method == "POST":
            return UnitListPage(self).post(person, None, self.request)
        return UnitListPage(self).page(person)

    def unit_list_template(self, person: Person) -> Response:
        from services.gateway.dashboard.roster import UnitListPage
        return UnitListPage(self).template(person)

    def rectification(self, person: Person) -> Response:
        return self._page(person, "rectification.html", **rectification.page_context(self, person))

    def rectification_xlsx(self, person: Person) -> Response:
        return file_response(self.fetch(person, "units", "county_rectification_workbook")["__file__"], 200)

    def unit_ledger_xlsx(self, person: Person, unit: str) -> Response:
        spec = self.fetch(person, "units", "rectification_workbook", {"unit": unit})
        return file_response(spec["__file__"], 200)


# ---------------------------------------------------------------------- helpers
LOGIN_NOTICES = (("bye", "您已退出登录"), ("expired", "登录已过期或令牌已被吊销，请重新登录"))


def after_login(path: str | None) -> str | None:
    """The dashboard page to go to after login, when ``path`` names one: a path under
    /dashboard/ on this site (never //host or another scheme: no open redirect), not the
    login or logout itself."""
    if not path or len(path) > 2000 or not path.startswith(PREFIX + "/"):
        return None
    if "\\" in path or "//" in path or any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in path):
        return None
    if path.split("?")[0].rstrip("/") in (PREFIX + "/login", PREFIX + "/logout"):
        return None
    return path
def _days(deadline: str | None, actual: str | None) -> int | None:
    import datetime as dt
    if not deadline or not actual:
        return None
    return (dt.date.fromisoformat(actual) - dt.date.fromisoformat(deadline)).days


def _survey_chart(surveyed: list[dict]) -> dict:
    traces = []
    for key, label in (("leadership", "对领导班子满意率"), ("campaign", "对教育活动满意率")):
        xs, ys, plus, minus = [], [], [], []
        for row in surveyed:
            if row["survey"].get("outcome") == "invalid":
                continue  # no verdict: its shares are not the unit's result
            part = (row["survey"].get("result") or {}).get(key) or {}
            share, ci = part.get("share") or {}, part.get("ci") or {}
            if share.get("value") is None:
                continue
            value = share["value"] * 100
            xs.append(row["name"])
            ys.append(round(value, 1))
            plus.append(round(max(0.0, (ci.get("high", share["value"]) * 100) - value), 1))
            minus.append(round(max(0.0, value - ci.get("low", share["value"]) * 100), 1))
        traces.append({"type": "scatter", "mode": "markers", "name": label, "x": xs, "y": ys,
                       "error_y": {"type": "data", "symmetric": False, "array": plus,
                                   "arrayminus": minus}})
    return {"data": traces,
            "layout": {"scattermode": "group",
                       "yaxis": {"title": {"text": "满意率（%）·95%置信区间"}, "range": [0, 105]},
                       "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1,
                                   "y0": 200 / 3, "y1": 200 / 3,
                                   "line": {"color": "#c0392b", "dash": "dash"}}],
                       "annotations": [{"xref": "paper", "x": 1, "y": 200 / 3, "xanchor": "right",
                                        "yanchor": "bottom", "text": "三分之二", "showarrow": False}]}}


def distinct(names: list[str]) -> list[str]:
    """The names as a chart's categories: a name that repeats gets its count (已删除、已删除（2）),
    else plotly would draw the two people's bars as one."""
    seen: dict = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}（{seen[name]}）")
    return out


def unit_timeline(card: dict, supervision: dict, evaluation: dict) -> list[dict]:
    """The unit's history from its scoped read models: phases (units), supervision's
    entries, and every survey (evaluation); oldest first."""
    items = []
    for entry in card.get("history", []):
        items.append({"date": entry.get("entered_on") or "", "source": "units",
                      "what": f"进入阶段：{L.phase(entry.get('phase'))}",
                      "detail": L.reason(entry.get("reason"))})
    for entry in supervision.get("entries", []):
        payload = entry.get("payload") or {}
        what = L.EVENT.get(entry.get("type"), entry.get("type"))
        detail = payload.get("title") or ""
        if entry.get("type") == "GroupArrived":
            detail = f"进驻期限 {payload.get('deadline')}" + ("（迟到）" if payload.get("late") else "")
        elif entry.get("type") == "DirectiveSent":
            detail = f"{payload.get('reply_by')}前答复"
        elif entry.get("type") == "TypicalCaseRecommended":
            detail = W.RECIPIENT_NAMES.get(payload.get("recipient"), payload.get("recipient") or "")
        elif entry.get("type") == "TypicalCasePublicised":
            detail = payload.get("channel") or ""
        items.append({"date": payload.get("date") or (entry.get("occurred_at") or "")[:10],
                      "source": "supervision", "what": what, "detail": detail,
                      "actor": (entry.get("actor") or {}).get("name")})
    for survey in evaluation.get("surveys", []):
        items.append({"date": survey.get("opened_on") or "", "source": "evaluation",
                      "what": f"第{survey.get('survey_round')}轮满意度测评开始",
                      "detail": f"抽样 {survey.get('sample_size')} 人"})
        if survey.get("closed_on"):
            items.append({"date": survey["closed_on"], "source": "evaluation",
                          "what": f"第{survey.get('survey_round')}轮满意度测评结束",
                          "detail": L.OUTCOME.get(survey.get("outcome"), survey.get("outcome"))})
    return sorted(items, key=lambda i: i["date"])


def _timeline_chart(timeline: list[dict]) -> dict:
    by_source: dict = {}
    for item in timeline:
        by_source.setdefault(item["source"], []).append(item)
    return {"data": [{"type": "scatter", "mode": "markers", "name": L.SERVICE.get(s, s),
                      "x": [i["date"] for i in items], "y": [L.SERVICE.get(s, s)] * len(items),
                      "text": [i["what"] for i in items], "hoverinfo": "x+text",
                      "marker": {"size": 12}} for s, items in by_source.items()],
            "layout": {"xaxis": {"type": "date", "tickformat": "%m-%d", **_date_axis(timeline)},
                       "yaxis": {"automargin": True}, "showlegend": False, "height": 200}}


DAY_MS = 86_400_000


def _date_axis(timeline: list[dict]) -> dict:
    """The range of the timeline's dates, padded, ticked in whole days (about six ticks):
    left to itself, plotly ticks a span of days every twelve hours, each day labelled twice."""
    import datetime as dt
    dates = sorted(i["date"][:10] for i in timeline if i["date"])
    if not dates:
        return {}
    first, last = dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[-1])
    pad = dt.timedelta(days=max(1, (last - first).days // 20 + 1))
    start, end = first - pad, last + pad
    return {"range": [start.isoformat(), end.isoformat()],
            "dtick": DAY_MS * max(1, -(-(end - start).days // 6))}
