"""Open and awaiting-approval cases, linked to their Airflow approval (page ``/cases``,
``api/cases``, ``charts/cases.svg``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from safegov.notification.wording import Names
from safegov.web import queries, svg
from safegov.web.deps import CtxDep, PageQuery, PerPageQuery, SessionDep
from safegov.web.i18n import CASE_KINDS
from safegov.web.rendering import render

router = APIRouter()


@router.get("/cases", response_class=HTMLResponse)
def cases_page(ctx: CtxDep, session: SessionDep, page: PageQuery = 1):
    """Every open case, a page at a time (the page says which rows of how many it shows)."""
    pg = queries.open_cases(session, ctx.scope, page=page, clamp=True)
    return render(ctx, "cases.html", pg=pg, rows=pg.items, names=case_names(session, pg.items))


def case_names(session: Session, rows: list[dict]) -> Names:
    """The names of the persons, enterprises and rules of a page of cases."""
    ids = {p for c in rows for p in (c.get("persons") or "").split(";")} | {c["subject_id"] for c in rows}
    return Names.of(session, ids)


@router.get("/api/cases")
def api_cases(ctx: CtxDep, session: SessionDep, page: PageQuery = 1, per_page: PerPageQuery = queries.PER_PAGE):
    """A page of the open cases with the total (``items``, ``total``, ``page``, ``per_page``, ``pages``)."""
    return queries.open_cases(session, ctx.scope, page=page, per_page=per_page).as_json()


@router.get("/charts/cases.svg")
def chart_cases(ctx: CtxDep, session: SessionDep):
    keys, data = queries.cases_by_kind_month(session, ctx.scope)
    return Response(svg.stacked_bars_svg(keys, data, {k: ctx.t(k) for k in CASE_KINDS}), media_type="image/svg+xml")
