"""The organisation model (SPEC §2): units (GB/T 2260), posts and who holds them.

Units ship as data in ``config/units.csv`` (taken from the ``adcodes`` table of the PyPI
package ``cpca``, placeholder 市辖区 rows dropped). Level is derived from the code.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from safegov.db.engine import upsert
from safegov.db.models import Leader, Post, Unit

POST_ROLES = ("party_secretary", "government_head", "safety_office_director")
# Parents before children, so that the self-referencing foreign key holds row by row.
_LEVEL_ORDER = {"region": 0, "league": 1, "county": 2}


def level_of(code: str) -> str:
    """``region`` (xx0000), ``league`` (xxxx00) or ``county`` — from the code alone."""
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"unit code {code!r} is not a six-digit GB/T 2260 code")
    if code.endswith("0000"):
        return "region"
    if code.endswith("00"):
        return "league"
    return "county"


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level == "region":
        return None
    if level == "league":
        return code[:2] + "0000"
    return code[:4] + "00"


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    parent_code: str | None

    @property
    def level(self) -> str:
        return level_of(self.code)


def load_units(config_dir: Path | None = None) -> list[UnitRow]:
    if config_dir is None:
        from safegov.core.settings import get_settings

        config_dir = get_settings().config_dir
    path = Path(config_dir) / "units.csv"
    out: list[UnitRow] = []
    with path.open(encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            code = (row.get("code") or "").strip()
            try:
                level_of(code)
            except ValueError as exc:
                raise ValueError(f"{path}: line {i}: field code: {exc}") from None
            parent = (row.get("parent_code") or "").strip() or None
            if parent != parent_of(code):
                raise ValueError(f"{path}: line {i}: field parent_code: {parent!r} should be {parent_of(code)!r}")
            out.append(UnitRow(code, row["name"].strip(), parent))
    return out


def post_id(unit_code: str, role: str) -> str:
    return f"{unit_code}:{role}"


def sync_units(session: Session, config_dir: Path | None = None) -> int:
    """Upsert the unit registry and each unit's posts (idempotent)."""
    units = load_units(config_dir)
    upsert(
        session,
        Unit.__table__,
        [{"code": u.code, "name": u.name, "level": u.level, "parent_code": u.parent_code} for u in sorted(units, key=lambda u: _LEVEL_ORDER[u.level])],
        keys=["code"],
        update=["name", "level", "parent_code"],
    )
    upsert(
        session,
        Post.__table__,
        [{"post_id": post_id(u.code, r), "unit_code": u.code, "role": r, "department_id": None} for u in units for r in POST_ROLES],
        keys=["post_id"],
    )
    return len(units)


def holder_at(session: Session, unit_code: str, role: str, on: dt.date) -> str | None:
    """The leader holding the post on ``on``; on a vacancy day, whoever held it last (SPEC §2)."""
    in_office = session.scalar(
        select(Leader.leader_id)
        .where(Leader.unit_code == unit_code, Leader.role == role, Leader.term_start <= on)
        .where(or_(Leader.term_end.is_(None), Leader.term_end >= on))
        .order_by(Leader.term_start.desc())
        .limit(1)
    )
    if in_office:
        return in_office
    return session.scalar(
        select(Leader.leader_id)
        .where(and_(Leader.unit_code == unit_code, Leader.role == role, Leader.term_start <= on))
        .order_by(Leader.term_end.desc())
        .limit(1)
    )
