"""Late data: which evaluation rows a batch of submission files can change (SPEC §5).

"The evaluation of a period runs when its grace ends, and again whenever a record for a
closed period arrives." The ingest DAG announces each batch as asset events carrying the
submission file ids; this module turns those ids back into the *touched* keys — record
type, unit, enterprise, leader, department and record date — from the hint columns every
raw row keeps, accepted or quarantined (a quarantined row can turn ``no_records`` into
``evidence_rejected``). ``safegov.evaluation.engine.reevaluate_touched`` re-evaluates exactly those.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.db.models import RawRow

TOUCHED_KEYS = ("record_type", "unit_code", "enterprise_id", "leader_id", "department_id", "record_date")


def touched_for_files(session: Session, file_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Distinct touched keys of every raw row of ``file_ids``, in a stable order.

    ``department_id`` has no hint column; it is read from the raw values when present
    (department registry rows and inspections by a department head carry it).
    """
    ids = sorted({int(i) for i in file_ids})
    if not ids:
        return []
    rows = session.execute(
        select(
            RawRow.record_type,
            RawRow.unit_code,
            RawRow.enterprise_id,
            RawRow.leader_id,
            RawRow.record_date,
            RawRow.values,
        )
        .where(RawRow.file_id.in_(ids))
        .order_by(RawRow.file_id, RawRow.row_number)
    ).all()
    seen: set[tuple] = set()
    out: list[dict[str, Any]] = []
    for record_type, unit_code, enterprise_id, leader_id, record_date, values in rows:
        department_id = None
        if isinstance(values, dict):
            raw = values.get("department_id")
            department_id = str(raw).strip() or None if raw is not None else None
        item = {
            "record_type": record_type,
            "unit_code": unit_code,
            "enterprise_id": enterprise_id,
            "leader_id": leader_id,
            "department_id": department_id,
            "record_date": record_date,
        }
        key = tuple(item[k] for k in TOUCHED_KEYS)
        if key in seen:
            continue
        seen.add(key)
        out.append(item)
    return out
