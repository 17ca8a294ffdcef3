"""The dashboard's forms that act (services.gateway.dashboard.actions, declared in
.workbench): which a page offers its reader, and what a submitted one does.

A form is offered only to a person the route's role list (and, for a unit token, the
unit check) lets take it. A submission is held to the checks of login and logout (its
origin, the session's form token), then to the same role check as the route
(``refusal``, shared with the dashboard's reads), and the RPC is called exactly as the
/api/v1 route calls it (``rpc_fields``, the person's actor) with an idempotency key made
of the form's nonce: the same form sent twice acts once. Success is a 303 back to the
page with a notice; a 422 shows the page again with each message beside its input and
the entered values kept; other refusals stand at the top of the form."""
from __future__ import annotations

import base64
import logging
import secrets
from urllib.parse import urlencode, urlsplit

from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.dashboard import actions as A
from services.gateway.dashboard import workbench as W
from services.gateway.routes import Route, rpc_fields
from services.gateway.tokens import Person
from shared import attachments
from shared.edge import IDEMPOTENCY_KEY

log = logging.getLogger(__name__)
NONCE = "_nonce"
BACK = "_back"
CONFIRM = "_confirm"  # the confirm step's tick (Action.confirm; workbench.confirm_needed)
STATUS_TEXT = {403: "无权进行此操作", 404: "未找到", 409: "与当前状态不符", 422: "未通过校验",
               503: "服务暂时不可用，请稍后再试（再次提交是安全的）"}


def refusal(person: Person, route: Route, path: dict, body: dict | None = None,
            roles: tuple | None = None) -> str | None:
    """Why the /api/v1 route would refuse this person before its service is asked
    (None when it would not): its role list (or the action's narrower one), and a unit
    token's own unit."""
    if person.role not in route.roles or (roles is not None and person.role not in roles):
        return "此身份无权进行此操作"
    if route.unit_scoped and person.role == "unit":
        target = path.get("unit") or (body or {}).get("unit_id")
        if target is not None and target != person.scope:
            return "单位只能办理本单位的事项"
    return None


class Acting:
    """Mixed into services.gateway.dashboard.views.Dashboard."""

    form_state: dict | None = None  # a refused submission's action, values and messages

    # ------------------------------------------------------------- what a page offers
    def offered(self, person: Person, endpoint: str, args: dict) -> list[dict]:
        out = []
        for action in W.on_page(endpoint):
            hidden = given_values(action, person, args)
            path = {var: hidden.get(field) for var, field in action.route.args if field in hidden}
            if refusal(person, action.route, path, hidden, action.roles) is not None:
                continue
            if person.role == "unit" and args.get("unit") not in (None, person.scope):
                continue
            form = self._form(person, action, args, hidden)
            if any(not form["options"].get(name) for name in action.needs) and \
                    (self.form_state or {}).get("action") != action.name:
                continue  # nothing to pick (a refused submission's form is still shown)
            out.append(form)
        return out

    def _form(self, person: Person, action: A.Action, args: dict, hidden: dict) -> dict:
        state = self.form_state if (self.form_state or {}).get("action") == action.name else {}
        inputs, options, read = [], {}, self._quiet_read(person)

        def choose(f):
            found = f.choices
            if f.choices_from and not f.choices_from.startswith("upload:"):
                found = W.choices(f.choices_from, read, args)
            options[f.name] = found
            for part in f.parts:
                choose(part)
            return found

        for f in A.form_fields(action):
            inputs.append({"field": f, "options": choose(f)})
        context = W.context(action.context, read, args) if action.context else None
        return {"action": action, "inputs": inputs, "options": options, "context": context,
                "hidden": hidden,
                "nonce": state.get("nonce") or secrets.token_urlsafe(18),
                "kept": state.get("values"), "errors": state.get("errors", {}),
                "top": state.get("top", []), "multipart": any(i["field"].kind == "file" for i in inputs)}

    def _quiet_read(self, person: Person):
        def read(service, rpc, params):
            try:
                return self.fetch(person, service, rpc, params, missing_ok=True)
            except Exception as err:  # a choice list the person may not read is empty
                log.debug("no choices from %s.%s: %s", service, rpc, err)
                return None
        return read

    # ------------------------------------------------------------- a submitted form
    def act(self, person: Person, action: str) -> Response:
        request: Request = self.request
        found = W.BY_NAME.get(action)
        if found is None:
            return self._page(person, "error.html", status=404, message="没有这项操作")
        if self._foreign_form(request, self.form_secret):
            return self._page(person, "error.html", status=403,
                              message="表单已过期或来自其他网站，未提交；请返回页面重新填写")
        back = self._back(request.form.get(BACK))
        page_args = back[2]
        route = found.route
        inputs = A.form_fields(found)
        body, problems = A.coerce(inputs, request.form)
        for field, value in given_values(found, person, page_args).items():
            body[field] = value if field.endswith("group_id") else (request.form.get(field) or value)
        path = {}
        for var, field in route.args:
            value = body.pop(field, None)
            if value in (None, ""):
                problems.setdefault(field, ["此项必填"])
            path[var] = value
        nonce = request.form.get(NONCE) or ""
        if not IDEMPOTENCY_KEY.match("dash-" + nonce):
            nonce = secrets.token_urlsafe(18)
        state = {"action": found.name, "nonce": nonce, "values": request.form, "errors": {}, "top": []}
        why = refusal(person, route, path, body, found.roles)
        if why:  # the page does not offer this person the form: the refusal stands alone
            return self._page(person, "error.html", status=403, message=f"{why}（{found.title}）")
        if found.confirm and not request.form.get(CONFIRM) and W.confirm_needed(
                found, self._quiet_read(person), {**body, **{f: path[v] for v, f in route.args}}):
            problems[CONFIRM] = ["请勾选确认后再提交：" + found.confirm]  # beside the tick, with the rest
        if problems:
            return self._again(person, back, {**state, "errors": problems}, 422)
        uploaded = self._upload_files(person, found, inputs, request, page_args, nonce)
        if isinstance(uploaded, dict) and not uploaded.get("ok", True):
            return self._refused(person, back, state, uploaded, inputs)
        body.update(uploaded or {})
        fields = rpc_fields(route, path, None, body)
        answer = self.call(route.service, route.rpc,
                           {**fields, "actor": person.actor(), "idempotency_key": "dash-" + nonce})
        if not answer.get("ok"):
            return self._refused(person, back, state, answer, inputs)
        target = urlsplit(back[0])
        query = {k: v for k, v in self.query_of(target.query).items() if k != "done"}
        return redirect(target.path + "?" + urlencode({**query, "done": found.name}), 303)

    @staticmethod
    def query_of(query: str) -> dict:
        from urllib.parse import parse_qsl
        return dict(parse_qsl(query))

    def _upload_files(self, person, action, inputs, request, page_args, nonce):
        """The form's files stored as the API's POST /attachments stores them; their ids
        go in the body (an answer that refused is returned as is)."""
        ids = {}
        for f in inputs:
            if f.kind != "file":
                continue
            purpose = f.choices_from.split(":", 1)[1]
            stored = []
            for i, upload in enumerate(request.files.getlist(f.name)):
                if not upload or not upload.filename:
                    continue
                data = upload.stream.read()
                owner = attachments.PURPOSES.get(purpose)
                answer = self.call(owner, "store_attachment", {
                    "unit_id": page_args.get("unit"), "purpose": purpose,
                    "filename": upload.filename.replace("\\", "/").rpartition("/")[2].strip(),
                    "content_type": upload.mimetype or None,
                    "content_base64": base64.b64encode(data).decode("ascii"),
                    "actor": person.actor(), "idempotency_key": f"dash-{nonce}-file{i}"})
                if not answer.get("ok"):
                    details = answer.get("details") or {}
                    return {**answer, "details": {"fields": {f.name: _messages(details) or
                                                             [answer.get("message", "")]}}}
                stored.append(answer["result"]["attachment_id"])
            if stored:
                ids[f.name] = stored
        return ids

    def _refused(self, person, back, state, answer, inputs) -> Response:
        status = answer.get("status", 422)
        beside, top = A.field_messages(answer.get("details"), inputs, answer.get("message"))
        if status != 422 or not beside:
            top = [f"{STATUS_TEXT.get(status, '未能提交')}：{A.chinese(str(answer.get('message', '')))}"] + top
        return self._again(person, back, {**state, "errors": beside, "top": top}, status)

    def _back(self, path: str | None):
        """(the page's path, its endpoint, its arguments): where the form was, a dashboard
        page of this site; the home page when it names none."""
        from services.gateway.dashboard.views import PREFIX, after_login
        safe = after_login(path) or PREFIX + "/"
        try:
            endpoint, args = self.map.bind("localhost").match(urlsplit(safe).path, method="GET")
        except (NotFound, Exception):
            return PREFIX + "/", "home", {}
        return safe, endpoint, args

    def _again(self, person, back, state, status) -> Response:
        """The form's page shown again with the refused submission's values and messages."""
        _, endpoint, args = back
        self.form_state = state
        self.endpoint, self.args = endpoint, args
        response = getattr(self, endpoint)(person, **args)
        response.status_code = status if response.status_code < 300 else response.status_code
        return response


def given_values(action: A.Action, person: Person, args: dict) -> dict:
    """The fields the page fills (hidden inputs): its path arguments, the person's scope."""
    out = {}
    for field, source in action.given.items():
        if source.startswith("page:"):
            out[field] = args.get(source[5:])
        elif source == "person:scope":
            out[field] = person.scope
    return out


def _messages(details: dict) -> list[str]:
    return [A.chinese(t) for t in A._flatten(details.get("fields", details))] if details else []
