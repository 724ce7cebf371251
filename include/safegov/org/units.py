"""The organisation model (SPEC §2): units (GB/T 2260), their levels and posts.

Units ship as data in ``config/units.csv`` (taken from the ``adcodes`` table of the PyPI
package ``cpca``, placeholder 市辖区 rows dropped). Level is derived from the code.
Who holds a post on a day is ``safegov.org.directory``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from safegov.db.engine import upsert
from safegov.db.models import Post, Unit
from safegov.org.roles import POST_ROLES

LEVELS = ("region", "league", "county")
# Parents before children, so that the self-referencing foreign key holds row by row.
_LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}


def is_unit_code(code: str | None) -> bool:
    """A six-digit GB/T 2260 code (the shape ``level_of`` needs)."""
    return code is not None and len(code) == 6 and code.isdigit()


def level_of(code: str) -> str:
    """``region`` (xx0000), ``league`` (xxxx00) or ``county`` — from the code alone."""
    if not is_unit_code(code):
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


def unit_at_level(code: str, level: str) -> str | None:
    """The unit of ``level`` that is ``code`` or contains it; None when ``code`` lies above
    ``level`` (a league has no county; the region has no league)."""
    own = level_of(code)
    if _LEVEL_ORDER[own] < _LEVEL_ORDER[level]:
        return None
    while own != level:
        code = parent_of(code)  # type: ignore[assignment]
        own = level_of(code)
    return code


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
        [
            {"code": u.code, "name": u.name, "level": u.level, "parent_code": u.parent_code}
            for u in sorted(units, key=lambda u: _LEVEL_ORDER[u.level])
        ],
        keys=["code"],
        update=["name", "level", "parent_code"],
    )
    upsert(
        session,
        Post.__table__,
        [
            {"post_id": post_id(u.code, r), "unit_code": u.code, "role": r, "department_id": None}
            for u in units
            for r in POST_ROLES
        ],
        keys=["post_id"],
    )
    return len(units)
