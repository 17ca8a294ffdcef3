"""The respondent's ballot page (issue 17 item 1): phone-first, no login, reached from the
slip's link or QR code.

    GET  /dashboard/ballot/<token>   the two questions, or a clear page (used, unknown, closed)
    POST /dashboard/ballot/<token>   fields ``leadership``, ``campaign`` (satisfied |
                                     basically_satisfied | dissatisfied) and ``csrf``
    GET  /dashboard/ballot/thanks    the confirmation (POST-redirect-GET)

There is no session: the form is held to ``forms`` with a double-submit secret in a cookie
of its own (``dudao_ballot``, SameSite Strict), as the login form is. Every unknown token
counts as a failure in the same ``AuthFailureLimiter`` the login uses, so slips cannot be
guessed cheaply. The vote goes through evaluation's ``cast_ballot`` under an anonymous
respondent actor: the gateway holds no respondent token and nothing names the voter."""
from __future__ import annotations

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.dashboard import forms

COOKIE = "dudao_ballot"
THANKS = "/ballot/thanks"
ANONYMOUS = {"id": "anonymous", "name": "anonymous", "role": "respondent", "scope": None}
QUESTIONS = (("leadership", "对领导班子的评价"), ("campaign", "对教育活动整体的评价"))
CHOICES = (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意"))
CLOSED = {
    "used": (409, "此票已经投过", "每张票只能投一次。这张票的投票已经记录，无需再投。"),
    "closed": (409, "测评已经结束", "本次满意度测评已经结束，不再接受投票。"),
    "unknown": (404, "票码无效", "没有找到这张票。请核对票上的链接或二维码，或联系督导组。"),
    "limited": (429, "尝试次数过多", "无效票码尝试次数过多，请稍后再试。"),
}


def thanks(dash) -> Response:
    return dash._page(None, "ballot.html", state="thanks", title="投票成功")


def page(dash, request: Request, token: str) -> Response:
    address = request.remote_addr or "unknown"
    wait = dash.limiter.retry_after(address)
    if wait is not None:
        response = _refused(dash, "limited")
        response.headers["Retry-After"] = str(wait)
        return response
    status = _status(dash, token)
    if status is None:
        dash.limiter.failed(address)
        return _refused(dash, "unknown")
    if status != "unused":
        return _refused(dash, status)
    if request.method == "GET":
        return _form(dash, request, token)
    if dash._foreign_form(request, request.cookies.get(COOKIE)):
        return _form(dash, request, token, status=403,
                     error="页面已过期或来自其他网站，请在此页重新选择后提交")
    ratings = {key: request.form.get(key) for key, _ in QUESTIONS}
    allowed = {value for value, _ in CHOICES}
    problems = {key: "请选择一项" for key, value in ratings.items() if value not in allowed}
    if problems:
        return _form(dash, request, token, status=422, problems=problems, chosen=ratings,
                     error="还有题目没有选择，请选择后再提交")
    answer = dash.call("evaluation", "cast_ballot",
                       {"token": token, "ratings": ratings, "actor": dict(ANONYMOUS)})
    if answer.get("ok"):
        return redirect(dash_prefix(dash) + THANKS, 303)
    after = _status(dash, token)  # why: used (a vote from another tab), closed, or gone
    if after is None:
        dash.limiter.failed(address)
        return _refused(dash, "unknown")
    if after != "unused":
        return _refused(dash, after)
    return _form(dash, request, token, status=answer.get("status", 422), chosen=ratings,
                 error="投票未能记录，请重试")


def dash_prefix(dash) -> str:
    from services.gateway.dashboard.views import PREFIX
    return PREFIX


def _status(dash, token: str) -> str | None:
    """unused | used | closed, or None for a token no survey issued."""
    if not token or len(token) > 200:
        return None
    answer = dash.call("evaluation", "slip_status", {"token": token, "actor": dict(ANONYMOUS)})
    if not answer.get("ok"):
        return None
    return answer["result"]["status"]


def _refused(dash, why: str) -> Response:
    status, heading, text = CLOSED[why]
    return dash._page(None, "ballot.html", status=status, state=why, heading=heading, text=text,
                      title=heading)


def _form(dash, request: Request, token: str, status: int = 200, **context) -> Response:
    secret = request.cookies.get(COOKIE)
    if not secret or len(secret) > 100:
        secret = forms.new_secret()
    dash.form_secret = secret
    context.setdefault("chosen", {})
    context.setdefault("problems", {})
    response = dash._page(None, "ballot.html", status=status, state="form", token=token,
                          questions=QUESTIONS, choices=CHOICES, title="满意度测评", **context)
    dash._set_cookie(response, request, COOKIE, secret, samesite="Strict")
    response.headers["Cache-Control"] = "no-store"
    return response
