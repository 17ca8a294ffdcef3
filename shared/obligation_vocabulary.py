"""The obligations' vocabulary in Chinese, for every page and export that shows them (the
supervision service's Excel export and the gateway's dashboard): codes stay English in the
code and the API."""
from __future__ import annotations

TYPE_LABELS = {"arrival": "督导组到位", "contact_details": "报告联系方式", "work_plan": "实施方案审批",
               "requirements": "制定具体要求", "study_floor": "学时达标", "phase_deadline": "阶段期限",
               "measure": "整改措施", "survey_close": "测评结束", "directive": "督办回复",
               "respondent_erasure": "删除测评群众姓名"}
# in the order pages show them: what needs urging first
STATUS_LABELS = {"overdue": "已逾期", "open": "待完成", "met_late": "逾期完成",
                 "met_on_time": "按期完成", "waived": "已免除"}
OWED_BY_LABELS = {"unit": "单位", "group": "督导组", "office": "活动办"}
