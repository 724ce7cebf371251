"""The evaluations export (SPEC §9): one dict per evaluation row with the spec's columns."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import PERIODIC, parse_period, periods_between
from safegov.db.models import Evaluation

EVALUATION_COLUMNS = (
    "obligation_id",
    "subject_kind",
    "subject_id",
    "period",
    "status",
    "counted",
    "required",
    "due_on",
    "reason",
    "evidence",
)


def period_keys_overlapping(from_key: str, to_key: str) -> list[str]:
    """Every month, quarter, half and year key overlapping [from_key, to_key]; event rows
    carry month keys and once rows year keys, so they are selected by the same list."""
    lo, hi = parse_period(from_key).first, parse_period(to_key).last
    keys: list[str] = []
    for cadence in PERIODIC:
        keys += [p.key for p in periods_between(lo, hi, cadence)]
    return keys


def export_evaluations(session: Session, from_key: str, to_key: str) -> list[dict]:
    """Evaluations whose period overlaps the range, ordered by obligation, period, subject.

    Values are plain (``due_on`` a date, empty reason/evidence ``None``); ``write_rows``
    formats them. ``evidence``: the deciding record ids joined by ';'."""
    keys = period_keys_overlapping(from_key, to_key)
    cols = [getattr(Evaluation, c) for c in EVALUATION_COLUMNS]
    out: list[dict] = []
    for i in range(0, len(keys), 500):
        stmt = select(*cols).where(Evaluation.period.in_(keys[i : i + 500]))
        out += [dict(zip(EVALUATION_COLUMNS, row)) for row in session.execute(stmt)]
    out.sort(key=lambda r: (r["obligation_id"], r["period"], r["subject_id"]))
    return out
