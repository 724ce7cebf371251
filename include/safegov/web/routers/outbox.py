"""Pending, failed and dead emails of the outbox, addresses masked (page ``/outbox``, ``api/outbox``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from safegov.notification.wording import Names
from safegov.web import queries
from safegov.web.deps import CtxDep, SessionDep
from safegov.web.rendering import render

router = APIRouter()


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(ctx: CtxDep, session: SessionDep):
    rows = [] if ctx.scope.sees_nothing else queries.outbox(session, ctx.scope)
    return render(ctx, "outbox.html", rows=rows, names=Names.of(session, {m["subject_id"] for m in rows}))


@router.get("/api/outbox")
def api_outbox(ctx: CtxDep, session: SessionDep):
    return queries.outbox(session, ctx.scope)
