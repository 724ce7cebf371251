"""Workbooks meant for people: dates and times as they read them (Beijing time), beside the
CSV's value, and coded columns in words."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from safegov.reports.xlsx import write_xlsx
from safegov.web.i18n import spreadsheet_words


def test_dates_times_and_rules_read_in_chinese():
    labels, translations = spreadsheet_words()
    rows = [
        {
            "received_at": dt.datetime(2024, 4, 8, 1, 13, tzinfo=dt.UTC),  # 09:13 in Hohhot
            "opened_on": dt.date(2024, 4, 8),
            "rule": "required",
            "record_type": "meeting",
            "period": "2024-Q1",
        }
    ]
    buf = io.BytesIO()
    write_xlsx(rows, list(rows[0]), buf, labels=labels, translations=translations)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    header = [c.value for c in ws[1]]
    row = dict(zip([c.value for c in ws[2]], [c.value for c in ws[3]], strict=True))
    assert row["received_at_zh"] == "2024年4月8日 09:13" and row["received_at"] == "2024-04-08T01:13:00+00:00"
    assert row["opened_on_zh"] == "2024年4月8日"
    assert (row["rule_zh"], row["record_type_zh"], row["period_zh"]) == ("必填项为空", "会议记录", "2024年第一季度")
    assert "接收时间" in header and "接收时间（原值）" in header and "立案日期（原值）" in header
