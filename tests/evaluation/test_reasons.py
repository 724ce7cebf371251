"""Verdict reasons in Chinese for what a person reads."""

from __future__ import annotations

import pytest

from safegov.evaluation.reasons import reason_zh


@pytest.mark.parametrize(
    "reason, text",
    [
        ("no_records", "本期无报送记录"),
        ("late_completion", "超过完成时限后才完成"),
        ("late_records", "按时完成但逾期报送"),
        ("below_quota: 1 of 2", "完成数量不足（已计入1，应为2）"),
        ("late_report,concealed", "迟报、瞒报"),
        ("not_published", "未向社会公告"),  # 〔四〕 risk results, 〔十六〕 assessments
        ("not_a_known_code", "not_a_known_code"),  # no text: shown as stored, never hidden
        ("nothing_extracted,not_high_risk", "未提取安全生产费用（提取额为0）、非高危行业企业，无需提取安全生产费用"),
        (None, ""),
    ],
)
def test_reason_zh(reason, text):
    assert reason_zh(reason) == text


def test_notice_mail_names_the_reason_in_chinese():
    from safegov.notification.outbox import render

    ctx = {
        "obligation_id": "ENFORCEMENT-AGENCY-2017",
        "obligation_title": "2017年年底前盟市、旗县级政府全部设立安全生产监管执法机构",
        "article": ["九"],
        "subject_id": "150102",
        "period": "2017",
        "due_on": "2017-12-31",
        "required": 1,
        "counted": 1,
        "reason": "a miss",
        "details": {"why": "a miss", "reason": "late_completion"},
    }
    _subject, text, html = render("notice", ctx, lang="zh")
    assert "原因：超过完成时限后才完成。" in text
    assert "超过完成时限后才完成" in html
