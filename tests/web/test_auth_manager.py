"""The dashboard asks Airflow's auth manager who may see what (safegov.web.auth.identity_of):
SimpleAuthManager and FAB, in process (no API server; FAB's user and roles unsaved)."""

from __future__ import annotations

import pytest
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager
from airflow.providers.fab.auth_manager.models import Action, Permission, Resource, Role, User

from safegov.core.settings import PROJECT_ROOT
from safegov.org.tree import UnitTree
from safegov.web.auth import identity_of, unit_view
from safegov.web.scope import DashboardUsers, resolve_scope

CFG = DashboardUsers(admin_scope="all", users={"hohhot_office": "150100"})


@pytest.fixture(scope="module")
def tree():
    return UnitTree.from_config(PROJECT_ROOT / "config")


def fab_user(username: str, *roles: tuple[str, list[str]]) -> User:
    """A FAB user whose roles carry can_read on the given custom views."""
    return User(
        username=username,
        roles=[
            Role(
                name=name,
                permissions=[Permission(action=Action(name="can_read"), resource=Resource(name=v)) for v in views],
            )
            for name, views in roles
        ],
    )


def scope_of(manager, user, tree):
    ident = identity_of(manager, user)
    return ident, resolve_scope(ident.username, ident.role, CFG, tree, roles=ident.roles, granted=ident.granted)


@pytest.mark.parametrize(
    "roles,kind,via,unit_code",
    [
        ([("Viewer", []), ("自治区安委办", [unit_view("150000")])], "all", "auth_manager", "150000"),
        ([("Viewer", []), ("呼和浩特市安委办", [unit_view("150100")])], "units", "auth_manager", "150100"),
        ([("Admin", [])], "all", "admin_default", None),  # FAB's Admin role, no view: admin_scope
        ([("Op", []), ("Viewer", [])], "none", "unmapped", None),
        ([("Viewer", ["can_read_other"])], "none", "unmapped", None),
    ],
)
def test_fab_roles_and_custom_views_decide_the_scope(tree, roles, kind, via, unit_code):
    ident, scope = scope_of(FabAuthManager(), fab_user("someone", *roles), tree)
    assert ident.role is None and ident.roles == {name for name, _ in roles}
    assert ident.granted is not None  # FAB tells custom views apart
    assert (scope.kind, scope.via, scope.unit_code) == (kind, via, unit_code)


@pytest.mark.parametrize(
    "username,role,kind,via",
    [
        ("anyone", "ADMIN", "all", "admin_default"),
        ("anyone", "VIEWER", "none", "unmapped"),  # a viewer is not region-wide by the custom view
        ("hohhot_office", "VIEWER", "units", "mapping"),
    ],
)
def test_simple_auth_manager_scopes_by_role_and_mapping_only(tree, username, role, kind, via):
    """SimpleAuthManager authorises every custom view for every viewer: the probe view shows
    it, so its grants are ignored rather than making everybody region-wide."""
    manager = SimpleAuthManager()
    user = SimpleAuthManagerUser(username=username, role=role)
    assert manager.is_authorized_custom_view(method="GET", resource_name=unit_view("150000"), user=user)
    ident, scope = scope_of(manager, user, tree)
    assert ident.granted is None and ident.role == role and ident.roles == {role}
    assert (scope.kind, scope.via) == (kind, via)
