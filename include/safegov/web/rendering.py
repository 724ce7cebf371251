"""Server-side rendering of the dashboard pages: the Jinja2 templates with the navigation,
the language switch, the user's scope label, the calendar banner and the ``Server-Timing``
header."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from safegov.evaluation.reasons import reason_zh
from safegov.org.tree import UnitTree
from safegov.web.deps import Ctx
from safegov.web.i18n import CASE_KINDS

TEMPLATES_DIR = Path(__file__).parent / "templates"
NAV = [
    ("overview", "/"),
    ("cases", "/cases"),
    ("blacklist", "/blacklist"),
    ("quality", "/quality"),
    ("outbox", "/outbox"),
    ("bulletins", "/bulletins"),
]


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["reason_zh"] = reason_zh
    return templates


def render(ctx: Ctx, template: str, **kw) -> HTMLResponse:
    """``template`` filled for the signed-in user, in their language."""
    state = ctx.request.app.state
    tree: UnitTree = state.tree
    elapsed = (time.perf_counter() - ctx.started) * 1000
    nav = [(key, ctx.url(path)) for key, path in NAV]
    other = "zh" if ctx.lang == "en" else "en"
    q = dict(ctx.request.query_params)
    q["lang"] = other
    path = ctx.request.url.path
    here = path[len(ctx.base) :] if path.startswith(ctx.base) else path
    resp = state.templates.TemplateResponse(
        ctx.request,
        template,
        {
            "ctx": ctx,
            "t": ctx.t,
            "lang": ctx.lang,
            "nav": nav,
            "lang_url": f"{ctx.base}{here}?{urlencode(q)}",
            "scope_label": scope_label(ctx, tree),
            "calendar_banner": calendar_banner(),
            "elapsed_ms": elapsed,
            "unit_name": tree.name,
            "kind_name": lambda k: CASE_KINDS.get(k, (k, k))[1 if ctx.lang == "en" else 0],
            **kw,
        },
    )
    resp.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
    return resp


def calendar_banner() -> str | None:
    """The calendar warning of today (``safegov.core.holidays.calendar_alert``): from
    1 November while next year's holidays are not entered, and while the current year is not.

    Asked per page (a stat of holidays.yaml), so it goes away as soon as the year is
    entered. A malformed file is shown rather than breaking every page.
    """
    from safegov.core.clock import get_clock
    from safegov.core.holidays import HolidaysError, calendar_alert, holiday_calendar
    from safegov.core.periods import local_date

    try:
        alert = calendar_alert(local_date(get_clock().now()), holiday_calendar())
    except HolidaysError as exc:
        return f"节假日安排文件有误，日历无法使用其中的年份：{exc}"
    return alert.message if alert else None


def scope_label(ctx: Ctx, tree: UnitTree) -> str:
    s = ctx.scope
    if s.kind == "all":
        if s.via == "admin_default":
            return ctx.t("scope_admin")
        name = tree.name(s.unit_code or "150000")
        return f"{name}（{ctx.t('scope_all')}）" if ctx.lang == "zh" else f"{name} ({ctx.t('scope_all')})"
    if s.kind == "units":
        if s.unit_code is None:  # several subtrees granted by the auth manager's custom views
            n = len(s.units or ())
            return f"{n} 个单位（由角色授权）" if ctx.lang == "zh" else f"{n} units (granted by roles)"
        return f"{tree.name(s.unit_code)} {s.unit_code}"
    return "—"
