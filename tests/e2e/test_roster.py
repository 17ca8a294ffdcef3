"""The roster import through the running system (issue 17 item 3): the unit's template,
a preview that names every bad row and column, an import that refuses a file with one bad
row and stores nothing (members and the units log head unchanged), then a good file whose
every member reaches the units service and, by its reaction, the study service; non-xlsx
bytes, a file over the limit and another unit's roster refused; a retry with the same
Idempotency-Key answers the first import. And in a real headless Chromium (the dashboard's
tests/e2e/dashboard_browser.py): a roster with one bad row (the row and column named on the
page, nothing stored), then a good one confirmed, landing on the unit's page with
"已导入 N 名党员"; desktop and 360 px screenshots under test-artifacts/roster/."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assembly.stack import throwaway_stack, wait_until
from services.units.roster_workbook import rows_workbook
from tests import sample_files
from tests.e2e import test_dashboard as dash

LIMIT = 64 * 1024  # the test stack's DUDAO_ROSTER_MAX_BYTES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECTIONS = ["领导班子", "综合科", "人事科"]


@pytest.fixture(scope="module")
def stack(mongo_uri, amqp_base_uri):
    with throwaway_stack(mongo_uri, amqp_base_uri, label="roster",
                         env={"DUDAO_ROSTER_MAX_BYTES": str(LIMIT)}) as running:
        yield running


def register(stack) -> str:
    r = stack.as_role("office").post("/units", json={"name": "单位" + uuid.uuid4().hex[:6], "org_type": "党组",
                                                     "batch": 1, "sections": SECTIONS})
    assert r.status_code == 201, r.text
    unit_id = r.json()["unit_id"]
    wait_until(lambda: stack.db("study")["study_rosters"].find_one({"_id": unit_id}),
               message="study to learn of the unit")
    return unit_id


def people(n: int, *, start: int = 0) -> list[dict]:
    return [{"姓名": f"党员{start + i:03d}", "所在科室/支部": SECTIONS[i % 3],
             "是否班子成员": "是" if i % 3 == 0 else "否", "是否离退休": "否"} for i in range(n)]


def send(stack, unit_id, data, *, preview=False, token=None, name="名册.xlsx", key=None):
    path = f"/units/{unit_id}/roster" + ("/preview" if preview else "")
    headers = {"Idempotency-Key": key} if key else {}
    return stack.request("POST", path, token or stack.token("unit", scope=unit_id),
                         files={"file": (name, data, XLSX)}, headers=headers, timeout=120)


def stored(stack, unit_id) -> tuple:
    head = stack.db("units")["meta"].find_one({"_id": "log_head"}) or {}
    return (stack.db("units")["unit_members"].count_documents({"unit_id": unit_id}),
            head.get("position"), head.get("hash"))


def test_the_template_is_the_units_own_for_the_unit_and_the_office_only(stack):
    unit_id, other = register(stack), register(stack)
    for token in (stack.token("unit", scope=unit_id), stack.token("office")):
        r = stack.request("GET", f"/units/{unit_id}/roster-template.xlsx", token)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith(XLSX)
        wb = load_workbook(io.BytesIO(r.content))
        assert [c.value for c in wb["党员名册"][1]] == ["姓名", "所在科室/支部", "是否班子成员", "是否离退休"]
        assert [row[0] for row in wb["科室列表"].iter_rows(min_row=2, values_only=True)] == SECTIONS
    assert stack.request("GET", f"/units/{unit_id}/roster-template.xlsx",
                         stack.token("unit", scope=other)).status_code == 403
    assert stack.request("GET", f"/units/{unit_id}/roster-template.xlsx",
                         stack.token("auditor")).status_code == 403


def test_one_bad_row_refuses_the_file_and_stores_nothing_then_a_good_file_enrols_everyone(stack):
    unit_id = register(stack)
    rows = people(12)
    rows[6] = {**rows[6], "所在科室/支部": "不存在的科"}  # spreadsheet row 8
    bad = rows_workbook(rows)
    before = stored(stack, unit_id)

    preview = send(stack, unit_id, bad, preview=True)
    assert preview.status_code == 200, preview.text
    assert preview.json()["bad_rows"] == [8] and preview.json()["would_enrol"] == 0
    [problem] = preview.json()["problems"]
    assert (problem["row"], problem["column"], problem["column_label"]) == (8, "section", "所在科室/支部")

    refused = send(stack, unit_id, bad)
    assert refused.status_code == 422, refused.text
    assert refused.json()["details"]["problems"] == preview.json()["problems"]
    assert "1 of 12 rows" in refused.json()["message"]
    assert stored(stack, unit_id) == before, "a refused roster stored something"

    good = rows_workbook(people(12))
    assert send(stack, unit_id, good, preview=True).json()["would_enrol"] == 12
    key = str(uuid.uuid4())
    imported = send(stack, unit_id, good, key=key)
    assert imported.status_code == 201, imported.text
    assert imported.json()["enrolled"] == 12 and len(set(imported.json()["member_ids"])) == 12
    members = stack.as_role("unit", scope=unit_id).get(f"/units/{unit_id}/members").json()["members"]
    assert sorted(m["name"] for m in members) == [f"党员{i:03d}" for i in range(12)]
    assert sum(m["is_leader"] for m in members) == 4
    card = stack.as_role("office").get(f"/units/{unit_id}").json()
    assert card["members"] == {"count": 12, "leaders": 4, "retired": 0}
    # one append: the twelve events are consecutive on the unit's stream
    positions = sorted(e["position"] for e in stack.db("units")["events"].find(
        {"type": "MemberEnrolled", "payload.unit_id": unit_id}))
    assert positions == list(range(positions[0], positions[0] + 12))
    # the study service's reaction ran for every member: its roster has them all
    wait_until(lambda: len((stack.db("study")["study_rosters"].find_one({"_id": unit_id}) or {})
                           .get("members", [])) == 12, message="study's roster of the twelve")
    sheet = stack.as_role("unit", scope=unit_id).get(f"/units/{unit_id}/study").json()
    assert len(sheet["members"]) == 12

    # a retry with the same key answers the first import and enrols nobody twice
    again = send(stack, unit_id, good, key=key)
    assert again.status_code == 201 and again.json()["member_ids"] == imported.json()["member_ids"]
    # the same file without the key: every row now repeats an enrolled member
    repeat = send(stack, unit_id, good)
    assert repeat.status_code == 422
    assert {p["code"] for p in repeat.json()["details"]["problems"]} == {"duplicate_member"}
    assert stored(stack, unit_id)[0] == 12


def test_what_is_not_an_xlsx_roster_is_refused_and_stores_nothing(stack):
    unit_id, other = register(stack), register(stack)
    before = stored(stack, unit_id)
    for data, name in ((sample_files.pdf(), "名册.xlsx"), (b"name,section\n", "名册.csv"), (b"", "名册.xlsx")):
        r = send(stack, unit_id, data, name=name)
        assert r.status_code == 422, r.text
        assert "file" in r.json()["details"]["fields"]
    too_big = send(stack, unit_id, b"PK" + b"\0" * (LIMIT + 10))
    assert too_big.status_code == 413 and too_big.json()["error"] == "too_large", too_big.text
    # another unit's token, the office (only the unit enrols): refused
    assert send(stack, unit_id, rows_workbook(people(2)), token=stack.token("unit", scope=other)).status_code == 403
    assert send(stack, unit_id, rows_workbook(people(2)), token=stack.token("office")).status_code == 403
    no_file = stack.request("POST", f"/units/{unit_id}/roster", stack.token("unit", scope=unit_id),
                            files={"other": ("x.xlsx", b"x")})
    assert no_file.status_code == 422
    assert stored(stack, unit_id) == before


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "roster"
PHONE = {"width": 360, "height": 740}


def test_a_unit_imports_a_roster_in_the_browser_after_one_bad_row_is_named(stack, tmp_path, monkeypatch):
    monkeypatch.setattr(dash, "ARTIFACTS", ARTIFACTS)
    unit_id = register(stack)
    rows = people(8)
    rows[3] = {**rows[3], "是否班子成员": "不知道"}  # row 5
    bad, good = tmp_path / "名册-有误.xlsx", tmp_path / "名册.xlsx"
    bad.write_bytes(rows_workbook(rows))
    good.write_bytes(rows_workbook(people(8)))
    before = stored(stack, unit_id)
    page = f"/dashboard/units/{unit_id}/roster"
    token = stack.token("unit", scope=unit_id)
    [desktop] = dash.browse(stack, dash.session(
        token,
        {"goto": f"/dashboard/units/{unit_id}", "charts": False},
        {"texts": ["links", "#roster-link", "href"]},
        {"goto": page, "as": "page", "charts": False}, {"shot": "desktop-roster"},
        {"upload": ["#roster-file", str(bad)]}, {"click": "#roster-check"},
        {"text": ["summary", "#roster-summary"]},
        {"texts": ["bad_rows", "#roster-problems tbody tr", "data-row"]},
        {"texts": ["bad_columns", "#roster-problems tbody tr", "data-column"]},
        {"text": ["problem", "#roster-problems tbody tr"]},
        {"eval": ["confirm_offered", "!!document.querySelector('#roster-import')"]},
        {"shot": "desktop-roster-bad-row"},
        {"upload": ["#roster-file", str(good)]}, {"click": "#roster-check"},
        {"text": ["good_summary", "#roster-summary"]}, {"shot": "desktop-roster-preview"},
        {"click": "#roster-import"},
        {"eval": ["landed", "location.pathname"]}, {"text": ["notice", "#notice"]},
        {"shot": "desktop-roster-imported"}))
    assert desktop["page"]["status"] == 200
    assert desktop["links"] == [page]
    assert desktop["bad_rows"] == ["5"] and desktop["bad_columns"] == ["is_leader"]
    assert "第 5 行" in desktop["problem"] and "是否班子成员" in desktop["problem"] and "是" in desktop["problem"]
    assert "未导入任何党员" in desktop["summary"] and not desktop["confirm_offered"]
    assert "可以导入 8 名党员" in desktop["good_summary"]
    assert desktop["landed"] == f"/dashboard/units/{unit_id}"
    assert desktop["notice"] == "已导入 8 名党员"
    members = stack.as_role("unit", scope=unit_id).get(f"/units/{unit_id}/members").json()["members"]
    assert sorted(m["name"] for m in members) == [f"党员{i:03d}" for i in range(8)]
    assert stored(stack, unit_id)[1] > before[1]
    wait_until(lambda: len((stack.db("study")["study_rosters"].find_one({"_id": unit_id}) or {})
                           .get("members", [])) == 8, message="study's roster")

    # at 360 px: the page and a bad file's table fit; the office sees the template, no upload
    [phone] = dash.browse(stack, dash.session(
        token, {"goto": page, "charts": False}, {"upload": ["#roster-file", str(bad)]},
        {"click": "#roster-check"},
        {"eval": ["scroll", "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"]},
        {"text": ["summary", "#roster-summary"]}, {"shot": "phone-roster-bad-row"},
        viewport=PHONE, mobile=True))
    assert phone["scroll"] <= PHONE["width"], f"the page overflows at 360 px: {phone['scroll']}px"
    assert "有问题" in phone["summary"]
    [office] = dash.browse(stack, dash.session(
        stack.token("office"), {"goto": page, "as": "page", "charts": False},
        {"eval": ["upload", "!!document.querySelector('#roster-file')"]},
        {"texts": ["template", "#roster-template", "href"]}, {"shot": "phone-roster-office"},
        viewport=PHONE, mobile=True))
    assert office["page"]["status"] == 200 and not office["upload"]
    assert office["template"] == [f"/dashboard/units/{unit_id}/roster-template.xlsx"]


def test_the_dashboards_roster_form_refuses_a_foreign_post_and_an_unknown_preview(stack):
    import re

    import requests

    from tests.e2e.dashboard_forms import CSRF, dashboard_login
    unit_id = register(stack)
    root = stack.base_url.removesuffix("/api/v1")
    http = requests.Session()
    assert dashboard_login(http, root, stack.token("unit", scope=unit_id)).status_code == 303
    page = http.get(f"{root}/dashboard/units/{unit_id}/roster", timeout=10)
    csrf = CSRF.search(page.text).group(1)
    url = f"{root}/dashboard/units/{unit_id}/roster"
    good = {"file": ("名册.xlsx", rows_workbook(people(3)), XLSX)}
    before = stored(stack, unit_id)
    # no form token, or another site's origin: refused, nothing checked or stored
    assert http.post(url, data={"action": "check"}, files=good, headers={"Origin": root},
                     timeout=30).status_code == 403
    assert http.post(url, data={"action": "check", "csrf": csrf}, files=good,
                     headers={"Origin": "http://elsewhere.example"}, timeout=30).status_code == 403
    # a confirmation naming no previewed file (or one of another session): refused
    refused = http.post(url, data={"action": "import", "csrf": csrf, "preview": "0" * 64},
                        files={"x": ("", b"")}, headers={"Origin": root}, timeout=30)
    assert refused.status_code == 409 and "预览已过期" in refused.text
    # not an .xlsx: the page says so
    pdf = http.post(url, data={"action": "check", "csrf": csrf}, files={"file": ("名册.xlsx", sample_files.pdf())},
                    headers={"Origin": root}, timeout=30)
    assert pdf.status_code == 422 and "不是 Excel 名册" in pdf.text
    big = http.post(url, data={"action": "check", "csrf": csrf}, files={"file": ("名册.xlsx", b"PK" + b"\0" * LIMIT)},
                    headers={"Origin": root}, timeout=30)
    assert big.status_code == 413 and "文件过大" in big.text
    # a good preview, then its confirmation: imported once, even when sent twice
    preview = http.post(url, data={"action": "check", "csrf": csrf}, files=good, headers={"Origin": root},
                        timeout=30)
    token = re.search(r'name="preview" value="([A-Za-z0-9_-]{64})"', preview.text).group(1)
    assert stored(stack, unit_id) == before
    done = http.post(url, data={"action": "import", "csrf": csrf, "preview": token}, files={"x": ("", b"")},
                     headers={"Origin": root}, timeout=60, allow_redirects=False)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/units/{unit_id}?imported=3")
    assert "已导入 3 名党员" in http.get(root + done.headers["Location"], timeout=10).text
    assert http.post(url, data={"action": "import", "csrf": csrf, "preview": token}, files={"x": ("", b"")},
                     headers={"Origin": root}, timeout=30).status_code == 409
    assert stored(stack, unit_id)[0] == 3
    # the office sees the page and the template, but no upload (only the unit enrols)
    office = requests.Session()
    dashboard_login(office, root, stack.token("office"))
    shown = office.get(url, timeout=10)
    assert shown.status_code == 200 and 'id="roster-file"' not in shown.text
    assert office.get(f"{url}-template.xlsx", timeout=10).headers["Content-Type"].startswith(XLSX)


def test_the_held_preview_is_sealed_and_only_its_token_opens_it(stack):
    """Issue 19: the gateway's database holds the previewed roster only as ciphertext whose key
    is in the confirm form's token (services/gateway/dashboard/sealed.py); a changed key, an
    expired preview are refused with their message, nothing imported."""
    import base64
    import re
    import zipfile

    import requests

    from services.gateway.dashboard import sealed
    from tests.e2e.dashboard_forms import CSRF, dashboard_login
    unit_id = register(stack)
    root = stack.base_url.removesuffix("/api/v1")
    http = requests.Session()
    assert dashboard_login(http, root, stack.token("unit", scope=unit_id)).status_code == 303
    url = f"{root}/dashboard/units/{unit_id}/roster"
    csrf = CSRF.search(http.get(url, timeout=10).text).group(1)
    workbook = rows_workbook(people(3, start=700))
    held = stack.db("gateway")["roster_previews"]

    def preview() -> str:
        shown = http.post(url, data={"action": "check", "csrf": csrf}, headers={"Origin": root}, timeout=30,
                          files={"file": ("名册.xlsx", workbook, XLSX)})
        assert shown.status_code == 200, shown.text
        return re.search(r'name="preview" value="([A-Za-z0-9_-]{64})"', shown.text).group(1)

    def confirm(token):
        return http.post(url, data={"action": "import", "csrf": csrf, "preview": token}, files={"x": ("", b"")},
                         headers={"Origin": root}, timeout=60, allow_redirects=False)

    token = preview()
    ident, key = sealed.parse(token)
    [doc] = [d for d in held.find() if d["_id"].endswith(f":roster:{ident}")]
    assert set(doc) == {"_id", "unit_id", "sealed", "at"}
    blob = bytes(doc["sealed"])
    # the workbook's bytes and what it names are nowhere in what is stored, nor the key
    names = [form for n in ("党员700", "党员701", "党员702")  # as text, and as the sheet's XML writes it
             for form in (n.encode(), "".join(c if c.isascii() else f"&#{ord(c)};" for c in n).encode())]
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        parts = [z.read(n) for n in z.namelist()]
    assert any(names[1] in p for p in parts)  # the search finds a name where it is
    stored = repr(doc).encode() + blob
    assert not any(n in stored for n in names) and workbook not in stored and b"PK\x03\x04" not in blob
    assert key not in stored and base64.b64encode(key) not in stored
    assert sealed.unseal(blob, key, doc["_id"]) == workbook  # the token's key opens exactly the file

    # a changed key: refused, nothing imported, the preview still there for its own token
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-1] ^= 1
    changed = confirm(base64.urlsafe_b64encode(bytes(raw)).decode())
    assert changed.status_code == 422 and "预览无法打开" in changed.text and "未导入" in changed.text
    assert stored_members(stack, unit_id) == 0 and held.count_documents({"_id": doc["_id"]}) == 1
    # expired: refused and gone
    held.update_one({"_id": doc["_id"]}, {"$set": {"at": doc["at"] - 31 * 60}})
    expired = confirm(token)
    assert expired.status_code == 409 and "预览已过期（超过 30 分钟）" in expired.text
    assert held.count_documents({"_id": doc["_id"]}) == 0 and stored_members(stack, unit_id) == 0
    # a fresh preview's token imports, and the held file is gone
    again = preview()
    assert again != token
    done = confirm(again)
    assert done.status_code == 303, done.text
    assert stored_members(stack, unit_id) == 3
    assert not [d for d in held.find() if d["_id"].endswith(f":roster:{sealed.parse(again)[0]}")]


def stored_members(stack, unit_id) -> int:
    return stored(stack, unit_id)[0]
