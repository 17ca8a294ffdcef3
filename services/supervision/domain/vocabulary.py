"""The fixed lists the supervision rules speak in, with their Chinese labels."""
from __future__ import annotations

from shared.cadre_ranks import RANKS  # noqa: F401  (its home: shared)

# R3 "督导组到位后，近期主要任务是审核好工作方案、督导好一个动员会、准备好一个讲话"
REVIEW_WORK_PLAN = "review_work_plan"
SUPERVISE_MEETING = "supervise_mobilization_meeting"
PREPARE_SPEECH = "prepare_leader_speech"
ARRIVAL_TASKS = {
    REVIEW_WORK_PLAN: "审核好工作方案",
    SUPERVISE_MEETING: "督导好一个动员会",
    PREPARE_SPEECH: "准备好一个讲话",
}

# Unit phases as the units service names them (contracts).
PHASES = ("registered", "mobilization", "analysis", "rectification", "survey", "accepted",
          "remedial")
# Transitions by application, and the one phase each leads to: no phase is ever skipped.
NEXT_PHASE = {
    "mobilization": "analysis",
    "analysis": "rectification",
    "rectification": "survey",
    "remedial": "survey",
}
# Phases that carry a deadline the office may extend (R6).
EXTENDABLE_PHASES = ("mobilization", "analysis", "rectification", "survey", "remedial")

# R14 "督导组要重点督查……" — exactly these seven points (shared: units lists low scores)
from shared.inspection_points import INSPECTION_POINTS  # noqa: E402,F401

# R16 report kinds; the last two are "及时汇报" at once and flagged urgent.
REPORT_KINDS = {
    "contact_details": "联系方式",
    "progress": "进展情况",
    "typical_experience": "典型经验",
    "major_issue": "重大问题",
    "policy_issue": "政策性、倾向性问题",
}
URGENT_REPORT_KINDS = ("major_issue", "policy_issue")
# Briefing (简报) sections in print order: what needs the leading group's attention first.
BRIEFING_SECTIONS = ("major_issue", "policy_issue", "progress", "typical_experience")

# R17 "好做法、好经验、好典型和……典型人物"
TYPICAL_CASE_KINDS = {"experience": "典型经验", "person": "典型人物"}
# "及时向所去单位党委（党组）推荐，向县委先进性教育活动领导小组办公室推荐"
RECOMMENDATION_RECIPIENTS = {"unit": "所去单位党委（党组）", "office": "领导小组办公室"}

# R18 "每个督导组都要建立学习、议事、请假等制度"
BRANCH_RULES = {"study": "学习制度", "deliberation": "议事制度", "leave": "请假制度"}
# "这次派出的所有督导组成员，还要参加第二批或第三批先进性教育活动"
LATER_BATCHES = (2, 3)

GROUP_REVIEW_DECISIONS = ("agree", "return")
OFFICE_DECISIONS = ("approve", "reject")
PLAN_DECISIONS = ("approve", "return")
LEAVE_DECISIONS = ("approve", "deny")
