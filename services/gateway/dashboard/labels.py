"""Chinese labels for the dashboard (codes stay English in the code and the API)."""
from __future__ import annotations

import re

from shared.obligation_vocabulary import OWED_BY_LABELS, STATUS_LABELS, TYPE_LABELS

PHASES = ("registered", "mobilization", "analysis", "rectification", "survey", "remedial", "accepted")
PHASE = {
    "registered": "已登记", "mobilization": "学习动员", "analysis": "分析评议",
    "rectification": "整改提高", "survey": "群众满意度测评", "accepted": "检查验收",
    "remedial": "补课",
}
BATCH = {"1": "第一批", "2": "第二批", "3": "第三批"}
ROLE = {"office": "县委先进性教育活动办公室", "supervisor": "督导组", "unit": "单位",
        "auditor": "审计", "respondent": "测评群众", "operator": "运维"}
FLAG = {
    "late_arrival": "督导组迟到", "sections_without_study_group": "有科室未建学习小组",
    "requirements_missing": "未制定具体要求", "retired_members_without_group": "离退休党员未编组",
    "work_plan_missing": "未报实施方案", "work_plan_returned": "实施方案被退回",
    "work_plan_missing_guarantee_systems": "实施方案缺保障制度", "remedial": "测评不合格，补课中",
    "meeting_not_scheduled": "动员会未安排", "overdue": "有逾期事项",
    "open_rectification": "整改未完成", "group_over_soft_limit": "督导组单位过多",
}
REPORT_KIND = {
    "major_issue": "重大问题", "policy_issue": "政策性问题", "progress": "工作进展",
    "contact_details": "联系方式", "typical_experience": "典型经验", "other": "其他",
}
OBLIGATION_TYPE, OBLIGATION_STATUS, OWED_BY = TYPE_LABELS, STATUS_LABELS, OWED_BY_LABELS
TASK = {"review_work_plan": "审阅实施方案", "supervise_mobilization_meeting": "督导动员大会",
        "prepare_leader_speech": "指导领导讲话"}
TASK_STATE = {"open": "未完成", "done": "已完成"}
SURVEY_STATUS = {"no_survey": "未测评", "open": "进行中", "drawn": "已抽样", "closed": "已结束",
                 "passed": "合格", "failed": "不合格", "remedial": "补课中",
                 "invalid": "无效（须重新测评）"}
# invalid: under the minimum turnout, neither passed nor failed (issue 15)
OUTCOME = {"passed": "合格", "failed": "不合格", "invalid": "无效（须重新测评）", None: "—"}
SERVICE = {"units": "单位", "supervision": "督导", "study": "学习", "evaluation": "测评"}
EVENT = {
    "UnitRegistered": "单位登记", "MobilizationMeetingScheduled": "安排动员大会",
    "MobilizationMeetingHeld": "召开动员大会", "PhaseEntered": "进入阶段",
    "UnitAssigned": "分配督导组", "GroupArrived": "督导组进驻", "ReportFiled": "督导组报告",
    "WorkPlanReviewed": "审阅实施方案", "ArrivalTaskCompleted": "进驻任务完成",
    "SpeechDraftRead": "审阅动员讲话稿", "TransitionAgreed": "督导组同意转段",
    "TransitionReturned": "督导组退回转段申请", "TransitionApproved": "活动办批准转段",
    "TransitionRejected": "活动办不批准转段", "DeadlineExtended": "延长阶段期限",
    "InspectionRecorded": "督导检查", "CommitteeMeetingAttended": "列席领导小组会议",
    # AcceptanceInspected: supervision's legacy 检查验收, no longer written (the evaluation
    # service owns it now) but still in old logs, so its entries keep their label
    "WorkingOfficeChecked": "检查工作机构", "AcceptanceInspected": "检查验收",
    "TypicalCaseReported": "报告典型", "TypicalCaseRecommended": "推荐典型",
    "TypicalCasePublicised": "宣传典型",
    "DirectiveSent": "发出督办通知", "DirectiveAcknowledged": "签收督办通知", "DirectiveReplied": "答复督办通知",
}


def flag(code: str) -> str:
    return FLAG.get(code, code)


def phase(code: str | None) -> str:
    return PHASE.get(code or "", code or "—")


def batch(code) -> str:
    return BATCH.get(str(code), f"第{code}批")


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# why a unit entered a phase (the units service's reasons, in English) in Chinese on its timeline
_REASONS = (
    (re.compile(r"mobilisation meeting \(动员会\) held on (\S+)"), "动员大会于{0}召开"),
    (re.compile(r"transition \S+ approved"), "转段申请经活动办批准"),
    (re.compile(r"satisfaction survey \S+ passed and acceptance inspection \S+ \(检查验收\) passed"),
     "群众满意度测评合格，检查验收通过"),
    (re.compile(r"satisfaction survey \S+ failed: leadership (\S+), campaign (\S+) satisfied, below two thirds; "
                r"补课 required"),
     "群众满意度测评不合格（对领导班子满意率 {0}，对教育活动满意率 {1}，低于三分之二），须补课"),
    (re.compile(r"acceptance inspection \S+ \(检查验收\) failed(?:: (.*))?; back to 整改提高", re.S),
     "检查验收未通过，返回整改提高"),
)


def reason(text: str | None) -> str:
    """A phase entry's reason in Chinese where it is one the units service gives; else as is."""
    for pattern, chinese in _REASONS:
        found = pattern.fullmatch(text or "")
        if found:
            said = chinese.format(*(g or "" for g in found.groups()))
            notes = found.groups()[0] if "检查验收未通过" in chinese else None
            return said + (f"：{notes}" if notes else "")
    return text or ""
