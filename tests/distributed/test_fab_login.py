"""The FAB login of the production shape, end to end (#18 item 3): docker-compose runs the FAB
auth manager; here a FAB api-server joins the cluster's metadata DB, users sign in with a
password and the dashboard scopes them by their roles' ``safegov:<unit code>`` views.

Users and roles are made with FAB's commands (``airflow roles import`` — a role with its
permission, as ``roles create`` + ``roles add-perms`` of the README —, ``users create``,
``users add-role``); none of these usernames is in config/dashboard_users.yaml, so only the
auth manager decides. The module takes about 2 minutes beside the cluster's start.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import record_timing

pytestmark = [pytest.mark.timeout(900), pytest.mark.distributed, pytest.mark.xdist_group("distributed")]

HOHHOT_ROLE = "呼和浩特市安委办"
PASSWORD = secrets.token_urlsafe(12)


@pytest.fixture(scope="module")
def fab(cluster):
    t0 = time.monotonic()
    url = cluster.start_fab_api_server()
    env = cluster.fab_env(int(url.rsplit(":", 1)[1]))

    def cli(*args: str) -> None:
        cluster.run_cli(list(args), env=env)

    # one role with the view (roles import = roles create + roles add-perms, in one start-up)
    roles = cluster.base / "fab-roles.json"
    roles.write_text(json.dumps([{"name": HOHHOT_ROLE, "resource": "safegov:150100", "action": "can_read"}]))
    cli("roles", "import", str(roles))
    users = (("fab_admin", "Admin"), ("fab_hohhot", HOHHOT_ROLE), ("fab_viewer", "Viewer"))
    with ThreadPoolExecutor(len(users)) as pool:  # each CLI start-up costs seconds: at once
        list(
            pool.map(
                lambda u: cli(
                    "users",
                    "create",
                    "--role",
                    u[1],
                    "--username",
                    u[0],
                    "--password",
                    PASSWORD,
                    "--firstname",
                    u[0],
                    "--lastname",
                    "safegov",
                    "--email",
                    f"{u[0]}@example.gov.cn",
                ),  # fmt: skip
                users,
            )
        )
    cli("users", "add-role", "-u", "fab_hohhot", "-r", "Viewer")
    record_timing("fab_setup", time.monotonic() - t0)
    try:
        yield url
    finally:
        cluster.stop_process("api-server-fab")


def _call(url: str, method: str = "GET", body=None, headers=None, opener=None):
    data = None if body is None else (json.dumps(body).encode() if isinstance(body, dict) else body)
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=120) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def token(url: str, username: str, password: str = PASSWORD) -> tuple[int, str | None]:
    status, text = _call(
        f"{url}/auth/token", "POST", {"username": username, "password": password}, {"Content-Type": "application/json"}
    )
    return status, (json.loads(text)["access_token"] if status == 201 else None)


def me(url: str, access_token: str) -> dict:
    status, text = _call(f"{url}/safegov/api/me", headers={"Authorization": f"Bearer {access_token}"})
    assert status == 200, text[:500]
    return json.loads(text)


@pytest.mark.parametrize(
    "username,scope,via,unit_code,roles",
    [
        # FAB gives Admin every permission at start-up, safegov:150000 included: the region
        ("fab_admin", "all", "auth_manager", "150000", ["Admin"]),
        ("fab_hohhot", "units", "auth_manager", "150100", [HOHHOT_ROLE, "Viewer"]),
        ("fab_viewer", "none", "unmapped", None, ["Viewer"]),
    ],
)
def test_fab_token_login_scopes_the_dashboard_by_role(fab, username, scope, via, unit_code, roles):
    status, access = token(fab, username)
    assert status == 201 and access
    got = me(fab, access)
    assert (got["username"], got["scope"], got["via"], got["unit_code"]) == (username, scope, via, unit_code)
    assert got["roles"] == sorted(roles)
    if username == "fab_hohhot":
        assert len(got["units"]) == 10 and "150102" in got["units"] and "150202" not in got["units"]


def test_fab_rejects_a_wrong_password_and_the_dashboard_a_missing_token(fab):
    status, access = token(fab, "fab_hohhot", "not-the-password")
    assert status == 401 and access is None
    status, _ = _call(f"{fab}/safegov/api/me")
    assert status == 401


def test_fab_login_form_sets_the_token_cookie_the_dashboard_reads(fab):
    """The browser's way in: FAB's login page (CSRF token), then the _token cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = _call(f"{fab}/auth/login/", opener=opener)
    assert status == 200, page[:300]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert csrf, page[:1000]
    form = urllib.parse.urlencode({"username": "fab_hohhot", "password": PASSWORD, "csrf_token": csrf.group(1)})
    status, _ = _call(
        f"{fab}/auth/login/",
        "POST",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
        opener=opener,
    )
    assert status in (200, 302, 303, 307)
    cookie = {c.name: c.value for c in jar}
    assert cookie.get("_token"), sorted(cookie)
    status, text = _call(f"{fab}/safegov/api/me", opener=opener)
    assert status == 200, text[:300]
    assert json.loads(text)["unit_code"] == "150100"
