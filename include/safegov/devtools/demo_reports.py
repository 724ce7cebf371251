"""Demo story of 〔十五〕 accident reports up the chain (issue 16 item 5): the ``accident_report``
hops of every demo accident, and the planted cases of ACCIDENT-REPORT-CHAIN.

Every accident goes from its county to its league/city 20–90 minutes after the county learned
of it (the accident's ``reported_at``), and a ``larger`` one on to the region within the hour
after; about one accident in five also travels through the county's first department to the
league's, the department telling its own safety office at the same moment. Planted, in the
months ``ReportStory`` names before the last (the first general accident of the month that
is no part of the main story and whose county has a department):

- ``late``: the county forwards it 3 hours after learning of it (met_late, ``forward_late``);
- ``missed``: the county never forwards it (missed, ``forward_missing``);
- ``not_simultaneous``: the county's department reports it up and tells its own safety office
  two hours later (met_late, ``not_simultaneous``);
- ``omitted``: the enterprise reported it to the county on time, but no party of the county
  passed it on; the league learned of it from a 12350 ticket (``known_from`` hotline): 漏报
  (missed, ``omitted``), a REPORTING-VIOLATION case against the county, and the county's and
  the league's bulletins count one accident fewer than the records (section 五 lists it).

``plant`` marks the accident dicts before ``Generator.month`` writes them; ``write`` adds the
hops file. Deterministic: no random choice but the generator's seeded streams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safegov.core.grades import grade_of

# The demo's ``safegov.devtools.demo.Generator`` (not imported: demo.py calls this module).
Generator = Any

FMT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ReportStory:
    """Months before the demo's last month holding each planted chain case."""

    late_offset: int = 2
    missed_offset: int = 3
    not_simultaneous_offset: int = 4
    omitted_offset: int = 5


def _first_department(gen: Generator, unit: str) -> str | None:
    return next((d[0] for d in gen.departments if d[1] == unit), None)


def plant(gen: Generator, story: ReportStory | None = None) -> dict[str, str]:
    """Choose the planted accidents (case → accident id) and mark them on the accident dicts:
    ``chain`` (the case) and, for the omitted one, ``known_from`` and ``source_ref``."""
    story = story or ReportStory()
    chosen: dict[str, str] = {}
    for case, offset in (
        ("late", story.late_offset),
        ("missed", story.missed_offset),
        ("not_simultaneous", story.not_simultaneous_offset),
        ("omitted", story.omitted_offset),
    ):
        key = gen._offset_month(offset)
        if key is None:
            continue
        for a in gen.accidents:
            if (
                a["occurred_at"].strftime("%Y-%m") == key
                and not a.get("story")
                and not a.get("chain")
                and grade_of(a["deaths"], a["serious_injuries"], a["direct_loss_10k_cny"]) == "general"
                and _first_department(gen, a["unit_code"]) is not None
            ):
                a["chain"] = case
                chosen[case] = a["accident_id"]
                if case == "omitted":
                    a["known_from"] = "hotline"
                    a["source_ref"] = f"12350-{a['accident_id']}"
                break
    return chosen


def hop_rows(gen: Generator) -> list[tuple]:
    """The ``accident_report`` rows (accident_id, reporter, reported_to, reported_at, received_at)."""
    rng = gen._rng("accident_reports")
    rows: list[tuple] = []
    for i, a in enumerate(gen.accidents):
        county, case = a["unit_code"], a.get("chain")
        league = county[:4] + "00"
        learned: dt.datetime = a["reported_at"]
        received = a["received_at"].strftime(FMT)
        up = learned + dt.timedelta(minutes=rng.randint(20, 90))
        out: list[tuple[str, str, dt.datetime]] = []
        if case == "late":
            up = learned + dt.timedelta(hours=3)
        if case not in ("missed", "omitted"):
            out.append((county, league, up))
        dept, league_dept = _first_department(gen, county), _first_department(gen, league)
        if case == "not_simultaneous" or (case is None and dept and league_dept and i % 5 == 0):
            office_at = up + dt.timedelta(hours=2) if case == "not_simultaneous" else up
            out += [(dept, league_dept, up), (dept, county, office_at)]
        if grade_of(a["deaths"], a["serious_injuries"], a["direct_loss_10k_cny"]) != "general" and case is None:
            out.append((league, gen.region, up + dt.timedelta(minutes=rng.randint(15, 60))))
        rows += [(a["accident_id"], sender, receiver, at.strftime(FMT), received) for sender, receiver, at in out]
    gen.stats.rows["accident_report"] += len(rows)
    return rows


def write(gen: Generator, add: Callable[[str, str], Path], write_csv: Callable, header: tuple[str, ...]) -> None:
    """Plant the chain story, then write ``accident_report_<first>_<last>.csv``."""
    plant(gen)
    rows = hop_rows(gen)
    if rows:  # a short demo may have no accident
        write_csv(add("accident_report", f"accident_report_{gen.months[0]}_{gen.months[-1]}.csv"), header, rows)
