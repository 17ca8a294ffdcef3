"""The demo county as data: its units, their sections and the state each is taken to.

The units are those the seed speeches name or imply: the county Party committee office
(B's own unit, 县委办公室, whose plan names only four guarantee systems), the offices and
departments a county-level campaign covers, and the two economic pillars the county
secretary names ("建设全省水电大县和茶叶大县": the water-resources and tea bureaux).

``target`` is where the loader takes the unit through the real API:
  registered            registered only (batch 3 waits its turn)
  scheduled             mobilisation meeting scheduled ahead, group arrived on time
  group_absent          meeting scheduled ten days ahead, its group never arrives: by
                        today (HISTORY_DAYS later) its arrival and plan are overdue
  mobilization          meeting held, study under way: members below the 40-学时 floor
  plan_returned         B's unit: its four-system plan returned by the group, so its
                        meeting waits (held only with an approved plan)
  mobilization_applied  ready, its transition application awaiting the group's review
  analysis              分析评议, with phase-2 records
  rectification         整改提高, measures open
  survey                waiting for the satisfaction survey, the public notified
  accepted_clear        survey passed comfortably, acceptance inspection passed
  accepted_exact        survey passed at exactly 2/3 (20 of 30), acceptance inspection passed
  remedial              survey failed just below 2/3 (19 of 30): 补课

The county is loaded as it stood ``HISTORY_DAYS`` ago (`make run` runs the services that
far behind the wall while it loads, then at the wall's time): five weeks into a campaign
whose batch 1 began on the day of loading. By today the group that never came to 县农业局
is overdue, as are the plans not yet approved for meetings now passed, batch 1's phase-1
deadline for the units still in 学习动员, 补课's deadline, the measures due three weeks in
that are still open, and the office's unanswered directive; another directive was answered.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# days between the county's loading and today: more than batch 1's phase 1 (33 days)
HISTORY_DAYS = 35

# sections per kind of unit (the leadership team is a section of its own: 领导班子)
LEADERSHIP = "领导班子"


@dataclass(frozen=True)
class DemoUnit:
    name: str
    org_type: str
    batch: int
    sections: tuple
    target: str
    group: int                 # 0, 1, 2: which of the three supervision groups
    late_arrival: bool = False
    b_plan: bool = False       # modelled on B's plan: no 成果验收制度
    extra: dict = field(default_factory=dict)


def _u(name, org_type, batch, sections, target, group, **kw):
    return DemoUnit(name, org_type, batch, (LEADERSHIP, *sections), target, group, **kw)


UNITS: tuple[DemoUnit, ...] = (
    # ---- batch 1: county organs, started with B's meeting -----------------------------------
    _u("县委办公室", "党支部", 1, ("秘书科", "综合科", "信息科", "督查室", "机要局", "保密局"),
       "plan_returned", 0, b_plan=True),
    _u("县委组织部", "党支部", 1, ("干部科", "组织科", "办公室", "老干部科"), "accepted_clear", 0),
    _u("县委宣传部", "党支部", 1, ("理论科", "宣传科", "办公室", "文明办"), "accepted_exact", 0),
    _u("县纪委", "党支部", 1, ("办公室", "纪检监察室", "案件审理室", "党风廉政室"), "remedial", 0),
    _u("县政府办公室", "党组", 1, ("秘书科", "综合科", "信息科", "法制办"), "survey", 1),
    _u("县发改局", "党组", 1, ("办公室", "计划科", "投资科", "价格科"), "rectification", 1),
    _u("县财政局", "党组", 1, ("办公室", "预算股", "国库股", "农财股", "综合股"), "rectification", 1),
    _u("县教育局", "党委", 1, ("办公室", "普教股", "人事股", "计财股"), "analysis", 1),
    _u("县卫生局", "党组", 1, ("办公室", "医政股", "防保股", "计财股"), "analysis", 2),
    _u("县公安局", "党委", 1, ("政工室", "治安大队", "刑侦大队", "户政科", "指挥中心"),
       "mobilization", 2, late_arrival=True),
    _u("县水利局", "党组", 1, ("办公室", "水政股", "工程股", "农村水电股"), "mobilization_applied", 2),
    _u("县茶叶局", "党组", 1, ("办公室", "生产股", "市场股", "茶叶站"), "analysis", 2),
    # ---- batch 2 ----------------------------------------------------------------------------
    _u("县人大常委会办公室", "党组", 2, ("秘书科", "法工委", "财经委"), "mobilization", 0),
    _u("县政协办公室", "党组", 2, ("秘书科", "提案委", "文史委"), "mobilization", 0),
    _u("县委统战部", "党支部", 2, ("办公室", "民宗科", "经济科"), "scheduled", 0),
    _u("县委政法委", "党支部", 2, ("办公室", "综治办", "执法监督科"), "scheduled", 1),
    _u("县人民法院", "党组", 2, ("政工科", "民事庭", "刑事庭", "执行局"), "mobilization", 1),
    _u("县人民检察院", "党组", 2, ("政工科", "公诉科", "反贪局", "批捕科"), "scheduled", 1),
    _u("县民政局", "党组", 2, ("办公室", "救灾救济股", "优抚安置股"), "registered", 2),
    _u("县交通局", "党组", 2, ("办公室", "运输股", "公路段"), "registered", 2),
    _u("县国土资源局", "党组", 2, ("办公室", "地籍股", "矿管股", "利用股"), "registered", 2),
    _u("县农业局", "党组", 2, ("办公室", "农技站", "植保站", "经管站"), "group_absent", 0),
    # ---- batch 3 ----------------------------------------------------------------------------
    _u("县林业局", "党组", 3, ("办公室", "营林股", "林政股"), "registered", 0),
    _u("县建设局", "党组", 3, ("办公室", "规划股", "城建股"), "registered", 0),
    _u("县工商局", "党组", 3, ("办公室", "市场股", "企业股"), "registered", 1),
    _u("县地税局", "党组", 3, ("办公室", "征管股", "稽查局"), "registered", 1),
    _u("县人事局", "党组", 3, ("办公室", "公务员股", "工资福利股"), "registered", 1),
    _u("县劳动和社会保障局", "党组", 3, ("办公室", "就业股", "社保股"), "registered", 2),
    _u("县统计局", "党组", 3, ("办公室", "综合股", "农调队"), "registered", 2),
    _u("县供销社", "党委", 3, ("办公室", "业务股", "财会股"), "registered", 2),
)

GROUPS = (
    {"name": "县委第一督导组", "leader": ("section", "县委组织部", "组织科科长"),
     "members": [("deputy_section", "县委宣传部", "副科长"), ("staff", "县财政局", "科员"),
                 ("staff", "县人事局", "科员")]},
    {"name": "县委第二督导组", "leader": ("section", "县委宣传部", "理论科科长"),
     "members": [("deputy_section", "县纪委", "副主任"), ("staff", "县教育局", "科员"),
                 ("clerk", "县委办公室", "办事员")]},
    {"name": "县委第三督导组", "leader": ("deputy_section", "县纪委", "纪检监察室副主任"),
     "members": [("staff", "县卫生局", "科员"), ("staff", "县民政局", "科员"),
                 ("staff", "县水利局", "科员")]},
)

# B's plan (the 县委办公室 speech): six things leaders do first, its problems, and its
# four guarantee systems -- 领导责任制, 党员领导干部联系点制度, 督查制度, 群众评价制度;
# no 成果验收制度, which is why the group returns it.
LEADER_MEASURES = ["participate_as_ordinary_member", "lead_study", "give_party_lecture",
                   "find_problems", "lead_criticism", "set_rectification"]
# R14: an inspection's seven points as the demo's groups score them (one is set low where the
# ledger should show the proposal it makes)
INSPECTION_SCORES = {"leadership_responsibility": 8, "leaders_set_example": 8, "working_strength": 7,
                     "measures_in_place": 7, "problems_solved": 6, "results_evident": 7, "work_promoted": 8}
B_SYSTEMS = ["leadership_responsibility", "contact_points", "supervision_inspection",
             "mass_evaluation"]
ALL_SYSTEMS = B_SYSTEMS + ["acceptance"]
PROBLEMS = [
    {"category": "party_and_government_style", "description": "服务意识不强，门难进、脸难看、事难办",
     "measures": ["推行首问负责制", "领导班子成员分片联系科室"]},
    {"category": "internal_management", "description": "文山会海，办文办会效率不高",
     "measures": ["精简文件会议", "建立督查督办台账"]},
    {"category": "reform_development_stability",
     "description": "围绕建设全省水电大县和茶叶大县目标服务大局不够",
     "measures": ["深入乡镇调研", "为重点项目开辟绿色通道"]},
]
SPEECH_DRAFT = ("同志们：今天，我们在这里召开保持共产党员先进性教育活动动员大会，"
                "标志着我单位先进性教育活动正式启动。下面，我讲四点意见……")

REQUIREMENTS = {"text": "保持共产党员先进性的具体要求",
                "items": ["理想信念坚定", "学习在前、服务在先", "廉洁自律", "团结协作、敢于负责"]}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国红文志春梅海兰云林辉成荣新东德福玉凤丹亮斌光学忠祥宏俊峰琴松"


def person_name(rng, used: set) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in used:
            used.add(name)
            return name


def public_names(unit_name: str, count: int) -> list[str]:
    """The people told of the unit's progress (the survey's frame): those the speech says
    to ask -- departments, townships and people who often come to the unit on business."""
    kinds = ("部门代表", "乡镇代表", "办事群众")
    return [f"{unit_name}{kinds[i % 3]}{i + 1:02d}" for i in range(count)]
