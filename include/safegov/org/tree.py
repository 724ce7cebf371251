"""The unit tree (GB/T 2260 hierarchy): names, parents, the units under a unit, a unit's league/city.

Built from the unit registry in ``config/units.csv``; the region is the root, leagues/cities
sit under it and counties under their league/city.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from safegov.org.units import load_units


@dataclass(frozen=True)
class UnitTree:
    names: dict[str, str]
    parent: dict[str, str | None]

    @classmethod
    def from_config(cls, config_dir: Path | None = None) -> UnitTree:
        rows = load_units(config_dir)
        return cls({u.code: u.name for u in rows}, {u.code: u.parent_code for u in rows})

    def under(self, code: str) -> frozenset[str]:
        """``code`` and every unit below it."""
        out = {code}
        changed = True
        while changed:
            changed = False
            for c, p in self.parent.items():
                if p in out and c not in out:
                    out.add(c)
                    changed = True
        return frozenset(out)

    def league_of(self, code: str) -> str | None:
        if code not in self.parent:
            return None
        if code.endswith("0000"):
            return None
        if code.endswith("00"):
            return code
        return self.parent.get(code)

    def name(self, code: str | None) -> str:
        if code is None:
            return ""
        return self.names.get(code, code)
