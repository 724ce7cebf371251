"""`safegov backfill list|cancel` against a stand-in for Airflow's API server (no Airflow
needed): the requests it sends, what it prints, and its refusals by name."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from safegov.cli.commands.backfill import ApiSettings, api_settings, build_request, cancel_path, list_path
from safegov.cli.main import main


def _backfill(id_: int, dag_id: str, completed: bool = False, paused: bool = False) -> dict:
    return {
        "id": id_,
        "dag_id": dag_id,
        "from_date": "2024-01-01T00:00:00+08:00",
        "to_date": "2024-03-31T00:00:00+08:00",
        "is_paused": paused,
        "completed_at": "2024-05-01T00:00:00Z" if completed else None,
        "created_at": "2024-04-30T10:11:12Z",
    }


@pytest.fixture
def api(monkeypatch):
    """A fake API server: POST /auth/token, GET /api/v2/backfills, PUT …/cancel; records every request."""
    seen: list[tuple[str, str, str | None, bytes]] = []
    backfills = {
        "safegov_monthly": [_backfill(3, "safegov_monthly"), _backfill(1, "safegov_monthly", completed=True)],
        "safegov_yearly": [_backfill(2, "safegov_yearly", paused=True)],
    }

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: dict) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _record(self) -> bytes:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.command, self.path, self.headers.get("Authorization"), body))
            return body

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = json.loads(self._record())
            if self.path == "/auth/token" and body == {"username": "admin", "password": "pw"}:
                return self._reply(201, {"access_token": "tok"})
            return self._reply(401, {"detail": "Invalid credentials"})

        def do_GET(self):  # noqa: N802
            self._record()
            from urllib.parse import parse_qs, urlsplit

            dag_id = parse_qs(urlsplit(self.path).query)["dag_id"][0]
            items = backfills.get(dag_id, [])
            return self._reply(200, {"backfills": items, "total_entries": len(items)})

        def do_PUT(self):  # noqa: N802
            self._record()
            if self.path == "/api/v2/backfills/3/cancel":
                return self._reply(200, {**_backfill(3, "safegov_monthly", completed=True)})
            if self.path == "/api/v2/backfills/1/cancel":
                return self._reply(409, {"detail": "Backfill is already completed."})
            return self._reply(404, {"detail": "Backfill not found"})

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("SAFEGOV_AIRFLOW_PASSWORD", "pw")
    monkeypatch.delenv("SAFEGOV_AIRFLOW_USER", raising=False)
    yield seen
    server.shutdown()
    server.server_close()


def test_list_asks_each_safegov_dag_with_a_token_and_prints_in_chinese(api, capsys):
    assert main(["backfill", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["1", "2", "3"]  # by id, across DAGs
    assert "已完成" in out[0] and "已暂停" in out[1] and "进行中" in out[2]
    assert "2024-01-01 … 2024-03-31" in out[2]
    assert api[0][:2] == ("POST", "/auth/token")  # one login for all the calls
    gets = [(path, auth) for method, path, auth, _ in api if method == "GET"]
    assert len(gets) == 10 and all(auth == "Bearer tok" for _, auth in gets)
    assert gets[0][0] == "/api/v2/backfills?dag_id=safegov_monthly&order_by=-id&limit=100"


def test_list_of_named_dags_only(api, capsys):
    assert main(["backfill", "list", "--dag-id", "safegov_quarterly"]) == 0
    assert capsys.readouterr().out.strip() == "没有回填记录"
    assert [p for m, p, _, _ in api if m == "GET"] == [list_path("safegov_quarterly")]


def test_cancel(api, capsys):
    assert main(["backfill", "cancel", "3"]) == 0
    assert "已取消回填 3（safegov_monthly）" in capsys.readouterr().out
    assert [(m, p, a) for m, p, a, _ in api][1:] == [("PUT", "/api/v2/backfills/3/cancel", "Bearer tok")]


@pytest.mark.parametrize(("backfill_id", "reason"), [("1", "已完成，无需取消"), ("99", "不存在")])
def test_cancel_refused_by_name(api, capsys, backfill_id, reason):
    assert main(["backfill", "cancel", backfill_id]) == 2
    assert f"无法取消回填 {backfill_id}：{reason}" in capsys.readouterr().err


def test_bad_password_and_no_server(api, capsys, monkeypatch):
    monkeypatch.setenv("SAFEGOV_AIRFLOW_PASSWORD", "wrong")
    assert main(["backfill", "list"]) == 2
    assert "Airflow 登录失败（用户 admin，HTTP 401）：Invalid credentials" in capsys.readouterr().err
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://127.0.0.1:9")  # discard port: refused
    assert main(["backfill", "list"]) == 1
    assert "无法连接 Airflow API 服务 http://127.0.0.1:9" in capsys.readouterr().err


def test_arguments_are_checked_before_any_request(api, capsys):
    with pytest.raises(SystemExit):
        main(["backfill", "cancel", "abc"])
    with pytest.raises(SystemExit):
        main(["backfill", "list", "--dag-id", "other_dag"])
    assert api == []


def test_settings_from_the_password_file(tmp_path):
    pwfile = tmp_path / "passwords.json"
    pwfile.write_text(json.dumps({"admin": "s3cret"}), encoding="utf-8")
    env = {"AIRFLOW__API__PORT": "8181", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(pwfile)}
    assert api_settings(env) == ApiSettings("http://localhost:8181", "admin", "s3cret")
    from safegov.cli.commands.backfill import BackfillApiError

    with pytest.raises(BackfillApiError, match="没有用户 ops"):
        api_settings({**env, "SAFEGOV_AIRFLOW_USER": "ops"})
    with pytest.raises(BackfillApiError, match="SAFEGOV_AIRFLOW_PASSWORD"):
        api_settings({})


def test_request_construction():
    settings = ApiSettings("http://af:8080", "admin", "pw")
    req = build_request(settings, "PUT", cancel_path(7), token="t")
    assert (req.get_method(), req.full_url, req.get_header("Authorization")) == (
        "PUT",
        "http://af:8080/api/v2/backfills/7/cancel",
        "Bearer t",
    )
    assert req.data is None
