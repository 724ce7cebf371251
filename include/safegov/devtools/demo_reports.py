"""Demo story of 〔十五〕 accident reports up the chain (issue 16 item 5): the ``accident_report``
hops of every demo accident, and the planted cases of ACCIDENT-REPORT-CHAIN.

Every accident goes from its county to its league/city 20–90 minutes after the county learned
of it (the accident's ``reported_at``), and a ``larger`` one on to the region within the hour
after. The demo has few accidents (about one every three months besides the main story's
three), so the chain's cases are planted on them:

- ``late``: the main story's late-reported accident (集宁区) is forwarded by its county 3 hours
  after the county learned of it too (met_late, ``forward_late``);
- ``missed``: the main story's larger accident (准格尔旗) reaches the league/city but the
  league never forwards it to the region (missed, ``forward_missing``; Decree 493 art. 10 (二));
- ``not_simultaneous``: the earliest other accident also travels through a department (the
  county's first one to the league's, or, when the county has none, the league's to the
  region's), which tells its own safety office two hours after reporting up (met_late,
  ``not_simultaneous``);
- ``omitted``: the latest other accident was reported by its enterprise to the county on time,
  but no party of the county passed it on; it is known from a 12350 ticket (``known_from``
  hotline): 漏报 (missed, ``omitted``), a REPORTING-VIOLATION case against the county, and the
  county's, league's and region's bulletins count one accident fewer than the records (their
  section 五 lists it).

The other accidents (and the concealed one, from its late discovery on) travel in time.
``plant`` marks the accident dicts before ``Generator.month`` writes them; ``write`` adds the
hops file. Deterministic: no random choice but the generator's seeded streams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safegov.core.grades import grade_of

# The demo's ``safegov.devtools.demo.Generator`` (not imported: demo.py calls this module).
Generator = Any

FMT = "%Y-%m-%d %H:%M:%S"


def _first_department(gen: Generator, unit: str) -> str | None:
    return next((d[0] for d in gen.departments if d[1] == unit), None)


def _department_channel(gen: Generator, county: str) -> tuple[str, str, str] | None:
    """(department, its unit, the superior unit's department) through which the accident of
    ``county`` also travels: the county's first department to the league's, else (the county
    has none) the league's to the region's."""
    league = county[:4] + "00"
    for unit, upper in ((county, league), (league, gen.region)):
        dept, upper_dept = _first_department(gen, unit), _first_department(gen, upper)
        if dept and upper_dept:
            return dept, unit, upper_dept
    return None


def _general(a: dict) -> bool:
    return grade_of(a["deaths"], a["serious_injuries"], a["direct_loss_10k_cny"]) == "general"


def plant(gen: Generator) -> dict[str, str]:
    """Choose the planted accidents (case → accident id) and mark them on the accident dicts:
    ``chain`` (the case) and, for the omitted one, ``known_from`` and ``source_ref``."""
    chosen: dict[str, str] = {}

    def mark(case: str, a: dict | None) -> None:
        if a is not None:
            a["chain"] = case
            chosen[case] = a["accident_id"]

    story = {a.get("story"): a for a in gen.accidents if a.get("story")}
    mark("late", story.get("late_report"))
    mark("missed", story.get("larger_accident"))
    others = [a for a in gen.accidents if not a.get("story") and _general(a)]
    mark("not_simultaneous", next((a for a in others if _department_channel(gen, a["unit_code"])), None))
    omitted = next((a for a in reversed(others) if not a.get("chain")), None)
    mark("omitted", omitted)
    if omitted is not None:
        omitted["known_from"] = "hotline"
        omitted["source_ref"] = f"12350-{omitted['accident_id']}"
    return chosen


def hop_rows(gen: Generator) -> list[tuple]:
    """The ``accident_report`` rows (accident_id, reporter, reported_to, reported_at, received_at)."""
    rng = gen._rng("accident_reports")
    rows: list[tuple] = []
    for a in gen.accidents:
        county, case = a["unit_code"], a.get("chain")
        league = county[:4] + "00"
        learned: dt.datetime = a["reported_at"]
        received = a["received_at"].strftime(FMT)
        up = learned + dt.timedelta(hours=3) if case == "late" else learned + dt.timedelta(minutes=rng.randint(20, 90))
        out: list[tuple[str, str, dt.datetime]] = []
        if case != "omitted":
            out.append((county, league, up))
        if case == "not_simultaneous":
            dept, own, upper_dept = _department_channel(gen, county)  # type: ignore[misc]
            out += [(dept, upper_dept, up), (dept, own, up + dt.timedelta(hours=2))]
        if not _general(a) and case != "missed":  # the missed one stops at the league
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
