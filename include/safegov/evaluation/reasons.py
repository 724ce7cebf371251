"""The reasons of evaluation verdicts in Chinese, for what a person reads (the dashboard's
detail, the notice emails).

``evaluation.reason`` stores codes: one code (``no_records``), a code with figures
(``below_quota: 1 of 2``) or several codes joined by ',' (``late_report,concealed``). A
code without a Chinese text here is shown as it is, so a new rule's reason is never hidden.
"""

from __future__ import annotations

REASONS: dict[str, str] = {
    # count and milestone
    "no_records": "本期无报送记录",
    "below_quota": "完成数量不足",
    "above_quota_max": "完成数量超过上限",
    "evidence_rejected": "报送记录未通过校验被退回",
    "late_records": "按时完成但逾期报送",
    "late_completion": "超过完成时限后才完成",
    "not_archived": "未建档",
    "not_led_by_responsible_person": "非法定代表人或实际控制人带队",
    "no_safety_duty": "无安全生产职责",
    "not_registered": "尚未登记",
    "registered_in_period": "期间内新登记",
    "closed": "已注销",
    "closed_in_period": "期间内注销",
    # 〔八〕 supervising bodies
    "unsupervised": "企业未明确安全生产监管主体",
    "no_enterprises": "辖区内无在册企业",
    # 〔九〕 enforcement staff
    "not_in_service": "不在岗",
    "first_cycle": "入职未满一个轮训周期",
    # 〔十〕 safety costs, 〔十六〕 assessments announced
    "not_high_risk": "非高危行业企业，无需提取安全生产费用",
    "nothing_extracted": "未提取安全生产费用（提取额为0）",
    "not_published": "未向社会公告",
    # hazards and 12350 tickets
    "rectified_late": "逾期整改",
    "not_rectified": "逾期未整改",
    "concluded_late": "逾期办结",
    "not_concluded": "逾期未办结",
    "calendar_not_available": "工作日历未覆盖办理期限",
    # accidents (Decree 493 art. 9; Decision 〔十五〕)
    "late_report": "迟报",
    "under_graded": "谎报（低报等级）",
    "grade_not_declared": "未报告事故等级",
    "concealed": "瞒报",
    # 〔十五〕 accident reports up the chain (Decree 493 art. 10–11; ACCIDENT-REPORT-CHAIN)
    "omitted": "漏报",
    "forward_missing": "未逐级上报",
    "forward_late": "逐级上报超过时限",
    "direct_missing": "较大涉险未直报自治区",
    "direct_late": "较大涉险未第一时间直报自治区",
    "office_not_told": "部门未向同级安委办报告",
    "not_simultaneous": "部门未同时向同级安委办报告",
    "not_in_force": "事故发生时条例尚未施行",
    # 〔十四〕 training reviews of liability accidents
    "review_late": "逾期倒查安全培训责任",
    "not_reviewed": "逾期未倒查安全培训责任",
}


def reason_zh(reason: str | None) -> str:
    """The stored reason in Chinese: each ','-joined code translated, figures after ':' kept
    (``below_quota: 1 of 2`` → ``完成数量不足（已计入1，应为2）``); unknown codes unchanged."""
    if not reason:
        return ""
    parts = []
    for part in reason.split(","):
        code, sep, figures = part.strip().partition(":")
        text = REASONS.get(code.strip(), code.strip())
        if sep:
            counted, of, required = figures.strip().partition(" of ")
            figures = f"已计入{counted}，应为{required}" if of else figures.strip()
            text = f"{text}（{figures}）"
        parts.append(text)
    return "、".join(parts)
