"""The working-day calendar: which years it covers, and from what.

  safegov calendar status

Prints (in Chinese) the years covered by the chinesecalendar package and those entered in
config/holidays.yaml (SAFEGOV_HOLIDAYS) with their State Council notice, and the first year
not covered: the notice to enter next. A malformed holidays.yaml is refused with the file,
key and reason (exit 2).
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("action", choices=["status"])


def run(args) -> int:
    from safegov.core.holidays import holiday_calendar

    cal = holiday_calendar()
    first_uncovered = cal.first_uncovered()
    print(f"工作日日历（法定节假日与调休）覆盖情况，录入文件：{cal.path}")
    # Consecutive years with the same source on one line (the package's range, then each notice).
    year, end = cal.first_year, max([first_uncovered - 1, *cal.entries])
    while year <= end:
        if not cal.covers(year):
            year += 1
            continue
        last = year
        while last + 1 <= end and cal.covers(last + 1) and cal.source(last + 1) == cal.source(year):
            last += 1
        span = f"{year}年" if last == year else f"{year}–{last}年"
        print(f"  {span}：{cal.source(year)}")
        year = last + 1
    print(f"首个未覆盖年份：{first_uncovered}年")
    print(f"  {cal.missing_message(first_uncovered)}")
    return 0
