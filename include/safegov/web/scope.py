"""Who sees which units on the dashboard (config/dashboard_users.yaml).

A user mapped to a unit sees that unit and every unit under it (``safegov.org.tree``):
the region sees all, a league/city its counties, a county only itself. Unmapped users
see nothing. The scope is applied in every SQL query (``Scope.units`` → ``IN (...)``),
so the API answers exactly what the page shows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from safegov.org.tree import UnitTree
from safegov.web.auth import unit_view

CODE_RE = re.compile(r"^\d{6}$")


class DashboardUsersError(ValueError):
    """config/dashboard_users.yaml is invalid; the message names the file and the field."""


class DashboardUsers(BaseModel):
    """The schema of config/dashboard_users.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    admin_scope: Literal["all", "none"] = "all"
    users: dict[str, str] = Field(default_factory=dict)

    @field_validator("users", mode="before")
    @classmethod
    def _codes_are_strings(cls, v):
        # YAML reads 150102 (unquoted) as an int; accept it, it is still a code.
        if isinstance(v, dict):
            return {str(k): str(c) for k, c in v.items()}
        return v

    @field_validator("users")
    @classmethod
    def _six_digit(cls, v: dict[str, str]):
        for user, code in v.items():
            if not CODE_RE.match(code):
                raise ValueError(f"user {user!r}: unit code {code!r} is not a six-digit GB/T 2260 code")
        return v


def users_path(config_dir: Path | None = None) -> Path:
    if env := os.environ.get("SAFEGOV_DASHBOARD_USERS"):
        return Path(env)
    if config_dir is None:
        from safegov.core.settings import get_settings

        config_dir = get_settings().config_dir
    return Path(config_dir) / "dashboard_users.yaml"


def load_dashboard_users(path: Path, known_units: set[str] | None = None) -> DashboardUsers:
    """Parse and validate; every mapped code must be a known unit."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise DashboardUsersError(f"{path}: not found (map Airflow usernames to unit codes there)") from None
    except yaml.YAMLError as exc:
        raise DashboardUsersError(f"{path}: not valid YAML: {exc}") from None
    try:
        cfg = DashboardUsers.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise DashboardUsersError(f"{path}: field {field}: {first['msg']}") from None
    if known_units is not None:
        for user, code in cfg.users.items():
            if code not in known_units:
                raise DashboardUsersError(f"{path}: field users.{user}: unit {code} is not in the unit registry")
    return cfg


@dataclass(frozen=True)
class Scope:
    """What one signed-in user may see. ``units is None`` means everything."""

    username: str
    kind: Literal["all", "units", "none"]
    unit_code: str | None = None
    units: frozenset[str] | None = None
    via: str = "mapping"  # mapping | auth_manager | admin_default | unmapped

    @property
    def sees_nothing(self) -> bool:
        return self.kind == "none"

    def allows(self, unit_code: str | None) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "none" or unit_code is None:
            return False
        return unit_code in (self.units or ())


def resolve_scope(
    username: str,
    role: str | None,
    cfg: DashboardUsers,
    tree: UnitTree,
    *,
    roles: Iterable[str] = (),
    granted: Callable[[str], bool] | None = None,
) -> Scope:
    """The user's scope, first match wins:

    1. mapped in config/dashboard_users.yaml → that unit's subtree (``via="mapping"``);
    2. granted custom views ``safegov:<code>`` by the auth manager (``granted``, see
       ``safegov.web.auth``) → the union of those subtrees, everything with the region's
       code (``via="auth_manager"``);
    3. an admin role (``role`` or one of ``roles``, any case) → ``admin_scope``;
    4. nothing (``via="unmapped"``).
    """
    code = cfg.users.get(username)
    if code is not None:
        if code.endswith("0000"):
            return Scope(username, "all", code, None)
        return Scope(username, "units", code, tree.under(code))
    if granted is not None:
        codes = sorted(c for c in tree.names if granted(unit_view(c)))
        if any(c.endswith("0000") for c in codes):
            return Scope(username, "all", next(c for c in codes if c.endswith("0000")), None, via="auth_manager")
        if codes:
            units = frozenset().union(*(tree.under(c) for c in codes))
            tops = [c for c in codes if not any(c != o and c in tree.under(o) for o in codes)]
            return Scope(username, "units", tops[0] if len(tops) == 1 else None, units, via="auth_manager")
    if any(r.upper() == "ADMIN" for r in {role or "", *roles}) and cfg.admin_scope == "all":
        return Scope(username, "all", None, None, via="admin_default")
    return Scope(username, "none", None, frozenset(), via="unmapped")
