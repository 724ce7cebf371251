"""``config/holidays.yaml``: years beyond the chinesecalendar package, validated with named errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safegov.core.holidays import HolidaysError, holiday_calendar, load_holidays, package_years
from safegov.core.periods import TZ, CalendarRangeError, calendar_years, grace_ends_at, is_working_day, parse_period

D = dt.date
ROOT = Path(__file__).resolve().parents[2]


def _package_2026_entry() -> str:
    """The 2026 entry that agrees with the package day by day."""
    import chinese_calendar

    days = [D(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    off = [d for d in days if not chinese_calendar.is_workday(d)]
    work = [d for d in days if chinese_calendar.is_workday(d) and d.weekday() >= 5]
    return (
        "years:\n  2026:\n    notice: 国办发明电〔2025〕7号\n"
        f"    days_off: [{', '.join(map(str, off))}]\n    workdays: [{', '.join(map(str, work))}]\n"
    )


def test_shipped_file_enters_no_year_and_loads():
    cal = load_holidays(ROOT / "config" / "holidays.yaml")
    assert cal.entries == {}
    assert cal.first_uncovered() == package_years()[1] + 1


def test_without_the_next_year_a_date_in_it_names_the_year(holidays_file):
    with pytest.raises(CalendarRangeError, match="2027年法定节假日安排未录入") as info:
        is_working_day(D(2027, 1, 4))
    assert info.value.year == 2027
    assert calendar_years() == (2004, 2026)


def test_an_entered_year_gives_working_days_and_grace_ends(holidays_file):
    from tests.conftest import HOLIDAYS_2027

    holidays_file(HOLIDAYS_2027)
    cases = [
        (D(2027, 1, 1), False),  # New Year's Day (a Friday) off
        (D(2027, 1, 2), False),  # a plain Saturday
        (D(2027, 1, 4), True),  # a plain Monday
        (D(2027, 2, 20), True),  # make-up Saturday
        (D(2027, 2, 21), False),  # the Sunday after it
    ]
    for day, working in cases:
        assert is_working_day(day) is working, day
    assert calendar_years() == (2004, 2027)
    # December 2026 + 5 working days: 4–8 January 2027 (1 January off).
    assert grace_ends_at(parse_period("2026-12"), 5) == dt.datetime(2027, 1, 9, tzinfo=TZ)
    cal = holiday_calendar()
    assert cal.source(2027) == "holidays.yaml（国办发明电〔2026〕99号（测试））"
    assert cal.source(2026).startswith("chinesecalendar ")
    assert cal.first_uncovered() == 2028


def test_a_year_entered_while_running_is_used_without_restart(holidays_file):
    from tests.conftest import HOLIDAYS_2027

    with pytest.raises(CalendarRangeError):
        is_working_day(D(2027, 1, 5))
    holidays_file(HOLIDAYS_2027)
    assert is_working_day(D(2027, 1, 5)) is True


def test_an_agreeing_entry_for_a_package_year_is_accepted(holidays_file):
    holidays_file(_package_2026_entry())
    assert holiday_calendar().source(2026).startswith("chinesecalendar ")


@pytest.mark.parametrize(
    "text, key, reason",
    [
        (  # a date outside its year
            "years:\n  2027:\n    notice: N\n    days_off: [2028-01-01]\n",
            "years.2027.days_off[0]",
            "不在2027年内",
        ),
        (
            "years:\n  2027:\n    notice: N\n    workdays: [2027-01-02, 2026-12-26]\n",
            "years.2027.workdays[1]",
            "不在2027年内",
        ),
        (  # a make-up working day on a weekday (4 January 2027 is a Monday)
            "years:\n  2027:\n    notice: N\n    workdays: [2027-01-04]\n",
            "years.2027.workdays[0]",
            "是星期一，调休上班日只能是周六或周日",
        ),
        (  # a day both off and working
            "years:\n  2027:\n    notice: N\n    days_off: [2027-02-20]\n    workdays: [2027-02-20]\n",
            "years.2027",
            "2027-02-20 同时列在 days_off 和 workdays 中",
        ),
        (  # disagreement with the package for a year it covers: 1 January 2026 is a holiday
            "years:\n  2026:\n    notice: N\n    days_off: []\n",
            "years.2026",
            "与 chinesecalendar 1.11.0 不一致",
        ),
        ("years:\n  2027:\n    days_off: []\n", "years.2027.notice", "格式不符"),
        ("years:\n  2027:\n    notice: N\n    days_of: [2027-01-01]\n", "years.2027.days_of", "格式不符"),
        ("years:\n  2027:\n    notice: N\n    days_off: [2027-02-30]\n", "years.2027.days_off.0", "格式不符"),
        ("years: [2027\n", "", "不是有效的 YAML"),
    ],
)
def test_invalid_files_are_refused_with_file_key_and_reason(tmp_path, text, key, reason):
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HolidaysError) as info:
        load_holidays(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}")
    assert reason in message


def test_a_broken_file_is_loud_where_a_later_year_is_asked(holidays_file):
    holidays_file("years:\n  2027:\n    notice: N\n    workdays: [2027-01-04]\n")
    with pytest.raises(HolidaysError, match="workdays"):
        is_working_day(D(2027, 1, 4))
    assert is_working_day(D(2026, 1, 5)) is True  # the package's years need no file


@pytest.mark.parametrize(
    "on, entered, expected",
    [
        (D(2026, 10, 31), False, None),  # before 1 November: no alert yet
        (D(2026, 11, 1), False, (2027, "11-01")),
        (D(2026, 11, 30), False, (2027, "11-01")),
        (D(2026, 12, 3), False, (2027, "12-01")),  # today
        (D(2026, 12, 15), False, (2027, "12-15")),
        (D(2026, 12, 31), False, (2027, "12-15")),
        (D(2027, 1, 20), False, (2027, "overdue")),  # the year began without its schedule
        (D(2026, 12, 3), True, None),  # entered: nothing to say
        (D(2027, 1, 20), True, None),
        (D(2027, 11, 2), True, (2028, "11-01")),  # next year's turn
        (D(2025, 12, 20), False, None),  # 2026 is in the package
    ],
)
def test_calendar_alert_stages(holidays_file, on, entered, expected):
    from tests.conftest import HOLIDAYS_2027

    from safegov.core.holidays import calendar_alert

    if entered:
        holidays_file(HOLIDAYS_2027)
    alert = calendar_alert(on, holiday_calendar())
    assert (alert and (alert.year, alert.stage)) == expected
    if alert:
        assert f"《国务院办公厅关于{alert.year}年部分节假日安排的通知》" in alert.message


def test_importing_the_periods_reads_no_yaml_and_no_holidays_module():
    """Cheap at DAG parse time: the holidays file and its schema load on first use only."""
    import subprocess
    import sys

    code = (
        "import sys, safegov.core.periods, safegov.core.settings; "
        "print(sorted(m for m in ('yaml', 'safegov.core.holidays') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
