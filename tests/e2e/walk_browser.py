"""Walks one unit from registration to acceptance through the dashboard only, for
tests/e2e/test_walk.py (issue 17): the office, the group's leader, the unit and each
sampled respondent in turn, each in a browser context of their own (Debian's chromium
through Playwright), every page photographed under the artefacts directory.

It runs as its own process (``python tests/e2e/walk_browser.py < plan.json``) as
dashboard_browser.py does: the test process is monkey-patched by eventlet, under which
Playwright's sync API stalls. The plan: {"root", "office_token", "artifacts", "today"}.
Only the office's token comes from outside; the group leader's and the unit's are issued on
the dashboard's token page and used through its login link.

The API is read (never written) at checkpoints with ``requests``: each checkpoint records
what the page showed and what GET /api/v1/... answered, for the test to compare. A step
that waits for another service's event reloads the page until it shows (bounded), or,
when a form is refused because the fact has not arrived yet, fills the reloaded form
again; never a blind sleep. The answer on stdout: {"checkpoints", "errors", "outside",
"shots", "ids"}."""
from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.dashboard_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
WAIT = 60.0  # how long a step waits for an event to reach another service
PHASE = {"registered": "已登记", "mobilization": "学习动员", "analysis": "分析评议",
         "rectification": "整改提高", "survey": "群众满意度测评", "accepted": "检查验收"}


ANY = (404, 409, 422)  # a fact not arrived yet: the units service has not heard of the member…


class Refused(AssertionError):
    pass


class Walk:
    def __init__(self, browser, plan: dict):
        self.browser, self.root = browser, plan["root"]
        self.office_token = plan["office_token"]
        self.artifacts = Path(plan["artifacts"])
        self.artifacts.mkdir(parents=True, exist_ok=True)
        for old in self.artifacts.glob("*.png"):  # this walk's pages only
            old.unlink()
        self.today = plan["today"]
        self.checkpoints, self.errors, self.outside, self.shots = [], [], [], []
        self.ids: dict = {}
        self.n = 0

    # ------------------------------------------------------------------ browser plumbing
    def person(self, viewport=DESKTOP, mobile=False):
        context = self.browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile,
                                           device_scale_factor=2 if mobile else 1, locale="zh-CN")
        context.set_default_timeout(20000)
        page = context.new_page()
        page.on("request", lambda r: None if r.url.startswith((self.root, "data:", "blob:"))
                else self.outside.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                if m.type == "error" and "Content Security Policy" in m.text else None)
        return page

    def shot(self, page, name: str):
        self.n += 1
        file = f"{self.n:02d}-{name}.png"
        page.screenshot(path=str(self.artifacts / file), full_page=True)
        self.shots.append(file)

    def goto(self, page, path: str):
        response = page.goto(self.root + path)
        page.wait_for_load_state("load")
        return response

    def log_in(self, page, token: str | None = None, link: str | None = None):
        if link:  # the login link the token page gave: the fragment fills the token
            page.goto(link)
            page.wait_for_load_state("load")
            if page.input_value("#token") == "":
                raise Refused("the login link did not fill the token")
        else:
            self.goto(page, "/dashboard/login")
            page.fill("#token", token)
        page.click("#login")
        page.wait_for_load_state("load")
        if "/login" in page.url:
            raise Refused(f"login refused: {page.url}")

    # ------------------------------------------------------------------ the action forms
    def act(self, page, path: str, action: str, values: dict, retry=(), shot: str | None = None):
        """Fill the action's form on the page at ``path`` and submit it: done when the page
        says so (?done=action). ``values``: input name -> a string (text, date, number,
        textarea, or a select's value), ("label", text) a select's option by its text,
        ("tick", [values]) checkboxes by value, ("tick-labels", [texts]) by their label,
        True a single checkbox, ("file", path). A refusal whose status is in ``retry`` (a
        fact another service has yet to hear) is met by reloading the page and filling
        again, bounded; any other refusal stops the walk."""
        deadline = time.monotonic() + WAIT
        pause, first = 0.2, True
        while True:
            if not page.url.startswith(self.root + path) or "done=" in page.url:
                self.goto(page, path)
            box = page.locator(f"#act-{action}")
            if box.count() == 0:
                raise Refused(f"{path} offers no form {action}")
            if box.get_attribute("open") is None:
                box.locator("summary").click()
            form = box.locator("form")
            for name, value in values.items():
                self._fill(form, name, value)
            if shot and first:
                self.shot(page, shot)
            first = False
            with page.expect_response(lambda r: r.request.method == "POST"
                                      and r.url.endswith(f"/dashboard/act/{action}")) as answer:
                form.locator("button[type=submit]").last.click()
            page.wait_for_load_state("load")
            if f"done={action}" in page.url:
                return
            status = answer.value.status
            why = " | ".join(t.strip() for t in page.locator(
                f"#act-{action} .form-error, #act-{action} .field-error").all_inner_texts())
            if status not in retry or time.monotonic() > deadline:
                self.shot(page, f"refused-{action}")
                raise Refused(f"{action} on {path} refused ({status}): {why}")
            time.sleep(pause)  # the refusal was an answer; ask again shortly
            pause = min(pause * 1.5, 1.0)
            self.goto(page, path)

    @staticmethod
    def _fill(form, name: str, value):
        if isinstance(value, tuple) and value[0] == "label":
            select = form.locator(f'select[name="{name}"]')
            option = select.locator("option", has_text=value[1]).first
            select.select_option(option.get_attribute("value"))
        elif isinstance(value, tuple) and value[0] == "first":  # the select's one offered choice
            select = form.locator(f'select[name="{name}"]')
            values = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
            if not values:
                raise Refused(f"nothing to choose in {name}")
            select.select_option(values[0])
        elif isinstance(value, tuple) and value[0] == "tick":
            for v in value[1]:
                form.locator(f'input[name="{name}"][value="{v}"]').check()
        elif isinstance(value, tuple) and value[0] == "tick-labels":
            for text in value[1]:
                form.locator(f'label.inline:has(input[name="{name}"])', has_text=text).first.locator(
                    "input").check()
        elif isinstance(value, tuple) and value[0] == "file":
            form.locator(f'input[name="{name}"]').set_input_files(value[1])
        elif value is True:
            form.locator(f'input[name="{name}"]').check()
        else:
            field = form.locator(f'[name="{name}"]').first
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)

    def reload_until(self, page, path: str, selector: str, wanted: str, what: str) -> str:
        """Reload the page until ``selector``'s text contains ``wanted`` (bounded)."""
        deadline, pause = time.monotonic() + WAIT, 0.2
        while True:
            self.goto(page, path)
            found = page.locator(selector)
            text = found.first.inner_text().strip() if found.count() else ""
            if wanted in text:
                return text
            if time.monotonic() > deadline:
                raise Refused(f"timed out waiting for {what}: {selector} shows {text!r}")
            time.sleep(pause)
            pause = min(pause * 1.5, 1.0)

    # ------------------------------------------------------------------ the API (reads only)
    def api(self, path: str) -> dict:
        answer = requests.get(self.root + "/api/v1" + path, timeout=30,
                              headers={"Authorization": f"Bearer {self.office_token}"})
        answer.raise_for_status()
        return answer.json()

    def check(self, name: str, page_value, api_value):
        self.checkpoints.append({"name": name, "page": page_value, "api": api_value})

    def phase_checkpoint(self, page, unit: str, phase: str):
        shown = self.reload_until(page, f"/dashboard/units/{unit}", "[data-testid=phase]", PHASE[phase],
                                  f"the unit to enter {phase}")
        card = self.api(f"/units/{unit}")
        self.check(f"phase {phase}", shown, PHASE.get(card["phase"], card["phase"]))

    def day(self, offset: int) -> str:
        return (dt.date.fromisoformat(self.today) + dt.timedelta(days=offset)).isoformat()

    # ------------------------------------------------------------------ the walk
    def run(self):
        office = self.person()
        self.log_in(office, token=self.office_token)

        # the office registers the unit
        self.goto(office, "/dashboard/overview")
        self.shot(office, "office-overview")
        self.act(office, "/dashboard/overview", "register_unit", {
            "name": "县档案局", "org_type": "党支部", "batch": "1", "sections": "领导班子\n办公室"},
            shot="office-register-unit")
        units = {u["name"]: u for u in self.api("/units")}
        unit = self.ids["unit"] = units["县档案局"]["unit_id"]
        self.goto(office, f"/dashboard/units/{unit}")
        self.shot(office, "office-unit-registered")
        # a chart is drawn, or says it has nothing to draw (a new unit has no members yet)
        office.wait_for_function("() => [...document.querySelectorAll('.chart')]"
                                 ".every(c => c.hasAttribute('data-rendered'))")
        charts = office.evaluate("[...document.querySelectorAll('.chart')].map(c => c.classList"
                                 ".contains('empty') ? c.textContent : (c.querySelector('.main-svg')"
                                 " ? 'drawn' : 'blank'))")
        self.check("every chart drawn or saying it is empty",
                   [c for c in charts if c not in ("drawn", "暂无数据。")], [])
        self.check("registered", office.locator("[data-testid=phase]").inner_text().strip(),
                   PHASE[self.api(f"/units/{unit}")["phase"]])

        # forms a group
        self.act(office, "/dashboard/groups", "form_group", {
            "name": "县委第四督导组", "leader.name": "周正平", "leader.rank": "section",
            "leader.home_unit": "县委组织部", "leader.post": "副部长",
            "members.0.name": "吴敏", "members.0.rank": "staff", "members.0.home_unit": "县纪委",
            "members.0.post": "科员", "formed_on": self.day(-10)}, shot="office-form-group")
        group = self.ids["group"] = next(g["group_id"] for g in self.api("/groups")
                                         if g["name"] == "县委第四督导组")
        self.shot(office, "office-groups")

        # issues the group leader's and the unit's tokens on the token page
        links = {}
        for name, role, scope in (("周正平", "supervisor", group), ("县档案局党支部", "unit", unit)):
            self.goto(office, "/dashboard/tokens")
            office.fill("#token-name", name)
            office.select_option("#token-role", role)
            office.select_option("#token-scope", scope)
            office.click("#issue-token-submit")
            office.wait_for_load_state("load")
            if office.locator("#issued").count() == 0:
                self.shot(office, f"refused-token-{role}")
                raise Refused(f"no token shown for {name}: {office.url}")
            if "dd_" in office.url:
                raise Refused("the new token is in the address")
            self.shot(office, f"office-token-issued-{role}")
            links[role] = office.input_value("#issued-link")
            # shown once: the page again no longer has it
            self.goto(office, "/dashboard/tokens")
            self.check(f"token for {role} shown once", office.locator("#issued").count(), 0)
        self.shot(office, "office-tokens")
        holders = office.locator("#token-holders tbody tr td:first-child").all_inner_texts()
        self.check("token holders listed", sorted(h for h in holders if h in ("周正平", "县档案局党支部")),
                   sorted(["周正平", "县档案局党支部"]))

        unit_page = self.person()
        self.log_in(unit_page, link=links["unit"])
        sup = self.person()
        self.log_in(sup, link=links["supervisor"])
        u = f"/dashboard/units/{unit}"
        self.shot(unit_page, "unit-home")

        # the unit: members, study groups, contact points, requirements, meeting, work plan
        for name, section, flags in (("张建国", "领导班子", {"is_leader": True}),
                                     ("李明", "办公室", {}), ("王德厚", None, {"is_retired": True})):
            values = {"name": name, **flags}
            if section:
                values["section"] = section
            self.act(unit_page, u, "enrol_member", values)
        members = {m["name"]: m["member_id"] for m in self.api(f"/units/{unit}/members")["members"]}
        self.ids["members"] = members
        self.check("members", self.reload_until(unit_page, u, "[data-testid=members]", "3", "3 members"),
                   str(len(members)))
        self.act(unit_page, u, "form_study_group", {"section": "领导班子", "leader_member_id": ("label", "张建国")},
                 retry=ANY)
        self.act(unit_page, u, "form_study_group", {"section": "办公室", "leader_member_id": ("label", "李明"),
                                                    "member_ids": ("tick", [members["王德厚"]])})
        self.act(unit_page, u, "assign_contact_points", {"member_id": ("label", "张建国"),
                                                         "sections": ("tick", ["办公室"])})
        self.act(unit_page, u, "set_requirements", {"text": "保持共产党员先进性的具体要求",
                                                    "items": "理想信念坚定\n学习在前、服务在先"})
        self.act(unit_page, u, "schedule_meeting", {"date": self.today})
        plan = {"speech_draft": "同志们：今天我们召开动员大会……",
                "problems.0.category": "party_and_government_style",
                "problems.0.description": "服务意识不强，办事效率不高",
                "problems.0.measures": "推行首问负责制\n领导班子成员分片联系科室"}
        unit_page.goto(self.root + u)
        plan["leader_measures"] = ("tick", unit_page.locator(
            "#act-submit_work_plan input[name=leader_measures]").evaluate_all("es => es.map(e => e.value)"))
        plan["guarantee_systems"] = ("tick", unit_page.locator(
            "#act-submit_work_plan input[name=guarantee_systems]").evaluate_all("es => es.map(e => e.value)"))
        self.act(unit_page, u, "submit_work_plan", plan, shot="unit-work-plan")
        self.shot(unit_page, "unit-after-plan")

        # the office assigns the unit to the group (supervision hears of the unit first)
        self.act(office, "/dashboard/groups", "assign_unit", {
            "group_id": group, "unit_id": ("label", "县档案局"), "date": self.day(-5)}, retry=(404,))
        self.goto(office, "/dashboard/groups")
        self.shot(office, "office-groups-assigned")
        self.check("assigned", unit in self.api(f"/groups/{group}")["unit_ids"], True)

        # the group arrives, reads the speech draft, approves the plan
        self.goto(sup, f"/dashboard/groups/{group}")
        self.shot(sup, "supervisor-group")
        self.act(sup, u, "record_arrival", {"date": self.day(-3)}, retry=ANY)
        self.act(sup, u, "read_speech_draft", {"comments": "讲话稿要更加联系本单位实际"}, retry=ANY)
        self.act(sup, u, "review_work_plan", {"decision": "approve", "comments": "方案可行"}, retry=ANY,
                 shot="supervisor-review-plan")

        # the meeting is held once units has heard of the arrival and the approval
        self.act(unit_page, u, "hold_meeting", {}, retry=ANY)
        self.phase_checkpoint(unit_page, unit, "mobilization")
        self.shot(unit_page, "unit-mobilization")

        # study: the plan (四落实), an exemption, five 8-学时 sessions (the most a day counts) with attendance ticked
        sheet = self.api(f"/units/{unit}/study")
        calendar = sheet.get("calendar") or {}
        start = calendar.get("centralised_start") or self.today
        dates = [min((dt.date.fromisoformat(start) + dt.timedelta(days=i)).isoformat(), self.today)
                 for i in range(5)]
        groups = unit_page.locator("#act-set_study_plan input[name='personnel.study_group_ids']")
        self.act(unit_page, u, "set_study_plan", {
            "personnel.scope": "全体党员",
            "personnel.study_group_ids": ("tick", groups.evaluate_all("es => es.map(e => e.value)")),
            "time.centralised_from": start, "time.centralised_until": calendar.get("centralised_end") or self.today,
            "time.planned_hours": "40",
            "content.required": ("tick", unit_page.locator("#act-set_study_plan input[name='content.required']")
                                 .evaluate_all("es => es.map(e => e.value)")),
            "effect.goals": "提高党员素质\n服务人民群众", "effect.assessment": "学习笔记检查"},
            retry=ANY, shot="unit-study-plan")
        self.act(sup, u, "grant_exemption", {"member_id": ("label", "王德厚"),
                                             "reason": "年老体弱，经批准免于集中学习"}, retry=ANY)
        for i, date in enumerate(dates):
            self.act(unit_page, u, "record_session", {
                "form": "lecture", "date": date, "hours": "8",
                "content_keys": ("tick", [("hu_jintao_speech", "party_constitution", "central_document_20",
                                          "advanced_nature_reader", "local_party_documents")[i]]),
                "title": f"集中学习第{i + 1}讲"}, retry=(404, 409))
        sessions = [s["session_id"] for s in self.api(f"/units/{unit}/study")["sessions"]]
        for session in sessions:
            self.act(unit_page, u, "record_attendance", {
                "session_id": session, "member_ids": ("tick", [members["张建国"], members["李明"]])},
                retry=ANY, shot="unit-attendance" if session == sessions[0] else None)
        below = self.reload_until(unit_page, u, "[data-testid=below_floor]", "0", "everyone at the floor")
        self.shot(unit_page, "unit-study-done")
        study = self.api(f"/units/{unit}/study")
        self.check("study: below the floor", below, str(study["below_floor_count"]))
        self.check("study: exempted", study["exempted_count"], 1)
        self.check("study: ready", study["ready"], True)

        # the arrival tasks
        self.act(sup, u, "complete_task", {"task": "supervise_mobilization_meeting", "date": self.today,
                                           "note": "动员会开得隆重简朴"}, retry=ANY)
        self.act(sup, u, "complete_task", {"task": "prepare_leader_speech", "date": self.today,
                                           "note": "督导组长讲话"}, retry=ANY)
        self.shot(sup, "supervisor-tasks-done")

        self.gate(unit_page, sup, office, unit, "analysis", "学习动员阶段总结：全员达标或经批准免学")

        # 分析评议
        for source in ("departments", "townships", "frequent_visitors"):
            self.act(unit_page, u, "record_opinions", {
                "source": source, "led_by_member_id": ("label", "张建国"), "date": self.today,
                "opinion_count": "12", "summary": "意见集中在服务效率方面"}, retry=ANY,
                shot="unit-opinions" if source == "departments" else None)
        self.act(unit_page, u, "record_talk", {"member_id": ("label", "张建国"), "with_whom": "班子成员",
                                               "date": self.today, "notes": "开诚布公"})
        for name in ("张建国", "李明", "王德厚"):
            self.act(unit_page, u, "submit_party_spirit_analysis", {
                "member_id": ("label", name), "date": self.today, "summary": "对照党章查找差距"}, retry=ANY)
        self.act(unit_page, u, "record_democratic_life_meeting", {
            "date": self.today, "participant_member_ids": ("tick", [members["张建国"]]),
            "summary": "开展批评与自我批评"}, shot="unit-life-meeting")
        history = self.api(f"/units/{unit}/evaluation")
        self.check("analysis records", {k: len(v) for k, v in history["analysis"].items()
                                        if k in ("opinions", "talks")}, {"opinions": 3, "talks": 1})
        self.gate(unit_page, sup, office, unit, "rectification", "分析评议阶段总结：各项工作均已完成")

        # 整改提高: a problem and its measure; the group proposes one, the unit answers it
        self.act(unit_page, u, "record_problem", {"category": "party_and_government_style",
                                                  "description": "服务意识不强，办事效率不高",
                                                  "source": "plan"})
        self.act(unit_page, u, "add_ledger_measure", {
            "problem_id": ("label", "服务意识不强"), "owner_member_id": ("label", "张建国"),
            "due": self.day(30), "commitment": "推行首问负责制", "kind": "measure"})
        self.act(sup, u, "record_problem", {"category": "internal_management", "description": "公务接待登记不全",
                                            "source": "inspection", "source_ref": "督导组走访"})
        self.act(unit_page, u, "answer_problem", {
            "problem_id": ("label", "公务接待登记不全"),
            "reply": "经核查，接待登记簿齐全，已补送督导组查看"}, shot="unit-answer-problem")
        evidence = Path(tempfile.mkdtemp(prefix="walk-")) / "zuozheng.pdf"
        evidence.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        self.act(unit_page, u, "complete_ledger_measure", {
            "measure_id": ("label", "推行首问负责制"), "summary": "已落实，附佐证材料",
            "attachment_ids": ("file", str(evidence))}, shot="unit-measure-done")
        self.act(sup, u, "review_measure", {"measure_id": ("label", "推行首问负责制"),
                                            "decision": "sign_off", "comments": "复查合格，同意销号"},
                 shot="supervisor-sign-off")
        self.reload_until(unit_page, u, "#unit-ledger", "已销号", "the measure signed off")
        self.shot(unit_page, "unit-ledger")
        shown = unit_page.locator("#unit-ledger tbody tr").evaluate_all(
            "rs => rs.map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()])")
        ledger = self.api(f"/units/{unit}/rectification")
        names = {"signed_off": "已销号", "answered": "已答复", "open": "整改中", "proposed": "待认领"}
        self.check("ledger", sorted(map(tuple, shown)),
                   sorted((p["description"], names.get(p["status"], p["status"])) for p in ledger["problems"]))
        self.check("ledger statuses", sorted(p["status"] for p in ledger["problems"]), ["answered", "signed_off"])
        self.gate(unit_page, sup, office, unit, "survey", "整改提高阶段总结：整改措施全部落实")

        # the notification, the survey: open, draw, each respondent votes on a phone, close
        public = ["群众甲", "群众乙", "群众丙"]
        self.act(unit_page, u, "notify_public", {
            "scope": "\n".join(public), "date": self.today, "subject": "先进性教育活动整改情况通报",
            "content": "向群众通报整改情况，接受监督",
            "rectification_status": "整改措施全部落实，群众反映的问题已解决"}, shot="unit-notify")
        survey = self.open_survey(sup, unit)
        self.ids["survey"] = survey
        links = self.draw(sup, survey)
        self.check("slips", len(links), self.api(f"/surveys/{survey}/verification")["slips"]["issued"])
        for i, link in enumerate(links):
            phone = self.person(PHONE, mobile=True)
            phone.goto(link)
            phone.wait_for_load_state("load")
            self.shot(phone, f"respondent-{i + 1}-ballot")
            phone.click("#leadership-satisfied")
            phone.click("#campaign-satisfied" if i else "#campaign-basically_satisfied")
            phone.click("#submit-ballot")
            phone.wait_for_load_state("load")
            self.shot(phone, f"respondent-{i + 1}-thanks")
            thanks = phone.locator("#ballot-thanks h1").inner_text().strip()
            used = self.api(f"/surveys/{survey}/verification")["slips"]["used"]
            self.check(f"respondent {i + 1}: thanked, the slip spent", ["投票成功" in thanks, i + 1], [True, used])
            phone.context.close()
        self.goto(sup, f"/dashboard/surveys/{survey}")
        sup.click("#close-survey-submit")
        sup.wait_for_load_state("load")
        shown = self.reload_until(sup, f"/dashboard/surveys/{survey}", "#survey-status", "合格",
                                  "the survey's outcome")
        self.shot(sup, "supervisor-survey-closed")
        verdict = self.api(f"/surveys/{survey}")
        self.check("survey outcome", "合格" in shown and "不合格" not in shown,
                   verdict.get("outcome") == "passed")
        self.check("ballots used", 3, self.api(f"/surveys/{survey}/verification")["slips"]["used"])

        # 检查验收: the group's inspection after the passed survey accepts the unit, from the
        # survey page's link to the unit page's form
        sup.click("#to-acceptance")
        sup.wait_for_load_state("load")
        self.check("to the acceptance form", sup.url.split("#")[0], self.root + u)
        self.act(sup, u, "record_acceptance_inspection", {
            "result": "pass", "notes": "检查验收通过，成果扎实", "date": self.today}, retry=ANY,
            shot="supervisor-acceptance")
        self.phase_checkpoint(unit_page, unit, "accepted")
        self.shot(unit_page, "unit-accepted")
        self.goto(office, f"/dashboard/units/{unit}")
        self.shot(office, "office-unit-accepted")
        self.goto(office, "/dashboard/overview")
        self.shot(office, "office-overview-end")
        # the pages at a phone's width: no sideways scrolling, a walk form opened
        for key, page, path, form in (("unit", unit_page, u, "record_opinions"),
                                      ("supervisor", sup, u, "record_acceptance_inspection"),
                                      ("office", office, "/dashboard/tokens", "tokens")):
            small = self.person(PHONE, mobile=True)
            small.context.add_cookies(page.context.cookies())
            self.goto(small, path)
            if form != "tokens":
                small.locator(f"#act-{form} summary").click()
                small.locator(f"#act-{form}").scroll_into_view_if_needed()
                small.screenshot(path=str(self.artifacts / f"{self.n + 1:02d}-phone-{key}-{form}.png"))
                self.n += 1
                self.shots.append(f"{self.n:02d}-phone-{key}-{form}.png")
            self.shot(small, f"phone-{key}-{'tokens' if form == 'tokens' else 'unit-page'}")
            self.check(f"no sideways scroll on a phone ({key})",
                       small.evaluate("document.documentElement.scrollWidth > window.innerWidth"), False)
            if form == "tokens":  # its list fits, the revoke buttons in sight
                self.check("the token holders fit a phone", small.evaluate(
                    "[...document.querySelectorAll('.table-wrap')].some(w => w.scrollWidth > w.clientWidth)"), False)
            small.context.close()

    def gate(self, unit_page, sup, office, unit: str, to_phase: str, summary: str):
        """Apply (unit), agree (group), approve (office); reload until the unit has moved."""
        u = f"/dashboard/units/{unit}"
        self.act(unit_page, u, "apply_for_transition", {"summary": summary}, retry=ANY,
                 shot=f"unit-apply-{to_phase}")
        self.act(sup, u, "group_review", {"transition_id": ("first",), "decision": "agree",
                                          "comments": "同意转段"}, retry=ANY,
                 shot=f"supervisor-review-{to_phase}")
        self.act(office, u, "office_decision", {"transition_id": ("first",), "decision": "approve",
                                                "comments": "同意"}, retry=ANY,
                 shot=f"office-decision-{to_phase}")
        self.phase_checkpoint(unit_page, unit, to_phase)
        self.shot(unit_page, f"unit-in-{to_phase}")

    def open_survey(self, sup, unit: str) -> str:
        path = f"/dashboard/units/{unit}/survey"
        deadline, pause = time.monotonic() + WAIT, 0.2
        while True:
            self.goto(sup, path)
            sup.fill("#sample_size", "3")
            sup.click("#open-survey-submit")
            sup.wait_for_load_state("load")
            if "/dashboard/surveys/" in sup.url:
                self.shot(sup, "supervisor-survey-open")
                return sup.url.rstrip("/").rsplit("/", 1)[1]
            if time.monotonic() > deadline:
                self.shot(sup, "refused-open-survey")
                raise Refused("the survey did not open: " + " | ".join(sup.locator(".error").all_inner_texts()))
            time.sleep(pause)  # refused until evaluation has heard of the notification
            pause = min(pause * 1.5, 1.0)

    def draw(self, sup, survey: str) -> list[str]:
        sup.fill("#public_entropy", "骰子 3-5")
        sup.click("#draw-survey-submit")
        sup.wait_for_load_state("load")
        self.shot(sup, "supervisor-slips")
        links = sup.locator(".slip").evaluate_all("es => es.map(e => e.dataset.link)")
        sup.click("#back-to-survey")
        sup.wait_for_load_state("load")
        self.shot(sup, "supervisor-survey-drawn")
        return links


def main() -> None:
    from playwright.sync_api import sync_playwright
    plan = json.load(sys.stdin)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        walk = Walk(browser, plan)
        began = time.monotonic()
        try:
            walk.run()
        except Exception as err:  # what happened so far, and the failing step
            walk.errors.append(f"walk stopped: {type(err).__name__}: {err}")
        finally:
            browser.close()
    json.dump({"checkpoints": walk.checkpoints, "errors": walk.errors, "outside": walk.outside,
               "shots": walk.shots, "ids": walk.ids, "seconds": round(time.monotonic() - began, 1)},
              sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
