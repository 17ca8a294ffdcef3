"""The work plan's vocabulary (R4), the contract between the units service, which
stores plans, and the supervision service, whose checklist reads them.

"具体讲，主要看三个方面" (speech A): 一看 leaders' measures, 二看 the prominent problems,
三看 the guarantee systems. Keys are stable English identifiers; values the labels."""

# 一看: 领导带头的措施是否落实
LEADER_MEASURES = {
    "participate_as_ordinary_member": "以普通党员身份参加教育活动",
    "lead_study": "带头参加学习",
    "give_party_lecture": "带头给党员讲党课或作专题报告",
    "find_problems": "带头查找问题",
    "lead_criticism": "带头开展批评与自我批评",
    "set_rectification": "带头制定和落实整改措施",
}

# 二看: 需要解决的突出问题是否找准
PROBLEM_CATEGORIES = {
    "members_and_organisations": "党员和党组织存在的突出问题",
    "party_and_government_style": "群众反映强烈的党风、政风、行风方面的突出问题",
    "reform_development_stability": "影响本地本单位改革发展稳定的突出问题",
    "livelihood": "与群众生产生活密切相关的问题",
    "internal_management": "本单位内部管理方面突出问题",
}

# 三看: 各项保证措施是否到位
GUARANTEE_SYSTEMS = {
    "leadership_responsibility": "领导责任制",
    "contact_points": "党员联系点制度",
    "supervision_inspection": "督促检查制度",
    "mass_evaluation": "群众监督评价制度",
    "acceptance": "成果验收制度",
}
