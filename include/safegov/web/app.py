"""The compliance dashboard (安全生产治理) served inside the Airflow 3 UI.

``create_app()`` returns a FastAPI app that the plugin ``plugins/safegov_web.py`` mounts
at ``/safegov``; an Airflow *external view* puts it in the navigation, framed by the UI.

Every route needs an Airflow login (``auth.identify``) and every query is restricted to
the user's units (``scope.resolve_scope`` → ``queries.*``). Pages are server-rendered
(Jinja2 + inline SVG), in Chinese, or English with ``?lang=en``. The routes are in
``safegov.web.routers``, one module per page; their dependencies in ``safegov.web.deps``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders

from safegov.org.tree import UnitTree
from safegov.register.obligations import Register
from safegov.web.auth import NotAuthenticated, Verifier, airflow_verifier, login_url
from safegov.web.deps import UsersCache
from safegov.web.rendering import make_templates
from safegov.web.routers import ROUTERS
from safegov.web.scope import DashboardUsersError

# The pages carry one inline <style> (base.html, the bulletin drafts) and no scripts; the
# Airflow UI frames the dashboard from the same origin, so framing is limited to 'self'.
CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'"


class SecurityHeaders:
    """Adds the CSP (unless a route set its own, as Data Docs do) and ``nosniff`` to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    engine: Engine | None = None,
    *,
    verifier: Verifier | None = None,
    users_file: Path | None = None,
    data_dir: Path | None = None,
    config_dir: Path | None = None,
    register: Register | None = None,
) -> FastAPI:
    """The dashboard app; all arguments default to the environment (settings, Airflow)."""
    app = FastAPI(title="safegov dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    tree = UnitTree.from_config(config_dir)
    app.state.engine = engine
    app.state.verifier = verifier or airflow_verifier
    app.state.users = UsersCache(users_file, set(tree.names))
    app.state.data_dir = Path(data_dir) if data_dir is not None else None
    app.state.register = register
    app.state.templates = make_templates()
    app.state.tree = tree
    app.add_exception_handler(NotAuthenticated, _not_authenticated)
    app.add_exception_handler(DashboardUsersError, _bad_users)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(SecurityHeaders)
    return app


async def _not_authenticated(request: Request, exc: NotAuthenticated):
    """A page redirects to Airflow's login (and back); the API and files answer 401."""
    wants_html = "text/html" in (request.headers.get("accept") or "") and "/api/" not in request.url.path
    if wants_html:
        next_url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(login_url(next_url), status_code=303)
    return JSONResponse({"detail": exc.reason}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def _bad_users(request: Request, exc: DashboardUsersError):
    return JSONResponse({"detail": f"dashboard users config invalid: {exc}"}, status_code=500)
