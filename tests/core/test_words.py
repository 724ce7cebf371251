"""Dates, times, periods and codes in words (safegov.core.words)."""

from __future__ import annotations

import datetime as dt

import pytest

from safegov.core.words import WORDS, fmt_date, fmt_datetime, fmt_period, purpose_words, step_words, word


@pytest.mark.parametrize(
    "value, zh, en",
    [
        (dt.date(2024, 4, 8), "2024年4月8日", "April 8, 2024"),
        ("2024-04-08", "2024年4月8日", "April 8, 2024"),
        # An instant is dated by its Beijing day: 20:00 UTC on the 7th is the 8th in Hohhot.
        (dt.datetime(2024, 4, 7, 20, 0, tzinfo=dt.UTC), "2024年4月8日", "April 8, 2024"),
        (None, "", ""),
    ],
)
def test_dates(value, zh, en):
    assert (fmt_date(value), fmt_date(value, "en")) == (zh, en)


@pytest.mark.parametrize(
    "value, zh",
    [
        (dt.datetime(2024, 4, 8, 1, 13, tzinfo=dt.UTC), "2024年4月8日 09:13"),  # the example
        ("2024-04-08T01:13:00+00:00", "2024年4月8日 09:13"),
        (dt.datetime(2024, 4, 8, 1, 13), "2024年4月8日 09:13"),  # naive = UTC, as stored
        (dt.datetime(2024, 12, 31, 16, 30, tzinfo=dt.UTC), "2025年1月1日 00:30"),  # the year turns in Beijing
    ],
)
def test_times_are_beijing_times(value, zh):
    assert fmt_datetime(value) == zh
    assert fmt_datetime(value, "en").endswith("(Beijing time)")


@pytest.mark.parametrize(
    "key, zh, en",
    [
        ("2024-03", "2024年3月", "March 2024"),
        ("2024-Q1", "2024年第一季度", "Q1 2024"),
        ("2024-Q4", "2024年第四季度", "Q4 2024"),
        ("2024-H1", "2024年上半年", "H1 2024"),
        ("2024-H2", "2024年下半年", "H2 2024"),
        ("2024", "2024年", "2024"),
        ("2024-04-09", "2024年4月9日", "April 9, 2024"),  # an event's day
        ("ACC-2", "ACC-2", "ACC-2"),  # an event id stands for its period
    ],
)
def test_periods(key, zh, en):
    assert (fmt_period(key), fmt_period(key, "en")) == (zh, en)


@pytest.mark.parametrize(
    "code, zh",
    [
        ("missed", "未履职"),
        ("awaiting_approval", "待审批"),
        ("suppressed", "不发送（历史记录）"),
        ("objection", "异议处理中"),
    ],
)
def test_codes(code, zh):
    assert word(code) == zh and word(code, "en") != zh


def test_every_word_has_both_languages_and_chinese_is_chinese():
    for code, (zh, en) in WORDS.items():
        assert zh and en, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), code


@pytest.mark.parametrize(
    "step, zh",
    [
        ("remind-5", "提前5个工作日提醒"),
        ("r2", "第2次催办"),
        ("12-01", "12月1日起"),
        ("notice", "通报"),
        ("daily", "每日"),
    ],
)
def test_steps(step, zh):
    assert step_words(step) == zh


def test_purposes():
    assert purpose_words("reminder:SC-MEET-LOCAL") == "提醒（SC-MEET-LOCAL）"
    assert purpose_words("approval_reminder") == "审批催办"


def test_every_quarantine_rule_and_record_type_has_words():
    """The data-quality page names why rows were refused: each intake rule in words."""
    from safegov.intake import pipeline, validation
    from safegov.register.records import RECORD_TYPES

    rules = {
        v for m in (pipeline, validation) for k, v in vars(m).items() if k.startswith("RULE_") and isinstance(v, str)
    }
    rules |= set(validation.RULE_UNKNOWN.values())
    assert {r for r in rules if f"rule:{r}" not in WORDS} == set()
    assert {t for t in RECORD_TYPES if f"record:{t}" not in WORDS} == set()
