"""What a person reads (面向人员的文字): dates, times and periods in Chinese or English, and the
words of every coded state, kind and purpose.

The one formatting home of the product: mail templates, dashboard pages, approval forms and
the exports meant for people all call these functions, so a date reads ``2024年4月8日``
everywhere and a record received at 01:13 UTC reads ``2024年4月8日 09:13`` (Asia/Shanghai,
the province's clock; SPEC §1). Dates go through Babel's CLDR data (``zh_CN`` / ``en``).

A code without a word here is returned as it is (``word``) so a new state is never hidden;
the walking tests of the templates and pages fail on it instead.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from babel.dates import format_date as _babel_date

from safegov.core.periods import TZ, PeriodKeyError, parse_period

LANGS = ("zh", "en")

# (Chinese, English) per code. One table: a code means the same wherever it appears.
WORDS: dict[str, tuple[str, str]] = {
    # evaluation status (履职判定)
    "met": ("按时履职", "met"),
    "met_late": ("逾期报送", "met late"),
    "missed": ("未履职", "missed"),
    "pending": ("待判定", "pending"),
    "exempt": ("豁免", "exempt"),
    # case states (问责案件)
    "open": ("待处理", "open"),
    "awaiting_approval": ("待审批", "awaiting approval"),
    "unreviewed": ("历史案件待复核", "unreviewed (backfilled)"),
    "approved": ("已批准", "approved"),
    "rejected": ("已驳回", "rejected"),
    "withdrawn": ("已撤回", "withdrawn"),
    "closed": ("已结案", "closed"),
    # blacklist states (严重失信主体名单)
    "candidate": ("拟列入", "candidate"),
    "notified": ("已告知", "notified"),
    "objection": ("异议处理中", "objection"),
    "listed": ("已列入", "listed"),
    "removed": ("已移出", "removed"),
    "expired": ("已到期", "expired"),
    # outbox states (发件箱); "outbox:" where the evaluation's word differs
    "outbox:pending": ("待发送", "pending"),
    "sending": ("发送中", "sending"),
    "sent": ("已发送", "sent"),
    "failed": ("发送失败", "failed"),
    "dead": ("多次重试后放弃", "given up"),
    "suppressed": ("不发送（历史记录）", "not sent (history)"),
    # outbox reasons
    "historical": ("历史补算，不发送", "backfilled history, not sent"),
    "horizon": ("期间过早，不再发送", "period too old to send"),
    "no_address": ("无邮箱地址", "no email address"),
    "invalid_message": ("邮件地址或内容无效", "invalid address or message"),
    "lease_expired": ("发送中断，可能已重复发送", "sending interrupted, may be a duplicate"),
    "rate_limited": ("发送频率受限，稍后重试", "rate limited, will retry"),
    "timeout_or_unreachable": ("邮件服务器无响应，稍后重试", "mail server unreachable, will retry"),
    "requeued": ("已重新排队", "requeued"),
    # subject kinds (对象类型)
    "unit": ("单位", "unit"),
    "post": ("职务", "post"),
    "department": ("部门", "department"),
    "enterprise": ("企业", "enterprise"),
    "hazard": ("事故隐患", "hazard"),
    "accident": ("生产安全事故", "accident"),
    "ticket": ("12350举报", "12350 ticket"),
    "staff": ("执法人员", "enforcement officer"),
    # case kinds (问责方式)
    "reminder": ("提醒", "reminder"),
    "notice": ("通报", "notice"),
    "interview": ("约谈", "interview"),
    "admonishment": ("诫勉谈话", "admonishment"),
    "dual_interview": ("双约谈", "dual interview"),
    "reporting_violation": ("迟报/瞒报", "reporting violation"),
    "enforcement": ("执法建议", "enforcement"),
    "blacklist": ("失信名单", "blacklist"),
    # outbox purposes (the part before ':')
    "case": ("问责通知", "case notice"),
    "escalation": ("问责通知", "case notice"),
    "digest": ("每日汇总", "daily digest"),
    "approval_reminder": ("审批催办", "approval reminder"),
    "calendar": ("日历预警", "calendar warning"),
    "task_failure": ("运行故障", "task failure"),
    "daily": ("每日", "daily"),
    # posts (职务)
    "party_secretary": ("党委书记", "party secretary"),
    "government_head": ("政府主要负责人", "government head"),
    "safety_office_director": ("安委办主任", "safety office director"),
    "department_head": ("部门负责人", "department head"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # record types (记录类型)
    "record:meeting": ("会议记录", "meeting"),
    "record:inspection": ("督导检查记录", "inspection"),
    "record:bulletin": ("事故信息通报", "bulletin"),
    "record:hazard_inspection": ("隐患排查记录", "hazard inspection"),
    "record:risk_assessment": ("风险评估记录", "risk assessment"),
    "record:hazard": ("隐患整改记录", "hazard"),
    "record:accident": ("事故报告", "accident"),
    "record:complaint": ("举报办结记录", "complaint"),
    "record:milestone": ("建设完成记录", "milestone"),
    "record:enterprise": ("企业登记", "enterprise"),
    "record:leader": ("领导干部登记", "leader"),
    "record:department": ("部门登记", "department"),
    "record:penalty": ("行政处罚决定", "administrative penalty"),
    "record:plan": ("执法计划", "enforcement plan"),
    "record:staff": ("执法人员登记", "enforcement staff"),
    "record:training": ("执法人员培训记录", "staff training"),
    # 〔十〕〔十六〕 (issue 16 items 3, 6): record types and a referral's recipients
    "record:budget": ("安全生产专项资金预算", "safety fund budget"),
    "record:safety_cost": ("企业安全生产费用提取记录", "enterprise safety costs"),
    "record:referral": ("事故情况报送纪检组织部门记录", "accident referral"),
    "record:assessment": ("重点行业领域安全状况评估公告", "key industry assessment"),
    "recipient:discipline_inspection": ("同级纪检监察机关", "discipline inspection body"),
    "recipient:organisation": ("同级党委组织部门", "organisation department"),
    # why a submitted row was quarantined (safegov.intake.validation / pipeline rules)
    "rule:required": ("必填项为空", "required value missing"),
    "rule:missing_column": ("缺少必需的列", "required column missing"),
    "rule:type": ("格式不正确", "wrong type"),
    "rule:value_set": ("取值不在允许范围内", "value not allowed"),
    "rule:min": ("数值低于下限", "below the minimum"),
    "rule:date_order": ("日期先后顺序不对", "dates out of order"),
    "rule:future_date": ("日期晚于报送时间", "date in the future"),
    "rule:credit_code": ("统一社会信用代码无效", "invalid credit code"),
    "rule:five_elements": ("整改“五落实”不全", "five elements incomplete"),
    "rule:leader_not_in_office": ("该领导当时不在任", "leader not in office"),
    "rule:duplicate_key": ("重复报送", "duplicate key"),
    "rule:unknown_unit": ("单位代码不存在", "unknown unit"),
    "rule:unknown_county": ("旗县代码不存在", "unknown county"),
    "rule:unknown_leader": ("领导编号不存在", "unknown leader"),
    "rule:unknown_enterprise": ("企业不在登记名录中", "unknown enterprise"),
    "rule:unknown_department": ("部门编号不存在", "unknown department"),
    "rule:unknown_authority": ("处罚决定机关不存在", "unknown deciding authority"),
    "rule:unknown_staff": ("执法人员编号不存在", "unknown enforcement officer"),
    "rule:uncertified_officer": ("执法人员未持证或不在岗", "officer not certified or not in service"),
    "rule:record_type": ("记录类型无法识别", "unknown record type"),
    "rule:unreadable_row": ("该行无法读取", "unreadable row"),
    "rule:ambiguous_column": ("两列含义相同", "ambiguous column"),
    "rule:cell_too_long": ("单元格内容过长", "cell too long"),
    # ---- 〔十五〕 accident reports up the chain (issue 16 item 5): record type, quarantine
    # reasons and where an accident became known (accident.known_from)
    "record:accident_report": ("事故信息报送记录", "accident report"),
    "rule:unknown_accident": ("事故编号不存在", "unknown accident"),
    "rule:unknown_party": ("报送单位或接收单位不存在", "unknown reporter or recipient"),
    "rule:reported_before_occurred": ("报送时间早于事故发生时间", "reported before the accident occurred"),
    "known_from:unit": ("属地单位报告", "the county's own report"),
    "known_from:department": ("部门报告", "a department's report"),
    "known_from:hotline": ("12350举报", "a 12350 ticket"),
    "known_from:bulletin": ("事后通报", "a later bulletin"),
    "known_from:media": ("媒体报道", "the media"),
    # 〔十三〕 emergency drills (issue 16 item 8)
    "record:drill": ("应急演练记录", "emergency drill"),
    # 〔十四〕 training reviews of liability accidents, 〔十八〕 penalty recommendations (issue 16 items 4, 7)
    "record:review": ("安全培训责任倒查记录", "training responsibility review"),
    "penalty_recommendation": ("处罚建议", "penalty recommendation"),
    "legal_representative": ("法定代表人", "legal representative"),
    "actual_controller": ("实际控制人", "actual controller"),
}

CASE_KINDS = (
    "reminder",
    "notice",
    "interview",
    "admonishment",
    "dual_interview",
    "reporting_violation",
    "enforcement",
    "blacklist",
    "penalty_recommendation",
)

_STEP_RE = re.compile(r"^(remind|r)-?(\d+)$")


def _i(lang: str) -> int:
    return 1 if lang == "en" else 0


def word(code: Any, lang: str = "zh", *, ns: str | None = None) -> str:
    """The word of a code (``missed`` → 未履职); ``ns`` picks a namespaced word first
    (``outbox`` → ``outbox:pending`` 待发送); an unknown code unchanged, None → ''."""
    if code is None or code == "":
        return ""
    pair = (ns and WORDS.get(f"{ns}:{code}")) or WORDS.get(str(code))
    return pair[_i(lang)] if pair else str(code)


def purpose_words(purpose: str | None, lang: str = "zh") -> str:
    """An outbox purpose in words: ``reminder:SC-MEET-LOCAL`` → 提醒（SC-MEET-LOCAL）."""
    if not purpose:
        return ""
    head, _, rest = purpose.partition(":")
    text = word(head, lang)
    if not rest:
        return text
    return f"{text} ({rest})" if lang == "en" else f"{text}（{rest}）"


def step_words(step: str | None, lang: str = "zh") -> str:
    """An outbox step in words: ``remind-5`` → 提前5个工作日提醒, ``r2`` → 第2次催办, a case
    kind or a calendar stage (``12-01``) as its word or date."""
    if not step:
        return ""
    m = _STEP_RE.match(step)
    if m and m[1] == "remind":
        return f"{m[2]} working day(s) before" if lang == "en" else f"提前{m[2]}个工作日提醒"
    if m:
        return f"reminder no. {m[2]}" if lang == "en" else f"第{m[2]}次催办"
    if re.fullmatch(r"\d{2}-\d{2}", step):
        month, day = step.split("-")
        return f"from {int(month)}/{int(day)}" if lang == "en" else f"{int(month)}月{int(day)}日起"
    if step == "overdue":
        return "overdue" if lang == "en" else "已逾期"
    if step == "failed":
        return word("task_failure", lang)
    return word(step, lang)


def as_date(value: Any) -> dt.date | None:
    """A date from a date, an aware datetime (its Asia/Shanghai day) or an ISO string."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(TZ).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if "T" in text or " " in text.strip():
        return as_date(dt.datetime.fromisoformat(text))
    return dt.date.fromisoformat(text)


def fmt_date(value: Any, lang: str = "zh") -> str:
    """``2024年4月8日`` (zh) / ``April 8, 2024`` (en); '' for nothing."""
    d = as_date(value)
    if d is None:
        return ""
    return _babel_date(d, "long", locale="en" if lang == "en" else "zh_CN")


def fmt_datetime(value: Any, lang: str = "zh") -> str:
    """An instant as the province reads it: ``2024年4月8日 09:13`` in Asia/Shanghai (en: with
    ``Beijing time``). A naive value is taken as UTC, how the database stores instants."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(TZ)
    clock = local.strftime("%H:%M")
    if lang == "en":
        return f"{fmt_date(local.date(), lang)} {clock} (Beijing time)"
    return f"{fmt_date(local.date(), lang)} {clock}"


_QUARTERS_ZH = "一二三四"


def fmt_period(key: Any, lang: str = "zh") -> str:
    """A period key in words: ``2024-03`` → 2024年3月, ``2024-Q1`` → 2024年第一季度,
    ``2024-H2`` → 2024年下半年, ``2024`` → 2024年; an ISO date as a date; anything else
    (an accident, hazard or ticket id standing for the period of an event) unchanged."""
    if key is None or key == "":
        return ""
    text = str(key)
    try:
        p = parse_period(text)
    except PeriodKeyError:
        try:
            return fmt_date(dt.date.fromisoformat(text), lang)
        except ValueError:
            return text
    y = p.first.year
    if p.cadence == "monthly":
        return _babel_date(p.first, "MMMM y", locale="en") if lang == "en" else f"{y}年{p.first.month}月"
    if p.cadence == "quarterly":
        q = (p.first.month - 1) // 3
        return f"Q{q + 1} {y}" if lang == "en" else f"{y}年第{_QUARTERS_ZH[q]}季度"
    if p.cadence == "half_yearly":
        h = (p.first.month - 1) // 6
        return f"H{h + 1} {y}" if lang == "en" else f"{y}年{'上下'[h]}半年"
    return str(y) if lang == "en" else f"{y}年"


def fmt_month(key: str, lang: str = "zh") -> str:
    """A ``YYYY-MM`` axis label: ``2024年3月`` / ``Mar 2024``."""
    p = parse_period(key)
    return _babel_date(p.first, "MMM y", locale="en") if lang == "en" else f"{p.first.year}年{p.first.month}月"
