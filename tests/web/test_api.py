"""The dashboard without a browser (FastAPI TestClient): login, scoping, content."""

from __future__ import annotations

import pytest

from .seed import ENT_A, ENT_B


def _units(heatmap_json) -> set[str]:
    return {u["unit_code"] for g in heatmap_json["groups"] for u in g["units"]}


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "path",
    [
        "/api/me",
        "/api/heatmap",
        "/api/cases",
        "/api/blacklist",
        "/api/blacklist/check?enterprise_id=x&scope=bidding&on=2024-05-01",
        "/api/quality",
        "/api/outbox",
        "/api/bulletins",
        "/api/cell?obligation=SC-MEET-LOCAL&unit=150102&period=2024-02",
        "/charts/trend.svg",
        "/data-docs/index.html",
        "/bulletins/2024-03/150000.html",
        "/icon.svg",
    ],
)
def test_no_token_is_401(client, path):
    r = client.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/", "/cases", "/blacklist", "/quality", "/outbox", "/bulletins"])
def test_page_without_login_redirects_to_airflow_login(client, path):
    r = client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303
    assert "/auth/login" in r.headers["location"]
    assert "next=" in r.headers["location"]


def test_bad_tokens_are_401(client, make_token):
    from airflow.api_fastapi.auth.tokens import JWTGenerator

    forged = JWTGenerator(
        secret_key="another-secret-" + "y" * 60,
        audience="urn:airflow.apache.org:task",
        valid_for=600,
        issuer=None,
        algorithm="HS512",
    ).generate({"sub": "region_office", "role": "ADMIN"})
    expired = make_token("region_office", valid_for=-120)
    for token in ("not-a-jwt", forged, expired):
        assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert client.get("/api/me", cookies={"_token": token}).status_code == 401


def test_cookie_token_as_the_airflow_ui_sends_it(client, make_token):
    r = client.get("/api/me", cookies={"_token": make_token("xincheng_office")})
    assert r.status_code == 200
    assert r.json()["unit_code"] == "150102"
    assert r.json()["scope"] == "units"


# --------------------------------------------------------------------------- scoping

SCOPES = [
    # user, role, units seen on the heatmap
    ("region_office", "VIEWER", {"150100", "150102", "150103", "150200", "150202"}),
    ("hohhot_office", "VIEWER", {"150100", "150102", "150103"}),
    ("xincheng_office", "VIEWER", {"150102"}),
    ("donghe_office", "VIEWER", {"150202"}),
    ("stranger", "VIEWER", set()),
    ("stranger_admin", "ADMIN", {"150100", "150102", "150103", "150200", "150202"}),  # admin_scope: all
]


@pytest.mark.parametrize("user,role,units", SCOPES)
def test_heatmap_rows_are_the_users_units(as_user, user, role, units):
    r = as_user(user, "/api/heatmap?obligation=SC-MEET-LOCAL", role=role)
    assert r.status_code == 200
    assert _units(r.json()) == units


@pytest.mark.parametrize("user,role,units", SCOPES)
def test_cases_blacklist_quality_outbox_are_scoped(as_user, user, role, units):
    cases = as_user(user, "/api/cases", role=role).json()["items"]
    assert {c["unit_code"] for c in cases} == units & {"150102", "150202"}
    bl = as_user(user, "/api/blacklist", role=role).json()["items"]
    assert {b["county_code"] for b in bl} == units & {"150102", "150202"}
    q = as_user(user, "/api/quality", role=role).json()
    assert {row["unit_code"] for row in q} == units & {"150202"}
    out = as_user(user, "/api/outbox", role=role).json()["items"]
    expected = set()
    if "150102" in units:
        expected.add("k1-pending")
    if "150202" in units:
        expected |= {"k2-failed", "k3-dead"}
    assert {f"k{m['id']}-{m['state']}" for m in out} == expected


def test_county_user_cannot_read_another_countys_cell(as_user):
    r = as_user("xincheng_office", "/api/cell?obligation=SC-MEET-LOCAL&unit=150202&period=2024-03")
    assert r.status_code == 403
    ok = as_user("xincheng_office", "/api/cell?obligation=SC-MEET-LOCAL&unit=150102&period=2024-02")
    assert ok.status_code == 200 and ok.json()["evaluations"][0]["status"] == "missed"


def test_county_user_page_shows_only_its_county(as_user):
    html = as_user("xincheng_office", "/").text
    assert 'data-unit="150102"' in html
    assert 'data-unit="150202"' not in html and "东河区" not in html
    # Even a hand-made detail URL for another county shows nothing of it.
    html = as_user("xincheng_office", "/?obligation=SC-MEET-LOCAL&unit=150202&period=2024-03").text
    assert "M-150202" not in html and "L-150202-PS" not in html


def test_unmapped_user_sees_only_a_message(as_user):
    r = as_user("stranger", "/")
    assert r.status_code == 200
    assert 'id="unmapped"' in r.text and "data-unit=" not in r.text
    assert as_user("stranger", "/api/blacklist/check?enterprise_id=x&scope=bidding&on=2024-05-01").status_code == 403


def test_admin_scope_none_gives_unmapped_admins_nothing(seeded, verifier, tmp_path, make_token):
    from fastapi.testclient import TestClient

    from safegov.web.app import create_app

    f = tmp_path / "u.yaml"
    f.write_text("admin_scope: none\nusers: {}\n", encoding="utf-8")
    c = TestClient(create_app(seeded, verifier=verifier, users_file=f, data_dir=tmp_path))
    r = c.get("/api/heatmap", headers={"Authorization": f"Bearer {make_token('admin', 'ADMIN')}"})
    assert r.json()["groups"] == []


# --------------------------------------------------------------------------- content


def test_heatmap_marks_the_known_misses(as_user):
    hm = as_user("region_office", "/api/heatmap?obligation=SC-MEET-LOCAL").json()
    assert hm["periods"] == ["2024-01", "2024-02", "2024-03"]
    cells = {(u["unit_code"], p): c["status"] for g in hm["groups"] for u in g["units"] for p, c in u["cells"].items()}
    assert cells[("150102", "2024-02")] == "missed"
    assert cells[("150202", "2024-03")] == "missed"
    assert cells[("150103", "2024-03")] == "met_late"
    assert cells[("150100", "2024-01")] == "met"
    # grouped by league/city: 呼和浩特市 and 包头市
    assert [g["league"] for g in hm["groups"]] == ["150100", "150200"]


def test_cell_shows_evidence_records_rejected_rows_and_cases(as_user):
    d = as_user("region_office", "/api/cell?obligation=SC-MEET-LOCAL&unit=150202&period=2024-03").json()
    assert d["evaluations"][0]["reason"] == "evidence_rejected"
    assert [r["values"]["record_id"] for r in d["rejected_rows"]] == ["M-150202-BAD"]
    assert d["rejected_rows"][0]["reasons"][0]["rule"] == "required"
    assert [c["kind"] for c in d["cases"]] == ["interview"]
    assert (
        d["cases"][0]["links"]["approval"]
        == "/dags/safegov_escalation/runs/scheduled__2024-04-08/tasks/approve_cases/required_actions"
    )
    met = as_user("region_office", "/api/cell?obligation=SC-MEET-LOCAL&unit=150103&period=2024-01").json()
    assert met["evaluations"][0]["evidence_ids"] == ["M-150103-2024-01"]
    assert [r["record_id"] for r in met["records"]] == ["M-150103-2024-01"]
    assert met["records"][0]["minutes_ref"] == "minutes/M-150103-2024-01.pdf"


def test_open_cases_link_to_the_airflow_approval(as_user):
    cases = {c["kind"]: c for c in as_user("region_office", "/api/cases").json()["items"]}
    assert cases["interview"]["state"] == "awaiting_approval"
    assert cases["interview"]["links"]["run"] == "/dags/safegov_escalation/runs/scheduled__2024-04-08"
    html = as_user("region_office", "/cases").text
    assert (
        'target="_top" href="/dags/safegov_escalation/runs/scheduled__2024-04-08/tasks/approve_cases/required_actions"'
        in html
    )


def test_outbox_masks_addresses(as_user):
    rows = as_user("region_office", "/api/outbox").json()["items"]
    tos = {m["id"]: m["to"] for m in rows}
    assert tos[1] == "z***@xc.example.cn"
    assert tos[2] == ""
    assert "zhang.san" not in as_user("region_office", "/outbox").text


def test_blacklist_search(as_user):
    assert [b["enterprise_id"] for b in as_user("region_office", "/api/blacklist?q=东河").json()["items"]] == [ENT_B]
    assert [b["enterprise_id"] for b in as_user("region_office", "/api/blacklist?q=" + ENT_A[:10]).json()["items"]] == [
        ENT_A
    ]


@pytest.mark.parametrize(
    "on,restricted",
    [("2024-03-31", False), ("2024-04-01", True), ("2027-03-31", True)],
)
def test_blacklist_check_endpoint(as_user, on, restricted):
    r = as_user("xincheng_office", f"/api/blacklist/check?enterprise_id={ENT_A}&scope=bidding&on={on}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["restricted"] is restricted
    assert set(body) >= {"restricted", "since", "until", "why"}
    if restricted:
        assert body["since"] == "2024-04-01"


def test_blacklist_check_bad_input_is_400(as_user):
    assert (
        as_user("region_office", f"/api/blacklist/check?enterprise_id={ENT_A}&scope=bidding&on=2024-13-01").status_code
        == 400
    )
    assert (
        as_user("region_office", f"/api/blacklist/check?enterprise_id={ENT_A}&scope=flying&on=2024-05-01").status_code
        == 400
    )


def test_english_switch(as_user):
    zh = as_user("region_office", "/").text
    en = as_user("region_office", "/?lang=en").text
    assert "履职热力图" in zh and "Compliance heatmap" not in zh
    assert "Compliance heatmap" in en
    assert "lang=en" in en  # links keep the language


def test_data_docs_served_to_region_users_only(as_user, tmp_path):
    docs = tmp_path / "data" / "data_docs"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<h1>GX Data Docs</h1>", encoding="utf-8")
    assert "GX Data Docs" in as_user("region_office", "/data-docs/index.html").text
    assert as_user("xincheng_office", "/data-docs/index.html").status_code == 403
    assert as_user("region_office", "/data-docs/../../etc/passwd").status_code == 404


def test_bulletin_drafts_are_listed_within_scope(seeded, as_user, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(
        seeded,
        "2024-03",
        out_dir=tmp_path / "data" / "bulletins" / "2024-03",
        unit_codes={"150000", "150102", "150202"},
    )
    mine = {(d["period"], d["unit_code"]) for d in as_user("xincheng_office", "/api/bulletins").json()}
    assert mine == {("2024-03", "150102")}
    assert as_user("xincheng_office", "/bulletins/2024-03/150202.html").status_code == 404
    assert "新城区" in as_user("xincheng_office", "/bulletins/2024-03/150102.html").text


def test_svg_escapes_text():
    from safegov.web.queries import Cell, HeatGroup, Heatmap, HeatRow
    from safegov.web.svg import heatmap_svg

    hm = Heatmap(
        "X",
        ["2024-01"],
        [HeatGroup("150100", "<b>&", [HeatRow("150102", '"><script>', {"2024-01": Cell({"missed": 1})})])],
    )
    out = heatmap_svg(hm, lambda u, p: f"/?u={u}&p={p}")
    assert "<script>" not in out and "&lt;b&gt;&amp;" in out
    assert 'data-status="missed"' in out and "&amp;p=2024-01" in out


@pytest.mark.parametrize(
    "addr,masked", [("zhang.san@example.gov.cn", "z***@example.gov.cn"), (None, ""), ("", ""), ("broken", "***")]
)
def test_mask_email(addr, masked):
    from safegov.web.queries import mask_email

    assert mask_email(addr) == masked


def test_trend_is_the_league_compliance_rate(seeded):
    from sqlalchemy.orm import Session

    from safegov.org.tree import UnitTree
    from safegov.web.queries import heatmap, trend_from_heatmap
    from safegov.web.scope import Scope

    with Session(seeded) as s:
        hm = heatmap(s, Scope("r", "all"), UnitTree.from_config(), "SC-MEET-LOCAL")
    keys, series = trend_from_heatmap(hm)
    assert keys == ["2024-01", "2024-02", "2024-03"]
    # 呼和浩特市 (3 units): February one miss → 2/3; March met_late counts as met → 1.
    assert series["150100"] == {"2024-01": 1.0, "2024-02": pytest.approx(2 / 3), "2024-03": 1.0}
    assert series["150200"] == {"2024-01": 1.0, "2024-02": 1.0, "2024-03": 0.5}


@pytest.mark.parametrize(
    "run_id,details,approval",
    [
        (
            "scheduled__2024-04-08",
            None,
            "/dags/safegov_escalation/runs/scheduled__2024-04-08/tasks/approve_cases/required_actions",
        ),
        (
            "asset_triggered__2024-04-08T00:00:00+00:00",
            None,
            "/dags/safegov_escalation/runs/asset_triggered__2024-04-08T00%3A00%3A00%2B00%3A00/tasks/approve_cases/required_actions",
        ),
        ("cli-2024-04-08", None, None),  # opened from the CLI: no Airflow run to link
        (None, None, None),
        (
            "manual__x",
            {"approval_run_id": "manual__y", "approval_task_id": "decide"},
            "/dags/safegov_escalation/runs/manual__y/tasks/decide/required_actions",
        ),
    ],
)
def test_approval_links(run_id, details, approval):
    from safegov.db.models import Case
    from safegov.web.queries import approval_links

    links = approval_links(Case(run_id=run_id, details=details))
    assert links.get("approval") == approval
    assert links["required_actions"] == "/dags/safegov_escalation/required_actions"


@pytest.mark.parametrize(
    "now, entered, shown",
    [
        ("2026-10-15T09:00", False, None),  # before 1 November
        ("2026-12-03T09:00", False, "2027年法定节假日安排未录入"),
        ("2027-01-20T09:00", False, "日历已停止：2027年法定节假日安排未录入"),
        ("2026-12-03T09:00", True, None),  # entered: the banner goes
    ],
)
def test_calendar_banner_until_next_year_is_entered(as_user, monkeypatch, holidays_file, now, entered, shown):
    from tests.conftest import HOLIDAYS_2027

    monkeypatch.setenv("SAFEGOV_NOW", now)
    if entered:
        holidays_file(HOLIDAYS_2027)
    for path in ("/", "/cases", "/outbox"):
        html = as_user("region_office", path).text
        if shown is None:
            assert 'id="calendar-banner"' not in html
        else:
            assert 'id="calendar-banner"' in html and shown in html
            assert "《国务院办公厅关于2027年部分节假日安排的通知》" in html
