"""The import pages (issue 17): the unit's roster page (item 3) and the office's unit list
page, one machinery (``ListImport``, a ``Kind`` each): download the template, upload a
filled-in one, see every row's problem by row number and column (in Chinese), confirm the
import.

Between the preview and the confirmation the file is held by the gateway, in its own
database (``roster_previews``), tied to the session that previewed it, for ``HOLD_SECONDS``
at most and deleted once imported. It is held sealed (issue 19, ``sealed``): encrypted with
a fresh key that the gateway does not keep; the key is in the preview's token, which the
confirm form carries back (a hidden field), so the database never holds a name in
plaintext. Why not send the file again on confirm: a browser cannot fill in a file field,
so the person would have to pick the file a second time (and could pick another one); why
not carry it in the page: the names would travel back and forth in a hidden field. The
confirmation names the token only, so what is imported is exactly the file that was
previewed (the cipher's tag proves it); its idempotency key is derived from the held
document's id, so a double click imports once."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import time

from bson import Binary
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.app import MULTIPART_SLACK, ROSTER_MAX_BYTES, file_response
from services.gateway.dashboard import sealed
from shared.roster_limits import ROSTER_MAX_ROWS, UNIT_LIST_MAX_ROWS

PREFIX = "/dashboard"
HOLD_SECONDS = 30 * 60
COLLECTION = "roster_previews"

COLUMN = {"name": "姓名", "section": "所在科室/支部", "is_leader": "是否班子成员", "is_retired": "是否离退休"}
UNIT_COLUMN = {"name": "单位名称", "org_type": "党组织类型", "batch": "批次", "sections": "科室"}

# a problem's code (the units service's preview) -> its Chinese text, of the problem ``p``;
# the code decides, the English message stays in the API
ROSTER_TEXTS = {
    "missing": lambda p: "在职党员须填写所在科室/支部（离退休干部可不填）" if p.get("column") == "section"
    else f"{COLUMN.get(p.get('column'), '')}为必填项",
    "too_long": lambda p: f"{COLUMN.get(p.get('column'), '')}过长（姓名不超过100个字）",
    "unknown_section": lambda p: "不是本单位的科室，请从下拉列表中选择（" + "、".join(p.get("sections") or []) + "）",
    "not_yes_no": lambda p: "应填“是”或“否”",
    "duplicate_row": lambda p: f"与第{p.get('other_row')}行重复（同一科室同名）",
    "duplicate_member": lambda p: "该党员已登记，请勿重复导入",
}
UNIT_LIST_TEXTS = {
    "missing": lambda p: f"{UNIT_COLUMN.get(p.get('column'), '')}为必填项",
    "too_long": lambda p: f"{UNIT_COLUMN.get(p.get('column'), '')}过长（单位名称不超过200个字，科室不超过100个字）",
    "not_a_choice": lambda p: "党组织类型应为党委、党组或党支部，请从下拉列表中选择",
    "not_a_batch": lambda p: "批次应填 1、2 或 3",
    "repeated": lambda p: "同一单位的科室不能重复",
    "duplicate_row": lambda p: f"与第{p.get('other_row')}行的单位名称相同",
    "duplicate_unit": lambda p: "该单位已登记，请勿重复登记",
}


def explained(p: dict, texts: dict) -> str:
    """A preview's problem in Chinese by its code (else as the service said)."""
    found = texts.get(p.get("code"))
    if found is None and p.get("column") == "batch" and texts is UNIT_LIST_TEXTS:
        found = texts["not_a_batch"]  # the batch calendar's own refusal (a batch not configured)
    return found(p) if found else str(p.get("message") or "有误")


def problem_text(p: dict) -> str:
    return explained(p, ROSTER_TEXTS)


def unit_problem_text(p: dict) -> str:
    return explained(p, UNIT_LIST_TEXTS)


def file_refusal_text(answer: dict, what: str = "名册", rows_are: str = "人",
                      template: str = "模板的表头（须有“姓名”“所在科室/支部”两列）", noun: str = "党员") -> str:
    message = str(answer.get("message") or "")
    if answer.get("status") == 413 or answer.get("error") == "too_large":
        return f"文件过大（不超过 {ROSTER_MAX_BYTES // 1024} KB），请分成几个文件导入"
    if "more than" in message and ("members" in message or "units" in message):
        limit = (answer.get("details") or {}).get("max_rows", ROSTER_MAX_ROWS)
        return f"{what}超过 {limit} {rows_are}，请分成几个文件导入"
    if "header" in message:
        return f"第1行不是{template}，请使用下载的模板"
    if "no member rows" in message or "no unit rows" in message:
        return f"{what}中没有{noun}（表头下没有填写任何一行）"
    if "empty" in message:
        return "文件是空的"
    return f"文件不是 Excel {what}（.xlsx），请下载模板填写后上传"


@dataclasses.dataclass(frozen=True)
class Kind:
    """One import page: its RPCs, words, addresses (``{unit}``: the roster's unit) and who imports."""
    key: str                 # ids in the page (roster-summary…) and the held file's scope
    preview_rpc: str
    import_rpc: str
    template_rpc: str
    what: str                # 名册
    noun: str                # 党员
    rows_are: str            # 人
    verb: str                # 导入
    header_text: str
    problem_text: object
    done_field: str          # the import's answer: how many
    would_field: str         # the preview's answer: how many would be
    only: str                # who may import, when another reads the page
    importer: str            # the role that imports ("unit": on itself only)
    max_rows: int
    title: str               # "{name}": the card's
    action: str
    template_href: str
    done: str                # "{count}": how many the import made


ROSTER = Kind("roster", "preview_roster", "import_roster", "roster_template", "名册", "党员", "人", "导入",
              "模板的表头（须有“姓名”“所在科室/支部”两列）", problem_text, "enrolled", "would_enrol",
              "只有本单位可以导入党员名册", "unit", ROSTER_MAX_ROWS, "{name} · 党员名册导入",
              PREFIX + "/units/{unit}/roster", PREFIX + "/units/{unit}/roster-template.xlsx",
              PREFIX + "/units/{unit}?imported={count}")
UNIT_LIST = Kind("unit-list", "preview_unit_list", "import_unit_list", "unit_list_template", "单位名单", "单位",
                 "个单位", "登记", "模板的表头（须有“单位名称”“党组织类型”“批次”三列）", unit_problem_text,
                 "registered", "would_register", "只有活动办可以登记单位", "office", UNIT_LIST_MAX_ROWS,
                 "从 Excel 名单登记单位", PREFIX + "/unit-list", PREFIX + "/unit-list-template.xlsx",
                 PREFIX + "/overview?registered={count}")


class NotHeld(Exception):
    """A confirmation whose token opens no held file: the status and the page's message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class ListImport:
    """An import page's three requests, for ``Dashboard`` (services/gateway/dashboard/views.py):
    the roster's (``RosterPage``, a unit's card) and the unit list's (``UnitListPage``)."""

    kind: Kind = ROSTER

    def __init__(self, dashboard):
        self.d = dashboard

    @property
    def held(self):
        """The previewed files (the gateway's own database; the GET pages need it not)."""
        return self.d.tokens.sessions.database[COLLECTION]

    def _session_key(self) -> str:
        return hashlib.sha256((self.d.form_secret or "").encode()).hexdigest()

    def _card(self, person, unit: str | None) -> dict:
        return self.d.fetch(person, "units", "get_unit", {"unit": unit})

    def _may_import(self, person, card) -> bool:
        if self.kind.importer == "unit":
            return person.role == "unit" and person.scope == card["unit_id"]
        return person.role == self.kind.importer

    def _render(self, person, card, status=200, **context) -> Response:
        k, unit = self.kind, card.get("unit_id")
        return self.d._page(person, "roster.html", status=status, title=k.title.format(name=card.get("name")),
                            card=card, may_import=self._may_import(person, card), max_rows=k.max_rows, kind=k,
                            max_kb=ROSTER_MAX_BYTES // 1024, problem_text=k.problem_text,
                            action=k.action.format(unit=unit), template_href=k.template_href.format(unit=unit),
                            **context)

    def _refusal(self, answer) -> str:
        k = self.kind
        return file_refusal_text(answer, k.what, k.rows_are, k.header_text, k.noun)

    def page(self, person, unit: str | None = None) -> Response:
        return self._render(person, self._card(person, unit))

    def template(self, person, unit: str | None = None) -> Response:
        spec = self.d.fetch(person, "units", self.kind.template_rpc, {"unit": unit} if unit else {})
        return file_response(spec["__file__"], 200)

    def post(self, person, unit: str | None, request: Request) -> Response:
        card = self._card(person, unit)
        if not self._may_import(person, card):
            return self._render(person, card, 403, error=self.kind.only)
        request.max_content_length = ROSTER_MAX_BYTES + MULTIPART_SLACK
        try:
            form, files = request.form, request.files
        except RequestEntityTooLarge:
            return self._render(person, card, 413, error=self._refusal({"status": 413}))
        if self.d._foreign_form(request, self.d.form_secret):
            return self._render(person, card, 403, error="页面已过期或来自其他网站，未导入；请重新选择文件")
        if form.get("action") == "import":
            return self._import(person, card, form.get("preview") or "")
        upload = files.get("file")
        data = upload.stream.read(ROSTER_MAX_BYTES + 1) if upload is not None else b""
        if not data:
            return self._render(person, card, 422, error=f"请选择要上传的{self.kind.what}文件（.xlsx）")
        if len(data) > ROSTER_MAX_BYTES:
            return self._render(person, card, 413, error=self._refusal({"status": 413}))
        answer = self._call(self.kind.preview_rpc, card.get("unit_id"), data, person)
        if not answer.get("ok"):
            return self._render(person, card, answer.get("status", 422), error=self._refusal(answer))
        preview = answer["result"]
        token = self._hold(card.get("unit_id"), data) if not preview["problems"] else None
        return self._render(person, card, 200 if token else 422, preview=preview, token=token,
                            would=preview.get(self.kind.would_field, 0),
                            filename=(upload.filename or "").replace("\\", "/").rpartition("/")[2])

    def _call(self, rpc: str, unit: str | None, data: bytes, person, key: str | None = None) -> dict:
        fields = {"content_base64": base64.b64encode(data).decode("ascii"), "actor": person.actor()}
        if unit is not None:
            fields["unit_id"] = unit
        if key:
            fields["idempotency_key"] = key
        return self.d.call("units", rpc, fields)

    def _doc_id(self, ident: str) -> str:
        return f"{self._session_key()}:{self.kind.key}:{ident}"

    def _hold(self, unit: str | None, data: bytes) -> str:
        """Hold the file sealed; the token that opens it (the key is in it, not stored)."""
        now = time.time()
        # the expired, and any held before previews were sealed (plaintext): gone
        self.held.delete_many({"$or": [{"at": {"$lt": now - HOLD_SECONDS}}, {"content": {"$exists": True}}]})
        token, ident, key = sealed.new_token()
        doc_id = self._doc_id(ident)
        self.held.insert_one({"_id": doc_id, "unit_id": unit, "sealed": Binary(sealed.seal(data, key, doc_id)),
                              "at": now})
        return token

    def _held_file(self, token: str, unit: str | None) -> tuple[str, bytes]:
        """(the held document's id, the file) the token opens; NotHeld when it opens nothing."""
        k = self.kind
        unknown = NotHeld(409, f"预览已过期（或已{k.verb}），请重新上传{k.what}")
        try:
            ident, key = sealed.parse(token)
        except sealed.UnknownToken:
            raise unknown from None
        doc_id = self._doc_id(ident)
        doc = self.held.find_one({"_id": doc_id})
        if doc is None or doc.get("unit_id") != unit or "sealed" not in doc:
            raise unknown
        if doc["at"] < time.time() - HOLD_SECONDS:
            self.held.delete_one({"_id": doc_id})
            raise NotHeld(409, f"预览已过期（超过 {HOLD_SECONDS // 60} 分钟），请重新上传{k.what}")
        try:
            return doc_id, sealed.unseal(bytes(doc["sealed"]), key, doc_id)
        except sealed.WrongKey:
            raise NotHeld(422, f"预览无法打开（确认信息不完整或已被改动），未{k.verb}；请重新上传{k.what}") from None

    def _import(self, person, card, token: str) -> Response:
        try:
            doc_id, data = self._held_file(token, card.get("unit_id"))
        except NotHeld as refused:
            return self._render(person, card, refused.status, error=refused.message)
        answer = self._call(self.kind.import_rpc, card.get("unit_id"), data, person,
                            key=f"{self.kind.key}-" + hashlib.sha256(doc_id.encode()).hexdigest()[:48])
        if not answer.get("ok"):
            problems = (answer.get("details") or {}).get("problems")
            if problems:  # the list changed meanwhile (say a member enrolled, a unit registered)
                preview = {"rows": answer["details"].get("rows"), "problems": problems,
                           "bad_rows": answer["details"].get("bad_rows", [])}
                return self._render(person, card, 422, preview=preview, token=None, would=0)
            return self._render(person, card, answer.get("status", 422), error=self._refusal(answer))
        self.held.delete_one({"_id": doc_id})
        done = self.kind.done.format(unit=card.get("unit_id"), count=answer["result"][self.kind.done_field])
        return redirect(done, 303)


class RosterPage(ListImport):
    """The unit's roster page."""


class UnitListPage(ListImport):
    """The office's unit list page (beside the county overview's register_unit form)."""

    kind = UNIT_LIST

    def _card(self, person, unit=None) -> dict:
        return {"unit_id": None, "name": "参加活动的单位"}
