"""Submission quality per submitting unit and month (SPEC §3, dashboard).

Counts raw rows by the unit they name (``raw_row.unit_code``, for enterprise records the
enterprise's county) and by the Asia/Shanghai month of their received time: received,
accepted, quarantined, and quarantined reasons by rule (a row with two reasons counts
under both rules, once under ``rejected``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from safegov.db.models import RawRow, Rejection


def _month_expr(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    # SQLite stores UTC without offset; Asia/Shanghai has had no DST since 1991.
    return func.strftime("%Y-%m", column, "+8 hours")


def quality_summary(session: Session, from_key: str | None = None, to_key: str | None = None) -> list[dict[str, Any]]:
    """Rows ``{unit_code, month, received, accepted, rejected, reasons: {rule: n}}`` ordered
    by month then unit; ``from_key``/``to_key`` are inclusive ``YYYY-MM`` bounds."""
    month = _month_expr(session, RawRow.received_at).label("month")
    unit = func.coalesce(RawRow.unit_code, literal_column("''")).label("unit_code")

    counts = select(unit, month, RawRow.status, func.count().label("n")).group_by(unit, month, RawRow.status)
    reasons = (
        select(unit, month, Rejection.rule, func.count(func.distinct(Rejection.raw_row_id)).label("n"))
        .join(Rejection, Rejection.raw_row_id == RawRow.id)
        .group_by(unit, month, Rejection.rule)
    )
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def bucket(u: str, m: str) -> dict[str, Any] | None:
        if (from_key and m < from_key) or (to_key and m > to_key):
            return None
        return out.setdefault(
            (m, u), {"unit_code": u or None, "month": m, "received": 0, "accepted": 0, "rejected": 0, "reasons": {}}
        )

    for u, m, status, n in session.execute(counts):
        b = bucket(u, m)
        if b is None:
            continue
        b["received"] += n
        if status == "accepted":
            b["accepted"] += n
        else:
            b["rejected"] += n
    for u, m, rule, n in session.execute(reasons):
        b = bucket(u, m)
        if b is not None:
            b["reasons"][rule] = n
    return [out[k] for k in sorted(out)]
