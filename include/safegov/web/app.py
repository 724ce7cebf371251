"""The compliance dashboard (安全生产治理) served inside the Airflow 3 UI.

``create_app()`` returns a FastAPI app that the plugin ``plugins/safegov_web.py`` mounts
at ``/safegov``; an Airflow *external view* puts it in the navigation, framed by the UI.

Every route needs an Airflow login (``auth.identify``) and every query is restricted to
the user's units (``scope.resolve_scope`` → ``queries.*``). Pages are server-rendered
(Jinja2 + inline SVG), in Chinese, or English with ``?lang=en``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safegov.accountability import blacklist
from safegov.core.errors import SafegovError
from safegov.intake.quality import quality_summary
from safegov.org.tree import UnitTree
from safegov.web import queries, svg
from safegov.web.auth import Identity, NotAuthenticated, Verifier, airflow_verifier, identify, login_url
from safegov.web.i18n import CASE_KINDS, translator
from safegov.web.scope import DashboardUsers, DashboardUsersError, Scope, load_dashboard_users, resolve_scope, users_path

HERE = Path(__file__).parent
DEFAULT_OBLIGATION = "SC-MEET-LOCAL"


@dataclass
class Ctx:
    request: Request
    identity: Identity
    scope: Scope
    lang: str
    started: float

    @property
    def t(self):
        return translator(self.lang)

    @property
    def base(self) -> str:
        # Under Airflow the app is mounted at /safegov: Starlette puts the prefix in root_path.
        return (self.request.scope.get("root_path") or "").rstrip("/")

    def url(self, path: str, **params: Any) -> str:
        params = {k: v for k, v in params.items() if v not in (None, "")}
        if self.lang == "en":
            params.setdefault("lang", "en")
        return f"{self.base}{path}" + (f"?{urlencode(params)}" if params else "")


class _UsersCache:
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


def create_app(
    engine: Engine | None = None,
    *,
    verifier: Verifier | None = None,
    users_file: Path | None = None,
    data_dir: Path | None = None,
    config_dir: Path | None = None,
    register=None,
) -> FastAPI:
    """The dashboard app; all arguments default to the environment (settings, Airflow)."""
    app = FastAPI(title="safegov dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    tree = UnitTree.from_config(config_dir)
    users = _UsersCache(users_file, set(tree.names))
    app.state.verifier = verifier or airflow_verifier
    app.state.templates = templates

    def get_engine_() -> Engine:
        if engine is not None:
            return engine
        from safegov.db.engine import get_engine

        return get_engine()

    def get_data_dir() -> Path:
        if data_dir is not None:
            return Path(data_dir)
        from safegov.core.settings import get_settings

        return get_settings().data_dir

    def get_register_():
        if register is not None:
            return register
        from safegov.register.obligations import get_register

        return get_register()

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, exc: NotAuthenticated):
        wants_html = "text/html" in (request.headers.get("accept") or "") and "/api/" not in request.url.path
        if wants_html:
            next_url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(login_url(next_url), status_code=303)
        return JSONResponse({"detail": exc.reason}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(DashboardUsersError)
    async def _bad_users(request: Request, exc: DashboardUsersError):
        return JSONResponse({"detail": f"dashboard users config invalid: {exc}"}, status_code=500)

    async def context(request: Request, lang: str = Query("zh")) -> Ctx:
        started = time.perf_counter()
        identity = await identify(request)
        scope = resolve_scope(identity.username, identity.role, users.get(), tree)
        return Ctx(request, identity, scope, "en" if lang == "en" else "zh", started)

    def render(ctx: Ctx, template: str, **kw) -> HTMLResponse:
        elapsed = (time.perf_counter() - ctx.started) * 1000
        nav = [(key, ctx.url(path)) for key, path in [("overview", "/"), ("cases", "/cases"), ("blacklist", "/blacklist"), ("quality", "/quality"), ("outbox", "/outbox"), ("bulletins", "/bulletins")]]
        other = "zh" if ctx.lang == "en" else "en"
        q = dict(ctx.request.query_params)
        q["lang"] = other
        resp = templates.TemplateResponse(
            ctx.request,
            template,
            {
                "ctx": ctx,
                "t": ctx.t,
                "lang": ctx.lang,
                "nav": nav,
                "lang_url": f"{ctx.base}{ctx.request.url.path[len(ctx.base):] if ctx.request.url.path.startswith(ctx.base) else ctx.request.url.path}?{urlencode(q)}",
                "scope_label": _scope_label(ctx, tree),
                "elapsed_ms": elapsed,
                "unit_name": tree.name,
                "kind_name": lambda k: CASE_KINDS.get(k, (k, k))[1 if ctx.lang == "en" else 0],
                **kw,
            },
        )
        resp.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        return resp

    # ----------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse)
    def overview(
        ctx: Ctx = Depends(context),
        obligation: str | None = None,
        from_: str | None = Query(None, alias="from"),
        to: str | None = None,
        unit: str | None = None,
        period: str | None = None,
    ):
        reg = get_register_()
        obligations = [(o.id, o.title) for o in reg.obligations]
        obligation = obligation or (DEFAULT_OBLIGATION if any(o == DEFAULT_OBLIGATION for o, _ in obligations) or not obligations else obligations[0][0])
        if ctx.scope.sees_nothing:
            return render(ctx, "overview.html", obligations=obligations, obligation=obligation, heat_svg="", legend="", detail=None, trend_svg="", cases_svg="", from_=from_, to=to)
        with Session(get_engine_()) as s:
            hm = queries.heatmap(s, ctx.scope, tree, obligation, from_key=from_, to_key=to)
            # One urlencode for the page, not one per cell (unit codes and period keys need no quoting).
            prefix = ctx.url("/", obligation=obligation, **{"from": from_, "to": to})
            joiner = "&" if "?" in prefix else "?"
            heat = svg.heatmap_svg(hm, lambda u, p: f"{prefix}{joiner}unit={quote(u)}&period={quote(p)}#detail", title=ctx.t("overview"), selected=(unit, period) if unit and period else None)
            detail = queries.cell_detail(s, ctx.scope, reg, obligation, unit, period) if unit and period else None
            keys, series = queries.trend_from_heatmap(hm)
            # A county office's "league" line holds only its own county: name it so.
            own_county = ctx.scope.kind == "units" and tree.league_of(ctx.scope.unit_code) not in (None, ctx.scope.unit_code)
            names = {c: tree.name(ctx.scope.unit_code) if own_county else tree.name(c) for c in series}
            trend = svg.line_chart_svg(keys, series, names, title=ctx.t("trend"))
            mkeys, mdata = queries.cases_by_kind_month(s, ctx.scope)
            cases_chart = svg.stacked_bars_svg(mkeys, mdata, {k: ctx.t(k) for k in CASE_KINDS}, title=ctx.t("cases_by_kind"))
        legend = svg.legend_svg({k: ctx.t(k) for k in queries.STATUSES})
        return render(ctx, "overview.html", obligations=obligations, obligation=obligation, heat_svg=heat, heatmap=hm, legend=legend, detail=detail, trend_svg=trend, cases_svg=cases_chart, from_=from_, to=to, sel_unit=unit, sel_period=period)

    @app.get("/cases", response_class=HTMLResponse)
    def cases_page(ctx: Ctx = Depends(context)):
        rows = []
        if not ctx.scope.sees_nothing:
            with Session(get_engine_()) as s:
                rows = queries.open_cases(s, ctx.scope)
        return render(ctx, "cases.html", rows=rows)

    @app.get("/blacklist", response_class=HTMLResponse)
    def blacklist_page(ctx: Ctx = Depends(context), q: str | None = None, enterprise_id: str | None = None, scope: str | None = None, on: str | None = None):
        rows, check = [], None
        if not ctx.scope.sees_nothing:
            with Session(get_engine_()) as s:
                rows = queries.blacklist(s, ctx.scope, q=q)
                if enterprise_id and scope:
                    check = _check(s, enterprise_id, scope, on)
        from safegov.web.i18n import SCOPES

        return render(ctx, "blacklist.html", rows=rows, q=q or "", check=check, enterprise_id=enterprise_id or "", sel_scope=scope or "", on=on or "", scopes=list(SCOPES))

    @app.get("/quality", response_class=HTMLResponse)
    def quality_page(ctx: Ctx = Depends(context), from_: str | None = Query(None, alias="from"), to: str | None = None):
        rows = []
        if not ctx.scope.sees_nothing:
            with Session(get_engine_()) as s:
                rows = _quality(s, ctx.scope, from_, to)
        docs = (get_data_dir() / "data_docs" / "index.html").exists()
        return render(ctx, "quality.html", rows=rows, docs=docs, from_=from_, to=to)

    @app.get("/outbox", response_class=HTMLResponse)
    def outbox_page(ctx: Ctx = Depends(context)):
        rows = []
        if not ctx.scope.sees_nothing:
            with Session(get_engine_()) as s:
                rows = queries.outbox(s, ctx.scope)
        return render(ctx, "outbox.html", rows=rows)

    @app.get("/bulletins", response_class=HTMLResponse)
    def bulletins_page(ctx: Ctx = Depends(context), show: str | None = None):
        drafts = _drafts(ctx.scope)
        # Preview the chosen draft, else the newest one of the user's own office, else the first.
        shown = next((d for d in drafts if f"{d['period']}/{d['unit_code']}" == show), None)
        if shown is None and drafts:
            own = [d for d in drafts if d["unit_code"] == (ctx.scope.unit_code or "150000")]
            shown = own[0] if own else drafts[0]
        return render(ctx, "bulletins.html", drafts=drafts, shown=shown)

    @app.get("/bulletins/{period}/{unit_code}.{ext}")
    def bulletin_file(period: str, unit_code: str, ext: str, ctx: Ctx = Depends(context)):
        if ext not in ("html", "md", "csv") or not ctx.scope.allows(unit_code):
            raise HTTPException(404, "no such draft")
        path = _safe_join(get_data_dir() / "bulletins", period, f"{unit_code}.{ext}")
        if path is None or not path.is_file():
            raise HTTPException(404, "no such draft")
        media = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}[ext]
        return FileResponse(path, media_type=media)

    @app.get("/data-docs/{path:path}")
    def data_docs(path: str, ctx: Ctx = Depends(context)):
        # Data Docs hold raw values of rejected rows of every unit: region-wide users only.
        if ctx.scope.kind != "all":
            raise HTTPException(403, "Data Docs show every unit's rows: region-level users only")
        target = _safe_join(get_data_dir() / "data_docs", path or "index.html")
        if target is not None and target.is_dir():
            target = target / "index.html"
        if target is None or not target.is_file():
            raise HTTPException(404, "no Data Docs here yet (run the validation first)")
        return FileResponse(target)

    @app.get("/icon.svg")
    def icon(ctx: Ctx = Depends(context)):
        body = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
            '<path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5z" fill="#1d3557"/>'
            '<path d="m8 12 3 3 5-6" stroke="#f4a261" stroke-width="2" fill="none"/></svg>'
        )
        return Response(body, media_type="image/svg+xml")

    # ----------------------------------------------------------------- JSON API

    @app.get("/api/me")
    def api_me(ctx: Ctx = Depends(context)):
        s = ctx.scope
        return {"username": ctx.identity.username, "role": ctx.identity.role, "scope": s.kind, "unit_code": s.unit_code, "via": s.via, "units": sorted(s.units) if s.units is not None else None}

    @app.get("/api/heatmap")
    def api_heatmap(ctx: Ctx = Depends(context), obligation: str = DEFAULT_OBLIGATION, from_: str | None = Query(None, alias="from"), to: str | None = None):
        with Session(get_engine_()) as s:
            return queries.heatmap(s, ctx.scope, tree, obligation, from_key=from_, to_key=to).to_json()

    @app.get("/api/cell")
    def api_cell(obligation: str, unit: str, period: str, ctx: Ctx = Depends(context)):
        if not ctx.scope.allows(unit):
            raise HTTPException(403, f"unit {unit} is outside your scope")
        with Session(get_engine_()) as s:
            return queries.cell_detail(s, ctx.scope, get_register_(), obligation, unit, period)

    @app.get("/api/cases")
    def api_cases(ctx: Ctx = Depends(context)):
        with Session(get_engine_()) as s:
            return queries.open_cases(s, ctx.scope)

    @app.get("/api/blacklist")
    def api_blacklist(ctx: Ctx = Depends(context), q: str | None = None):
        with Session(get_engine_()) as s:
            return queries.blacklist(s, ctx.scope, q=q)

    @app.get("/api/blacklist/check")
    def api_blacklist_check(enterprise_id: str, scope: str, on: str, ctx: Ctx = Depends(context)):
        if ctx.scope.sees_nothing:
            raise HTTPException(403, "your account is not mapped to a unit")
        with Session(get_engine_()) as s:
            result = _check(s, enterprise_id, scope, on)
        if result.get("status_code"):
            return JSONResponse({"detail": result["detail"]}, status_code=result["status_code"])
        return result

    @app.get("/api/quality")
    def api_quality(ctx: Ctx = Depends(context), from_: str | None = Query(None, alias="from"), to: str | None = None):
        with Session(get_engine_()) as s:
            return _quality(s, ctx.scope, from_, to)

    @app.get("/api/outbox")
    def api_outbox(ctx: Ctx = Depends(context)):
        with Session(get_engine_()) as s:
            return queries.outbox(s, ctx.scope)

    @app.get("/api/bulletins")
    def api_bulletins(ctx: Ctx = Depends(context)):
        return [{k: v for k, v in d.items()} for d in _drafts(ctx.scope)]

    # ----------------------------------------------------------------- charts

    @app.get("/charts/heatmap.svg")
    def chart_heatmap(ctx: Ctx = Depends(context), obligation: str = DEFAULT_OBLIGATION, from_: str | None = Query(None, alias="from"), to: str | None = None):
        with Session(get_engine_()) as s:
            hm = queries.heatmap(s, ctx.scope, tree, obligation, from_key=from_, to_key=to)
        body = svg.heatmap_svg(hm, lambda u, p: ctx.url("/", obligation=obligation, unit=u, period=p), title=obligation)
        return Response(body, media_type="image/svg+xml")

    @app.get("/charts/trend.svg")
    def chart_trend(ctx: Ctx = Depends(context), obligation: str | None = None):
        with Session(get_engine_()) as s:
            keys, series = queries.compliance_trend(s, ctx.scope, tree, obligation_ids=[obligation] if obligation else None)
        return Response(svg.line_chart_svg(keys, series, {c: tree.name(c) for c in series}), media_type="image/svg+xml")

    @app.get("/charts/cases.svg")
    def chart_cases(ctx: Ctx = Depends(context)):
        with Session(get_engine_()) as s:
            keys, data = queries.cases_by_kind_month(s, ctx.scope)
        return Response(svg.stacked_bars_svg(keys, data, {k: ctx.t(k) for k in CASE_KINDS}), media_type="image/svg+xml")

    # ----------------------------------------------------------------- helpers

    def _drafts(scope: Scope) -> list[dict[str, Any]]:
        root = get_data_dir() / "bulletins"
        out = []
        if scope.sees_nothing or not root.is_dir():
            return out
        for pdir in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
            for md in sorted(pdir.glob("*.md")):
                code = md.stem
                if scope.allows(code):
                    out.append({"period": pdir.name, "unit_code": code, "unit_name": tree.name(code), "files": [e for e in ("html", "md", "csv") if (pdir / f"{code}.{e}").exists()]})
        return out

    app.state.tree = tree
    return app


def _scope_label(ctx: Ctx, tree: UnitTree) -> str:
    s = ctx.scope
    if s.kind == "all":
        return ctx.t("scope_admin") if s.via == "admin_default" else f"{tree.name(s.unit_code or '150000')}（{ctx.t('scope_all')}）" if ctx.lang == "zh" else f"{tree.name(s.unit_code or '150000')} ({ctx.t('scope_all')})"
    if s.kind == "units":
        return f"{tree.name(s.unit_code)} {s.unit_code}"
    return "—"


def _safe_join(root: Path, *parts: str) -> Path | None:
    """``root/parts`` only if it stays inside ``root`` (no ``..`` escapes)."""
    root = root.resolve()
    target = root.joinpath(*parts).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        return None
    return target


def _check(session: Session, enterprise_id: str, scope: str, on: str | None) -> dict[str, Any]:
    """``safegov.accountability.blacklist.check`` on ``on`` (default today), dates as ISO strings;
    a bad date or scope gives ``status_code`` 400 and the ``detail``."""
    try:
        day = dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError:
        return {"status_code": 400, "detail": f"bad date {on!r}: expected YYYY-MM-DD"}
    try:
        r = blacklist.check(session, enterprise_id, scope, day)
    except SafegovError as exc:
        return {"status_code": 400, "detail": str(exc)}

    def iso(v):
        return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v

    return {"enterprise_id": enterprise_id, "scope": scope, "on": day.isoformat(), "restricted": bool(r["restricted"]), "since": iso(r["since"]), "until": iso(r["until"]), "why": r["why"]}


def _quality(session: Session, scope: Scope, from_key: str | None, to_key: str | None) -> list[dict[str, Any]]:
    """Rejected rows by unit and month, newest month first. ``quality_summary`` takes no scope,
    so it serves region-wide users only; everyone else gets ``queries.quality``, which puts
    the scope into SQL (and also attributes enterprise rows to their county)."""
    if scope.kind == "all":
        rows = [_with_page_fields(r) for r in quality_summary(session, from_key=from_key, to_key=to_key)]
        return sorted((r for r in rows if r["rejected"]), key=lambda r: (r["month"], r["unit_code"] or ""), reverse=True)
    return queries.quality(session, scope, from_key=from_key, to_key=to_key)


def _with_page_fields(r: dict[str, Any]) -> dict[str, Any]:
    """A ``quality_summary`` row plus the fields of ``queries.quality`` the page shows."""
    rows = r["received"]
    return {**r, "rows": rows, "types": {}, "rules": r["reasons"], "rate": r["rejected"] / rows if rows else 0.0}
