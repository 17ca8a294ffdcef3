"""The import pages (issue 17): the unit's roster page (item 3) and the office's unit list
page, one machinery (``ListImport``, a ``Kind`` each): download the template, upload a
filled-in one, see every row's problem by row number and column (in Chinese), confirm the
import.

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
import dataclasses
import hashlib
import time

from bson import Binary
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from services.gateway.app import MULTIPART_SLACK, ROSTER_MAX_BYTES, file_response
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
            return self._import(person, card, form.get("digest") or "")
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
        digest = None
        if not preview["problems"]:
            digest = hashlib.sha256(data).hexdigest()
            self._hold(digest, card.get("unit_id"), data)
        return self._render(person, card, 200 if digest else 422, preview=preview, digest=digest,
                            would=preview.get(self.kind.would_field, 0),
                            filename=(upload.filename or "").replace("\\", "/").rpartition("/")[2])

    def _call(self, rpc: str, unit: str | None, data: bytes, person, key: str | None = None) -> dict:
        fields = {"content_base64": base64.b64encode(data).decode("ascii"), "actor": person.actor()}
        if unit is not None:
            fields["unit_id"] = unit
        if key:
            fields["idempotency_key"] = key
        return self.d.call("units", rpc, fields)

    def _hold(self, digest: str, unit: str | None, data: bytes) -> None:
        now = time.time()
        self.held.delete_many({"at": {"$lt": now - HOLD_SECONDS}})
        self.held.replace_one({"_id": f"{self._session_key()}:{self.kind.key}:{digest}"},
                              {"unit_id": unit, "content": Binary(data), "at": now}, upsert=True)

    def _import(self, person, card, digest: str) -> Response:
        key = f"{self._session_key()}:{self.kind.key}:{digest}"
        doc = self.held.find_one({"_id": key})
        if doc is None or doc.get("unit_id") != card.get("unit_id") or doc["at"] < time.time() - HOLD_SECONDS:
            return self._render(person, card, 409,
                                error=f"预览已过期（或已{self.kind.verb}），请重新上传{self.kind.what}")
        data = bytes(doc["content"])
        answer = self._call(self.kind.import_rpc, card.get("unit_id"), data, person,
                            key=f"{self.kind.key}-" + hashlib.sha256(key.encode()).hexdigest()[:48])
        if not answer.get("ok"):
            problems = (answer.get("details") or {}).get("problems")
            if problems:  # the list changed meanwhile (say a member enrolled, a unit registered)
                preview = {"rows": answer["details"].get("rows"), "problems": problems,
                           "bad_rows": answer["details"].get("bad_rows", [])}
                return self._render(person, card, 422, preview=preview, digest=None, would=0)
            return self._render(person, card, answer.get("status", 422), error=self._refusal(answer))
        self.held.delete_one({"_id": key})
        done = self.kind.done.format(unit=card.get("unit_id"), count=answer["result"][self.kind.done_field])
        return redirect(done, 303)


class RosterPage(ListImport):
    """The unit's roster page."""


class UnitListPage(ListImport):
    """The office's unit list page (beside the county overview's register_unit form)."""

    kind = UNIT_LIST

    def _card(self, person, unit=None) -> dict:
        return {"unit_id": None, "name": "参加活动的单位"}
