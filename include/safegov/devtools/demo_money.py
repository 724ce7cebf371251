"""Demo data of 〔十〕 and 〔十六〕 (issue 16 items 3, 6): the safety fund in each unit's budget,
high-risk enterprises' safety costs, quarterly referrals of accident information to the
discipline inspection and organisation departments, and yearly assessments of key
industries. Every subject complies, except the story of the year before ``until``'s (met
late, missed, and a report that extracted nothing), listed in the summary's known misses and
in demo_story.md; one bad row per record type is planted (and listed in ``bad_rows``).

Files: ``budget_<year>.csv``, ``safety_cost_<year>.csv``, ``referral_<year>.csv``,
``assessment_<year>.csv`` for each year of the range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safegov.core.periods import periods_between
from safegov.register.obligations import Obligation, get_register, load_register

# ``gen`` below is the demo's ``Generator`` (safegov.devtools.demo), not imported: demo imports
# this module.
Generator = Any

RECORD_TYPES = ("budget", "safety_cost", "referral", "assessment")
# A referral's recipient → the obligation it answers.
REFERRAL_OBLIGATIONS = {
    "discipline_inspection": "ACCIDENT-REFERRAL-DISCIPLINE",
    "organisation": "ACCIDENT-REFERRAL-ORG",
}


@dataclass(frozen=True)
class MoneyStory:
    """Who misses what in the story year (the year before ``until``'s)."""

    budget_missing_county: str = "150223"  # 达尔罕茂明安联合旗: no safety fund in the budget
    budget_late_county: str = "150404"  # 松山区: the budget line sent after the grace
    budget_late_received: str = "03-02"  # month-day of the year after
    # Referrals of the story year's fourth quarter (its grace ends in January).
    referral_missing: tuple[str, str] = ("150400", "organisation")  # 赤峰市 sends none to 组织部门
    referral_late: tuple[str, str] = ("150500", "discipline_inspection")  # 通辽市 sends it late
    referral_late_received: str = "02-10"
    assess_unpublished_league: str = "150600"  # 鄂尔多斯市: assessed, never announced
    assess_missing_league: str = "150700"  # 呼伦贝尔市: no assessment
    assess_late_league: str = "150800"  # 巴彦淖尔市: sent after the grace
    # Safety costs: the first three high-risk enterprises (by credit code) owing the story
    # year, apart from the main story's: one reports nothing, one late, one extracts 0.
    cost_late_received: str = "03-02"


def _at(day: dt.date, time: str = "10:00:00") -> str:
    return f"{day.isoformat()} {time}"


def _register(config_dir: Path | None):
    return get_register() if config_dir is None else load_register(Path(config_dir) / "obligations.yaml")


class MoneyDemo:
    def __init__(self, gen: Generator, config_dir: Path | None = None, story: MoneyStory | None = None):
        self.gen = gen
        self.story = story or MoneyStory()
        self.cost_ob: Obligation = _register(config_dir).get("ENT-SAFETY-COST")
        self.years = sorted({int(k[:4]) for k in gen.months})
        self.story_year = int(gen.last.key[:4]) - 1
        self.planted = bool(gen.story)
        self.leagues = [gen.region, *gen.leagues]
        self.cost_story = self._cost_story_enterprises() if self.planted else ()

    # ---------------------------------------------------------------- who owes what

    def _owes_cost(self, e, year: int) -> bool:
        """A high-risk enterprise of the rule in force on 31 December, open the whole year."""
        last = dt.date(year, 12, 31)
        return (
            e.industry in (self.cost_ob.industries_on(last) or ())
            and e.registered_on <= dt.date(year, 1, 1)
            and (e.closed_on is None or e.closed_on >= last)
        )

    def _cost_story_enterprises(self) -> tuple:
        main = {e.eid for e in self.gen.story_ents.values()}
        owing = sorted(
            (e for e in self.gen.enterprises if e.eid not in main and self._owes_cost(e, self.story_year)),
            key=lambda e: e.eid,
        )
        return tuple(owing[:3])

    def _received(self, day: dt.date) -> str | None:
        """When a row made on ``day`` arrives (3 days later), None when after the range."""
        when = day + dt.timedelta(days=3)
        return _at(when) if when <= self.gen.range_last else None

    # ---------------------------------------------------------------- rows

    def budget_rows(self, year: int) -> list[tuple]:
        s, gen = self.story, self.gen
        approved = max(dt.date(year, 1, 20), gen.range_first)
        rows = []
        for u in gen.units:
            received = self._received(approved)
            if self.planted and year == self.story_year:
                if u.code == s.budget_missing_county:
                    continue
                if u.code == s.budget_late_county:
                    received = f"{year + 1}-{s.budget_late_received} 10:00:00"
                    gen.stats.late["budget"] += 1
            if received is None:
                continue
            fund = 500_000 * (20 if u.level == "region" else 4 if u.level == "league" else 1)
            rows.append(
                (
                    f"BUDGET-{year}-{u.code}",
                    u.code,
                    str(year),
                    f"{fund:.2f}",
                    approved.isoformat(),
                    f"{gen.unit_names[u.code]}〔{year}〕财政预算",
                    received,
                )
            )
        return rows

    def safety_cost_rows(self, year: int) -> list[tuple]:
        s, gen = self.story, self.gen
        reported = dt.date(year + 1, 1, 20)
        received = self._received(reported)
        if received is None:
            return []
        missing, late, zero = (e.eid for e in self.cost_story) if len(self.cost_story) == 3 else ("", "", "")
        rows = []
        for e in gen.enterprises:
            if not self._owes_cost(e, year):
                continue
            extracted, got = 150_000 + (int(e.eid[-5:-1], 36) % 50) * 10_000, received
            if year == self.story_year:
                if e.eid == missing:
                    continue
                if e.eid == late:
                    got = f"{year + 1}-{s.cost_late_received} 10:00:00"
                    gen.stats.late["safety_cost"] += 1
                if e.eid == zero:
                    extracted = 0
            used = extracted * 3 // 4
            rows.append(
                (f"COST-{year}-{e.eid}", e.eid, str(year), f"{extracted:.2f}", f"{used:.2f}", reported.isoformat(), got)
            )
        return rows

    def referral_rows(self, year: int) -> list[tuple]:
        s, gen = self.story, self.gen
        rows = []
        for q in periods_between(dt.date(year, 1, 1), dt.date(year, 12, 31), "quarterly"):
            if q.last < gen.range_first or q.last > gen.range_last:
                continue
            sent = q.last + dt.timedelta(days=3)
            for unit in self.leagues:
                for recipient in REFERRAL_OBLIGATIONS:
                    received = _at(sent)
                    if self.planted and q.key == f"{self.story_year}-Q4":
                        if (unit, recipient) == s.referral_missing:
                            continue
                        if (unit, recipient) == s.referral_late:
                            received = f"{year + 1}-{s.referral_late_received} 10:00:00"
                            gen.stats.late["referral"] += 1
                    rows.append(
                        (
                            f"REF-{q.key}-{unit}-{recipient[:3].upper()}",
                            unit,
                            q.key,
                            recipient,
                            sent.isoformat(),
                            str(int(unit[2:4]) % 4),
                            f"{gen.unit_names[unit]}〔{q.key}〕事故情况报送",
                            received,
                        )
                    )
        return rows

    def assessment_rows(self, year: int) -> list[tuple]:
        s, gen = self.story, self.gen
        assessed = max(dt.date(year, 9, 15), gen.range_first + dt.timedelta(days=10))
        if assessed > dt.date(year, 12, 31):
            return []
        published = assessed + dt.timedelta(days=10)
        rows = []
        for unit in self.leagues:
            pub, received = published.isoformat(), self._received(published)
            if self.planted and year == self.story_year:
                if unit == s.assess_missing_league:
                    continue
                if unit == s.assess_unpublished_league:
                    pub, received = "", self._received(assessed)
                if unit == s.assess_late_league:
                    received = f"{year + 1}-03-02 10:00:00"
                    gen.stats.late["assessment"] += 1
            if received is None:
                continue
            industry = ("coal_mining", "hazardous_chemicals", "non_coal_mining")[int(unit[2:4]) % 3]
            rows.append(
                (
                    f"ASSESS-{year}-{unit}",
                    unit,
                    industry,
                    assessed.isoformat(),
                    pub,
                    f"{gen.unit_names[unit]}〔{year}〕重点行业领域安全生产状况评估公告",
                    received,
                )
            )
        return rows

    def _plant_bad(self, rt: str, year: int, rows: list[tuple]) -> None:
        """One bad row per record type and file of the story year: an unknown unit (a
        budget, a referral, an assessment), an invalid credit code (a safety cost)."""
        if not (self.planted and rows and year == self.story_year):
            return
        first = list(rows[0])
        first[0] = f"{first[0]}-BAD"
        if rt == "safety_cost":
            first[1], kind = first[1][:-1] + ("0" if first[1][-1] != "0" else "1"), "invalid_credit_code"
        else:
            first[1], kind = "150198", "unknown_unit"
        rows.append(tuple(first))
        self.gen.bad_rows.append(
            {"record_type": rt, "id_column": "record_id", "id": first[0], "kind": kind, "month": str(year)}
        )
        self.gen.stats.bad[rt] += 1

    # ---------------------------------------------------------------- files and the story

    def write(self, add: Callable[[str, str], Path], write_csv, headers: dict) -> None:
        """Write the four record types' files for each year of the range (``add`` names a file
        of the demo's list and returns its path)."""
        makers = {
            "budget": self.budget_rows,
            "safety_cost": self.safety_cost_rows,
            "referral": self.referral_rows,
            "assessment": self.assessment_rows,
        }
        for rt, make in makers.items():
            for year in self.years:
                rows = make(year)
                self._plant_bad(rt, year, rows)
                if rows:
                    write_csv(add(rt, f"{rt}_{year}.csv"), headers[rt], rows)
                    self.gen.stats.rows[rt] += len(rows)

    def known(self) -> list[dict]:
        """The story's expected verdicts (summary ``known_misses``)."""
        if not self.planted:
            return []
        s, year = self.story, str(self.story_year)
        out = [
            _known("SAFETY-FUND-BUDGET", "unit", s.budget_missing_county, year, "missed", "no_records"),
            _known("SAFETY-FUND-BUDGET", "unit", s.budget_late_county, year, "met_late", "late_records"),
            _known(
                REFERRAL_OBLIGATIONS[s.referral_missing[1]],
                "unit",
                s.referral_missing[0],
                f"{year}-Q4",
                "missed",
                "no_records",
            ),
            _known(
                REFERRAL_OBLIGATIONS[s.referral_late[1]],
                "unit",
                s.referral_late[0],
                f"{year}-Q4",
                "met_late",
                "late_records",
            ),
            _known("KEY-INDUSTRY-ASSESS", "unit", s.assess_unpublished_league, year, "missed", "not_published"),
            _known("KEY-INDUSTRY-ASSESS", "unit", s.assess_missing_league, year, "missed", "no_records"),
            _known("KEY-INDUSTRY-ASSESS", "unit", s.assess_late_league, year, "met_late", "late_records"),
        ]
        for e, status, reason in zip(
            self.cost_story,
            ("missed", "met_late", "missed"),
            ("no_records", "late_records", "nothing_extracted"),
            strict=False,
        ):
            out.append(_known("ENT-SAFETY-COST", "enterprise", e.eid, year, status, reason) | {"name": e.name})
        return out


def _known(oid: str, kind: str, subject: str, period: str, status: str, reason: str) -> dict:
    return {
        "obligation_id": oid,
        "subject_kind": kind,
        "subject_id": subject,
        "periods": [period],
        "reason": reason,
        "status": status,
        "expect": "missed, notice" if status == "missed" else status,
    }


def write_money_demo(gen: Generator, add, write_csv, headers: dict, config_dir: Path | None = None) -> list[dict]:
    """Write the files of 〔十〕〔十六〕 and return the story's known misses."""
    demo = MoneyDemo(gen, config_dir)
    demo.write(add, write_csv, headers)
    return demo.known()
