"""The yearly one-vote-veto report (安全生产“一票否决”) 〔十六〕: one row per unit.

A unit is flagged when, in the year, it had a ``major``+ accident (by the figures, SPEC §8)
— flagging the accident's county *and* its league/city, since both governments answer for
it — or an approved (or since closed) admonishment (诫勉谈话) of its leaders: a ladder
admonishment of one of its unit, post or department subjects. Admonishments count by the
case's period start; an admonishment of an enterprise's hazard manager does not flag.

Only decisions count: an ``unreviewed`` admonishment (opened by a historical backfill, not
yet reviewed by an office; ``safegov cases approve|reject --historical``) flags nothing. The
rows list such cases in ``unreviewed_admonishments`` so the report can say how many it left
out (``unreviewed_left_out``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability.accidents import accident_grade, accidents_between
from safegov.core.grades import GRADE_RANK
from safegov.db.models import Case, Unit
from safegov.org.units import is_unit_code, unit_at_level

VETO_MIN_GRADE = "major"  # 重大 and above


def veto_report(session: Session, year: int) -> list[dict[str, Any]]:
    """The rows of the report for ``year``: unit, flagged, the accidents and cases behind it."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    flags: dict[str, dict[str, list[str]]] = defaultdict(
        lambda: {"major_accidents": [], "admonishments": [], "unreviewed": []}
    )
    for a in accidents_between(session, first, last):
        if GRADE_RANK[accident_grade(a)] < GRADE_RANK[VETO_MIN_GRADE]:
            continue
        units = {a.unit_code}
        league = unit_at_level(a.unit_code, "league") if is_unit_code(a.unit_code) else None
        if league:
            units.add(league)
        for u in units:
            flags[u]["major_accidents"].append(a.accident_id)
    # Admonishments of leaders (unit, post and department subjects) — not of an enterprise's
    # hazard manager, whose admonishment does not judge the government's leadership.
    for cid, unit, state in session.execute(
        select(Case.id, Case.unit_code, Case.state)
        .where(
            Case.kind == "admonishment",
            Case.state.in_(("approved", "closed", "unreviewed")),
            Case.subject_kind.in_(("unit", "post", "department")),
            Case.period_start.between(first, last),
        )
        .order_by(Case.id)
    ):
        if unit:
            flags[unit]["unreviewed" if state == "unreviewed" else "admonishments"].append(str(cid))
    out = []
    for u in session.scalars(select(Unit).order_by(Unit.code)):
        f = flags.get(u.code, {"major_accidents": [], "admonishments": [], "unreviewed": []})
        reasons = []
        if f["major_accidents"]:
            reasons.append(f"发生重大及以上生产安全事故：{'、'.join(f['major_accidents'])}")
        if f["admonishments"]:
            reasons.append(f"领导干部被诫勉谈话（已批准）：案件{'、'.join(f['admonishments'])}")
        out.append(
            {
                "year": year,
                "unit_code": u.code,
                "name": u.name,
                "level": u.level,
                "flagged": bool(reasons),
                "major_accidents": ";".join(f["major_accidents"]),
                "admonishments": ";".join(f["admonishments"]),
                "unreviewed_admonishments": ";".join(f["unreviewed"]),
                "reason": "；".join(reasons),
            }
        )
    return out


def unreviewed_left_out(rows: list[dict[str, Any]]) -> str | None:
    """The line that says how many unreviewed admonishments the report left out (None: none)."""
    per_unit = {r["unit_code"]: r["unreviewed_admonishments"].split(";") for r in rows if r["unreviewed_admonishments"]}
    if not per_unit:
        return None
    n = sum(len(ids) for ids in per_unit.values())
    return (
        f"未计入{n}件未经复核的历史诫勉谈话案件（涉及{len(per_unit)}个单位）；"
        "复核后计入：safegov cases approve|reject --historical --period YYYY-MM"
    )
