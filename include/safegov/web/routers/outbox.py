"""Pending, failed and dead emails of the outbox, addresses masked (page ``/outbox``, ``api/outbox``),
a page at a time, all of them or those of one state (``?state=``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from safegov.notification.wording import Names
from safegov.web import queries
from safegov.web.deps import CtxDep, PageQuery, PerPageQuery, SessionDep
from safegov.web.rendering import render

router = APIRouter()


def states_of(state: str | None) -> tuple[str, ...]:
    """The states ``?state=`` asks for: one of ``queries.OUTBOX_STATES``, or all of them."""
    if not state:
        return queries.OUTBOX_STATES
    if state not in queries.OUTBOX_STATES:
        raise HTTPException(400, f"state {state!r}: expected one of {', '.join(queries.OUTBOX_STATES)}")
    return (state,)


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(ctx: CtxDep, session: SessionDep, page: PageQuery = 1, state: str | None = None):
    pg = queries.outbox(session, ctx.scope, states=states_of(state), page=page, clamp=True)
    return render(
        ctx,
        "outbox.html",
        pg=pg,
        rows=pg.items,
        names=Names.of(session, {m["subject_id"] for m in pg.items}),
        sel_state=state or "",
        states=queries.OUTBOX_STATES,
    )


@router.get("/api/outbox")
def api_outbox(
    ctx: CtxDep,
    session: SessionDep,
    page: PageQuery = 1,
    per_page: PerPageQuery = queries.PER_PAGE,
    state: str | None = None,
):
    """A page of the undelivered mail with the total (``items``, ``total``, ``page``, ``per_page``, ``pages``)."""
    return queries.outbox(session, ctx.scope, states=states_of(state), page=page, per_page=per_page).as_json()
