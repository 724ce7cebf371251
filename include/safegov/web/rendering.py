"""Server-side rendering of the dashboard pages: the Jinja2 templates with the navigation,
the language switch, the user's scope label, the calendar banner and the ``Server-Timing``
header."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from safegov.core.grades import GRADE_NAMES
from safegov.core.words import fmt_date, fmt_datetime, fmt_month, fmt_period, purpose_words, step_words, word
from safegov.evaluation.reasons import reason_zh
from safegov.notification.wording import Names, reason_words, why_words
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
    from jinja2 import StrictUndefined

    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    # A value a page reads but its route does not give is an error, never a blank cell.
    templates.env.undefined = StrictUndefined
    templates.env.filters["reason_zh"] = reason_zh
    return templates


def page_words(lang: str) -> dict[str, Any]:
    """The page's formatting helpers (``safegov.core.words``) bound to its language: dates,
    Beijing times, periods, months and coded words (``w('dead', ns='outbox')``)."""
    en = lang == "en"
    return {
        "d": lambda v: fmt_date(v, lang),
        "dtm": lambda v: fmt_datetime(v, lang),
        "per": lambda v: fmt_period(v, lang),
        "mon": lambda v: fmt_month(v, lang),
        "w": lambda code, ns=None: word(code, lang, ns=ns),
        "purpose_words": lambda v: purpose_words(v, lang),
        "step_words": lambda v: step_words(v, lang),
        "reason_words": lambda v: reason_words(v, lang),
        "why_words": lambda v: why_words(v, lang),
        "join_words": (lambda items: ", ".join(items)) if en else (lambda items: "、".join(items)),
        "bracket": (lambda v: f" ({v})") if en else (lambda v: f"（{v}）"),
    }


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

    def page_url(n: int, key: str = "page", anchor: str = "") -> str:
        """This page's address at page ``n`` of a list (``key``: the list's page parameter),
        then ``#anchor``: the filter and language stay."""
        params = dict(ctx.request.query_params)
        params[key] = str(n)
        return f"{ctx.base}{here}?{urlencode(params)}" + (f"#{anchor}" if anchor else "")

    resp = state.templates.TemplateResponse(
        ctx.request,
        template,
        {
            "ctx": ctx,
            "t": ctx.t,
            "lang": ctx.lang,
            "nav": nav,
            "lang_url": f"{ctx.base}{here}?{urlencode(q)}",
            "page_url": page_url,
            "scope_label": scope_label(ctx, tree),
            "calendar_banner": calendar_banner(),
            "elapsed_ms": elapsed,
            "unit_name": tree.name,
            "kind_name": lambda k: CASE_KINDS.get(k, (k, k))[1 if ctx.lang == "en" else 0],
            **page_words(ctx.lang),
            **kw,
        },
    )
    resp.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
    return resp


def column_labels() -> dict[str, str]:
    """Canonical column → its first Chinese header of config/aliases.yaml (the words the
    offices use in their own files), for tables of records."""
    from safegov.intake.readers import load_aliases, normalise_header

    # Bookkeeping columns no office submits.
    labels: dict[str, str] = {"raw_row_id": "原始行编号", "version": "版本", "id": "序号"}
    for header, column in load_aliases().header.items():
        if header != normalise_header(column):
            labels.setdefault(column, header)
    return labels


def record_words(names: Names, lang: str) -> dict[str, Any]:
    """``col_label`` and ``cell`` for a table of record rows: Chinese headers (the column id
    in the header's title), dates and Beijing times in words, yes/no, people and
    enterprises by name with the code after."""
    from markupsafe import Markup, escape

    labels = {} if lang == "en" else column_labels()
    dates_at = re.compile(r".*_at$")
    dates_on = re.compile(r".*_on$|^deadline$|^term_(start|end)$")

    def cell(column: str, value: Any) -> Any:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return word("yes" if value else "no", lang)
        if dates_at.match(column):
            return fmt_datetime(value, lang)
        if dates_on.match(column):
            return fmt_date(value, lang)
        if column in ("leader_id", "chaired_by", "enterprise_id") and (
            str(value) in names.leaders or str(value) in names.enterprises
        ):
            name = names.leaders.get(str(value)) or names.enterprises[str(value)]
            return Markup(f"{escape(name)} <code>{escape(value)}</code>")
        if column in ("unit_code", "county_code") and names.unit(value):
            return Markup(f"{escape(names.unit(value))} <code>{escape(value)}</code>")
        if column == "record_type":
            return word(value, lang, ns="record")
        if column in ("grade", "declared_grade") and lang != "en":
            return GRADE_NAMES.get(str(value), value)
        return value

    return {"col_label": lambda c: labels.get(c, c), "cell": cell}


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
