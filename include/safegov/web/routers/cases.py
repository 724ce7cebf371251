"""Open and awaiting-approval cases, linked to their Airflow approval (page ``/cases``,
``api/cases``, ``charts/cases.svg``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from safegov.web import queries, svg
from safegov.web.deps import CtxDep, SessionDep
from safegov.web.i18n import CASE_KINDS
from safegov.web.rendering import render

router = APIRouter()


@router.get("/cases", response_class=HTMLResponse)
def cases_page(ctx: CtxDep, session: SessionDep):
    rows = [] if ctx.scope.sees_nothing else queries.open_cases(session, ctx.scope)
    return render(ctx, "cases.html", rows=rows)


@router.get("/api/cases")
def api_cases(ctx: CtxDep, session: SessionDep):
    return queries.open_cases(session, ctx.scope)


@router.get("/charts/cases.svg")
def chart_cases(ctx: CtxDep, session: SessionDep):
    keys, data = queries.cases_by_kind_month(session, ctx.scope)
    return Response(svg.stacked_bars_svg(keys, data, {k: ctx.t(k) for k in CASE_KINDS}), media_type="image/svg+xml")
