"""The unit's roster page (issue 17 item 3): download the template, upload a filled-in one,
see every row's problem by row number and column (in Chinese), confirm the import.

Between the preview and the confirmation the file is held by the gateway, in its own
database (``roster_previews``), keyed by the sha256 of its bytes and tied to the session
that previewed it, for ``HOLD_SECONDS`` at most and deleted once imported. Why not send it
again on confirm: a browser cannot fill in a file field, so the person would have to pick
the file a second time (and could pick another one); why not carry it in the page: the
names would travel back and forth in a hidden field. The confirmation names the digest
only, so what is imported is exactly the file that was previewed; its idempotency key is
derived from the digest and the session, so a double click imports once."""
from __future__ import annotations

import base64
import hashlib
import time

from bson import Binary
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.app import MULTIPART_SLACK, ROSTER_MAX_BYTES, file_response
from shared.roster_limits import ROSTER_MAX_ROWS

PREFIX = "/dashboard"
HOLD_SECONDS = 30 * 60
COLLECTION = "roster_previews"

COLUMN = {"name": "姓名", "section": "所在科室/支部", "is_leader": "是否班子成员", "is_retired": "是否离退休"}


def problem_text(p: dict) -> str:
    """A problem of the units service's preview, in Chinese (its code decides; its English
    message stays in the API)."""
    code, column = p.get("code"), p.get("column")
    if code == "missing":
        if column == "section":
            return "在职党员须填写所在科室/支部（离退休干部可不填）"
        return f"{COLUMN.get(column, '')}为必填项"
    if code == "too_long":
        return f"{COLUMN.get(column, '')}过长（姓名不超过100个字）"
    if code == "unknown_section":
        return "不是本单位的科室，请从下拉列表中选择（" + "、".join(p.get("sections") or []) + "）"
    if code == "not_yes_no":
        return "应填“是”或“否”"
    if code == "duplicate_row":
        return f"与第{p.get('other_row')}行重复（同一科室同名）"
    if code == "duplicate_member":
        return "该党员已登记，请勿重复导入"
    return str(p.get("message") or "有误")


def file_refusal_text(answer: dict) -> str:
    message = str(answer.get("message") or "")
    if answer.get("status") == 413 or answer.get("error") == "too_large":
        return f"文件过大（不超过 {ROSTER_MAX_BYTES // 1024} KB），请分成几个文件导入"
    if "more than" in message and "members" in message:
        return f"名册超过 {ROSTER_MAX_ROWS} 人，请分成几个文件导入"
    if "header" in message:
        return "第1行不是模板的表头（须有“姓名”“所在科室/支部”两列），请使用下载的模板"
    if "no member rows" in message:
        return "名册中没有党员（表头下没有填写任何一行）"
    if "empty" in message:
        return "文件是空的"
    return "文件不是 Excel 名册（.xlsx），请下载模板填写后上传"


class RosterPage:
    """The page's three requests, for ``Dashboard`` (services/gateway/dashboard/views.py)."""

    def __init__(self, dashboard):
        self.d = dashboard
        self.held = dashboard.tokens.sessions.database[COLLECTION]

    def _session_key(self) -> str:
        return hashlib.sha256((self.d.form_secret or "").encode()).hexdigest()

    def _card(self, person, unit: str) -> dict:
        return self.d.fetch(person, "units", "get_unit", {"unit": unit})

    def _render(self, person, card, status=200, **context) -> Response:
        may_import = person.role == "unit" and person.scope == card["unit_id"]
        return self.d._page(person, "roster.html", status=status, title=f"{card.get('name')} · 党员名册导入",
                            card=card, may_import=may_import, max_rows=ROSTER_MAX_ROWS,
                            max_kb=ROSTER_MAX_BYTES // 1024, problem_text=problem_text, **context)

    def page(self, person, unit: str) -> Response:
        return self._render(person, self._card(person, unit))

    def template(self, person, unit: str) -> Response:
        spec = self.d.fetch(person, "units", "roster_template", {"unit": unit})
        return file_response(spec["__file__"], 200)

    def post(self, person, unit: str, request: Request) -> Response:
        card = self._card(person, unit)
        if not (person.role == "unit" and person.scope == unit):
            return self._render(person, card, 403, error="只有本单位可以导入党员名册")
        request.max_content_length = ROSTER_MAX_BYTES + MULTIPART_SLACK
        try:
            form, files = request.form, request.files
        except RequestEntityTooLarge:
            return self._render(person, card, 413, error=file_refusal_text({"status": 413}))
        if self.d._foreign_form(request, self.d.form_secret):
            return self._render(person, card, 403, error="页面已过期或来自其他网站，未导入；请重新选择文件")
        if form.get("action") == "import":
            return self._import(person, card, form.get("digest") or "")
        upload = files.get("file")
        data = upload.stream.read(ROSTER_MAX_BYTES + 1) if upload is not None else b""
        if not data:
            return self._render(person, card, 422, error="请选择要上传的名册文件（.xlsx）")
        if len(data) > ROSTER_MAX_BYTES:
            return self._render(person, card, 413, error=file_refusal_text({"status": 413}))
        answer = self._call("preview_roster", unit, data, person)
        if not answer.get("ok"):
            return self._render(person, card, answer.get("status", 422), error=file_refusal_text(answer))
        preview = answer["result"]
        digest = None
        if not preview["problems"]:
            digest = hashlib.sha256(data).hexdigest()
            self._hold(digest, unit, data)
        return self._render(person, card, 200 if digest else 422, preview=preview, digest=digest,
                            filename=(upload.filename or "").replace("\\", "/").rpartition("/")[2])

    def _call(self, rpc: str, unit: str, data: bytes, person, key: str | None = None) -> dict:
        fields = {"unit_id": unit, "content_base64": base64.b64encode(data).decode("ascii"),
                  "actor": person.actor()}
        if key:
            fields["idempotency_key"] = key
        return self.d.call("units", rpc, fields)

    def _hold(self, digest: str, unit: str, data: bytes) -> None:
        now = time.time()
        self.held.delete_many({"at": {"$lt": now - HOLD_SECONDS}})
        self.held.replace_one({"_id": f"{self._session_key()}:{digest}"},
                              {"unit_id": unit, "content": Binary(data), "at": now}, upsert=True)

    def _import(self, person, card, digest: str) -> Response:
        key = f"{self._session_key()}:{digest}"
        doc = self.held.find_one({"_id": key})
        if doc is None or doc.get("unit_id") != card["unit_id"] or doc["at"] < time.time() - HOLD_SECONDS:
            return self._render(person, card, 409, error="预览已过期（或已导入），请重新上传名册")
        data = bytes(doc["content"])
        answer = self._call("import_roster", card["unit_id"], data, person,
                            key="roster-" + hashlib.sha256(key.encode()).hexdigest()[:48])
        if not answer.get("ok"):
            problems = (answer.get("details") or {}).get("problems")
            if problems:  # the roster changed meanwhile (say a member enrolled)
                preview = {"rows": answer["details"].get("rows"), "problems": problems,
                           "bad_rows": answer["details"].get("bad_rows", []), "would_enrol": 0}
                return self._render(person, card, 422, preview=preview, digest=None)
            return self._render(person, card, answer.get("status", 422), error=file_refusal_text(answer))
        self.held.delete_one({"_id": key})
        enrolled = answer["result"]["enrolled"]
        return redirect(f"{PREFIX}/units/{card['unit_id']}?imported={enrolled}", 303)
