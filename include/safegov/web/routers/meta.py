"""The signed-in user and their scope (``api/me``), the navigation icon (``icon.svg``) and the
script that follows the Airflow UI's language (``static/lang.js``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from safegov.web.deps import CtxDep

ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
    '<path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5z" fill="#1d3557"/>'
    '<path d="m8 12 3 3 5-6" stroke="#f4a261" stroke-width="2" fill="none"/></svg>'
)

router = APIRouter()


@router.get("/api/me")
def api_me(ctx: CtxDep):
    s = ctx.scope
    return {
        "username": ctx.identity.username,
        "role": ctx.identity.role,
        "roles": sorted(ctx.identity.role_names),
        "scope": s.kind,
        "unit_code": s.unit_code,
        "via": s.via,
        "units": sorted(s.units) if s.units is not None else None,
    }


@router.get("/icon.svg")
def icon(ctx: CtxDep):
    return Response(ICON, media_type="image/svg+xml")


LANG_SCRIPT = Path(__file__).resolve().parents[1] / "static" / "lang.js"


@router.get("/static/lang.js")
def lang_script():
    """A file, not inline script: the pages' CSP (default-src 'self') runs no inline code."""
    return Response(LANG_SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript")
