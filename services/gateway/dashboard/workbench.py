"""What each role can do from the dashboard, in one place: the actions (forms) of the
pages, declared as data (services.gateway.dashboard.actions), and the sources of the
choices they offer (members of the unit, its sections, its study sessions...), read
through the dashboard's own role-checked reads."""
from __future__ import annotations

import dataclasses

from services.gateway.dashboard.actions import Action, Label
from services.gateway.dashboard.labels import OBLIGATION_TYPE, PHASE, REPORT_KIND, TASK
from shared.cadre_ranks import RANKS
from shared.domain import ERASED
from shared.inspection_points import INSPECTION_POINTS, MAX_SCORE, MIN_SCORE
from shared.opinion_sources import OPINION_SOURCES
from shared.study_catalog import FORMS, REQUIRED_CONTENT
from shared.work_plan_vocabulary import GUARANTEE_SYSTEMS, LEADER_MEASURES, PROBLEM_CATEGORIES

PROBLEM_SOURCE = (("plan", "实施方案"), ("opinions", "征求的意见"), ("inspection", "督导检查"),
                  ("party_analysis", "党性分析"), ("life_meeting", "专题组织生活会"),
                  ("directive", "督办事项"))
MEASURE_KIND = (("measure", "整改措施"), ("commitment", "整改承诺"))
ON_UNIT = {"unit_id": "page:unit"}

ACTIONS = (
    # ---------------------------------------------------------------- the unit
    Action("add_section", "units", "add_section", "增设科室", {"section": "科室名称"},
           pages=("unit",), given=ON_UNIT),
    Action("enrol_member", "units", "enrol_member", "登记党员", {
        "name": "姓名",
        "section": Label("所在科室", "离退休党员可不选", choices_from="sections"),
        "is_leader": "领导班子成员", "is_retired": "离退休党员"}, pages=("unit",), given=ON_UNIT),
    Action("form_study_group", "units", "form_study_group", "组建学习小组", {
        "section": Label("科室", choices_from="sections"),
        "leader_member_id": Label("组长（科室负责人）", choices_from="members"),
        "member_ids": Label("组员", "勾选本组党员", choices_from="members")},
        pages=("unit",), given=ON_UNIT),
    Action("assign_contact_points", "units", "assign_contact_points", "领导班子成员联系点", {
        "member_id": Label("领导班子成员", choices_from="leaders"),
        "sections": Label("联系的科室", choices_from="sections")},
        pages=("unit",), given={**ON_UNIT, "member_id": "choice:leaders"}),
    Action("set_requirements", "units", "set_requirements", "制定体现党员先进性的具体要求", {
        "text": Label("具体要求", textarea=True),
        "items": Label("要点", "每行一条")}, pages=("unit",), given=ON_UNIT),
    Action("schedule_meeting", "units", "schedule_meeting", "安排动员大会", {"date": "日期"},
           pages=("unit",), given=ON_UNIT),
    Action("hold_meeting", "units", "hold_meeting", "动员大会已召开", {
        "date": Label("召开日期", "不填则为安排的日期")}, pages=("unit",), given=ON_UNIT),
    Action("record_session", "study", "record_session", "登记集中学习", {
        "form": Label("学习形式", choices=tuple(FORMS.items())),
        "date": "日期", "hours": "学时",
        "content_keys": Label("学习内容", choices=tuple(REQUIRED_CONTENT.items())),
        "study_group_id": Label("学习小组", "全单位集中学习可不选", choices_from="study_groups"),
        "title": "题目"}, pages=("unit",), given=ON_UNIT, omit=("local_document",)),
    Action("record_attendance", "study", "record_attendance", "登记出勤（勾选到会党员）", {
        "session_id": Label("学习场次", choices_from="sessions"),
        "member_ids": Label("到会党员", choices_from="members")}, pages=("unit",),
        given={"session_id": "choice:sessions"}),
    Action("apply_for_transition", "units", "apply_for_transition", "申请转入下一阶段", {
        "summary": Label("本阶段工作小结", textarea=True),
        "work_since": Label("工作方面回顾起始日期", "不填为党的十六大以来"),
        "thinking_since": Label("思想方面回顾起始日期", "可不填")}, pages=("unit",), given=ON_UNIT),
    Action("record_problem", "units", "record_problem", "列入问题清单", {
        "category": Label("问题类别", choices=tuple(PROBLEM_CATEGORIES.items())),
        "description": Label("问题描述", textarea=True),
        "source": Label("问题来源", choices=PROBLEM_SOURCE),
        "source_ref": Label("来源编号", "如督办事项编号，可不填")}, pages=("unit",), given=ON_UNIT),
    Action("add_ledger_measure", "units", "add_ledger_measure", "制定整改措施", {
        "problem_id": Label("问题", choices_from="open_problems"),
        "owner_member_id": Label("责任人", choices_from="members"),
        "due": "完成时限", "commitment": Label("措施内容", textarea=True),
        "kind": Label("类型", choices=MEASURE_KIND)}, pages=("unit",),
        given={"problem_id": "choice:open_problems"}),
    Action("complete_ledger_measure", "units", "complete_ledger_measure", "整改措施已完成（附佐证材料）", {
        "measure_id": Label("整改措施", choices_from="open_measures"),
        "summary": Label("完成情况", textarea=True),
        "attachment_ids": Label("佐证材料", "上传文件（PDF、图片等）", choices_from="upload:measure_evidence"),
        "completed_on": Label("完成日期", "不填为今天")}, pages=("unit",),
        given={"measure_id": "choice:open_measures"}),
    Action("notify_public", "units", "notify_public", "向群众通报", {
        "scope": Label("通报范围（参加测评的群众）", "每行一人"),
        "date": Label("通报日期", "不填为今天"), "subject": "标题",
        "content": Label("通报内容", textarea=True),
        "rectification_status": Label("整改情况和解决问题的情况", "群众满意度测评阶段必填", textarea=True)},
        pages=("unit",), given=ON_UNIT),
    Action("submit_work_plan", "units", "submit_work_plan", "报送实施方案（三看）", {
        "leader_measures": Label("一看：领导班子带头的措施", choices=tuple(LEADER_MEASURES.items())),
        "problems": Label("二看：查找的突出问题和整改措施", "不用的行留空", rows=3, parts=(
            ("category", Label("问题类别", choices=tuple(PROBLEM_CATEGORIES.items()))),
            ("description", Label("问题描述", textarea=True)),
            ("measures", Label("整改措施", "每行一条")))),
        "guarantee_systems": Label("三看：保障制度", choices=tuple(GUARANTEE_SYSTEMS.items())),
        "speech_draft": Label("动员讲话稿", "可不填", textarea=True)}, pages=("unit",), given=ON_UNIT),
    Action("set_study_plan", "study", "set_study_plan", "制定学习计划（四落实）", {
        "personnel": Label("人员落实", parts=(
            ("scope", "参学范围"), ("study_group_ids", Label("学习小组", choices_from="study_groups")))),
        "time": Label("时间落实", parts=(
            ("self_study_from", "自学开始日期"), ("self_study_until", "自学结束日期"),
            ("centralised_from", "集中学习开始日期"), ("centralised_until", "集中学习结束日期"),
            ("planned_hours", "计划学时"))),
        "content": Label("内容落实", parts=(
            ("required", Label("必学内容", choices=tuple(REQUIRED_CONTENT.items()))),
            ("local_documents", Label("本地本单位文件", "不用的行留空", rows=2, parts=(
                ("title", "文件标题"), ("reference", "文号")))))),
        "effect": Label("效果落实", parts=(
            ("goals", Label("目标", "每行一条")), ("assessment", Label("检验办法", textarea=True))))},
        pages=("unit",), given=ON_UNIT),
)

SCORE_HELP = f"每项 {MIN_SCORE}–{MAX_SCORE} 分"
DECISION = (("approve", "同意"), ("return", "退回"))
AGREE = (("agree", "同意"), ("return", "退回"))
SUPERVISOR_ACTIONS = (
    # ---------------------------------------------------------------- the supervisor (on the unit page)
    Action("record_arrival", "supervision", "record_arrival", "督导组进驻", {"date": "进驻日期"},
           pages=("unit",), given={"unit_id": "page:unit", "group_id": "person:scope"}),
    Action("review_work_plan", "supervision", "review_work_plan", "审阅实施方案（三看）", {
        "decision": Label("审阅意见", choices=DECISION),
        "comments": Label("意见说明", "退回时必填：写明缺少的内容", textarea=True)},
        pages=("unit",), given=ON_UNIT, context="work_plan_missing"),
    Action("complete_task", "supervision", "complete_task", "进驻任务完成", {
        "task": Label("任务", choices_from="tasks"), "date": "完成日期", "note": "说明"},
        pages=("unit",), given={"unit_id": "page:unit", "task": "choice:tasks"}),
    Action("group_review", "supervision", "group_review", "督导组审核转段申请", {
        "transition_id": Label("转段申请", choices_from="open_transition"),
        "decision": Label("审核意见", choices=AGREE),
        "comments": Label("意见说明", "退回时必填", textarea=True)},
        pages=("unit",), given={"transition_id": "choice:open_transition"}, context="readiness"),
    Action("record_inspection", "supervision", "record_inspection", "督导检查（七个方面）", {
        "date": "检查日期",
        "scores": Label("七个方面评分", SCORE_HELP, parts=tuple(INSPECTION_POINTS.items())),
        "notes": Label("各方面说明", "可不填", parts=tuple(INSPECTION_POINTS.items())),
        "findings": Label("发现的问题", textarea=True)}, pages=("unit",), given=ON_UNIT),
    Action("review_measure", "units", "review_measure", "复查整改措施", {
        "measure_id": Label("待复查的措施", choices_from="completed_measures"),
        "decision": Label("复查结论", choices=(("sign_off", "销号"), ("return", "退回"))),
        "comments": Label("意见说明", textarea=True)}, pages=("unit",),
        given={"measure_id": "choice:completed_measures"}, omit=("unit_id",)),
    Action("file_report", "supervision", "file_report", "向活动办报告", {
        "kind": Label("类别", choices=tuple(REPORT_KIND.items())), "title": "标题",
        "body": Label("内容", textarea=True), "date": "日期"}, pages=("unit",),
        given=ON_UNIT, omit=("contact",)),
    # ---------------------------------------------------------------- the office (on the unit page)
    Action("office_decision", "supervision", "office_decision", "活动办审批转段", {
        "transition_id": Label("督导组已同意的转段申请", choices_from="open_transition"),
        "decision": Label("审批意见", choices=(("approve", "批准"), ("reject", "不批准"))),
        "comments": Label("意见说明", "不批准时必填", textarea=True)},
        pages=("unit",), given={"transition_id": "choice:open_transition"}),
    Action("extend_deadline", "supervision", "extend_deadline", "延长阶段期限", {
        "phase": Label("阶段", choices=tuple(PHASE.items())), "until": "延长至",
        "reason": Label("理由", textarea=True)}, pages=("unit",), given=ON_UNIT),
)
# ---------------------------------------------------------------- the office (county pages)
# R1: a group covers about 10 units; assigning one to a group already at the soft limit
# is asked to be confirmed first (``confirm_needed``), the service still only warns
RANK = tuple(RANKS.items())
OVER_SOFT_LIMIT = "该督导组负责的单位已达到或超过约10个的上限（一个督导组负责10个左右单位），仍要分配请勾选确认"
OFFICE_ACTIONS = (
    Action("register_unit", "units", "register_unit", "登记参加活动的单位", {
        "name": "单位名称", "org_type": "党组织类型",
        "batch": Label("批次", "1、2或3"),
        "sections": Label("科室", "每行一个，可不填")}, pages=("overview",)),
    Action("form_group", "supervision", "form_group", "组建督导组", {
        "name": "督导组名称",
        "leader": Label("组长", "组长须为正科级以上干部", omit=("member_id",), parts=(
            ("name", "姓名"), ("rank", Label("级别", choices=RANK)), ("home_unit", "原单位"), ("post", "职务"))),
        "members": Label("组员", "不用的行留空", rows=3, omit=("member_id",), parts=(
            ("name", "姓名"), ("rank", Label("级别", choices=RANK)), ("home_unit", "原单位"), ("post", "职务"))),
        "formed_on": Label("组建日期", "不填为今天")}, pages=("groups",)),
    Action("assign_unit", "supervision", "assign_unit", "分配单位到督导组", {
        "group_id": Label("督导组", choices_from="groups"),
        "unit_id": Label("单位", choices_from="units"),
        "date": Label("分配日期", "不填为今天")}, pages=("groups",),
        given={"group_id": "choice:groups"}, confirm=OVER_SOFT_LIMIT),
    Action("send_directive", "supervision", "send_directive", "发出督办通知", {
        "unit_id": Label("督办单位", "单位或督导组选一", choices_from="units"),
        "group_id": Label("督办督导组", "单位或督导组选一", choices_from="groups"),
        "obligation_id": Label("督办事项", "可不选", choices_from="open_obligations"),
        "text": Label("督办内容", textarea=True), "reply_by": "答复期限"}, pages=("obligations",),
        roles=("office",)),
)
ACTIONS = ACTIONS + SUPERVISOR_ACTIONS + OFFICE_ACTIONS
# ---------------------------------------------------------------- the walk (issue 17): the forms a
# unit's journey from registration to acceptance still lacked. Kept apart from the entries
# above (other branches add theirs there).
ANALYSIS_ACTIONS = (  # the unit, 分析评议 (R22, R23): evaluation's phase-2 records
    Action("record_opinions", "evaluation", "record_opinions", "征求意见（分析评议）", {
        "source": Label("征求对象", choices=tuple(OPINION_SOURCES.items())),
        "source_name": Label("具体名称", "如县直各部门、某乡镇，可不填"),
        "led_by_member_id": Label("带头征求意见的领导班子成员", choices_from="leaders"),
        "date": "日期", "opinion_count": "征求到的意见条数",
        "summary": Label("意见摘要", textarea=True)}, pages=("unit",), given=ON_UNIT),
    Action("record_talk", "evaluation", "record_talk", "谈心活动", {
        "member_id": Label("开展谈心的党员", choices_from="members"),
        "with_whom": "谈心对象", "date": "日期",
        "notes": Label("谈心情况", textarea=True)}, pages=("unit",), given=ON_UNIT),
    Action("submit_party_spirit_analysis", "evaluation", "submit_party_spirit_analysis",
           "党性分析材料", {
               "member_id": Label("党员", "领导班子成员先提交", choices_from="members"),
               "date": "日期", "summary": Label("党性分析摘要", textarea=True),
               "work_since": Label("工作方面回顾起始日期", "不填为党的十六大以来"),
               "thinking_since": Label("思想方面回顾起始日期", "可不填")},
           pages=("unit",), given=ON_UNIT),
    Action("record_democratic_life_meeting", "evaluation", "record_democratic_life_meeting",
           "专题民主生活会", {
               "date": "召开日期",
               "participant_member_ids": Label("参加的领导班子成员", choices_from="leaders"),
               "summary": Label("会议情况", "批评与自我批评、整改方向", textarea=True)},
           pages=("unit",), given=ON_UNIT),
)
PROPOSED_ACTIONS = (  # the unit answers a problem its group proposed (by hand or a low score)
    Action("accept_problem", "units", "accept_problem", "认领督导组提出的问题", {
        "problem_id": Label("督导组提出的问题", choices_from="proposed_problems"),
        "category": Label("问题类别", "不选则沿用督导组所选类别",
                          choices=tuple(PROBLEM_CATEGORIES.items()))},
        pages=("unit",), given={"problem_id": "choice:proposed_problems"}),
    Action("answer_problem", "units", "answer_problem", "答复督导组提出的问题（说明理由）", {
        "problem_id": Label("督导组提出的问题", choices_from="proposed_problems"),
        "reply": Label("答复", "写明核查情况和理由", textarea=True)},
        pages=("unit",), given={"problem_id": "choice:proposed_problems"}),
)
WALK_SUPERVISOR_ACTIONS = (
    Action("read_speech_draft", "supervision", "read_speech_draft", "审阅动员讲话稿", {
        "date": Label("审阅日期", "不填为今天"),
        "comments": Label("修改意见", textarea=True)}, pages=("unit",), given=ON_UNIT),
    Action("grant_exemption", "study", "grant_exemption", "批准免于集中学习", {
        "member_id": Label("党员", choices_from="members"),
        "reason": Label("理由", "如年老体弱", textarea=True)}, pages=("unit",), given=ON_UNIT),
    Action("record_acceptance_inspection", "evaluation", "record_acceptance_inspection",
           "检查验收（满意度测评通过后）", {
               "result": Label("验收结论", choices=(("pass", "通过"), ("fail", "不通过"))),
               "notes": Label("验收意见", textarea=True), "date": "验收日期"},
           pages=("unit",), given=ON_UNIT),
)
ACTIONS = ACTIONS + ANALYSIS_ACTIONS + PROPOSED_ACTIONS + WALK_SUPERVISOR_ACTIONS
# ---------------------------------------------------------------- issue 17 (h-office17b): 督办 by
# role, directive replies, typical cases, briefings (kept apart from the others' entries)
CASE_KIND = (("experience", "典型经验"), ("person", "典型人物"))
RECIPIENT = (("unit", "所去单位党委（党组）"), ("office", "领导小组办公室"))
RECIPIENT_NAMES = dict(RECIPIENT)
OFFICE17_ACTIONS = (
    # 督办 is the office's; a group sends one only to its own units (DESIGN.md, directives.py):
    # the supervisor's form is on the unit page, the unit given, no group to pick
    Action("send_unit_directive", "supervision", "send_directive", "向本单位发出督办通知", {
        "obligation_id": Label("督办事项", "可不选", choices_from="unit_obligations"),
        "text": Label("督办内容", textarea=True), "reply_by": "答复期限"}, pages=("unit",),
        given=ON_UNIT, omit=("group_id",), roles=("supervisor",)),
    Action("send_directive_to_own_unit", "supervision", "send_directive", "向本组负责的单位发出督办通知", {
        "unit_id": Label("督办单位", "本督导组负责的单位", choices_from="units"),
        "obligation_id": Label("督办事项", "可不选", choices_from="open_obligations"),
        "text": Label("督办内容", textarea=True), "reply_by": "答复期限"}, pages=("obligations",),
        omit=("group_id",), roles=("supervisor",)),
    # the unit answers a directive addressed to it (its text and reply date shown above)
    Action("acknowledge_directive", "supervision", "acknowledge_directive", "签收督办通知", {
        "directive_id": Label("督办通知", choices_from="unacknowledged_directives")}, pages=("unit",),
        given={"directive_id": "choice:unacknowledged_directives"}, roles=("unit",),
        needs=("directive_id",), context="unit_directives", submit="签收"),
    Action("reply_to_directive", "supervision", "reply_to_directive", "答复督办通知", {
        "directive_id": Label("督办通知", choices_from="open_directives"),
        "text": Label("答复内容", "写明办理情况", textarea=True)}, pages=("unit",),
        given={"directive_id": "choice:open_directives"}, roles=("unit",), needs=("directive_id",),
        context="unit_directives",
        submit="答复"),
    # R17: the group reports a typical case at its unit, recommends it to the unit and the office;
    # the office publicises one recommended to both
    Action("report_typical_case", "supervision", "report_typical_case", "报告典型经验或典型人物", {
        "kind": Label("类别", choices=CASE_KIND), "title": "标题",
        "description": Label("事迹或经验", textarea=True),
        "person_name": Label("典型人物姓名", "典型人物必填"), "date": "日期"}, pages=("unit",),
        given=ON_UNIT),
    Action("recommend_typical_case", "supervision", "recommend_typical_case", "推荐典型", {
        "case_id": Label("典型", choices_from="typical_cases"),
        "recipient": Label("推荐给", choices=RECIPIENT),
        "date": Label("推荐日期", "不填为今天")}, pages=("unit",),
        given={"case_id": "choice:typical_cases"}, needs=("case_id",), context="typical_cases"),
    Action("publicise_typical_case", "supervision", "publicise_typical_case", "宣传典型", {
        "case_id": Label("已向单位和活动办推荐的典型", choices_from="recommended_cases"),
        "channel": Label("宣传渠道", "如县电视台、简报、政务网"),
        "date": Label("宣传日期", "不填为今天")}, pages=("unit",),
        given={"case_id": "choice:recommended_cases"}, needs=("case_id",), context="typical_cases"),
    # 简报 (R16): the office compiles a period's reports; the list, the view and the .docx are
    # the reports page's (views.briefing)
    Action("compile_briefing", "supervision", "compile_briefing", "编发简报", {
        "title": Label("简报标题", "如“先进性教育活动简报第3期”"),
        "period_from": "收录报告起始日期", "period_to": "收录报告截止日期"}, pages=("reports",),
        submit="编发"),
)
ACTIONS = ACTIONS + OFFICE17_ACTIONS
# ---------------------------------------------------------------- issue 19 (h-erase): the office forgets
# a person (crypto-shredding): a unit's member on the unit page, a group's person on the group page.
# Irreversible, so the form asks for a tick the server checks (acting: Action.confirm)
ERASURE_REASON = Label("删除理由", "如：本人撤回同意、保存期限届满（个人信息保护法第四十七条）", textarea=True)
IRREVERSIBLE = "此操作不可撤销"
ERASURE_ACTIONS = (
    Action("erase_member", "units", "erase_member_data", "删除党员个人信息", {
        "member_id": Label("党员", choices_from="erasable_members"), "reason": ERASURE_REASON},
        pages=("unit",), given={"member_id": "choice:erasable_members"}, roles=("office",),
        needs=("member_id",), context="erasure", confirm=IRREVERSIBLE,
        confirm_label="我确认：" + IRREVERSIBLE, preselect=False, submit="删除个人信息"),
    Action("erase_group_member", "supervision", "erase_group_member_data", "删除督导组成员个人信息", {
        "member_id": Label("督导组成员", choices_from="erasable_group_people"), "reason": ERASURE_REASON},
        pages=("group",), given={"group_id": "page:group", "member_id": "choice:erasable_group_people"},
        roles=("office",), needs=("member_id",), context="group_erasure", confirm=IRREVERSIBLE,
        confirm_label="我确认：" + IRREVERSIBLE, preselect=False, submit="删除个人信息"),
)
ACTIONS = ACTIONS + ERASURE_ACTIONS

# which unit phases each unit-page form is for (a form not named here is for any phase)
_MOBILISE = ("registered", "mobilization")
_RECTIFY = ("rectification", "remedial")
PHASES_OF = {
    **dict.fromkeys(("add_section", "enrol_member", "form_study_group", "assign_contact_points",
                     "set_requirements", "schedule_meeting", "hold_meeting", "submit_work_plan",
                     "review_work_plan", "set_study_plan", "record_session", "record_attendance",
                     "read_speech_draft", "record_arrival", "complete_task", "grant_exemption"),
                    _MOBILISE),
    **dict.fromkeys(("record_opinions", "record_talk", "submit_party_spirit_analysis",
                     "record_democratic_life_meeting"), ("analysis",)),
    **dict.fromkeys(("record_problem", "add_ledger_measure", "complete_ledger_measure",
                     "review_measure", "accept_problem", "answer_problem"), _RECTIFY),
    **dict.fromkeys(("notify_public", "record_acceptance_inspection"), ("survey",)),
}
ACTIONS = tuple(dataclasses.replace(a, phases=PHASES_OF[a.name]) if a.name in PHASES_OF else a
                for a in ACTIONS)
BY_NAME = {a.name: a for a in ACTIONS}


def on_page(endpoint: str) -> tuple[Action, ...]:
    return tuple(a for a in ACTIONS if endpoint in a.pages)


def by_phase(forms: list[dict], phase: str | None) -> list[tuple[str, list[dict]]]:
    """A unit page's forms in two groups, in their order: those for the unit's current phase
    (and those for any phase) first, then the rest (still offered: a phase may be re-entered)."""
    now, other = [], []
    for form in forms:
        (now if not form["action"].phases or phase in form["action"].phases else other).append(form)
    return [("本阶段办理事项", now), ("其他办理事项", other)]


# ------------------------------------------------------------------ choice sources
def choices(source: str, read, args: dict) -> tuple:
    """((value, label), ...) of a source for the page whose path arguments are ``args``;
    ``read(service, rpc, params)`` is the dashboard's role-checked read (None when the
    person may not read it or it is missing)."""
    unit = args.get("unit")
    if source in ("members", "leaders"):
        data = read("units", "list_members", {"unit": unit}) or {}
        people = data.get("members", [])
        if source == "leaders":
            people = [m for m in people if m.get("is_leader")]
        return tuple((m["member_id"], m["name"] + (f"（{m['section']}）" if m.get("section") else ""))
                     for m in people)
    if source == "sections":
        card = read("units", "get_unit", {"unit": unit}) or {}
        return tuple((s, s) for s in card.get("sections", []))
    if source == "study_groups":
        data = read("units", "list_members", {"unit": unit}) or {}
        return tuple((g["study_group_id"], f"{g.get('section') or ''}学习小组")
                     for g in data.get("study_groups", []))
    if source == "sessions":
        data = read("study", "unit_study", {"unit": unit}) or {}
        return tuple((s["session_id"], f"{s['date']} {FORMS.get(s['form'], s['form'])} {s['hours']}学时")
                     for s in data.get("sessions", []))
    if source == "tasks":
        return tuple(TASK.items())
    if source == "open_transition":
        card = read("units", "get_unit", {"unit": unit}) or {}
        app = card.get("open_application")
        return ((app["transition_id"], f"{PHASE.get(app['from_phase'], app['from_phase'])} → "
                 f"{PHASE.get(app['to_phase'], app['to_phase'])}（{app['applied_on']}申请）"),) if app else ()
    if source == "proposed_problems":  # the walk's entries (issue 17)
        ledger = read("units", "rectification_ledger", {"unit": unit}) or {}
        return tuple((p["problem_id"], _short(p["description"])) for p in ledger.get("problems", [])
                     if p.get("status") == "proposed")
    if source in ("open_problems", "open_measures", "completed_measures"):
        ledger = read("units", "rectification_ledger", {"unit": unit}) or {}
        problems = [p for p in ledger.get("problems", []) if p.get("status") == "open"]
        if source == "open_problems":
            return tuple((p["problem_id"], _short(p["description"])) for p in problems)
        wanted = {"open_measures": ("open",), "completed_measures": ("completed",)}[source]
        return tuple((m["measure_id"], _short(m["commitment"])) for p in problems
                     for m in p.get("measures", []) if m.get("status") in wanted)
    if source == "groups":
        return tuple((g["group_id"], f"{g['name']}（负责{g['unit_count']}个单位"
                      + ("，已达上限" if _at_soft_limit(g) else "") + "）")
                     for g in read("supervision", "list_groups", {}) or [])
    if source == "units":
        return tuple((u["unit_id"], u["name"]) for u in read("units", "list_units", {}) or [])
    if source == "open_obligations":
        return tuple((o["obligation_id"], f"{OBLIGATION_TYPE.get(o['type'], o['type'])} {o.get('owed_by', '')}"
                      f"（{o['due']}到期）") for o in read("supervision", "list_obligations", {}) or []
                     if o.get("status") in ("open", "overdue"))
    if source == "erasable_members":  # issue 19: those whose name is still there
        data = read("units", "list_members", {"unit": unit}) or {}
        return tuple((m["member_id"], m["name"] + (f"（{m['section']}）" if m.get("section") else ""))
                     for m in data.get("members", []) if not m.get("erased") and m.get("name") != ERASED)
    if source == "erasable_group_people":
        group = read("supervision", "get_group", {"group": args.get("group")}) or {}
        people = sorted(group.get("people", {}).items(), key=lambda kv: not kv[1].get("is_leader"))
        return tuple((pid, _person_line(p)) for pid, p in people if p.get("name") != ERASED)
    found = _office17_choices(source, read, args)
    return found if found is not None else ()


# ------------------------------------------------------------------ issue 17 (h-office17b) sources
def unit_directives(read, unit: str) -> list[dict]:
    """The directives addressed to the unit, from its supervision history: {directive_id,
    text, reply_by, sent_on, acknowledged_on, replied_on}, by reply date."""
    entries = (read("supervision", "unit_history", {"unit": unit}) or {}).get("entries", [])
    found: dict = {}
    for e in entries:
        p = e.get("payload") or {}
        if e["type"] == "DirectiveSent" and p.get("recipient") == "unit":
            found[p["directive_id"]] = {"directive_id": p["directive_id"], "text": p["text"],
                                        "reply_by": p["reply_by"], "sent_on": p["sent_on"],
                                        "acknowledged_on": None, "replied_on": None}
        elif e["type"] == "DirectiveAcknowledged" and p.get("directive_id") in found:
            found[p["directive_id"]]["acknowledged_on"] = p["acknowledged_on"]
        elif e["type"] == "DirectiveReplied" and p.get("directive_id") in found:
            found[p["directive_id"]]["replied_on"] = p["replied_on"]
    return sorted(found.values(), key=lambda d: (d["reply_by"], d["directive_id"]))


def typical_cases(read, unit: str) -> list[dict]:
    """The unit's typical cases from its supervision history: {case_id, kind, title,
    person_name, date, recommended_to: [...], publicised_on}."""
    entries = (read("supervision", "unit_history", {"unit": unit}) or {}).get("entries", [])
    found: dict = {}
    for e in entries:
        p = e.get("payload") or {}
        if e["type"] == "TypicalCaseReported":
            found[p["case_id"]] = {"case_id": p["case_id"], "kind": p["kind"], "title": p["title"],
                                   "person_name": p.get("person_name"), "date": p["date"],
                                   "recommended_to": [], "publicised_on": None}
        elif e["type"] == "TypicalCaseRecommended" and p.get("case_id") in found:
            found[p["case_id"]]["recommended_to"].append(p["recipient"])
        elif e["type"] == "TypicalCasePublicised" and p.get("case_id") in found:
            found[p["case_id"]]["publicised_on"] = p["date"]
    return list(found.values())


def _case_line(c: dict) -> str:
    return f"{dict(CASE_KIND).get(c['kind'], c['kind'])}：{_short(c['title'])}（{c['date']}）"


def _office17_choices(source: str, read, args: dict) -> tuple | None:
    unit = args.get("unit")
    if source in ("unacknowledged_directives", "open_directives"):
        waiting = [d for d in unit_directives(read, unit) if d["replied_on"] is None]  # a reply acknowledges
        if source == "unacknowledged_directives":
            waiting = [d for d in waiting if d["acknowledged_on"] is None]
        return tuple((d["directive_id"], f"{d['reply_by']}前答复：{_short(d['text'])}") for d in waiting)
    if source == "unit_obligations":
        return tuple((o["obligation_id"], f"{OBLIGATION_TYPE.get(o['type'], o['type'])}（{o['due']}到期）")
                     for o in read("supervision", "list_obligations", {}) or []
                     if o.get("status") in ("open", "overdue") and o.get("unit_id") == unit)
    if source == "typical_cases":
        both = {r for r, _ in RECIPIENT}
        return tuple((c["case_id"], _case_line(c)) for c in typical_cases(read, unit)
                     if set(c["recommended_to"]) != both)
    if source == "recommended_cases":
        both = {r for r, _ in RECIPIENT}
        return tuple((c["case_id"], _case_line(c)) for c in typical_cases(read, unit)
                     if set(c["recommended_to"]) == both and not c["publicised_on"])
    return None


def _office17_context(source: str, read, args: dict) -> dict | None:
    unit = args.get("unit")
    if source == "unit_directives":
        waiting = [d for d in unit_directives(read, unit) if d["replied_on"] is None]
        if not waiting:
            return {"title": "督办通知", "ok": True, "lines": ["没有待答复的督办通知"]}
        return {"title": "待答复的督办通知", "ok": False, "lines": [
            f"{d['sent_on']}发出，{d['reply_by']}前答复" + ("（已签收）" if d["acknowledged_on"] else "（未签收）")
            + f"：{d['text']}" for d in waiting]}
    if source == "typical_cases":
        cases = typical_cases(read, unit)
        if not cases:
            return {"title": "本单位的典型", "ok": True, "lines": ["尚未报告典型"]}
        names = dict(RECIPIENT)
        return {"title": "本单位的典型", "ok": True, "lines": [
            _case_line(c) + "；" + ("已推荐给" + "、".join(names.get(r, r) for r in c["recommended_to"])
                                    if c["recommended_to"] else "尚未推荐")
            + (f"；{c['publicised_on']}已宣传" if c["publicised_on"] else "") for c in cases]}
    return None


# ------------------------------------------------------------------ read-only context of a form
READINESS = {  # the evaluation service's readiness codes (分析评议 done?) in Chinese
    "leaders_enrolled": "尚未登记领导班子成员",
    "leader_party_spirit_analysis": "领导班子成员未提交党性分析材料",
    "leader_heart_to_heart_talk": "领导班子成员未开展谈心活动",
    "leader_democratic_life_meeting": "领导班子成员未在专题民主生活会上开展批评和自我批评",
    "leader_led_opinion_solicitation": "没有领导班子成员带头征求群众意见",
    "member_party_spirit_analysis": "党员未提交党性分析材料",
    **{f"opinions_from_{k}": f"未向{v}征求意见" for k, v in OPINION_SOURCES.items()},
}


BLOCKERS = {  # supervision's transition blockers (GET /transitions/{id}/readiness) in Chinese
    "requirements": "单位尚未制定体现党员先进性的具体要求",
    "study": "有党员学习未达到规定学时且未批准免学",
    "rectifications": "仍有整改措施未完成",
    "ledger": "整改台账中仍有问题未销号或结转",
}


def _readiness_line(missing: dict) -> str:
    text = READINESS.get(missing.get("code"), missing.get("message") or missing.get("code", ""))
    count = len(missing.get("member_ids") or ())
    return f"{text}（{count} 人）" if count else text


def context(source: str, read, args: dict) -> dict | None:
    """{"title", "lines", "ok"} shown above a form (None when there is nothing to show):
    what a reviewer needs in sight when deciding."""
    unit = args.get("unit")
    if source == "work_plan_missing":
        card = read("units", "get_unit", {"unit": unit}) or {}
        plan = card.get("work_plan")
        if not plan:
            return {"title": "实施方案", "lines": ["尚未报送实施方案"], "ok": False}
        missing = plan.get("missing") or {}
        names = (("leader_measures", "一看缺少的领导带头措施", LEADER_MEASURES),
                 ("problems_without_measures", "二看未列整改措施的问题类别", PROBLEM_CATEGORIES),
                 ("guarantee_systems", "三看缺少的保障制度", GUARANTEE_SYSTEMS))
        lines = [f"{title}：" + "、".join(vocab.get(k, k) for k in missing[key])
                 for key, title, vocab in names if missing.get(key)]
        return {"title": f"实施方案第 {plan.get('version')} 稿缺项", "ok": not lines,
                "lines": lines or ["三看清单无缺项"]}
    if source == "readiness":
        # the open application's: leaving 分析评议, the evaluation service's readiness
        # (GET /units/{unit}/analysis/readiness); another phase, supervision's blockers
        card = read("units", "get_unit", {"unit": unit}) or {}
        app = card.get("open_application")
        if not app:
            return None
        title = f"转段条件（{PHASE.get(app['from_phase'], app['from_phase'])} → " \
                f"{PHASE.get(app['to_phase'], app['to_phase'])}）"
        if app["from_phase"] == "analysis":
            found = read("evaluation", "readiness", {"unit": unit})
            if not found:
                return None
            lines = [_readiness_line(m) for m in found.get("missing", [])]
            return {"title": title, "ok": bool(found.get("ready")),
                    "lines": lines or ["分析评议阶段的各项工作已完成"]}
        found = read("supervision", "transition_readiness", {"id": app["transition_id"]})
        if not found:
            return None
        lines = [BLOCKERS.get(b.get("check"), b.get("message", "")) for b in found.get("blockers", [])]
        return {"title": title, "ok": not lines, "lines": lines or ["本阶段的转段条件均已具备"]}
    if source in ("erasure", "group_erasure"):  # issue 19: what the erasure does, before deciding
        kept = "人数、学时、测评结果和抽样核验不受影响" if source == "erasure" else \
            "此人的级别、原单位、职务、请假和参加批次等记录不受影响"
        return {"title": "删除前请知悉", "ok": False, "lines": [
            "删除后，此人的姓名在各页面、接口以及此后的导出、审计包和备份中均显示为“已删除”，无法恢复",
            kept + "；删除记录（理由、办理人）留存备查",
            "删除前已做的备份仍含此人的密钥，须按备份管理规定处理"]}
    return _office17_context(source, read, args)


def _at_soft_limit(group: dict) -> bool:
    limit = group.get("soft_limit")
    return limit is not None and group.get("unit_count", 0) >= limit


def confirm_needed(action: Action, read, body: dict) -> bool:
    """Whether this submission of an action with a confirm step must carry the tick: an
    assignment to a group already at (or over) R1's soft limit; ``read`` as for choices."""
    if action.name == "assign_unit":
        groups = read("supervision", "list_groups", {})
        if groups is None:  # the counts unknown: asked, rather than assigned past the limit unwarned
            return True
        group = next((g for g in groups if g.get("group_id") == body.get("group_id")), None)
        return group is not None and _at_soft_limit(group)
    return action.confirm is not None


def _person_line(p: dict) -> str:
    """A group's person in a choice list: 姓名（组长，原单位职务）."""
    extras = ["组长"] if p.get("is_leader") else []
    if p.get("home_unit") or p.get("post"):
        extras.append(f"{p.get('home_unit') or ''}{p.get('post') or ''}")
    return p["name"] + (f"（{'，'.join(extras)}）" if extras else "")


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"
