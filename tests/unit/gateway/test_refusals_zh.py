"""The services' domain refusals in Chinese on the dashboard (refusals_zh): every entry of the
table translates a message of a raise site in services/*/domain (rendered from the source with
example values) into Chinese with no English left; every entry's pattern still matches the text
of a raise site (so a changed service message fails here instead of going English on the
dashboard); a message no entry knows stays as the service said it; a refusal reaches the form
in Chinese."""
import ast
import pathlib
import re

from services.gateway.dashboard import actions as A
from services.gateway.dashboard import forms
from services.gateway.dashboard import refusals_zh as R
from services.gateway.dashboard.views import Dashboard
from tests.unit.gateway.test_dashboard_actions import OFFICE, SUPERVISOR, Services, Sessions, get, post
from tests.unit.gateway.test_dashboard_erasure import READS, erase, form_of

ROOT = pathlib.Path(__file__).resolve().parents[3]
RAISES = ("Rejected", "Conflict", "NotFound", "Forbidden", "BadHours")
HOLE = "\u00abv\u00bb"  # where the raise site puts a value


def _example(expr: str) -> str:
    """An example value for a raise site's ``{expr}``, by what it names."""
    name = re.sub(r"\W+$", "", expr).rpartition(".")[2]
    name = re.findall(r"\w+", name)[-1] if re.findall(r"\w+", name) else name
    low = expr.lower()
    if "join(items)" in expr:        # the study plan's missing items (四落实)
        return "personnel, time"
    if expr.startswith("len(") or any(k in low for k in ("size", "count", "required", "cast", "max",
                                                          "min", "version", "rows", "limit")):
        return "3"
    if name == "value":
        return "1.3"
    if name == "made_in":
        return "phase 'rectification'"
    if name == "recipient":
        return "office"
    if any(k in low for k in ("date", "_on", "today", "until", "due", "current")):
        return "2026-01-05"
    if "phase" in low:
        return "analysis"
    if "status" in low:
        return "open"
    return "x-1"


def _render(node, constants: dict, functions: dict, hole: bool) -> list[str]:
    """The texts a message expression can be: its literal parts, a value where it has one
    (HOLE, or an example value); a constant or a function's returned texts looked up."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out = [""]
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                value = HOLE if hole else _example(ast.unparse(part.value))
                text = f"'{value}'" if part.conversion == ord("r") else value
            else:
                text = part.value
            out = [o + text for o in out]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _render(node.left, constants, functions, hole)
        right = _render(node.right, constants, functions, hole)
        return [a + b for a in left for b in right]
    if isinstance(node, ast.Name) and node.id in constants:
        return _render(constants[node.id], constants, functions, hole)
    if isinstance(node, ast.Call):
        called = ast.unparse(node.func).rpartition(".")[2]
        if called in functions:
            return [t for r in functions[called] for t in _render(r, constants, functions, hole)]
        if called == "join":  # ", ".join(codes): a list the refusal names
            arg = ast.unparse(node.args[0]) if node.args else ""
            if hole:
                return [HOLE]
            return ["group_arrival, work_plan_approved" if "missing" in arg
                    else "leaders_enrolled, member_party_spirit_analysis" if "codes" in arg else "p-1, p-2"]
    return [HOLE if hole else "x-1"]


def raise_site_texts(hole: bool) -> list[str]:
    """Every refusal message raised in services/*/domain, rendered."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(ROOT.glob("services/*/domain/*.py"))}
    constants, functions = {}, {}
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                constants[node.targets[0].id] = node.value
            if isinstance(node, ast.FunctionDef):
                functions[node.name] = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value]
    texts = []
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in RAISES and node.args:
                texts.extend(_render(node.args[0], constants, functions, hole))
    return texts


def _entry(message: str) -> int | None:
    """The index of the table entry that translates the message (the first that matches)."""
    return next((i for i, (pattern, _) in enumerate(R.REFUSALS) if pattern.fullmatch(message)), None)


def test_every_entry_translates_a_raise_site_into_chinese_with_no_english_left():
    samples = raise_site_texts(hole=False)
    covered = {}
    for sample in samples:
        found = _entry(sample)
        if found is not None:
            covered.setdefault(found, sample)
    for i, (pattern, _) in enumerate(R.REFUSALS):
        assert i in covered, f"no raise site is translated by entry {pattern.pattern!r}"
        said = A.chinese(covered[i])
        assert said == R.translate(covered[i])   # no standard message shadows the entry
        assert said != covered[i] and re.search(r"[\u4e00-\u9fff]", said), (covered[i], said)
        assert not re.search(r"[A-Za-z]{2,}", said), (covered[i], said)
    assert len(R.REFUSALS) >= 190


def test_every_entry_still_matches_the_text_of_a_raise_site():
    sites = raise_site_texts(hole=True)
    assert len(sites) > 250          # the reader finds the raise sites at all
    for pattern, _ in R.REFUSALS:
        assert any(pattern.fullmatch(s) for s in sites), \
            f"no raise site in services/*/domain says {pattern.pattern!r} any more"


def test_values_go_into_the_chinese_and_codes_and_phases_are_named():
    assert A.chinese("a group leader must be a section-level cadre (科级)") == "督导组组长须由科级干部担任"
    assert A.chinese("unit u-7 is in phase 'mobilization'; a survey opens only in phase 'survey' "
                     "(after rectification, or after 补课)") == \
        "满意度测评在群众满意度测评阶段（整改提高或补课之后）进行；该单位现处于学习动员阶段"
    assert A.chinese("the mobilisation meeting is held only once the supervision group has arrived and "
                     "approved the work plan; missing: group_arrival") == \
        "督导组进驻并审核同意实施方案后，方可召开动员大会；尚缺：督导组进驻"
    assert A.chinese("measure 'ms-9' was signed off (销号) on 2026-03-01") == "整改措施 ms-9 已于 2026-03-01 销号"
    assert A.chinese("typical case tc-1 was already recommended to the office") == "典型 tc-1 已向活动办推荐过"


def test_a_message_no_entry_knows_stays_as_the_service_said_and_marshmallow_still_chinese():
    assert R.translate("something new the service says") is None
    assert A.chinese("something new the service says") == "something new the service says"
    assert A.chinese("Missing data for required field.") == "此项必填"
    assert A.chinese("Must be greater than or equal to 0 and less than or equal to 10.") == "应在 0 至 10 之间"
    # a longer message that only begins like an entry is not taken for it
    assert R.translate("a group leader must be a section-level cadre (科级) or higher") is None


def test_a_domain_refusal_reaches_the_form_in_chinese():
    refuse = {"ok": False, "status": 422, "error": "rejected", "details": {},
              "message": "reason is at most 200 characters"}
    refused = erase(OFFICE, Services(reads=READS, refuse=refuse), "erase_group_member",
                    "/dashboard/groups/g-1", member_id="p-1")
    form = form_of(refused.get_data(as_text=True), "erase_group_member")
    assert refused.status_code == 422
    assert "理由不能超过 200 个字" in form and "at most" not in form


def test_the_survey_page_says_a_refusal_in_chinese():
    said = "survey s-1 has not been drawn yet; nobody could vote"
    survey = {"survey_id": "s-1", "unit_id": "u-1", "group_id": "g-1", "status": "open", "survey_round": 1,
              "frame_size": 40, "sample_size": 30, "slips": {}}

    def services(service, rpc, fields):
        if rpc == "close_survey":
            return {"ok": False, "status": 409, "error": "conflict", "message": said, "details": {}}
        return {"ok": True, "result": {"get_survey": survey, "get_unit": {"unit_id": "u-1", "name": "单位甲"}}
                .get(rpc, {})}

    refused = post(Dashboard(Sessions(SUPERVISOR), services), "/dashboard/surveys/s-1/close",
                   {"csrf": forms.form_token("sess-1")})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409, html[:500]
    assert "未能结束测评：测评 s-1 尚未抽样，无人投票，不能结束" in html and "nobody could vote" not in html


def test_a_page_whose_read_is_refused_says_why_in_chinese():
    def services(service, rpc, fields):
        return {"ok": False, "status": 404, "error": "not_found", "message": "group g-9 does not exist",
                "details": {}}

    html = get(Dashboard(Sessions(OFFICE), services), "/dashboard/groups/g-9")
    text = html.get_data(as_text=True)
    assert html.status_code == 404 and "未找到：督导组 g-9 不存在" in text and "does not exist" not in text
