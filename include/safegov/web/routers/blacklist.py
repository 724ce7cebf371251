"""The blacklist: the scoped entries with search, and the restriction check of any enterprise
for any mapped user (page ``/blacklist``, ``api/blacklist``, ``api/blacklist/check``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability import blacklist
from safegov.core.errors import SafegovError
from safegov.db.models import BlacklistEntry
from safegov.web import queries
from safegov.web.deps import CtxDep, PageQuery, PerPageQuery, SessionDep
from safegov.web.i18n import SCOPES
from safegov.web.rendering import render

router = APIRouter()


@router.get("/blacklist", response_class=HTMLResponse)
def blacklist_page(
    ctx: CtxDep,
    session: SessionDep,
    q: str | None = None,
    enterprise_id: str | None = None,
    scope: str | None = None,
    on: str | None = None,
    page: PageQuery = 1,
):
    pg, check = queries.blacklist(session, ctx.scope, q=q, page=page, clamp=True), None
    if not ctx.scope.sees_nothing:
        if enterprise_id and scope:
            check = restriction(session, enterprise_id, scope, on)
            if not check.get("status_code"):
                check["words"] = check_words(session, check, ctx.t)
    return render(
        ctx,
        "blacklist.html",
        pg=pg,
        rows=pg.items,
        q=q or "",
        check=check,
        enterprise_id=enterprise_id or "",
        sel_scope=scope or "",
        on=on or "",
        scopes=list(SCOPES),
        trigger_name=lambda code: ctx.t(code) if ctx.lang == "en" else blacklist.TRIGGER_NAMES.get(code, code),
    )


def check_words(session: Session, check: dict[str, Any], t) -> str:
    """The check's answer in words: the listing's trigger by name, or why nothing restricts
    (``why`` of ``blacklist.check`` is written for the API, in English)."""
    entries = session.scalars(
        select(BlacklistEntry).where(BlacklistEntry.enterprise_id == check["enterprise_id"]).order_by(BlacklistEntry.id)
    ).all()
    hit = next((e for e in entries if check["scope"] in (e.scopes or [])), None)
    if check["restricted"] and hit is not None:
        return t("check_listed") % (blacklist.TRIGGER_NAMES.get(hit.trigger, hit.trigger), hit.trigger_ref)
    listed = bool(entries)
    return t("check_other_scope") if listed else t("check_not_listed")


@router.get("/api/blacklist")
def api_blacklist(
    ctx: CtxDep,
    session: SessionDep,
    q: str | None = None,
    page: PageQuery = 1,
    per_page: PerPageQuery = queries.PER_PAGE,
):
    """A page of the entries matching ``q`` with the total (``items``, ``total``, ``page``, ``per_page``, ``pages``)."""
    return queries.blacklist(session, ctx.scope, q=q, page=page, per_page=per_page).as_json()


@router.get("/api/blacklist/check")
def api_blacklist_check(enterprise_id: str, scope: str, on: str, ctx: CtxDep, session: SessionDep):
    if ctx.scope.sees_nothing:
        raise HTTPException(403, "your account is not mapped to a unit")
    result = restriction(session, enterprise_id, scope, on)
    if result.get("status_code"):
        return JSONResponse({"detail": result["detail"]}, status_code=result["status_code"])
    return result


def restriction(session: Session, enterprise_id: str, scope: str, on: str | None) -> dict[str, Any]:
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

    return {
        "enterprise_id": enterprise_id,
        "scope": scope,
        "on": day.isoformat(),
        "restricted": bool(r["restricted"]),
        "since": iso(r["since"]),
        "until": iso(r["until"]),
        "why": r["why"],
    }
