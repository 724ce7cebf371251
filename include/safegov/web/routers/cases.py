"""Open and awaiting-approval cases, linked to their Airflow approval (page ``/cases``,
``api/cases``, ``charts/cases.svg``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from safegov.notification.wording import Names
from safegov.web import queries, svg
from safegov.web.deps import CtxDep, SessionDep
from safegov.web.i18n import CASE_KINDS
from safegov.web.rendering import render

router = APIRouter()


PER_PAGE = 200


@router.get("/cases", response_class=HTMLResponse)
def cases_page(ctx: CtxDep, session: SessionDep, page: Annotated[int, Query(ge=1)] = 1):
    """Every open case, a page at a time (the page says which rows of how many it shows)."""
    total = 0 if ctx.scope.sees_nothing else queries.count_open_cases(session, ctx.scope)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    offset = (page - 1) * PER_PAGE
    rows = queries.open_cases(session, ctx.scope, limit=PER_PAGE, offset=offset) if total else []
    return render(
        ctx,
        "cases.html",
        rows=rows,
        names=case_names(session, rows),
        total=total,
        page=page,
        pages=pages,
        first_row=offset + 1,
        last_row=offset + len(rows),
    )


def case_names(session: Session, rows: list[dict]) -> Names:
    """The names of the persons, enterprises and rules of a page of cases."""
    ids = {p for c in rows for p in (c.get("persons") or "").split(";")} | {c["subject_id"] for c in rows}
    return Names.of(session, ids)


@router.get("/api/cases")
def api_cases(ctx: CtxDep, session: SessionDep):
    return queries.open_cases(session, ctx.scope)


@router.get("/charts/cases.svg")
def chart_cases(ctx: CtxDep, session: SessionDep):
    keys, data = queries.cases_by_kind_month(session, ctx.scope)
    return Response(svg.stacked_bars_svg(keys, data, {k: ctx.t(k) for k in CASE_KINDS}), media_type="image/svg+xml")
