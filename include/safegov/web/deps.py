"""The dashboard's FastAPI dependencies: the signed-in user's context, a database session,
the obligation register, the data directory and the unit tree.

``create_app`` puts its arguments on ``app.state``; the dependencies read them from there
and fall back to the environment (settings, Airflow) where an argument was not given.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safegov.core.settings import get_settings
from safegov.db.engine import get_engine
from safegov.org.tree import UnitTree
from safegov.register.obligations import Register, get_register
from safegov.web.auth import Identity, identify
from safegov.web.i18n import translator
from safegov.web.queries import MAX_PER_PAGE
from safegov.web.scope import DashboardUsers, Scope, load_dashboard_users, resolve_scope, users_path


@dataclass
class Ctx:
    request: Request
    identity: Identity
    scope: Scope
    lang: str
    started: float
    lang_given: bool = False  # asked with ?lang=: the links keep it (static/lang.js then leaves it)

    @property
    def t(self):
        return translator(self.lang)

    @property
    def base(self) -> str:
        # Under Airflow the app is mounted at /safegov: Starlette puts the prefix in root_path.
        return (self.request.scope.get("root_path") or "").rstrip("/")

    def url(self, path: str, **params: Any) -> str:
        params = {k: v for k, v in params.items() if v not in (None, "")}
        if self.lang == "en" or self.lang_given:
            params.setdefault("lang", self.lang)
        return f"{self.base}{path}" + (f"?{urlencode(params)}" if params else "")


class UsersCache:
    """config/dashboard_users.yaml, re-read when it changes (no restart to map a user)."""

    def __init__(self, path: Path | None, tree_codes: set[str]):
        self.path = path
        self.codes = tree_codes
        self._stamp: float | None = None
        self._cfg: DashboardUsers | None = None

    def get(self) -> DashboardUsers:
        path = self.path or users_path()
        stamp = path.stat().st_mtime if path.exists() else None
        if self._cfg is None or stamp != self._stamp:
            self._cfg = load_dashboard_users(path, self.codes)
            self._stamp = stamp
        return self._cfg


def unit_tree(request: Request) -> UnitTree:
    return request.app.state.tree


async def context(request: Request, lang: Annotated[str | None, Query()] = None) -> Ctx:
    """The signed-in user (Airflow JWT), their scope and the page language: ``?lang=en``
    English, else Chinese; without ``lang`` the page's script (static/lang.js) follows the
    Airflow UI's language."""
    started = time.perf_counter()
    identity = await identify(request)
    scope = resolve_scope(
        identity.username,
        identity.role,
        request.app.state.users.get(),
        request.app.state.tree,
        roles=identity.roles,
        granted=identity.granted,
    )
    return Ctx(request, identity, scope, "en" if lang == "en" else "zh", started, lang_given=lang in ("zh", "en"))


def db_session(request: Request) -> Iterator[Session]:
    """A session on the app's engine (default: the compliance database of the settings)."""
    engine: Engine | None = request.app.state.engine
    with Session(engine if engine is not None else get_engine()) as session:
        yield session


def data_dir(request: Request) -> Path:
    """Where bulletin drafts and Data Docs are (default: the settings' data directory)."""
    given: Path | None = request.app.state.data_dir
    return given if given is not None else get_settings().data_dir


def obligation_register(request: Request) -> Register:
    """The register given to the app, else the one in the config directory."""
    given: Register | None = request.app.state.register
    return given if given is not None else get_register()


CtxDep = Annotated[Ctx, Depends(context)]
# Which page of a long list (``?page=``, from 1) and how many rows on it (``?per_page=``).
PageQuery = Annotated[int, Query(ge=1)]
PerPageQuery = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]
# Closed when the route function returns, before the response is sent.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]
TreeDep = Annotated[UnitTree, Depends(unit_tree)]
DataDirDep = Annotated[Path, Depends(data_dir)]
RegisterDep = Annotated[Register, Depends(obligation_register)]
