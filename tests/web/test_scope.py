"""config/dashboard_users.yaml: validation and who sees which units."""

from __future__ import annotations

import pytest

from safegov.core.settings import PROJECT_ROOT
from safegov.org.tree import UnitTree
from safegov.web.scope import DashboardUsers, DashboardUsersError, load_dashboard_users, resolve_scope


@pytest.fixture(scope="module")
def tree():
    return UnitTree.from_config(PROJECT_ROOT / "config")


def test_shipped_config_is_valid(tree):
    cfg = load_dashboard_users(PROJECT_ROOT / "config" / "dashboard_users.yaml", set(tree.names))
    assert cfg.users["xincheng_office"] == "150102"


@pytest.mark.parametrize(
    "text,message",
    [
        ("users:\n  a: '1501'\n", "field users: .*user 'a'"),
        ("users:\n  a: '159999'\n", "unit 159999 is not in the unit registry"),
        ("admin_scope: everyone\n", "field admin_scope"),
        ("userz: {}\n", "field userz"),
        ("users: [\n", "not valid YAML"),
    ],
)
def test_bad_config_names_the_field(tmp_path, tree, text, message):
    p = tmp_path / "dashboard_users.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DashboardUsersError, match=message) as err:
        load_dashboard_users(p, set(tree.names))
    assert str(p) in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DashboardUsersError, match="not found"):
        load_dashboard_users(tmp_path / "nope.yaml")


def check_units(s, n_units, contains, excludes):
    """The scope's size, a unit it must show and one it must not (None: not checked)."""
    if n_units is not None:
        assert len(s.units) == n_units
    if contains:
        assert s.allows(contains)
    if excludes:
        assert not s.allows(excludes)


@pytest.mark.parametrize(
    "user,role,admin_scope,kind,n_units,contains,excludes",
    [
        ("r", "VIEWER", "all", "all", None, None, None),
        ("l", "VIEWER", "all", "units", 10, "150102", "150202"),  # 呼和浩特市: itself + 9 counties
        ("c", "VIEWER", "all", "units", 1, "150102", "150103"),
        ("x", "VIEWER", "all", "none", 0, None, "150102"),
        ("x", "ADMIN", "all", "all", None, None, None),
        ("x", "ADMIN", "none", "none", 0, None, "150102"),
        ("c", "ADMIN", "all", "units", 1, "150102", "150103"),  # a mapped admin gets their unit
    ],
)
def test_resolve_scope(tree, user, role, admin_scope, kind, n_units, contains, excludes):
    cfg = DashboardUsers(admin_scope=admin_scope, users={"r": "150000", "l": "150100", "c": "150102"})
    s = resolve_scope(user, role, cfg, tree)
    assert s.kind == kind
    check_units(s, n_units, contains, excludes)
    assert s.allows(None) is (kind == "all")


# Grants as the auth manager's is_authorized_custom_view answers them (safegov:<code>).
def _grants(*codes):
    return lambda resource: resource in {f"safegov:{c}" for c in codes}


@pytest.mark.parametrize(
    "user,roles,grants,kind,via,unit_code,n_units,contains,excludes",
    [
        # FAB users have role names, not a role: an unmapped Admin is region-wide (admin_scope)
        ("x", {"Admin"}, None, "all", "admin_default", None, None, None, None),
        ("x", {"Op", "Viewer"}, None, "none", "unmapped", None, 0, None, "150102"),
        # a role granted safegov:150000 sees the region; safegov:150100 呼和浩特市 and its counties
        ("x", {"Viewer", "region_office"}, _grants("150000"), "all", "auth_manager", "150000", None, None, None),
        ("x", {"Viewer", "hohhot"}, _grants("150100"), "units", "auth_manager", "150100", 10, "150102", "150202"),
        # two leagues: the union, no single unit
        ("x", {"Viewer"}, _grants("150100", "150200"), "units", "auth_manager", None, None, "150202", "150302"),
        # a grant inside a granted subtree adds nothing and keeps the top unit
        ("x", {"Viewer"}, _grants("150100", "150102"), "units", "auth_manager", "150100", 10, "150103", None),
        # no grant at all: the roles decide (an Admin without the view is still admin_scope)
        ("x", {"Admin"}, _grants(), "all", "admin_default", None, None, None, None),
        ("x", {"Viewer"}, _grants(), "none", "unmapped", None, 0, None, "150102"),
        # the mapping file names this very user: it wins over role grants
        ("c", {"Viewer"}, _grants("150000"), "units", "mapping", "150102", 1, "150102", "150103"),
    ],
)
def test_resolve_scope_from_the_auth_manager(
    tree, user, roles, grants, kind, via, unit_code, n_units, contains, excludes
):
    cfg = DashboardUsers(admin_scope="all", users={"c": "150102"})
    s = resolve_scope(user, None, cfg, tree, roles=roles, granted=grants)
    assert (s.kind, s.via, s.unit_code) == (kind, via, unit_code)
    check_units(s, n_units, contains, excludes)
