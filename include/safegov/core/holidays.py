"""The office's holiday schedules (``config/holidays.yaml``) and which years the calendar covers.

The pinned chinesecalendar package knows the official holidays up to the year it was
released for (2004–2026 for 1.11.0). Each December the State Council publishes the next
year's schedule (国务院办公厅关于20XX年部分节假日安排的通知); the office enters it here so
that grace ends, the timetable and reminders keep working without a package upgrade::

    years:
      2027:
        notice: 国办发明电〔2026〕N号
        days_off: [2027-01-01, …]   # every weekday or weekend day off under the notice
        workdays: [2027-02-20, …]   # make-up working days (调休上班), always a Sat or Sun

A weekend day not listed in ``workdays`` is a day off. The package stays the source for the
years it covers: an entry for such a year must agree with it day by day, otherwise the file
is refused (a typo there would silently move grace ends that were already decided).

The file is found through the settings (``SAFEGOV_HOLIDAYS``, default
``<config dir>/holidays.yaml``) and cached per file version (modification time and size):
the scheduler and DAG processor are long-lived, and a year entered while they run must be
used at their next question without a restart. A missing file is the same as ``years: {}``
(test and demo config folders carry only what they need).

Imported lazily by ``safegov.core.periods`` when a working day is first asked for; YAML is
read only for a year beyond the package, so parsing a DAG file reads no file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safegov.core.errors import CalendarRangeError, SafegovError

WEEKDAY_ZH = ("一", "二", "三", "四", "五", "六", "日")
PACKAGE = "chinesecalendar"


class HolidaysError(SafegovError):
    """``config/holidays.yaml`` is malformed: the message names the file, the key and why."""


class YearEntry(BaseModel):
    """One year's schedule as the State Council notice gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notice: str = Field(min_length=1)
    days_off: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5


class HolidaysFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    years: dict[int, YearEntry] = {}


@dataclass(frozen=True)
class HolidayCalendar:
    """The years covered: the package's range, then the entries of ``path``."""

    path: Path
    package_version: str
    package_years: tuple[int, int]
    entries: Mapping[int, YearEntry] = field(default_factory=dict)

    @property
    def first_year(self) -> int:
        return self.package_years[0]

    def by_package(self, year: int) -> bool:
        lo, hi = self.package_years
        return lo <= year <= hi

    def covers(self, year: int) -> bool:
        return self.by_package(year) or year in self.entries

    def first_uncovered(self, after: int | None = None) -> int:
        """The first year from ``after`` (default: the calendar's first year) not covered."""
        year = self.first_year if after is None else max(after, self.first_year)
        while self.covers(year):
            year += 1
        return year

    def source(self, year: int) -> str:
        """Where the year's holidays come from, as a person reads it (Chinese)."""
        if self.by_package(year):
            return f"{PACKAGE} {self.package_version} 软件包"
        if year in self.entries:
            return f"{self.path.name}（{self.entries[year].notice}）"
        return "未录入"

    def missing_message(self, year: int) -> str:
        """One line naming the missing year and what to enter (used by every refusal)."""
        lo, hi = self.first_year, self.first_uncovered() - 1
        if year < lo:
            return f"{year}年早于官方工作日日历的起始年（{lo}年），无法判断工作日"
        return (
            f"{year}年法定节假日安排未录入：日历仅覆盖{lo}–{hi}年；"
            f"请依据《国务院办公厅关于{year}年部分节假日安排的通知》在 {self.path} 中录入{year}年"
        )

    def is_working_day(self, day: dt.date) -> bool:
        """Working day in a year of ``entries``; the package's years are answered by
        ``safegov.core.periods`` itself. Raises ``CalendarRangeError`` for any other year."""
        entry = self.entries.get(day.year)
        if entry is None:
            raise CalendarRangeError(self.missing_message(day.year), year=day.year)
        return entry.is_working_day(day)


# --------------------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def package_years() -> tuple[int, int]:
    """First and last year the pinned chinesecalendar package covers (fixed for the process)."""
    from chinese_calendar import constants

    return min(constants.holidays).year, max(constants.holidays).year


@lru_cache(maxsize=1)
def _package() -> tuple[str, tuple[int, int]]:
    from importlib.metadata import version

    return version(PACKAGE), package_years()


def _check_year(path: Path, year: int, entry: YearEntry) -> None:
    """The notice's own rules: dates in their year, make-up days on weekends, no day both."""
    for key in ("days_off", "workdays"):
        for i, day in enumerate(getattr(entry, key)):
            if day.year != year:
                raise HolidaysError(f"{path}: years.{year}.{key}[{i}]: {day} 不在{year}年内")
    for i, day in enumerate(entry.workdays):
        if day.weekday() < 5:
            raise HolidaysError(
                f"{path}: years.{year}.workdays[{i}]: {day} 是星期{WEEKDAY_ZH[day.weekday()]}，"
                "调休上班日只能是周六或周日"
            )
    both = sorted(set(entry.days_off) & set(entry.workdays))
    if both:
        raise HolidaysError(f"{path}: years.{year}: {both[0]} 同时列在 days_off 和 workdays 中，不能既放假又上班")


def _check_against_package(path: Path, year: int, entry: YearEntry, version: str) -> None:
    """A year the package covers: the entry must say the same about every day."""
    import chinese_calendar

    day, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    differ: list[dt.date] = []
    while day <= end:
        if entry.is_working_day(day) != chinese_calendar.is_workday(day):
            differ.append(day)
        day += dt.timedelta(days=1)
    if differ:
        first = differ[0]
        said = "工作日" if entry.is_working_day(first) else "休息日"
        package_said = "工作日" if chinese_calendar.is_workday(first) else "休息日"
        raise HolidaysError(
            f"{path}: years.{year}: 与 {PACKAGE} {version} 不一致（共{len(differ)}天），"
            f"例如 {first} 本文件为{said}、软件包为{package_said}；{year}年以软件包为准，请删除或更正该条目"
        )


def load_holidays(path: str | Path) -> HolidayCalendar:
    """Read and check ``path`` (a missing file has no entries); raises ``HolidaysError``."""
    import yaml

    path = Path(path)
    version, years = _package()
    if not path.exists():
        return HolidayCalendar(path, version, years, {})

    class _Loader(yaml.SafeLoader):
        """Dates stay text, so that pydantic parses them and names the key of a bad one
        (2027-02-30) instead of the YAML parser failing without a location."""

    _Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        raise HolidaysError(f"{path}: 不是有效的 YAML：{exc}") from None
    try:
        parsed = HolidaysFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(文件)"
        raise HolidaysError(f"{path}: {key}: 格式不符（{first['msg']}）") from None
    for year, entry in sorted(parsed.years.items()):
        _check_year(path, year, entry)
        if years[0] <= year <= years[1]:
            _check_against_package(path, year, entry, version)
    return HolidayCalendar(path, version, years, dict(sorted(parsed.years.items())))


@lru_cache(maxsize=8)
def _load_version(path: str, stamp: tuple[int, int] | None) -> HolidayCalendar:
    return load_holidays(path)


def holiday_calendar(path: str | Path | None = None) -> HolidayCalendar:
    """The calendar of ``path`` (default: the settings' ``holidays_file``), loaded once per
    version of the file (see the module docstring)."""
    if path is None:
        from safegov.core.settings import get_settings

        path = get_settings().holidays_file
    path = Path(path)
    try:
        st = path.stat()
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        stamp = None
    return _load_version(str(path), stamp)


# --------------------------------------------------------------------------- the yearly watch

# When the office is warned that next year's schedule is missing (month, day of the current
# year): from 1 November (the State Council notice usually appears in November), again on
# 1 December, and a last call on 15 December, before December's grace runs into the new year.
STAGES: tuple[tuple[int, int], ...] = ((11, 1), (12, 1), (12, 15))
# The stage once the year has begun without its schedule: the calendar has stopped.
OVERDUE = "overdue"


@dataclass(frozen=True)
class CalendarAlert:
    """Next year (or this one) is not covered on ``on``: what to tell the office."""

    year: int  # the missing year
    stage: str  # "11-01" | "12-01" | "12-15" | "overdue"
    message: str  # one line in Chinese, naming the year and the notice to enter


def calendar_alert(on: dt.date, cal: HolidayCalendar) -> CalendarAlert | None:
    """The alert due on local day ``on``: the current year uncovered (``overdue``), or from
    1 November the next year uncovered (the latest stage reached); otherwise None."""
    missing = cal.first_uncovered(after=on.year)
    if missing == on.year:
        return CalendarAlert(missing, OVERDUE, f"日历已停止：{cal.missing_message(missing)}")
    if missing != on.year + 1:
        return None
    reached = [s for s in STAGES if (on.month, on.day) >= s]
    if not reached:
        return None
    month, day = reached[-1]
    return CalendarAlert(missing, f"{month:02d}-{day:02d}", cal.missing_message(missing))
