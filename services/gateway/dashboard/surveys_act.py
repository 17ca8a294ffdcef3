"""The supervisor's survey pages (issue 17 item 1, surveys; item 2, the slips).

    GET  /dashboard/units/<unit>/survey            the unit's surveys and the open form
    POST /dashboard/units/<unit>/survey            open: ``sample_size``, ``csrf`` -> 303 to the survey
    GET  /dashboard/surveys/<survey>               status, slips issued/used/unused, draw and close
    POST /dashboard/surveys/<survey>/draw          ``public_entropy`` (optional), ``csrf``: answers the
                                                   printable slips page itself (200), once
    POST /dashboard/surveys/<survey>/close         ``csrf`` -> 303 to the survey

Each action goes through the /api/v1 route's role list and the service RPC with the
person's actor, as ``Dashboard.fetch`` reads do; forms are held to ``forms`` with the session
id as the secret. The draw is the only place the person -> slip pairing exists (issue 19):
its answer is the slips page, to print at once; nothing stores it, and a reload of that
page cannot show it again. The draw carries an idempotency key made from the form (a
fresh random value per rendered form), so a resubmitted draw form answers the same slips."""
from __future__ import annotations

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.dashboard import forms, slips
from services.gateway.dashboard.actions import chinese

MISSING = {  # the validity gate's codes (services/evaluation SAMPLING.md), beside the field
    "min_sample": "样本人数不足：至少 30 人，或通报范围内的全体人员（不足 30 人时）",
    "survey_phase_notification": "单位尚未在测评阶段向群众通报情况，请先通报后再开始测评",
    "rectification_status": "单位的通报未说明整改情况和解决问题的情况",
    "group_arrival": "督导组尚未进驻该单位",
}


def _act(dash, person, rpc: str, fields: dict, idempotency_key: str | None = None) -> dict:
    """One action as the /api/v1 route would make it: its role list, then the RPC."""
    from services.gateway.dashboard.views import PageError, _route_roles
    roles = _route_roles().get(("evaluation", rpc), ())
    if person.role not in roles:
        raise PageError(403, "您的角色不能进行此操作")
    kwargs = {**fields, "actor": person.actor()}
    if idempotency_key:
        kwargs["idempotency_key"] = idempotency_key
    return dash.call("evaluation", rpc, kwargs)


def _refused(dash, request: Request) -> bool:
    return bool(dash._foreign_form(request, dash.form_secret))


def unit_survey(dash, request: Request, person, unit: str, status: int = 200, **context) -> Response:
    from services.gateway.dashboard.views import PageError
    if request.method == "POST":
        return _open(dash, request, person, unit)
    if person.role != "supervisor":
        raise PageError(403, "只有督导组成员可以组织满意度测评")
    history = dash.fetch(person, "evaluation", "unit_history", {"unit": unit})  # 404: no such unit
    card = dash.fetch(person, "units", "get_unit", {"unit": unit}, missing_ok=True) or {}
    return dash._page(person, "survey_unit.html", status=status, title=f"{card.get('name', unit)} · 满意度测评",
                      card=card, unit_id=unit, surveys=history.get("surveys", []),
                      sample_size=context.pop("sample_size", ""), **context)


def _open(dash, request: Request, person, unit: str) -> Response:
    from services.gateway.dashboard.views import PREFIX
    if _refused(dash, request):
        return unit_survey(dash, Request(dict(request.environ, REQUEST_METHOD="GET")), person, unit,
                           status=403, error="页面已过期，请重新提交")
    raw = (request.form.get("sample_size") or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 100000:
        return _reshow(dash, request, person, unit, 422, raw, {"sample_size": "请填写样本人数（正整数）"})
    answer = _act(dash, person, "open_survey", {"unit_id": unit, "sample_size": int(raw)})
    if answer.get("ok"):
        return redirect(f"{PREFIX}/surveys/{answer['result']['survey_id']}", 303)
    details = answer.get("details") or {}
    problems = {}
    for code in details.get("missing") or []:
        field = "sample_size" if code == "min_sample" else "unit"
        text = MISSING.get(code, code)
        if code == "min_sample" and details.get("required"):
            text = f"样本人数不足：本单位至少需要 {details['required']} 人（通报范围 {details.get('frame_size')} 人）"
        problems[field] = (problems.get(field, "") + "；" if field in problems else "") + text
    for field, messages in (details.get("fields") or {}).items():
        problems[field] = "；".join(messages) if isinstance(messages, list) else str(messages)
    return _reshow(dash, request, person, unit, answer.get("status", 422), raw, problems,
                   error="未能开始测评：" + chinese(str(answer.get("message", ""))) if not problems else None)


def _reshow(dash, request, person, unit, status, raw, problems, error=None) -> Response:
    get = Request(dict(request.environ, REQUEST_METHOD="GET"))
    return unit_survey(dash, get, person, unit, status=status, problems=problems,
                       sample_size=raw, error=error)


def survey(dash, request: Request, person, survey: str, status: int = 200, **context) -> Response:
    doc = dash.fetch(person, "evaluation", "get_survey", {"survey": survey})
    can_act = (person.role == "supervisor" and person.scope == doc.get("group_id"))
    from services.gateway.dashboard.views import PageError
    try:  # the unit's name, where the reader may see its card
        card = dash.fetch(person, "units", "get_unit", {"unit": doc["unit_id"]}, missing_ok=True) or {}
    except PageError:
        card = {}
    return dash._page(person, "survey_page.html", status=status, title="满意度测评",
                      survey=doc, can_act=can_act, unit_name=card.get("name") or doc["unit_id"],
                      draw_key=forms.new_secret(), **context)


def draw(dash, request: Request, person, survey: str) -> Response:
    from services.gateway.dashboard.views import PREFIX
    if _refused(dash, request):
        return survey_page_again(dash, person, survey, 403, "页面已过期，请重新提交")
    key = (request.form.get("draw_key") or "").strip()
    key = key if forms.IDEMPOTENT.match(key) else None
    answer = _act(dash, person, "draw_sample",
                  {"survey_id": survey, "public_entropy": (request.form.get("public_entropy") or "").strip()},
                  idempotency_key=f"dashboard-draw-{key}" if key else None)
    if not answer.get("ok"):
        fields = (answer.get("details") or {}).get("fields") or {}
        problems = {f: "；".join(m) if isinstance(m, list) else str(m) for f, m in fields.items()}
        return survey_page_again(dash, person, survey, answer.get("status", 422),
                                 "未能抽样：" + chinese(str(answer.get("message", ""))), problems=problems)
    drawn = answer["result"]
    doc = dash.fetch(person, "evaluation", "get_survey", {"survey": survey})
    unit = dash.fetch(person, "units", "get_unit", {"unit": drawn["unit_id"]}, missing_ok=True) or {}
    base = slips.site(request, dash.trusted_proxies) + PREFIX + "/ballot/"
    printed = [slips.slip(b.get("name") or b["person"], base + b["token"]) for b in drawn["ballots"]]
    response = dash._page(person, "slips.html", title="测评票（仅此一次显示）", survey=doc,
                          unit_name=unit.get("name", drawn["unit_id"]), slips=printed, drawn=drawn)
    response.headers["Cache-Control"] = "no-store"
    return response


def close(dash, request: Request, person, survey: str) -> Response:
    from services.gateway.dashboard.views import PREFIX
    if _refused(dash, request):
        return survey_page_again(dash, person, survey, 403, "页面已过期，请重新提交")
    answer = _act(dash, person, "close_survey", {"survey_id": survey})
    if not answer.get("ok"):
        return survey_page_again(dash, person, survey, answer.get("status", 422),
                                 "未能结束测评：" + chinese(str(answer.get("message", ""))))
    return redirect(f"{PREFIX}/surveys/{survey}", 303)


def survey_page_again(dash, person, survey_id, status, error, **context) -> Response:
    return survey(dash, None, person, survey_id, status=status, error=error, **context)
