"""The overview: the heatmap of one obligation, a cell's detail, the league/city trend and
the cases opened per month (page ``/``, ``api/heatmap``, ``api/cell``, ``charts/heatmap.svg``,
``charts/trend.svg``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse, Response

from safegov.core.words import fmt_month, fmt_period
from safegov.notification.wording import Names
from safegov.web import queries, svg
from safegov.web.deps import CtxDep, PageQuery, PerPageQuery, RegisterDep, SessionDep, TreeDep
from safegov.web.i18n import CASE_KINDS
from safegov.web.rendering import record_words, render
from safegov.web.routers.exports import table_file

DEFAULT_OBLIGATION = "SC-MEET-LOCAL"

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(
    ctx: CtxDep,
    session: SessionDep,
    tree: TreeDep,
    register: RegisterDep,
    obligation: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    unit: str | None = None,
    period: str | None = None,
    rejected_page: PageQuery = 1,
):
    obligations = [(o.id, o.title) for o in register.obligations]
    if not obligation:
        known = any(o == DEFAULT_OBLIGATION for o, _ in obligations)
        obligation = DEFAULT_OBLIGATION if known or not obligations else obligations[0][0]
    if ctx.scope.sees_nothing:
        return render(
            ctx,
            "overview.html",
            obligations=obligations,
            obligation=obligation,
            heat_svg="",
            legend="",
            detail=None,
            trend_svg="",
            cases_svg="",
            from_=from_,
            to=to,
            heatmap=None,
            trend_rows=([], {}, {}),
            cases_rows=([], {}, {}),
            names=Names(),
            **record_words(Names(), ctx.lang),
        )
    hm = queries.heatmap(session, ctx.scope, tree, obligation, from_key=from_, to_key=to)
    # One urlencode for the page, not one per cell (unit codes and period keys need no quoting).
    prefix = ctx.url("/", obligation=obligation, **{"from": from_, "to": to})
    joiner = "&" if "?" in prefix else "?"
    heat = svg.heatmap_svg(
        hm,
        lambda u, p: f"{prefix}{joiner}unit={quote(u)}&period={quote(p)}#detail",
        title=ctx.t("overview"),
        selected=(unit, period) if unit and period else None,
        words=ctx.t,
        period_label=lambda p: fmt_period(p, ctx.lang),
    )
    detail = (
        queries.cell_detail(
            session, ctx.scope, register, obligation, unit, period, rejected_page=rejected_page, clamp=True
        )
        if unit and period
        else None
    )
    known = Names.of(session, detail_ids(detail) if detail else ())
    rejected = detail["rejected"] if detail else None
    rejected_pg = (
        queries.Page(detail["rejected_rows"], rejected["total"], rejected["page"], rejected["per_page"])
        if detail
        else None
    )
    keys, series, names = trend_table(ctx, tree, hm)
    month = lambda k: fmt_month(k, ctx.lang)  # noqa: E731
    trend = svg.line_chart_svg(keys, series, names, title=ctx.t("trend"), key_label=month)
    mkeys, mdata = queries.cases_by_kind_month(session, ctx.scope)
    kinds = {k: ctx.t(k) for k in CASE_KINDS}
    cases_chart = svg.stacked_bars_svg(mkeys, mdata, kinds, title=ctx.t("cases_by_kind"), key_label=month)
    legend = svg.legend_svg({k: ctx.t(k) for k in queries.STATUSES})
    return render(
        ctx,
        "overview.html",
        obligations=obligations,
        obligation=obligation,
        heat_svg=heat,
        heatmap=hm,
        legend=legend,
        detail=detail,
        rejected_pg=rejected_pg,
        trend_svg=trend,
        cases_svg=cases_chart,
        from_=from_,
        to=to,
        sel_unit=unit,
        sel_period=period,
        names=known,
        **record_words(known, ctx.lang),
        trend_rows=(keys, series, names),
        cases_rows=(mkeys, mdata, kinds),
    )


def trend_table(ctx, tree, hm) -> tuple[list[str], dict[str, dict[str, float]], dict[str, str]]:
    """The trend chart's months, per-league rates and league names (the chart, its table and
    its download show the same figures)."""
    keys, series = queries.trend_from_heatmap(hm)
    # A county office's "league" line holds only its own county: name it so.
    own_county = ctx.scope.kind == "units" and tree.league_of(ctx.scope.unit_code) not in (None, ctx.scope.unit_code)
    names = {c: tree.name(ctx.scope.unit_code) if own_county else tree.name(c) for c in series}
    return keys, series, names


CHART_COLUMNS = {
    "trend": ["month", "unit_code", "unit_name", "compliance_rate"],
    "cases": ["month", "kind", "case_count"],
}


@router.get("/charts/{chart}/table")
def chart_table(
    chart: str,
    ctx: CtxDep,
    session: SessionDep,
    tree: TreeDep,
    format: str = "csv",
    obligation: str = DEFAULT_OBLIGATION,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
):
    """The figures of a chart as a table to download (CSV or Excel): the trend per league and
    month, or the cases per month and kind — what the chart draws, for the user's scope."""
    if chart not in CHART_COLUMNS:
        raise HTTPException(404, f"no chart {chart!r}")
    if format not in ("csv", "xlsx"):
        raise HTTPException(400, f"format {format!r}: expected csv or xlsx")
    if chart == "trend":
        hm = queries.heatmap(session, ctx.scope, tree, obligation, from_key=from_, to_key=to)
        keys, series, names = trend_table(ctx, tree, hm)
        rows = [
            {"month": k, "unit_code": c, "unit_name": names[c], "compliance_rate": round(v[k], 4)}
            for c, v in sorted(series.items())
            for k in keys
            if k in v
        ]
    else:
        keys, data = queries.cases_by_kind_month(session, ctx.scope)
        rows = [{"month": k, "kind": kind, "case_count": n} for k in keys for kind, n in sorted(data[k].items())]
    return table_file(rows, CHART_COLUMNS[chart], format, ctx.t("trend" if chart == "trend" else "cases_by_kind"))


def detail_ids(detail: dict) -> set[str]:
    """The people, enterprises and subjects a cell's detail names."""
    ids = {e["subject_id"] for e in detail["evaluations"]} | {e["responsible"] for e in detail["evaluations"]}
    for r in detail["records"]:
        ids |= {r.get(c) for c in ("leader_id", "chaired_by", "enterprise_id") if r.get(c)}
    for c in detail["cases"]:
        ids |= {c["subject_id"], *(c.get("persons") or "").split(";")}
    return {i for i in ids if i}


@router.get("/api/heatmap")
def api_heatmap(
    ctx: CtxDep,
    session: SessionDep,
    tree: TreeDep,
    obligation: str = DEFAULT_OBLIGATION,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
):
    return queries.heatmap(session, ctx.scope, tree, obligation, from_key=from_, to_key=to).to_json()


@router.get("/api/cell")
def api_cell(
    obligation: str,
    unit: str,
    period: str,
    ctx: CtxDep,
    session: SessionDep,
    register: RegisterDep,
    rejected_page: PageQuery = 1,
    per_page: PerPageQuery = queries.PER_PAGE,
):
    """The cell's detail; its rejected rows a page at a time (``rejected``: total, page, pages)."""
    if not ctx.scope.allows(unit):
        raise HTTPException(403, f"unit {unit} is outside your scope")
    return queries.cell_detail(
        session, ctx.scope, register, obligation, unit, period, rejected_page=rejected_page, per_page=per_page
    )


@router.get("/charts/heatmap.svg")
def chart_heatmap(
    ctx: CtxDep,
    session: SessionDep,
    tree: TreeDep,
    obligation: str = DEFAULT_OBLIGATION,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
):
    hm = queries.heatmap(session, ctx.scope, tree, obligation, from_key=from_, to_key=to)
    body = svg.heatmap_svg(hm, lambda u, p: ctx.url("/", obligation=obligation, unit=u, period=p), title=obligation)
    return Response(body, media_type="image/svg+xml")


@router.get("/charts/trend.svg")
def chart_trend(ctx: CtxDep, session: SessionDep, tree: TreeDep, obligation: str | None = None):
    obligation_ids = [obligation] if obligation else None
    keys, series = queries.compliance_trend(session, ctx.scope, tree, obligation_ids=obligation_ids)
    return Response(svg.line_chart_svg(keys, series, {c: tree.name(c) for c in series}), media_type="image/svg+xml")
