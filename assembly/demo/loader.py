"""Drive the demo county through the real HTTP API (assembly/demo/county.py says what).

Every step is a request a person would make with their own token: the office registers
units, forms groups and decides transitions; each unit's Party organisation (a unit
token) enrols its members, plans, studies and applies; each group (a supervisor token)
arrives, reviews, agrees and runs surveys; respondents cast ballots. Facts one service
learns from another's events arrive a moment later, so a step that depends on them is
retried until the fact has arrived (``retry``), never forced.

Deterministic from the seed: names and choices come from ``random.Random`` seeded per
unit, so the structure and every figure (members, hours, ballots, shares) are the same
on every load; ids are the server's.
"""
from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from shared.clock import today

from . import county as C

ID = re.compile(r"^[a-z]{1,3}-[0-9a-f]{6,}$")  # a server-generated id in a path
TODAY = None  # set per load: the real date, as the services date their commands

STUDY_FORMS = ("reading_originals", "lecture", "video", "exemplary_member_report")
CONTENT_KEYS = ("hu_jintao_speech", "jiang_zemin_party_building", "zeng_qinghong_speech",
                "wu_guanzheng_speech", "he_guoqiang_speech", "central_document_20",
                "advanced_nature_reader", "party_constitution", "local_leaders_speeches",
                "local_party_documents")
SESSION_HOURS = 4          # 10 half-days of about 4 学时: the 40-学时 floor
SURVEY_SAMPLE = 30
NOTIFIED = 40

# (leadership satisfied-or-basically, campaign satisfied-or-basically) out of 30
SURVEY_OUTCOMES = {
    "accepted_clear": (27, 25),   # passed
    "accepted_exact": (20, 20),   # exactly 2/3 passes
    "remedial": (21, 19),         # campaign 19/30 < 2/3: failed, 补课
}

# the office formed the groups and assigned the units some days before the load: a group
# arrives on time (动员会前两天) only after its assignment and never after today
GROUPS_FORMED = -10
UNITS_ASSIGNED = -5
ARRIVED = -3

# How long the loader waits for one service's event to reach another. Usually well under a
# second; on a loaded two-core CI machine, with thirty journeys in flight, a reaction has once
# taken over 30 s to land, and a wait that gives up early fails the whole demo county.
PROPAGATION_WAIT = 120.0

RANK = {"registered": 0, "scheduled": 1, "group_absent": 1, "mobilization": 2, "plan_returned": 2,
        "mobilization_applied": 2, "analysis": 3, "rectification": 4, "survey": 5,
        "accepted_clear": 6, "accepted_exact": 6, "remedial": 6}


class DemoError(RuntimeError):
    pass


def day(offset: int) -> str:
    return (dt.date.fromisoformat(TODAY) + dt.timedelta(days=offset)).isoformat()


class Api:
    """A small HTTP client: one requests.Session per thread, a token per call."""

    def __init__(self, base_url: str, timeout: float = 30):
        base = base_url.rstrip("/")
        self.base = base if base.endswith("/api/v1") else base + "/api/v1"
        self.timeout = timeout
        self._local = threading.local()
        self.requests = 0
        self._count_lock = threading.Lock()
        self.timings: dict[str, list] = {}  # "METHOD /path/template" -> [count, seconds]

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def call(self, method: str, path: str, token: str, json=None, params=None,
             ok=(200, 201), retry=(), wait: float = PROPAGATION_WAIT):
        """The JSON answer of a request that must succeed; statuses in ``retry`` mean a
        fact has not arrived yet from another service, so ask again until ``wait``."""
        deadline = time.monotonic() + wait
        pause = 0.05
        while True:
            began = time.monotonic()
            response = self._session().request(
                method, self.base + path, json=json, params=params, timeout=self.timeout,
                headers={"Authorization": f"Bearer {token}"})
            key = f"{method} " + "/".join("*" if ID.match(p) else p for p in path.split("/"))
            with self._count_lock:
                self.requests += 1
                entry = self.timings.setdefault(key, [0, 0.0])
                entry[0] += 1
                entry[1] += time.monotonic() - began
            if response.status_code in ok:
                return response.json()
            if response.status_code in retry and time.monotonic() < deadline:
                time.sleep(pause)
                pause = min(pause * 1.5, 0.5)
                continue
            raise DemoError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")

    def get(self, path, token, **kw):
        return self.call("GET", path, token, **kw)

    def post(self, path, token, json=None, **kw):
        return self.call("POST", path, token, json=json if json is not None else {}, **kw)

    def put(self, path, token, json=None, **kw):
        return self.call("PUT", path, token, json=json, **kw)

    def upload(self, token: str, unit_id: str, purpose: str, filename: str, data: bytes) -> str:
        """An evidence file (multipart): its attachment id."""
        response = self._session().post(
            self.base + "/attachments", files={"file": (filename, data)},
            data={"unit_id": unit_id, "purpose": purpose}, timeout=self.timeout,
            headers={"Authorization": f"Bearer {token}"})
        with self._count_lock:
            self.requests += 1
        if response.status_code != 201:
            raise DemoError(f"POST /attachments -> {response.status_code}: {response.text[:500]}")
        return response.json()["attachment_id"]

    def until(self, predicate, message: str, wait: float = PROPAGATION_WAIT):
        deadline, pause = time.monotonic() + wait, 0.05
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise DemoError(f"timed out waiting for {message}")
            time.sleep(pause)
            pause = min(pause * 1.5, 0.5)


def evidence_pdf(text: str) -> bytes:
    """A one-page PDF: the demo's evidence file for a measure."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class Loader:
    def __init__(self, base_url: str, office_token: str, seed: int, workers: int, log,
                 units: tuple[C.DemoUnit, ...] = C.UNITS):
        self.api = Api(base_url)
        self.units = units
        self.office = office_token
        self.seed = seed
        self.workers = workers
        self.log = log
        self.groups: list[dict] = []
        self.results: dict[str, dict] = {}

    # -- tokens ------------------------------------------------------------------------------
    def token(self, name: str, role: str, scope: str) -> str:
        return self.api.post("/tokens", self.office, {"name": name, "role": role,
                                                      "scope": scope})["token"]

    # -- the county --------------------------------------------------------------------------
    def form_groups(self):
        rng = random.Random(f"{self.seed}:groups")
        used: set = set()
        for spec in C.GROUPS:
            rank, home, post = spec["leader"]
            leader = {"name": C.person_name(rng, used), "rank": rank, "home_unit": home,
                      "post": post}
            members = [{"name": C.person_name(rng, used), "rank": r, "home_unit": h, "post": p}
                       for r, h, p in spec["members"]]
            formed = self.api.post("/groups", self.office, {"name": spec["name"], "leader": leader,
                                                            "members": members,
                                                            "formed_on": day(GROUPS_FORMED)})
            group_id = formed["group_id"]
            self.groups.append({"group_id": group_id, "name": spec["name"],
                                "leader": leader["name"],
                                "token": self.token(leader["name"], "supervisor", group_id)})

    def run(self) -> dict:
        self.form_groups()
        # the longest journeys first, so the pool finishes together
        order = sorted(self.units, key=lambda u: -RANK[u.target])
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = {u.name: pool.submit(self.unit_journey, u) for u in order}
            errors = []
            for name, future in futures.items():
                try:
                    self.results[name] = future.result()
                except Exception as err:  # report every failed unit, not just the first
                    errors.append(f"{name}: {err}")
        if errors:
            raise DemoError("the demo county did not load completely:\n  " + "\n  ".join(errors))
        self.reports()
        self.directives()
        return self.results

    # -- one unit ----------------------------------------------------------------------------
    def unit_journey(self, spec: C.DemoUnit) -> dict:
        rng = random.Random(f"{self.seed}:{spec.name}")
        api, office = self.api, self.office
        group = self.groups[spec.group]
        sup = group["token"]
        rank = RANK[spec.target]
        unit_id = api.post("/units", office, {"name": spec.name, "org_type": spec.org_type,
                                              "batch": spec.batch,
                                              "sections": list(spec.sections)})["unit_id"]
        unit = self.token(f"{spec.name}党组织", "unit", unit_id)
        u = f"/units/{unit_id}"
        people = self.enrol(spec, rng, unit_id, unit)
        result = {"unit_id": unit_id, "target": spec.target, "members": len(people["all"]),
                  "group_id": group["group_id"]}

        if rank >= 1:
            meeting = {"scheduled": day(rng.randint(12, 25)), "group_absent": day(10)}.get(
                spec.target, TODAY)
            api.post(f"{u}/mobilization-meeting", unit, {"date": meeting})
            plan = {"leader_measures": list(C.LEADER_MEASURES), "problems": rng.sample(C.PROBLEMS, 2),
                    "guarantee_systems": list(C.B_SYSTEMS if spec.b_plan else C.ALL_SYSTEMS),
                    "speech_draft": C.SPEECH_DRAFT}
            version = api.put(f"{u}/work-plan", unit, plan)["plan_version"]
            # supervision learns the plan after the meeting date (one log, in order)
            api.until(lambda: api.get(f"{u}/work-plan/checklist", office, retry=(404,))
                      .get("plan_version") == version, f"supervision to see {spec.name}'s plan")
        api.post(f"/groups/{group['group_id']}/units", office,
                 {"unit_id": unit_id, "date": day(UNITS_ASSIGNED)}, retry=(404,))
        if rank == 0 or spec.target == "group_absent":
            return result
        if spec.late_arrival:
            arrival = TODAY  # the meeting is today: the group should have come two days ago
        elif spec.target == "scheduled":
            arrival = TODAY
        else:
            arrival = day(ARRIVED)
        answer = api.post(f"/groups/{group['group_id']}/arrivals", sup,
                          {"unit_id": unit_id, "date": arrival})
        result["late_arrival"] = answer["late"]
        if not spec.late_arrival:  # R16: the late group is late reporting too (overdue by today)
            api.post("/reports", sup, {
                "unit_id": unit_id, "kind": "contact_details", "title": f"进驻{spec.name}督导组联系方式",
                "date": arrival, "contact": {"组长": group["leader"], "电话": "0797-8321000"}},
                retry=(409,))
        if rank == 1:
            return result

        api.post(f"{u}/speech-draft/read", sup, {"comments": "讲话稿要更加联系本单位实际"})
        if spec.b_plan:
            api.post(f"{u}/work-plan/review", sup,
                     {"decision": "return", "comments": "方案缺少成果验收制度，请补充完善后重新报送"})
            return result  # the meeting waits for the plan the group can approve
        api.post(f"{u}/work-plan/review", sup, {"decision": "approve", "comments": "方案可行"})
        # held once the units service has heard of the arrival and the approval (409 until then)
        api.post(f"{u}/mobilization-meeting/held", unit, {}, retry=(409,))
        first_phase_only = spec.target == "mobilization" and spec.batch == 2
        if not first_phase_only:
            api.put(f"{u}/requirements", unit, C.REQUIREMENTS)
        self.study(spec, rng, unit_id, unit, sup, people, complete=rank >= 3
                   or spec.target == "mobilization_applied",
                   sessions=2 if first_phase_only else 7)
        api.post(f"{u}/arrival-tasks/supervise_mobilization_meeting/done", sup,
                 {"note": "动员会开得隆重简朴，党员参会率高"}, retry=(422,))
        api.post(f"{u}/arrival-tasks/prepare_leader_speech/done", sup,
                 {"note": "督导组长讲话：结合单位实际，抓好学习动员"})
        if spec.target == "mobilization_applied":
            applied = api.post(f"{u}/transitions", unit, {"summary": "学习动员阶段总结：集中学习40学时，全员达标"})
            result["open_application"] = applied["transition_id"]
            return result
        if rank == 2:
            return result

        self.gate(spec, unit_id, unit, sup, "学习动员阶段总结：集中学习40学时，全员达标或经批准免学")
        self.analysis(spec, rng, unit_id, unit, people, complete=rank >= 4)
        if rank == 3:
            return result

        self.gate(spec, unit_id, unit, sup, "分析评议阶段总结：征求意见、谈心、党性分析、民主生活会均已完成")
        # the ledger (整改台账): a problem per leader from the plan's 二看, a measure each
        measures = []
        for i, leader in enumerate(people["leaders"]):
            problem = C.PROBLEMS[i % len(C.PROBLEMS)]
            problem_id = api.post(f"{u}/problems", unit, {
                "category": problem["category"], "description": problem["description"],
                "source": "opinions" if i else "plan"})["problem_id"]
            # the second leader's measure falls due three weeks in: open at HISTORY_DAYS, overdue
            due = day(21) if i == 1 else day(rng.randint(20, 45))
            measures.append(api.post(f"/problems/{problem_id}/measures", unit, {
                "kind": "commitment" if i == 0 else "measure",
                "commitment": problem["measures"][i % len(problem["measures"])],
                "owner_member_id": leader, "due": due})["measure_id"])
        if rank == 4:
            # the secretary leads: the first is reported done, and the group returns it
            self.measure_done(unit_id, unit, measures[0])
            api.post(f"/measures/{measures[0]}/review", sup,
                     {"decision": "return", "comments": "佐证材料不足，请补充群众评议结果"})
            # R14: the group's inspection scores 突出问题是否解决 low (at or below
            # DUDAO_LOW_SCORE_THRESHOLD): the units service proposes a problem the unit has yet
            # to accept or answer
            api.post("/inspections", sup, {
                "unit_id": unit_id, "date": TODAY, "findings": "整改推进偏慢",
                "scores": {**C.INSPECTION_SCORES, "problems_solved": 3},
                "notes": {"problems_solved": "群众反映的办事效率问题尚未见成效"}})
            return result
        # the group proposes a problem; the unit answers it with its reasons (closed as answered)
        proposed = api.post(f"{u}/problems", sup, {
            "category": "internal_management", "description": "公务接待登记不全",
            "source": "inspection", "source_ref": "督导组走访"})["problem_id"]
        api.post(f"/problems/{proposed}/answer", unit, {
            "reply": "经核查，接待登记簿齐全，督导组走访当日登记簿在审计部门调阅，已补送督导组查看"})
        for measure in measures:
            self.measure_done(unit_id, unit, measure)
            api.post(f"/measures/{measure}/review", sup, {"decision": "sign_off", "comments": "复查合格，同意销号"})
        self.gate(spec, unit_id, unit, sup, "整改提高阶段总结：整改措施全部落实")
        # the notification framing the survey is made in phase survey and states the
        # rectification status (整改情况和解决问题的情况, A), or the survey does not open
        self.wait_phase(unit_id, "survey")
        api.post(f"{u}/notifications", unit, {
            "scope": C.public_names(spec.name, NOTIFIED), "subject": "先进性教育活动整改情况通报",
            "content": "向部办委局、乡镇和经常来办事的群众通报整改情况，接受监督",
            "rectification_status": f"领导班子{len(measures)}项整改措施和承诺全部落实，"
                                    "群众反映的服务效率和工作作风问题已逐项解决"})
        if rank == 5:
            return result

        survey = self.survey(spec, rng, unit_id, sup, *SURVEY_OUTCOMES[spec.target])
        result["survey_id"] = survey
        if spec.target == "remedial":
            self.wait_phase(unit_id, "remedial")
            problem_id = api.post(f"{u}/problems", unit, {
                "category": "party_and_government_style", "description": "群众满意度未达三分之二",
                "source": "opinions"})["problem_id"]
            api.post(f"/problems/{problem_id}/measures", unit, {
                "commitment": "补课：重新征求群众意见，逐条整改", "owner_member_id": people["leaders"][0],
                "due": day(30)})
        else:
            # 检查验收 after the passed survey: only a passed inspection accepts the unit
            notes = ("会同县委先进办检查验收，成果扎实" if spec.target == "accepted_clear"
                     else "满意率恰为三分之二，检查验收通过，整改须巩固")
            api.post(f"{u}/acceptance-inspections", sup, {"result": "pass", "notes": notes, "date": TODAY},
                     retry=(404, 409))
            self.wait_phase(unit_id, "accepted")
        return result

    def enrol(self, spec, rng, unit_id, unit) -> dict:
        """Leaders in 领导班子, a head and staff in each section, retired cadres; a study
        group per section led by its head with the retired cadres placed in them (R20);
        each leader's contact-point sections (R21)."""
        api, u, used = self.api, f"/units/{unit_id}", set()
        people = {"all": [], "leaders": [], "retired": [], "by_section": {}}

        def enrol(section, **flags):
            member_id = api.post(f"{u}/members", unit, {"name": C.person_name(rng, used),
                                                        "section": section, **flags})["member_id"]
            people["all"].append(member_id)
            if section is not None:
                people["by_section"].setdefault(section, []).append(member_id)
            return member_id

        for _ in range(rng.randint(3, 4)):
            people["leaders"].append(enrol(C.LEADERSHIP, is_leader=True))
        for section in spec.sections[1:]:
            for _ in range(rng.randint(1, 3)):
                enrol(section)
        for _ in range(rng.randint(1, 2)):
            people["retired"].append(enrol(None, is_retired=True))

        groups = []
        for section in spec.sections:
            head, *rest = people["by_section"][section]
            groups.append(api.post(f"{u}/study-groups", unit, {
                "section": section, "leader_member_id": head, "member_ids": rest})["study_group_id"])
        for i, retired in enumerate(people["retired"]):
            api.post(f"{u}/study-groups/{groups[1 + i % (len(groups) - 1)]}/members", unit,
                     {"member_id": retired})
        people["study_groups"] = groups
        if spec.target == "registered":
            return people  # contact points come with the work plan
        sections = list(spec.sections[1:])
        for i, leader in enumerate(people["leaders"]):
            mine = sections[i::len(people["leaders"])] or [sections[i % len(sections)]]
            api.put(f"{u}/members/{leader}/contact-points", unit, {"sections": mine})
        return people

    def study(self, spec, rng, unit_id, unit, sup, people, complete: bool, sessions: int):
        """The study plan (四落实) and centralised sessions with attendance. Complete: ten
        4-学时 sessions, everyone present but one retired cadre exempted on record.
        Otherwise the unit is part-way and some members are below the floor."""
        api, u = self.api, f"/units/{unit_id}"
        count = len(people["all"])
        sheet = api.until(lambda: (lambda s: s if s.get("member_count") == count else None)(
            api.get(f"{u}/study", unit, retry=(404,))), f"study to know {spec.name}'s members")
        calendar = sheet.get("calendar") or {}
        start = calendar.get("centralised_start") or TODAY
        end = calendar.get("centralised_end") or day(9)

        # before the batch's centralised window opens, members study on their own
        # ("春节前，以自学为主"): self-study counts apart from the floor
        self_study = start > TODAY

        def session_date(i):  # within the batch's window, never after today
            date = (dt.date.fromisoformat(start) + dt.timedelta(days=i)).isoformat()
            return TODAY if self_study else min(date, end, TODAY)

        api.put(f"{u}/study-plan", unit, {
            "personnel": {"scope": "全体党员，离退休干部编入各学习小组",
                          "study_group_ids": people["study_groups"]},
            "time": {"self_study_from": day(-20) if self_study else None,
                     "self_study_until": day(-1) if self_study else None,
                     "centralised_from": start, "centralised_until": end, "planned_hours": 40},
            "content": {"required": list(CONTENT_KEYS)},
            "effect": {"goals": ["提高党员素质", "加强基层组织", "服务人民群众", "促进各项工作"],
                       "assessment": "学习笔记、心得体会检查"}},
            retry=(422,))  # the study service may not have heard of a new study group yet
        exempt = people["retired"][0] if complete else None
        if exempt:  # the unit's group exempts, never the unit itself
            api.post(f"{u}/study-exemptions", sup, {"member_id": exempt,
                                                     "reason": "年老体弱，经批准免于集中学习"})
        present = [m for m in people["all"] if m != exempt]
        total = 10 if complete else sessions
        # part-way: some members missed sessions (below the floor, never exempted)
        absent = {} if complete else {m: set(rng.sample(range(total), rng.randint(0, 2)))
                                      for m in present}
        for i in range(total):
            session = api.post("/study-sessions", unit, {
                "unit_id": unit_id,
                "form": "self_study" if self_study else STUDY_FORMS[i % len(STUDY_FORMS)],
                "date": session_date(i), "hours": SESSION_HOURS,
                "content_keys": [CONTENT_KEYS[i % len(CONTENT_KEYS)]],
                "title": f"集中学习第{i + 1}讲"})
            attendees = [m for m in present if i not in absent.get(m, ())]
            api.post(f"/study-sessions/{session['session_id']}/attendance", unit,
                     {"member_ids": attendees})

    def measure_done(self, unit_id, unit, measure_id):
        """The unit reports a measure done with its evidence file (a measure is never done without)."""
        attachment = self.api.upload(unit, unit_id, "measure_evidence", "zhenggai-zuozheng.pdf",
                                     evidence_pdf(f"Evidence of {measure_id}"))
        self.api.post(f"/measures/{measure_id}/completion", unit,
                      {"summary": "已落实，附佐证材料", "attachment_ids": [attachment]})

    def gate(self, spec, unit_id, unit, sup, summary):
        """Apply, the group agrees, the office approves; the unit moves by the event."""
        applied = self.api.post(f"/units/{unit_id}/transitions", unit, {"summary": summary},
                                retry=(422,))
        transition = applied["transition_id"]
        self.api.post(f"/transitions/{transition}/group-review", sup,
                      {"decision": "agree", "comments": "同意转段"}, retry=(404, 422))
        self.api.post(f"/transitions/{transition}/office-decision", self.office,
                      {"decision": "approve", "comments": "同意"})
        self.wait_phase(unit_id, applied["to_phase"])

    def wait_phase(self, unit_id, phase):
        self.api.until(lambda: self.api.get(f"/units/{unit_id}", self.office)["phase"] == phase,
                       f"unit {unit_id} to enter {phase}")

    def analysis(self, spec, rng, unit_id, unit, people, complete: bool):
        """分析评议 records: opinions from the three sources, talks, the leaders'
        Party-spirit analyses first, the democratic life meeting."""
        api, u = self.api, f"/units/{unit_id}/analysis"
        leaders = people["leaders"]
        for i, (source, name) in enumerate((("departments", "部办委局"), ("townships", "各乡镇"),
                                            ("frequent_visitors", "经常来办事的群众"))):
            api.post(f"{u}/opinions", unit, {
                "source": source, "source_name": name, "led_by_member_id": leaders[i % len(leaders)],
                "date": TODAY, "opinion_count": rng.randint(8, 40),
                "summary": "意见集中在服务效率和工作作风方面"}, retry=(404, 409, 422) if i == 0 else ())
        for leader in leaders if complete else leaders[:1]:  # every leader's 谈心 when finished
            api.post(f"{u}/talks", unit, {"member_id": leader, "with_whom": "班子成员",
                                          "date": TODAY, "notes": "开诚布公，交换意见"})
        for leader in leaders:
            api.post(f"{u}/party-spirit-analyses", unit, {
                "member_id": leader, "date": TODAY, "summary": "对照党章查找差距，剖析思想根源"})
        if complete:
            # leaving 分析评议 needs every member's analysis on record too (evaluation's readiness)
            for member in (m for m in people["all"] if m not in leaders):
                api.post(f"{u}/party-spirit-analyses", unit, {
                    "member_id": member, "date": TODAY, "summary": "对照党章查找差距，联系思想实际"})
            api.post(f"{u}/democratic-life-meetings", unit, {
                "date": TODAY, "participant_member_ids": leaders,
                "summary": "开展批评与自我批评，明确整改方向"})

    def survey(self, spec, rng, unit_id, sup, leadership_ok: int, campaign_ok: int) -> str:
        """Open over the notified scope, draw 30, each respondent rates, close."""
        api = self.api
        opened = api.post("/surveys", sup, {"unit_id": unit_id, "sample_size": SURVEY_SAMPLE},
                          retry=(404, 409, 422))
        survey_id = opened["survey_id"]
        drawn = api.post(f"/surveys/{survey_id}/draw", sup,
                         {"public_entropy": f"demo seed {self.seed}"})

        def ratings(ok):
            good = ["satisfied" if rng.random() < 0.6 else "basically_satisfied" for _ in range(ok)]
            values = good + ["dissatisfied"] * (SURVEY_SAMPLE - ok)
            rng.shuffle(values)
            return values

        lead, camp = ratings(leadership_ok), ratings(campaign_ok)
        for i, (ballot, on_lead, on_camp) in enumerate(zip(drawn["ballots"], lead, camp)):
            # a respondent token casts one ballot: one token per respondent
            respondent = self.token(f"{spec.name}测评群众{i + 1}", "respondent", survey_id)
            api.post("/ballots", respondent, {"token": ballot["token"],
                                              "ratings": {"leadership": on_lead, "campaign": on_camp}})
        api.post(f"/surveys/{survey_id}/close", sup, {})
        return survey_id

    # -- 督办 ---------------------------------------------------------------------------------
    def directives(self):
        """The office urges: the group that has not arrived at 县农业局 (left unanswered, so it
        falls overdue by its reply date), and 县发改局 on its measures (acknowledged and
        answered)."""
        by_name = self.results
        if "县农业局" in by_name:
            absent = by_name["县农业局"]
            self.api.post("/directives", self.office, {
                "group_id": absent["group_id"], "reply_by": day(3),
                "text": "县农业局动员会临近，督导组尚未进驻，请于三日内进驻并报告"})
        if "县发改局" in by_name:
            unit_id = by_name["县发改局"]["unit_id"]
            sent = self.api.post("/directives", self.office, {
                "unit_id": unit_id, "reply_by": day(7),
                "text": "请报告整改措施落实进度，逐条说明完成时限"}, retry=(404,))
            unit = self.token("县发改局党组织", "unit", unit_id)
            directive = f"/directives/{sent['directive_id']}"
            self.api.post(f"{directive}/acknowledgement", unit, {})
            self.api.post(f"{directive}/reply", unit, {
                "text": "整改措施已分解到班子成员，首项承诺已兑现，其余按期推进"})

    # -- the groups' reports -------------------------------------------------------------------
    def reports(self):
        by_name = {name: r for name, r in self.results.items()}
        plan = [
            ("县纪委", "major_issue", "群众满意度测评未达三分之二，需补课",
             "县纪委群众满意度测评中，对活动总体满意率为19/30，低于三分之二，已按要求转入补课。"),
            ("县公安局", "policy_issue", "基层所队集中学习时间难以保证",
             "县公安局执勤任务重，部分所队党员集中学习不足40学时，建议采取分批轮训。"),
            ("县委办公室", "progress", "县委办公室工作方案退回修改",
             "县委办公室工作方案只列四项保证制度，缺少成果验收制度，督导组已退回。"),
            ("县委组织部", "typical_experience", "县委组织部“四个带头”做法",
             "领导班子带头学习、带头讲党课、带头查找问题、带头整改，群众满意率高。"),
        ]
        for name, kind, title, body in plan:
            if name not in by_name:  # a small county without that unit
                continue
            unit = by_name[name]
            group = next(g for g in self.groups if g["group_id"] == unit["group_id"])
            self.api.post("/reports", group["token"], {"unit_id": unit["unit_id"], "kind": kind,
                                                       "title": title, "body": body, "date": TODAY})


def load(base_url: str, office_token: str, seed: int = 2024, workers: int = 6,
         log=print, units: tuple[C.DemoUnit, ...] = C.UNITS, days_ago: int = 0) -> dict:
    """Load the demo county unless units exist already. Returns a summary. ``units``: a
    few of county.UNITS instead of all (the tests' small county, every group formed).

    ``days_ago``: the services stand that many days behind this clock (DUDAO_CLOCK_OFFSET,
    as `make run` loads the county: county.HISTORY_DAYS), and every command is dated on
    their day; run on to today, what fell due in between becomes overdue."""
    global TODAY
    TODAY = (dt.date.fromisoformat(today()) - dt.timedelta(days=days_ago)).isoformat()
    api = Api(base_url)
    existing = api.get("/units", office_token)
    if existing:
        log(f"demo: {len(existing)} units exist already; the demo county is not loaded again")
        return {"loaded": False, "existing_units": len(existing)}
    started = time.monotonic()
    log(f"demo: loading the demo county ({len(units)} units, 3 supervision groups) through the API …")
    loader = Loader(base_url, office_token, seed, workers, log, units)
    results = loader.run()
    elapsed = time.monotonic() - started
    members = sum(r["members"] for r in results.values())
    log(f"demo: {len(results)} units, {members} members, {len(loader.groups)} groups loaded in "
        f"{elapsed:.0f}s ({loader.api.requests} requests)")
    slowest = sorted(loader.api.timings.items(), key=lambda kv: -kv[1][1])[:12]
    return {"loaded": True, "seed": seed, "timings": slowest, "units": results, "members": members,
            "groups": loader.groups, "seconds": round(elapsed, 1)}
