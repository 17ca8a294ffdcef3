"""The services' domain refusals in Chinese, for the dashboard (the JSON API keeps English).

``REFUSALS`` is a table of (English pattern, Chinese template). A pattern is written as the
service's message with ``{name}`` where the raise site puts a value (an id, a date, a phase);
``_compile`` escapes the rest, so a pattern reads like its raise site
(tests/unit/gateway/test_refusals_zh.py checks each one still matches a raise site in
services/*/domain). The template puts the captured values back: a group named ``phase…`` is
said as the phase's Chinese name, one named ``codes`` (a list of codes the service joins with
", ") as their Chinese names. ``translate`` answers None when no pattern matches (the caller
then shows the message as the service said it)."""
from __future__ import annotations

import functools
import re

from services.gateway.dashboard import labels


def _compile(english: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", english)
    out = []
    for i, part in enumerate(parts):
        out.append(f"(?P<{part}>.+?)" if i % 2 else re.escape(part))
    return re.compile("".join(out), re.S)


# (the service's message, with {name} for a value; the Chinese said on the dashboard)
_TABLE = (
    # ---------------------------------------------------------------- who may act; a field's text
    ("only the leading-group office may {doing}", "此项只能由县委先进性教育活动办公室办理"),
    ("only the office or a member of group {group} may {doing}", "此项只能由活动办或督导组 {group} 的成员办理"),
    ("only the leading-group office registers units", "参加活动的单位由活动办登记"),
    ("only the leading-group office erases a member's personal data", "党员个人信息只能由活动办删除"),
    ("only the unit itself may do this", "此项只能由本单位办理"),
    ("a unit may act only on itself, not on another unit", "只能办理本单位的事项，不能办理其他单位的事项"),
    ("only a supervisor of the unit's own group re-checks (复查) its ledger", "整改台账由本单位所属督导组的成员复查"),
    ("only the unit's supervision group {group} may do this", "此项只能由该单位的督导组 {group} 办理"),
    ("only unit {unit} may record this", "此项只能由单位 {unit} 登记"),
    ("unit {unit} has no supervision group assigned", "单位 {unit} 尚未分配督导组"),
    ("group {group} is not unit {unit}'s supervision group", "督导组 {group} 不是单位 {unit} 的督导组"),
    ("{field} must not be empty", "此项不能为空"),
    ("{field} must be a non-empty text", "此项不能为空"),
    ("{field} is longer than {limit} characters", "内容过长（不超过 {limit} 个字）"),
    ("{field} must be an ISO date like 2005-02-18", "请填写日期（如 2005-02-18）"),
    ("{field} must be an ISO date like 2024-02-18", "请填写日期（如 2024-02-18）"),
    ("{field} must be an ISO date (YYYY-MM-DD)", "请填写日期（如 2024-02-18）"),
    ("category must be one of the plan's 二看: {choices}", "问题类别须为实施方案“二看”所列的类别，请从列表中选择"),
    ("{field} must be one of {choices}", "请从列表中选择"),
    ("{field} must be a person", "请填写人员的姓名、单位和职务"),
    # ---------------------------------------------------------------- units: the unit page
    ("unit '{unit}' is already registered", "单位 {unit} 已登记，不能重复登记"),
    ("sections must not repeat", "科室名称不能重复"),
    ("section '{section}' already exists", "科室“{section}”已存在"),
    ("section '{section}' is not a section of unit '{unit}'", "“{section}”不是本单位的科室"),
    ("member '{member}' is already enrolled", "党员 {member} 已登记，不能重复登记"),
    ("a serving member must belong to a section of the unit", "在职党员须填写所在科室"),
    ("the personal data of member '{member}' was already erased", "该党员的个人信息已删除，无需再次删除"),
    ("the roster names no member", "名册中没有党员"),
    ("{count} of {rows} rows of the roster have problems; nothing was enrolled",
     "名册 {rows} 行中有 {count} 行有问题，均未登记，请修改后重新导入"),
    ("member '{member}' is not a member of unit '{unit}'", "{member} 不是本单位党员"),
    ("member '{member}' is already in study group '{group}'", "党员 {member} 已编入学习小组 {group}"),
    ("member '{member}' works in section '{section}', not '{other}'; only retired cadres join "
     "another section's study group",
     "党员 {member} 在“{section}”工作，不在“{other}”；只有离退休干部可编入其他科室的学习小组"),
    ("study group '{group}' already exists", "学习小组 {group} 已存在"),
    ("section '{section}' already has study group '{group}'", "“{section}”已有学习小组 {group}"),
    ("the study group of '{section}' is led by that section's head; member '{member}' is not a "
     "serving member of it",
     "“{section}”的学习小组由该科室负责人任组长；{member} 不是该科室的在职党员"),
    ("member_ids must not repeat", "党员不能重复"),
    ("study group '{group}' is not a study group of unit '{unit}'", "{group} 不是本单位的学习小组"),
    ("member '{member}' is not in the leadership; only leaders take contact points",
     "{member} 不是领导班子成员；联系点只由领导班子成员负责"),
    ("name at least one section as contact point", "请至少选择一个科室作为联系点"),
    ("specific requirements are produced in the first phase (学习动员); the unit is in '{phase}'",
     "体现党员先进性的具体要求在学习动员阶段制定；本单位现处于{phase}阶段"),
    ("the work plan is malformed", "实施方案格式有误，请检查后重新报送"),
    ("work plan version {version} is approved and can no longer be replaced",
     "第 {version} 稿实施方案已经审核同意，不能再替换"),
    ("the mobilisation meeting was already held on {date}", "动员大会已于 {date} 召开"),
    ("a mobilisation meeting cannot be scheduled in the past", "动员大会不能安排在今天以前"),
    ("the mobilisation meeting was never scheduled; schedule it first (the group must arrive two "
     "days before it)", "尚未安排动员大会，请先安排（督导组须在动员会前两天到位）"),
    ("the meeting is scheduled for {scheduled}; reschedule it before holding it on {date}",
     "动员大会安排在 {scheduled}；如在 {date} 召开，请先重新安排日期"),
    ("the meeting scheduled for {date} cannot be marked held before it happens",
     "动员大会安排在 {date}，尚未到期，不能登记为已召开"),
    ("the mobilisation meeting is held only once the supervision group has arrived and approved "
     "the work plan; missing: {codes}",
     "督导组进驻并审核同意实施方案后，方可召开动员大会；尚缺：{codes}"),
    ("application '{transition}' is still open; wait for its review before applying again",
     "转段申请 {transition} 尚在审核中，请待审核后再申请"),
    ("transition id '{transition}' was already used", "申请编号 {transition} 已使用，请重新提交"),
    ("a registered unit starts phase 学习动员 by holding its mobilisation meeting, not by application",
     "已登记单位召开动员大会即进入学习动员阶段，无需申请"),
    ("a unit in the satisfaction survey leaves it only by the survey's result and the acceptance "
     "inspection (检查验收) after it",
     "群众满意度测评阶段根据测评结果和其后的检查验收结束，不能申请转段"),
    ("an accepted unit has finished the campaign", "本单位已通过检查验收，教育活动已经结束"),
    ("phase '{phase}' cannot be left by application", "{phase}阶段不能通过申请转段"),
    ("the study service's readiness answer is required before leaving 学习动员",
     "暂未取得学习情况核查结果，不能转出学习动员阶段，请稍后再试"),
    ("members are below the centralised-study floor (一般不得少于40学时) without a recorded exemption",
     "有党员集中学习未达 40 学时且未经批准免学，不能转出学习动员阶段"),
    ("the unit's specific requirements (具体要求) must be set before leaving 学习动员",
     "转出学习动员阶段前，须先制定体现党员先进性的具体要求"),
    ("the evaluation service's phase-2 readiness answer is required before leaving 分析评议",
     "暂未取得分析评议情况核查结果，不能转出分析评议阶段，请稍后再试"),
    ("分析评议 is not finished; missing: {codes}", "分析评议尚未完成：{codes}"),
    ("a review period (R19) belongs to the 分析评议 summary only", "复查期只在分析评议阶段小结时填写"),
    ("no rectification measures were set in phase '{phase}'", "{phase}阶段尚未制定整改措施"),
    ("every leadership member leads rectification with a measure or commitment of their own",
     "每位领导班子成员都须有本人的整改措施或整改承诺"),
    ("{count} problems of the rectification ledger are neither signed off nor carried forward "
     "with the group's acceptance: {problems}",
     "整改台账中有 {count} 个问题既未销号、也未经督导组同意结转：{problems}"),
    # ---------------------------------------------------------------- units: ledger (整改台账)
    ("problems are listed from 分析评议 until the survey's verdict, not in '{phase}'",
     "问题清单自分析评议阶段起列入，至测评结论为止；本单位现处于{phase}阶段"),
    ("problem '{problem}' already exists", "问题 {problem} 已列入清单"),
    ("problem '{problem}' is not on unit '{unit}''s list", "问题 {problem} 不在本单位的问题清单上"),
    ("problem '{problem}' is {status}, not proposed: only a problem the group proposed is accepted "
     "or answered", "问题 {problem} 不是督导组提出待认领的问题，不能认领或答复"),
    ("an answer to a proposed problem gives its reasons: reply is required",
     "答复督导组提出的问题，须说明理由"),
    ("problem '{problem}' is {status}; only an open problem is carried forward",
     "问题 {problem} 不是未整改完成的问题，不能结转"),
    ("problem '{problem}' already awaits the group's answer on carrying it forward",
     "问题 {problem} 的结转申请正等待督导组答复"),
    ("problem '{problem}' has no proposal to carry it forward awaiting the group",
     "问题 {problem} 没有待督导组答复的结转申请"),
    ("rectification measures are set in 整改提高 or 补课, not in '{phase}'",
     "整改措施在整改提高或补课阶段制定；本单位现处于{phase}阶段"),
    ("measure '{measure}' already exists", "整改措施 {measure} 已存在"),
    ("problem '{problem}' was carried forward (结转); it takes no new measures",
     "问题 {problem} 已结转，不再制定新的整改措施"),
    ("problem '{problem}' is {status}: measures go under a problem the unit accepted "
     "(POST /problems/{id}/acceptance)", "问题 {problem} 尚未认领；整改措施须针对本单位已认领的问题"),
    ("a measure cannot be due in the past", "整改时限不能早于今天"),
    ("measure '{measure}' is not a measure of unit '{unit}'", "{measure} 不是本单位的整改措施"),
    ("measure '{measure}' was already completed on {date}; it awaits the group's re-check (复查)",
     "整改措施 {measure} 已于 {date} 报告完成，正等待督导组复查"),
    ("measure '{measure}' was signed off (销号) on {date}", "整改措施 {measure} 已于 {date} 销号"),
    ("measures are completed during rectification, not in '{phase}'",
     "整改措施在整改期间完成；本单位现处于{phase}阶段"),
    ("a measure cannot be completed in the future", "完成日期不能晚于今天"),
    ("a measure is reported done with its evidence: attachment_ids names at least one uploaded "
     "file (POST /api/v1/attachments, purpose measure_evidence)", "报告整改完成须附至少一份佐证材料"),
    ("attachment_ids names a file twice", "同一份佐证材料附了两次"),
    ("these attachments are not the unit's stored measure evidence: {files}",
     "以下附件不是本单位上传的整改佐证材料：{files}"),
    ("measure '{measure}' is {status}: the group re-checks (复查) a measure the unit has reported done",
     "整改措施 {measure} 尚未报告完成，督导组只复查已报告完成的措施"),
    ("a returned measure says why: comments are required", "退回整改措施须说明理由"),
    ("there is no campaign progress to notify in phase '{phase}'", "{phase}阶段没有需要向群众通报的活动进展"),
    ("notification '{notification}' already exists", "通报 {notification} 已存在"),
    ("the notification's scope names at least one person: the survey samples only inside it",
     "通报范围须至少列出一人（满意度测评只在通报范围内抽样）"),
    ("scope must not name a person twice", "通报范围中有人重复列出"),
    ("a notification in phase survey frames the satisfaction survey and must state the "
     "rectification status (rectification_status: 整改情况和解决问题的情况)",
     "群众满意度测评阶段的通报是测评的依据，须写明整改情况和解决问题的情况"),
    ("one new, distinct pseudonymous id per person of the scope is needed",
     "通报范围中每人须有一个新的、互不相同的编号"),
    # ---------------------------------------------------------------- supervision: the group page
    ("group {group} already exists", "督导组 {group} 已存在"),
    ("a group leader must be a section-level cadre (科级)", "督导组组长须由科级干部担任"),
    ("a group needs at least one member besides its leader", "督导组除组长外至少须有一名成员"),
    ("each person may appear in a group only once", "同一人在督导组中只能出现一次"),
    ("group {group} does not exist", "督导组 {group} 不存在"),
    ("unit '{unit}' is not registered", "单位 {unit} 尚未登记"),
    ("unit {unit} is not registered", "单位 {unit} 尚未登记"),
    ("unit {unit} is already assigned to group {group}", "单位 {unit} 已分配给督导组 {group}"),
    ("an assignment cannot be dated {date}, after today ({today})",
     "分配日期 {date} 晚于今天（{today}），请重新选择"),
    ("group {group} was formed on {formed}; it cannot have been assigned a unit on {date}",
     "督导组 {group} 于 {formed} 组建，分配日期 {date} 不能早于组建日期"),
    ("an arrival cannot be recorded for {date}, after today ({today})",
     "进驻日期 {date} 晚于今天（{today}），请重新选择"),
    ("the group was assigned unit {unit} on {assigned}; it cannot have arrived there on {date}",
     "单位 {unit} 于 {assigned} 分配给本组，进驻日期 {date} 不能早于分配日期"),
    ("unit {unit} is not one of group {group}'s units", "单位 {unit} 不是督导组 {group} 负责的单位"),
    ("the group already arrived at unit {unit} on {date}", "本组已于 {date} 进驻单位 {unit}"),
    ("the group must arrive at unit {unit} before it can {doing}", "督导组须先进驻单位 {unit}，才能办理此项"),
    ("the unit has not submitted its secretary's speech draft", "该单位尚未报送书记的动员讲话稿"),
    ("the work-plan task is done by approving the unit's work plan",
     "“审阅实施方案”一项以审核同意该单位的实施方案完成"),
    ("task {task} is already done", "该进驻任务已经完成"),
    ("supervising the mobilisation meeting needs the secretary's speech draft read and the "
     "meeting held", "督导动员大会须先审阅书记的动员讲话稿，并待动员大会召开"),
    ("unit {unit} has not submitted a work plan", "单位 {unit} 尚未报送实施方案"),
    ("work plan version {version} was already reviewed ({status})", "第 {version} 稿实施方案已经审阅"),
    ("the checklist finds items missing from the plan: return it with comments instead of approving",
     "对照检查，实施方案尚有缺项：请填写意见退回，不能审核同意"),
    ("scores must map each of the seven points to a score", "七个方面须逐项打分"),
    ("an inspection scores exactly the seven points", "督导检查只对七个方面打分"),
    ("each point is scored as a whole number from {low} to {high}", "每个方面的分数应为 {low} 至 {high} 的整数"),
    ("inspection {inspection} is already recorded", "督导检查 {inspection} 已登记"),
    ("notes may only be given for the seven points", "说明只能针对七个方面填写"),
    ("a unit cannot move from {phase_from} to {phase_to}", "单位不能从{phase_from}阶段转入{phase_to}阶段"),
    ("nobody reviews or approves their own application", "不能审核或审批本人提交的申请"),
    ("transition application {transition} does not exist", "转段申请 {transition} 不存在"),
    ("the application belongs to another unit", "该申请属于其他单位"),
    ("the group already reviewed application {transition} ({status})", "督导组已审核过转段申请 {transition}"),
    ("the unit is not ready to leave its phase: return the application with comments",
     "该单位尚不具备转段条件：请填写意见退回申请"),
    ("the supervision group has not agreed to this application yet; the office decides only what "
     "the group agreed", "督导组尚未同意该申请；活动办只审批督导组已同意的申请"),
    ("the supervision group returned this application; the unit must apply again",
     "督导组已退回该申请，须由单位重新申请"),
    ("application {transition} was already {status}", "转段申请 {transition} 已经审批"),
    ("only the current phase's deadline can be extended; the unit is in {phase}",
     "只能延长当前阶段的期限；该单位现处于{phase}阶段"),
    ("an extension must end after today", "延长后的期限须晚于今天"),
    ("an extension must move the deadline later", "延长后的期限须晚于原期限"),
    ("phase '{phase}' has no deadline to extend", "{phase}阶段没有可延长的期限"),
    ("the unit has already left phase '{phase}'", "该单位已转出{phase}阶段"),
    ("{until} is earlier than the phase's deadline {current}; an extension only extends",
     "{until} 早于本阶段期限 {current}；延期只能推后"),
    ("report {report} is already filed", "报告 {report} 已报送"),
    ("a contact-details report needs at least one way to reach the group", "联系方式报告至少须填写一种联系方式"),
    ("typical case {case} is already reported", "典型 {case} 已报告"),
    ("typical case {case} does not exist", "典型 {case} 不存在"),
    ("typical case {case} was already recommended to the {recipient}", "典型 {case} 已向{recipient}推荐过"),
    ("typical case {case} is already publicised", "典型 {case} 已宣传"),
    ("briefing {briefing} is already compiled", "简报 {briefing} 已编发"),
    ("the period cannot end before it starts", "截止日期早于起始日期"),
    ("no reports to brief in that period", "该时段内没有可编入简报的报告"),
    ("reason is at most {limit} characters", "理由不能超过 {limit} 个字"),
    ("{member} is not a member of group {group}", "此人不是本督导组的成员"),
    ("the personal data of group member '{member}' was already erased", "该督导组成员的个人信息已删除，无需再次删除"),
    ("the group's temporary Party branch already exists", "督导组临时党支部已经成立"),
    ("the temporary branch needs its study, deliberation and leave rules", "临时党支部须制定学习、议事和请销假制度"),
    ("the branch secretary must be a member of the group", "临时党支部书记须为本督导组成员"),
    ("meeting {meeting} is already recorded", "会议 {meeting} 已登记"),
    ("an exemplary person needs their name", "典型人物须填写姓名"),
    ("a typical case is publicised only after it was recommended to both the unit and the office",
     "典型须先向所去单位党委（党组）和活动办推荐，才能宣传"),
    # ---------------------------------------------------------------- supervision: 督办
    ("a directive goes to one unit or one group: give unit_id or group_id", "督办通知须发给一个单位或一个督导组"),
    ("directive {directive} was already sent", "督办通知 {directive} 已经发出"),
    ("the reply date has already passed", "答复期限已过，请选择今天或以后的日期"),
    ("only the office directs a supervision group", "只有活动办可以向督导组发出督办通知"),
    ("no unit {unit}", "没有单位 {unit}"),
    ("no group {group}", "没有督导组 {group}"),
    ("no obligation {obligation} of this recipient", "该收件方没有事项 {obligation}"),
    ("no directive {directive}", "没有督办通知 {directive}"),
    ("only the directive's recipient ({recipient} {id}) answers it", "只有督办通知的收件方才能签收或答复"),
    ("directive {directive} was acknowledged on {date}", "督办通知 {directive} 已于 {date} 签收"),
    ("directive {directive} was answered on {date}", "督办通知 {directive} 已于 {date} 答复"),
    ("no obligation {obligation}", "没有事项 {obligation}"),
    ("obligation {obligation} is already waived", "事项 {obligation} 已免除"),
    ("obligation {obligation} was met on {date}: there is nothing to waive",
     "事项 {obligation} 已于 {date} 完成，无需免除"),
    # ---------------------------------------------------------------- study
    ("a study plan must fix personnel, time, content and effect (四落实); missing: {codes}",
     "学习计划须做到人员、时间、内容、效果“四落实”；尚缺：{codes}"),
    ("the plan names study groups the unit has not formed", "学习计划中有本单位未组建的学习小组"),
    ("the centralised study period ends before it starts", "集中学习的结束日期早于开始日期"),
    ("planned centralised study is below the floor", "计划集中学习时间少于规定（一般不得少于40学时）"),
    ("the self-study period ends before it starts", "自学的结束日期早于开始日期"),
    ("content outside the required list must be given as a local document with a document reference",
     "必学篇目以外的学习内容，须作为本地文件填写标题和文号"),
    ("a local document must carry a title and a document reference", "本地文件须填写标题和文号"),
    ("this study session is already recorded", "该次集中学习已登记"),
    ("unknown study form '{form}'", "学习形式不在规定之列，请从列表中选择"),
    ("a session must name its content from the required list or as a local document with a reference",
     "集中学习须填写学习内容（必学篇目，或注明文号的本地文件）"),
    ("the unit has no such study group", "本单位没有这个学习小组"),
    ("a session's length must be positive and at most {hours} 学时", "每次学习时长须大于零，且不超过 {hours} 学时"),
    ("hours must be a number", "学时须填写数字"),
    ("hours '{value}' is not a number", "学时“{value}”不是数字"),
    ("hours '{value}' is not a finite number", "学时“{value}”不是有效数字"),
    ("hours '{value}' must be a whole or half 学时", "学时“{value}”须为整数或半学时"),
    ("no such study session in this unit", "本单位没有这次集中学习"),
    ("attendance needs a non-empty list of member ids", "请至少勾选一名到会党员"),
    ("a member is listed twice in one attendance record", "同一名党员在出勤记录中重复"),
    ("attendance can only be recorded for members of the unit", "只能登记本单位党员的出勤"),
    ("attendance already recorded for these members at this session", "这些党员在该次学习的出勤已经登记"),
    ("attendance cannot be recorded before the session takes place", "学习尚未举行，不能登记出勤"),
    ("a study exemption is granted or revoked by the unit's supervision group or the office, never "
     "by the unit for itself", "免于集中学习由督导组或活动办批准或撤销，单位不能自行批准"),
    ("unit {unit} is not in your supervision group", "单位 {unit} 不由本督导组负责"),
    ("an exemption can only be granted to a member of the unit", "只能批准本单位党员免于集中学习"),
    ("an exemption from the study floor must give a reason", "批准免于集中学习须说明理由"),
    ("this member is already exempted", "该党员已获准免于集中学习"),
    ("unit {unit} is not known to the study service", "学习情况中尚无单位 {unit}，请稍后再试"),
    # ---------------------------------------------------------------- evaluation: 分析评议
    ("{role} {member} is not a member of unit {unit}", "{member} 不是本单位的党员"),
    ("record {record} already exists", "记录 {record} 已存在"),
    ("opinion_count must be a whole number of opinions, 0 or more", "意见条数须为 0 或正整数"),
    ("opinions are solicited from departments (部办委局), townships (乡镇) or frequent visitors "
     "(经常办事的群众)", "征求意见的对象须为部办委局、乡镇或经常办事的群众"),
    ("a heart-to-heart talk (谈心) needs someone other than the member", "谈心须与本人以外的人进行"),
    ("member {member} has already submitted a Party-spirit analysis", "党员 {member} 已提交党性分析材料"),
    ("the Party-spirit analysis (党性分析材料) needs its text or summary", "党性分析材料须填写正文或摘要"),
    ("the democratic life meeting (专题民主生活会) needs its participants", "专题民主生活会须填写参会人员"),
    ("a participant is listed twice", "参会人员重复"),
    ("the special democratic life meeting is the leadership's own; these participants are not leaders",
     "专题民主生活会由领导班子成员参加；所列人员中有非领导班子成员"),
    ("criticism and self-criticism rest on each leader's own Party-spirit analysis; these "
     "participants have not submitted one",
     "开展批评和自我批评以本人的党性分析为基础；所列人员中有人尚未提交党性分析材料"),
    ("unit {unit} is in phase '{phase}'; analysis and evaluation (分析评议) records are taken in "
     "phase {phases}", "分析评议的记录在分析评议阶段登记；该单位现处于{phase}阶段"),
    ("unit {unit} has no leadership members enrolled; leaders write their Party-spirit analyses "
     "first (带头撰写党性分析材料)", "本单位尚未登记领导班子成员；领导班子成员须带头撰写党性分析材料"),
    ("leaders write their Party-spirit analyses first (带头撰写党性分析材料); some leaders have not "
     "submitted yet", "领导班子成员须带头撰写党性分析材料；尚有领导班子成员未提交"),
    # ---------------------------------------------------------------- evaluation: 满意度测评, 检查验收
    ("survey {survey} already exists", "测评 {survey} 已存在"),
    ("group {group} has not arrived at unit {unit}; it opens a survey only at a unit it has arrived at",
     "督导组尚未进驻单位 {unit}，进驻后方可组织测评"),
    ("unit {unit} is in phase '{phase}'; a survey opens only in phase 'survey' (after rectification, "
     "or after 补课)", "满意度测评在群众满意度测评阶段（整改提高或补课之后）进行；该单位现处于{phase}阶段"),
    ("survey {survey} of unit {unit} is still open", "该单位的测评 {survey} 尚未结束"),
    ("survey {survey} was already held in this survey round; a new survey needs the unit back in "
     "phase 'survey' after 补课", "本轮已进行过测评 {survey}；补课后回到测评阶段方可再次测评"),
    ("the sample size must be a positive whole number", "抽样人数须为正整数"),
    ("a sample of {size} is larger than the notified scope of {scope}", "抽样人数 {size} 超过通报范围的 {scope} 人"),
    ("a sample of {size} is too small to be valid: at least {low} people, or the whole notified "
     "scope of {scope} when smaller, must be sampled (at least {required} here)",
     "抽样人数 {size} 过少：须至少抽取 {low} 人（通报范围不足 {scope} 人时全部抽取），本次至少 {required} 人"),
    ("unit {unit} has not notified a scope of people (通报) yet; the survey samples only inside it",
     "该单位尚未向群众通报（满意度测评只在通报范围内抽样）"),
    ("the notified scope contains an empty entry", "通报范围中有空白项"),
    ("the notified scope lists some people twice, which would make the sample ambiguous; notify "
     "again with distinct identifiers", "通报范围中有人重复列出，请重新通报，每人一个编号"),
    ("the latest notification {notification} of unit {unit} was made in {made_in}; the notification "
     "framing a survey is made in the survey phase, so notify again (with the rectification status) "
     "first",
     "该单位最近一次通报不是在本轮测评阶段作出的；测评依据的通报须在测评阶段作出，请先重新通报（写明整改情况）"),
    ("the latest notification {notification} of unit {unit} does not state the rectification "
     "status (整改情况和解决问题的情况); notify again with it before the survey",
     "该单位最近一次通报未写明整改情况和解决问题的情况，请在测评前重新通报"),
    ("no survey {survey} has been opened for unit {unit} (so no seed is committed); cannot {doing}",
     "该单位没有已组织的测评 {survey}"),
    ("survey {survey} belongs to group {group}", "测评 {survey} 由督导组 {group} 组织"),
    ("survey {survey} has already been drawn; a second draw is refused", "测评 {survey} 已经抽样，不能再次抽样"),
    ("survey {survey} is already closed", "测评 {survey} 已经结束"),
    ("public_entropy must be a string of at most 200 characters", "公开随机数不能超过 200 个字符"),
    ("the revealed seed does not match the hash committed when the survey opened",
     "抽样种子与开始测评时登记的不符，未能抽样"),
    ("survey {survey} has not been drawn yet; nobody could vote", "测评 {survey} 尚未抽样，无人投票，不能结束"),
    ("only {cast} ballots cast; at least {needed} needed to tally", "仅收回 {cast} 张测评票，至少 {needed} 张方可统计"),
    ("survey {survey} is closed; no more ballots", "测评 {survey} 已经结束，不再接受投票"),
    ("this ballot token has already been used; each token votes once", "此测评票已经使用，每张票只能投一次"),
    ("the inspection result must be pass or fail", "检查验收结果须为通过或不通过"),
    ("inspection {inspection} already recorded", "检查验收 {inspection} 已登记"),
    ("unit {unit} has no passed satisfaction survey; acceptance inspection follows a passed survey",
     "该单位群众满意度测评尚未合格；测评合格后方可检查验收"),
    ("unit {unit} already passed acceptance inspection", "该单位已通过检查验收"),
    ("unit {unit} failed acceptance inspection after survey {survey}; it is inspected again only "
     "after rectification and a new passed survey", "该单位检查验收未通过；须整改并重新测评合格后再检查验收"),
)

REFUSALS = tuple((_compile(english), chinese) for english, chinese in _TABLE)


@functools.lru_cache(maxsize=1)
def _codes() -> dict:
    """Codes a refusal lists (what is missing) in Chinese."""
    from services.gateway.dashboard.workbench import READINESS
    return {**READINESS, "group_arrival": "督导组进驻", "work_plan_approved": "督导组审核同意实施方案",
            "personnel": "人员落实", "time": "时间落实", "content": "内容落实", "effect": "效果落实"}


def _said(name: str, value: str) -> str:
    if name.startswith("phase"):
        return labels.phase(value.strip("'"))
    if name == "codes":
        return "、".join(_codes().get(c, c) for c in value.split(", "))
    if name == "recipient":
        return {"unit": "所去单位党委（党组）", "office": "活动办"}.get(value, value)
    return value


def translate(message: str) -> str | None:
    """The refusal in Chinese, or None when it is not one of the table's."""
    for pattern, template in REFUSALS:
        found = pattern.fullmatch(message)
        if found:
            return template.format(**{k: _said(k, v) for k, v in found.groupdict().items()})
    return None
