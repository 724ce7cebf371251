"""Demo story of 〔十三〕 定期组织演练 (GOV-EMERGENCY-DRILL, issue 16 item 8): each government's
yearly emergency drill (``drill`` records).

Every unit's government holds one drill a year, in June (day 10–24 by its code), reported three
days later; in the current year only when June lies in the demo's range. In the year before
the last month's year (the story year, as for the enforcement plans): 翁牛特旗 (150426) holds
none (missed, ``no_records``) and 满洲里市 (150781) reports its drill on 2 March of the next
year, after the grace (met_late). Deterministic: no random choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

MISSING_COUNTY = "150426"
LATE_COUNTY = "150781"


def drill_rows(gen: Any) -> list[tuple]:
    """(record_id, unit_code, department_id, held_on, plan_ref, doc_ref, received_at) rows."""
    story_year = int(gen.last.key[:4]) - 1
    rows: list[tuple] = []
    for year in sorted({int(k[:4]) for k in gen.months}):
        for u in gen.units:
            held = dt.date(year, 6, 10 + int(u.code) % 15)
            received = held + dt.timedelta(days=3)
            if not gen.range_first <= held or received > gen.range_last:
                continue
            if year == story_year and u.code == MISSING_COUNTY:
                continue
            if year == story_year and u.code == LATE_COUNTY:
                received = dt.date(year + 1, 3, 2)
                gen.stats.late["drill"] += 1
            rows.append(
                (
                    f"DR-{year}-{u.code}",
                    u.code,
                    "",
                    held.isoformat(),
                    f"{gen.unit_names[u.code]}生产安全事故综合应急预案",
                    f"{gen.unit_names[u.code]}〔{year}〕应急演练总结",
                    f"{received.isoformat()} 10:00:00",
                )
            )
    gen.stats.rows["drill"] += len(rows)
    return rows


def write(gen: Any, add: Callable[[str, str], Path], write_csv: Callable, header: tuple[str, ...]) -> None:
    """Write ``drill_<first>_<last>.csv``."""
    rows = drill_rows(gen)
    if rows:
        write_csv(add("drill", f"drill_{gen.months[0]}_{gen.months[-1]}.csv"), header, rows)
