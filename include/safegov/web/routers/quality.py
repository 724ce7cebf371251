"""Submission quality: rejected rows by submitting unit and month, and the link to the Data Docs
(page ``/quality``, ``api/quality``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from safegov.intake.quality import quality_summary
from safegov.web import queries
from safegov.web.deps import CtxDep, DataDirDep, SessionDep
from safegov.web.rendering import render
from safegov.web.scope import Scope

router = APIRouter()


@router.get("/quality", response_class=HTMLResponse)
def quality_page(
    ctx: CtxDep,
    session: SessionDep,
    data_dir: DataDirDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
):
    rows = [] if ctx.scope.sees_nothing else quality_rows(session, ctx.scope, from_, to)
    docs = (data_dir / "data_docs" / "index.html").exists()
    return render(ctx, "quality.html", rows=rows, docs=docs, from_=from_, to=to)


@router.get("/api/quality")
def api_quality(
    ctx: CtxDep,
    session: SessionDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
):
    return quality_rows(session, ctx.scope, from_, to)


def quality_rows(session: Session, scope: Scope, from_key: str | None, to_key: str | None) -> list[dict[str, Any]]:
    """Rejected rows by unit and month, newest month first. ``quality_summary`` takes no scope,
    so it serves region-wide users only; everyone else gets ``queries.quality``, which puts
    the scope into SQL (and also attributes enterprise rows to their county)."""
    if scope.kind == "all":
        rows = [_with_page_fields(r) for r in quality_summary(session, from_key=from_key, to_key=to_key)]
        return sorted(
            (r for r in rows if r["rejected"]), key=lambda r: (r["month"], r["unit_code"] or ""), reverse=True
        )
    return queries.quality(session, scope, from_key=from_key, to_key=to_key)


def _with_page_fields(r: dict[str, Any]) -> dict[str, Any]:
    """A ``quality_summary`` row plus the fields of ``queries.quality`` the page shows."""
    rows = r["received"]
    return {**r, "rows": rows, "types": {}, "rules": r["reasons"], "rate": r["rejected"] / rows if rows else 0.0}
