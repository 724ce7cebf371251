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
    if n_units is not None:
        assert len(s.units) == n_units
    if contains:
        assert s.allows(contains)
    if excludes:
        assert not s.allows(excludes)
    assert s.allows(None) is (kind == "all")
