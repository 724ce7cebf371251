"""Airflow login for the dashboard.

Airflow mounts a plugin's FastAPI app without its own authentication, so every route here
checks the Airflow JWT itself. Airflow 3's UI keeps the token in the ``_token`` cookie
(set by the login page, path ``/``) and API clients send ``Authorization: Bearer``; both
are accepted, the explicit header first (as Airflow's own ``get_user`` does).

Validation is Airflow's: in the API server the auth manager's ``get_user_from_token``
(signature, expiry, audience, revoked JTIs). Tests may pass a verifier built on
``airflow.api_fastapi.auth.tokens.JWTValidator`` (same validation minus the revoked-token
lookup in Airflow's metadata DB).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

COOKIE_NAME = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


@dataclass(frozen=True)
class Identity:
    username: str
    role: str | None = None


class NotAuthenticated(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


Verifier = Callable[[str], Awaitable[Identity]]


def token_from_request(request: Request) -> str | None:
    auth = request.headers.get("authorization") or ""
    scheme, _, cred = auth.partition(" ")
    if scheme.lower() == "bearer" and cred.strip():
        return cred.strip()
    return request.cookies.get(COOKIE_NAME) or None


def _auth_manager():
    from airflow.api_fastapi.app import create_auth_manager, get_auth_manager

    try:
        return get_auth_manager()
    except RuntimeError:  # outside the API server (CLI, tests): build it from airflow.cfg
        return create_auth_manager()


async def airflow_verifier(token: str) -> Identity:
    """Validate with the running Airflow's auth manager (the same check Airflow's API does).

    Airflow's user interface (``BaseUser``) has a name but no role; the SimpleAuthManager's
    users have one (``ADMIN``, ``VIEWER``, ...), users of other auth managers get ``None``."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from jwt import InvalidTokenError

    try:
        user = await _auth_manager().get_user_from_token(token)
    except InvalidTokenError as exc:  # ExpiredSignatureError is a subclass
        raise NotAuthenticated(f"invalid token: {exc}") from None
    role = user.role if isinstance(user, SimpleAuthManagerUser) else None
    return Identity(username=user.get_name(), role=role)


def jwt_validator_verifier(**validator_kwargs) -> Verifier:
    """A verifier on Airflow's ``JWTValidator`` with explicit keys (tests, tools)."""
    from airflow.api_fastapi.auth.tokens import JWTValidator

    validator = JWTValidator(**validator_kwargs)

    async def verify(token: str) -> Identity:
        from jwt import InvalidTokenError

        try:
            claims = await validator.avalidated_claims(token)
        except (InvalidTokenError, ValueError) as exc:
            raise NotAuthenticated(f"invalid token: {exc}") from None
        if not claims.get("sub"):
            raise NotAuthenticated("invalid token: no subject")
        return Identity(username=str(claims["sub"]), role=claims.get("role"))

    return verify


def login_url(next_url: str) -> str:
    """Airflow's login page, coming back to ``next_url`` afterwards."""
    return _auth_manager().get_url_login(next_url=next_url)


async def identify(request: Request) -> Identity:
    token = token_from_request(request)
    if not token:
        raise NotAuthenticated("not authenticated: sign in to Airflow first")
    verifier: Verifier = request.app.state.verifier
    return await verifier(token)
