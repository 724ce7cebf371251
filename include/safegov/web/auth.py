"""Airflow login for the dashboard.

Airflow mounts a plugin's FastAPI app without its own authentication, so every route here
checks the Airflow JWT itself. Airflow 3's UI keeps the token in the ``_token`` cookie
(set by the login page, path ``/``) and API clients send ``Authorization: Bearer``; both
are accepted, the explicit header first (as Airflow's own ``get_user`` does).

Validation is Airflow's: in the API server the auth manager's ``get_user_from_token``
(signature, expiry, audience, revoked JTIs). Tests may pass a verifier built on
``airflow.api_fastapi.auth.tokens.JWTValidator`` (same validation minus the revoked-token
lookup in Airflow's metadata DB).

What a user may see also comes from the auth manager (``safegov.web.scope.resolve_scope``):

- custom views ``safegov:<unit code>`` (``is_authorized_custom_view``, method ``GET``): a user
  granted ``safegov:150100`` sees 呼和浩特市 and its counties, ``safegov:150000`` the whole
  region. With FAB that is the permission ``can_read`` on the resource ``safegov:150100``,
  given to a role (``airflow roles add-perms 呼和浩特市安委办 -r safegov:150100 -a can_read``).
  An auth manager that grants every custom view to every user (SimpleAuthManager: any viewer)
  cannot scope this way: a probe view no one is ever granted tells it apart, and then only
  the mapping file and the roles count;
- roles: SimpleAuthManager's single role (``ADMIN``, ``VIEWER`` …), FAB's role names
  (``Admin``, ``Op`` …); an admin role gets ``admin_scope`` when the user is not mapped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Request

COOKIE_NAME = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


VIEW_PREFIX = "safegov:"  # custom view of a unit's subtree: safegov:<GB/T 2260 code>
PROBE_VIEW = "safegov:never-granted"  # granted only by an auth manager that grants everything


def unit_view(code: str) -> str:
    """The custom view (FAB resource) that grants ``code``'s subtree on the dashboard."""
    return f"{VIEW_PREFIX}{code}"


@dataclass(frozen=True)
class Identity:
    """The signed-in user as the auth manager knows them.

    ``role`` is SimpleAuthManager's (or a test token's) single role; ``roles`` every role name
    (FAB: ``user.roles``); ``granted(resource)`` asks the auth manager's
    ``is_authorized_custom_view`` — ``None`` when it does not tell custom views apart."""

    username: str
    role: str | None = None
    roles: frozenset[str] = frozenset()
    granted: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)

    @property
    def role_names(self) -> frozenset[str]:
        return self.roles | ({self.role} if self.role else set())


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


def user_roles(user) -> tuple[str | None, frozenset[str]]:
    """(single role, every role name) of an auth manager's user.

    Airflow's user interface (``BaseUser``) has a name but no role: SimpleAuthManager's users
    have one (``ADMIN``, ``VIEWER`` …), FAB's users a list (``user.roles``, each with a name);
    a user of another auth manager has none here and is scoped by custom views and the file."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.providers.fab.auth_manager.models import User as FabUser

    if isinstance(user, SimpleAuthManagerUser):
        return user.role, frozenset({user.role} if user.role else ())
    if isinstance(user, FabUser):
        return None, frozenset(r.name for r in user.roles)
    return None, frozenset()


def identity_of(auth_manager, user) -> Identity:
    """The ``Identity`` of ``user`` as ``auth_manager`` authorises them (module docstring)."""

    def granted(resource: str) -> bool:
        return bool(auth_manager.is_authorized_custom_view(method="GET", resource_name=resource, user=user))

    role, roles = user_roles(user)
    return Identity(username=user.get_name(), role=role, roles=roles, granted=None if granted(PROBE_VIEW) else granted)


async def airflow_verifier(token: str) -> Identity:
    """Validate with the running Airflow's auth manager (the same check Airflow's API does)."""
    from jwt import InvalidTokenError

    manager = _auth_manager()
    try:
        user = await manager.get_user_from_token(token)
    except InvalidTokenError as exc:  # ExpiredSignatureError is a subclass
        raise NotAuthenticated(f"invalid token: {exc}") from None
    return identity_of(manager, user)


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
