"""The local SendGrid server speaks SendGrid's status codes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from .conftest import control, received

GOOD = {
    "personalizations": [{"to": [{"email": "a@example.cn"}]}],
    "from": {"email": "b@example.cn"},
    "subject": "安全生产提醒",
    "content": [{"type": "text/plain", "value": "正文"}],
}


def post(server, body, *, auth="Bearer SG.k", raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    req = urllib.request.Request(f"{server.url}/v3/mail/send", data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.mark.parametrize(
    "body, auth, raw, status, field",
    [
        (GOOD, "Bearer SG.k", None, 202, None),
        (GOOD, None, None, 401, None),
        (GOOD, "Basic abc", None, 401, None),
        (None, "Bearer SG.k", b"{not json", 400, None),
        ({**GOOD, "personalizations": []}, "Bearer SG.k", None, 400, "personalizations"),
        ({k: v for k, v in GOOD.items() if k != "from"}, "Bearer SG.k", None, 400, "from.email"),
        ({k: v for k, v in GOOD.items() if k != "subject"}, "Bearer SG.k", None, 400, "subject"),
        ({k: v for k, v in GOOD.items() if k != "content"}, "Bearer SG.k", None, 400, "content"),
    ],
)
def test_status_codes(mailserver, body, auth, raw, status, field):
    code, headers, payload = post(mailserver, body, auth=auth, raw=raw)
    assert code == status
    if status == 202:
        assert headers.get("X-Message-Id") and payload == b""
        assert received(mailserver)[0]["subject"] == "安全生产提醒"
    else:
        assert "errors" in json.loads(payload)
        assert received(mailserver) == []
    if field:
        assert json.loads(payload)["errors"][0]["field"] == field


def test_413_over_size(tmp_path):
    from safegov.devtools.mailserver import MailServer

    srv = MailServer("127.0.0.1", 0, record_path=tmp_path / "s.jsonl", max_bytes=1000).start()
    try:
        big = {**GOOD, "content": [{"type": "text/plain", "value": "x" * 2000}]}
        assert post(srv, big)[0] == 413
        assert post(srv, GOOD)[0] == 202
    finally:
        srv.stop()


def test_429_headers_when_rate_exceeded(mailserver):
    control(mailserver, rate_limit=1, window=60)
    assert post(mailserver, GOOD)[0] == 202
    code, headers, _ = post(mailserver, GOOD)
    assert code == 429
    assert headers["X-RateLimit-Limit"] == "1" and headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["X-RateLimit-Reset"]) > 0


def test_injected_failures_then_recovery(mailserver):
    control(mailserver, fail_next=2, status=502)
    assert [post(mailserver, GOOD)[0] for _ in range(3)] == [502, 502, 202]


def test_html_list_escapes_what_it_shows(mailserver):
    post(mailserver, {**GOOD, "subject": "<script>x</script>"})
    with urllib.request.urlopen(f"{mailserver.url}/", timeout=5) as resp:
        page = resp.read().decode()
    assert "&lt;script&gt;" in page and "<script>" not in page
