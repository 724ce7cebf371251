"""Issue #17: Data Docs cannot run a submitted ``<script>`` on the Airflow origin, and every
dashboard response carries a CSP, ``nosniff`` and same-origin framing."""

from __future__ import annotations

import secrets


def _policy(resp) -> dict[str, str]:
    """The CSP's directives: name → the rest of the directive."""
    out = {}
    for part in resp.headers["content-security-policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def test_data_docs_page_with_a_script_cell_is_sandboxed(as_user, tmp_path):
    docs = tmp_path / "data" / "data_docs" / "validations"
    docs.mkdir(parents=True)
    marker = secrets.token_hex(8)
    cell = f"<script>fetch('/api/v2/variables?{marker}')</script>"
    (docs / "run.html").write_text(f"<html><body><table><tr><td>{cell}</td></tr></table></body></html>")

    resp = as_user("region_office", "/data-docs/validations/run.html")

    assert resp.status_code == 200 and marker in resp.text
    policy = _policy(resp)
    # sandbox without allow-scripts: the page gets an opaque origin and runs no script at all.
    assert "sandbox" in policy and "allow-scripts" not in policy["sandbox"]
    assert "script-src" not in policy
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'self'"
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_every_response_has_csp_nosniff_and_same_origin_framing(as_user, client, tmp_path):
    bulletin = tmp_path / "data" / "bulletins" / "2024-03"
    bulletin.mkdir(parents=True)
    (bulletin / "150000.html").write_text("<html><style>h1{}</style><h1>通报</h1></html>", encoding="utf-8")
    responses = [
        as_user("region_office", "/"),
        as_user("region_office", "/api/heatmap"),
        as_user("region_office", "/bulletins/2024-03/150000.html"),
        as_user("region_office", "/no-such-page"),
        as_user("xincheng_office", "/data-docs/index.html"),  # 403
        client.get("/api/heatmap"),  # 401, no login
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 403, 401]
    for resp in responses:
        policy = _policy(resp)
        assert policy["default-src"] == "'self'", resp.request.url
        # The Airflow UI frames the dashboard from the same origin; nobody else may.
        assert policy["frame-ancestors"] == "'self'"
        assert "script-src" not in policy  # no inline script anywhere: default-src 'self' applies
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" not in policy  # only Data Docs are sandboxed
