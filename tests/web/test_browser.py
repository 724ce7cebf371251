"""The dashboard in a real Airflow UI, driven by headless Chromium (marked ``browser``).

Starts ``airflow api-server`` on a free port with a temporary AIRFLOW_HOME, the project's
plugin folder and SimpleAuthManager (two users: a region office and a county office),
on a compliance SQLite database seeded by the test; logs in through Airflow's login page,
opens the "Safety governance" page, clicks through the heatmap and checks scoping.
Screenshots land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# xdist_group: the API server is a module fixture; one worker starts it, once.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LONG_BLACKLIST = 230
USERS = {"region_office": ("ADMIN", "region-pw-1"), "xincheng_office": ("VIEWER", "county-pw-2")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"airflow api-server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status < 500:
                    return
        except (OSError, http.client.HTTPException):  # not listening yet, reset, or an error status
            time.sleep(1)
    raise RuntimeError(
        f"airflow api-server did not answer {url} in {timeout}s:\n{log.read_text(errors='replace')[-4000:]}"
    )


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    """A running Airflow API server with the safegov plugin and a seeded compliance DB."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make browser-deps`")
    home = tmp_path_factory.mktemp("airflow_home")
    data = home / "safegov_data"
    (home / "dags").mkdir()
    (home / "passwords.json").write_text(json.dumps({u: pw for u, (_r, pw) in USERS.items()}), encoding="utf-8")
    (home / "dashboard_users.yaml").write_text(
        'users:\n  region_office: "150000"\n  xincheng_office: "150102"\n', encoding="utf-8"
    )

    from safegov.db.engine import make_engine, migrate
    from safegov.reports.bulletin import draft_bulletins

    from .seed import long_blacklist, seed

    db_url = f"sqlite:///{home / 'safegov.db'}"
    eng = make_engine(db_url)
    migrate(eng)
    seed(eng)
    # A blacklist of two pages (ENT_A, these 230, ENT_B); no other test reads past its first row.
    long_blacklist(eng, LONG_BLACKLIST)
    draft_bulletins(eng, "2024-03", out_dir=data / "bulletins" / "2024-03", unit_codes={"150000", "150102", "150202"})
    eng.dispose()

    port = _free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r.lower()}" for u, (r, _pw) in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API_AUTH__JWT_SECRET": "browser-test-jwt-secret-" + "z" * 48,
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "SAFEGOV_DATABASE_URL": db_url,
        "SAFEGOV_DATA_DIR": str(data),
        "SAFEGOV_DASHBOARD_USERS": str(home / "dashboard_users.yaml"),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("SAFEGOV_NOW", None)
    airflow_bin = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow_bin, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    log = home / "api-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [airflow_bin, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/api/v2/monitor/health", proc, log)
        yield {"base": base, "log": log}
    finally:
        # Stop the server we started (its whole process group: uvicorn spawns workers).
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if os.environ.get("SAFEGOV_KEEP_BROWSER_LOG"):
            shutil.copy(log, ARTIFACTS / "api-server.log")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _login(browser, base: str, user: str):
    """Sign in through Airflow's own login page; return the page (cookie `_token` set)."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/plugin/safegov")
    page.wait_for_url("**/auth/login**")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", USERS[user][1])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/auth/login" not in url)
    assert any(c["name"] == "_token" for c in ctx.cookies())
    return page


def _dashboard_frame(page, base: str):
    """The dashboard as the Airflow UI shows it: the nav entry → iframe of /safegov/."""
    page.goto(f"{base}/plugin/safegov")
    page.wait_for_selector("iframe")
    frame = page.frame_locator("iframe")
    frame.locator("svg.heatmap").wait_for()
    return frame


def test_nav_entry_and_heatmap_with_known_misses(airflow, browser):
    base = airflow["base"]
    page = _login(browser, base, "region_office")
    page.goto(f"{base}/")
    # The plugin's external view is in Airflow's navigation.
    nav = page.get_by_text("安全生产治理")
    nav.first.wait_for()
    frame = _dashboard_frame(page, base)
    page.screenshot(path=str(ARTIFACTS / "dashboard-region.png"), full_page=True)

    miss = frame.locator('a.cell[data-unit="150102"][data-period="2024-02"]')
    assert miss.get_attribute("data-status") == "missed"
    assert frame.locator('a.cell[data-unit="150202"][data-period="2024-03"]').get_attribute("data-status") == "missed"
    assert frame.locator('a.cell[data-unit="150103"][data-period="2024-03"]').get_attribute("data-status") == "met_late"

    # Click through the miss: evaluation with its reason, the case and its approval link.
    frame.locator('a.cell[data-unit="150202"][data-period="2024-03"]').click()
    detail = frame.locator("#detail")
    detail.wait_for()
    assert "evidence_rejected" in frame.locator("#detail-evaluations").inner_text()
    assert "M-150202-BAD" in frame.locator("#detail-rejected").inner_text()
    link = detail.locator('a:has-text("在 Airflow 中审批")')
    assert (
        link.get_attribute("href")
        == "/dags/safegov_escalation/runs/scheduled__2024-04-08/tasks/approve_cases/required_actions"
    )
    assert link.get_attribute("target") == "_top"
    page.screenshot(path=str(ARTIFACTS / "dashboard-detail-miss.png"), full_page=True)

    # A met cell: evidence id → the meeting record row behind it.
    frame.locator('a.cell[data-unit="150103"][data-period="2024-01"]').click()
    frame.locator("#detail-records").wait_for()
    frame.locator('#detail-evaluations a:has-text("M-150103-2024-01")').click()
    assert "minutes/M-150103-2024-01.pdf" in frame.locator("#rec-M-150103-2024-01").inner_text()
    page.context.close()


def test_other_sections_and_english(airflow, browser):
    base = airflow["base"]
    page = _login(browser, base, "region_office")
    frame = _dashboard_frame(page, base)
    frame.locator('a[data-nav="cases"]').click()
    assert "scheduled__2024-04-08" in frame.locator("#cases").inner_html()
    frame.locator('a[data-nav="blacklist"]').click()
    frame.locator("input[name=enterprise_id]").fill("91150102MA0000001X")
    frame.locator("input[name=on]").fill("2024-05-01")
    frame.locator("#blacklist-check button[type=submit]").click()
    assert "受限" in frame.locator("#check-result").inner_text()
    frame.locator('a[data-nav="outbox"]').click()
    assert "z***@xc.example.cn" in frame.locator("#outbox").inner_text()
    frame.locator('a[data-nav="quality"]').click()
    assert "150202" in frame.locator("#quality-table").inner_text()
    frame.locator('a[data-nav="bulletins"]').click()
    assert "150202" in frame.locator("#bulletins-table").inner_text()
    # The region office's own draft is previewed on the page.
    preview = frame.frame_locator("#bulletin-preview")
    assert "内蒙古自治区安全生产信息通报（2024年3月）" in preview.locator("h1").inner_text()
    assert preview.locator("#accidents-total").inner_text() == "3"
    page.screenshot(path=str(ARTIFACTS / "dashboard-bulletin.png"), full_page=True)
    frame.locator("#lang-switch").click()
    frame.locator("text=Bulletins").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "dashboard-bulletins-en.png"), full_page=True)
    page.context.close()


def test_county_user_sees_only_its_county(airflow, browser):
    base = airflow["base"]
    page = _login(browser, base, "xincheng_office")
    frame = _dashboard_frame(page, base)
    units = {a.get_attribute("data-unit") for a in frame.locator("a.cell").all()}
    assert units == {"150102"}
    assert "东河区" not in frame.locator("body").inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard-county.png"), full_page=True)

    # The API with the same login cookie: another county's cell is refused, lists are scoped.
    api = page.context.request
    assert api.get(f"{base}/safegov/api/cell?obligation=SC-MEET-LOCAL&unit=150202&period=2024-03").status == 403
    hm = api.get(f"{base}/safegov/api/heatmap?obligation=SC-MEET-LOCAL").json()
    assert {u["unit_code"] for g in hm["groups"] for u in g["units"]} == {"150102"}
    assert {c["unit_code"] for c in api.get(f"{base}/safegov/api/cases").json()["items"]} == {"150102"}
    assert api.get(f"{base}/safegov/bulletins/2024-03/150202.html").status == 404
    page.context.close()


def test_no_login_no_dashboard(airflow):
    base = airflow["base"]
    req = urllib.request.Request(f"{base}/safegov/api/heatmap")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 401
    req = urllib.request.Request(f"{base}/safegov/api/me", headers={"Authorization": "Bearer forged.token.value"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 401


def test_a_long_list_shows_page_two_with_the_next_rows(airflow, browser):
    """The blacklist of 232 entries pages: 下一页 shows rows 201–232, the search kept across pages."""
    base = airflow["base"]
    page = _login(browser, base, "region_office")
    frame = _dashboard_frame(page, base)
    frame.locator('a[data-nav="blacklist"]').click()
    table = frame.locator("#blacklist-table")
    pager = frame.locator("#blacklist nav.pager").first
    assert pager.locator('[aria-current="page"]').inner_text() == "第 1 / 2 页（第 1–200 条，共 232 条）"
    assert table.locator("tr[data-entry]").count() == 200
    pager.locator('a[rel="next"]').click()
    frame.locator('#blacklist nav.pager [aria-current="page"]:has-text("第 2 / 2 页")').first.wait_for()
    rows = [r.get_attribute("data-enterprise") for r in table.locator("tr[data-entry]").all()]
    # ENT_A and 199 of the 230 on page 1; the other 31 and ENT_B (东河, code 91150202…) here.
    assert len(rows) == 32 and rows[0] == "91150102MB0000199Y" and rows[-1] == "91150202MA0000002X"
    assert "新城测试企业229有限公司" in table.inner_text() and "东河化工有限公司" in table.inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard-blacklist-page-2.png"), full_page=True)

    # A search of more than a page: page 2 is still the search's, and so is the download.
    frame.locator("#blacklist input[name=q]").fill("新城测试企业")
    frame.locator("#blacklist button[type=submit]").click()
    frame.locator('#blacklist nav.pager [aria-current="page"]:has-text("共 230 条")').first.wait_for()
    frame.locator('#blacklist nav.pager a[rel="next"]').first.click()
    frame.locator('#blacklist nav.pager [aria-current="page"]:has-text("第 2 / 2 页")').first.wait_for()
    rows = [r.get_attribute("data-enterprise") for r in table.locator("tr[data-entry]").all()]
    assert len(rows) == 30 and rows[0] == "91150102MB0000200Y" and "91150202MA0000002X" not in rows
    href = frame.locator("#dl-blacklist-xlsx").get_attribute("href")
    assert "q=%E6%96%B0%E5%9F%8E%E6%B5%8B%E8%AF%95%E4%BC%81%E4%B8%9A" in href  # q=新城测试企业
    page.context.close()
