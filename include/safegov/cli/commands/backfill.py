"""Backfills of the safegov DAGs: list them and cancel one, through Airflow's REST API.

  safegov backfill list [--dag-id safegov_monthly …]
  safegov backfill cancel ID

Airflow 3.3's ``airflow backfill`` CLI only creates backfills (``airflow backfill create``);
listing and cancelling are REST calls (``GET /api/v2/backfills?dag_id=…``,
``PUT /api/v2/backfills/{id}/cancel``), so the API server must be running. ``list`` asks
for every safegov DAG unless ``--dag-id`` names some (the API lists one DAG at a time).
Cancelling pauses the backfill, fails its runs still queued and marks it completed; runs
already running finish.

Connection, from the environment of scripts/airflow_env.sh (``make run``):

- ``AIRFLOW__API__BASE_URL`` (default ``http://localhost:8080``);
- user ``SAFEGOV_AIRFLOW_USER`` (default ``admin``) and password ``SAFEGOV_AIRFLOW_PASSWORD``,
  else the user's entry in the SimpleAuthManager password file
  (``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE``), traded for a token at
  ``POST /auth/token``.

Exit 2 for a refused request (unknown backfill, already completed, bad credentials),
1 when the API server cannot be reached.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safegov.core.errors import SafegovError

SAFEGOV_DAGS = (
    "safegov_monthly",
    "safegov_quarterly",
    "safegov_half_yearly",
    "safegov_yearly",
    "safegov_ingest",
    "safegov_events",
    "safegov_late_data",
    "safegov_escalation",
    "safegov_notify",
    "safegov_bulletin",
)
TIMEOUT_S = 30


class BackfillApiError(SafegovError):
    """Airflow's API refused the request: the message says what and why, in Chinese."""


class ApiUnreachable(SafegovError):
    """The API server did not answer."""

    exit_code = 1


@dataclass(frozen=True)
class ApiSettings:
    base_url: str
    user: str
    password: str


def api_settings(environ: Mapping[str, str] | None = None) -> ApiSettings:
    env = os.environ if environ is None else environ
    base = env.get("AIRFLOW__API__BASE_URL") or f"http://localhost:{env.get('AIRFLOW__API__PORT', '8080')}"
    user = env.get("SAFEGOV_AIRFLOW_USER", "admin")
    password = env.get("SAFEGOV_AIRFLOW_PASSWORD", "")
    if not password:
        pwfile = env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", "")
        if not pwfile or not Path(pwfile).is_file():
            raise BackfillApiError(
                "缺少 Airflow 登录密码：请设置 SAFEGOV_AIRFLOW_PASSWORD，"
                "或先 source scripts/airflow_env.sh（读取 SimpleAuthManager 密码文件）"
            )
        passwords = json.loads(Path(pwfile).read_text(encoding="utf-8"))
        if user not in passwords:
            raise BackfillApiError(f"密码文件 {pwfile} 中没有用户 {user}（SAFEGOV_AIRFLOW_USER）")
        password = passwords[user]
    return ApiSettings(base.rstrip("/"), user, password)


def build_request(
    settings: ApiSettings, method: str, path: str, *, token: str | None = None, body: Any = None
) -> urllib.request.Request:
    """One request to the API server (``path`` from the server root, query included)."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return urllib.request.Request(settings.base_url + path, data=data, method=method, headers=headers)


def list_path(dag_id: str) -> str:
    return "/api/v2/backfills?" + urllib.parse.urlencode({"dag_id": dag_id, "order_by": "-id", "limit": 100})


def cancel_path(backfill_id: int) -> str:
    return f"/api/v2/backfills/{int(backfill_id)}/cancel"


def _detail(exc: urllib.error.HTTPError) -> str:
    raw = exc.read()[:500].decode("utf-8", "replace")
    try:
        return str(json.loads(raw).get("detail", raw))
    except (ValueError, AttributeError):
        return raw


class AirflowApi:
    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._token: str | None = None

    def _send(self, request: urllib.request.Request) -> Any:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:  # noqa: S310 - the configured API server
                raw = resp.read()
        except urllib.error.HTTPError:
            raise  # an answer (refusal), for the caller to name; HTTPError is also a URLError
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ApiUnreachable(f"无法连接 Airflow API 服务 {self.settings.base_url}：{exc}") from exc
        return json.loads(raw) if raw else None

    def token(self) -> str:
        if self._token is None:
            body = {"username": self.settings.user, "password": self.settings.password}
            try:
                self._token = self._send(build_request(self.settings, "POST", "/auth/token", body=body))["access_token"]
            except urllib.error.HTTPError as exc:
                raise BackfillApiError(
                    f"Airflow 登录失败（用户 {self.settings.user}，HTTP {exc.code}）：{_detail(exc)}"
                ) from exc
        return self._token

    def call(self, method: str, path: str) -> Any:
        return self._send(build_request(self.settings, method, path, token=self.token()))


def _state(b: Mapping[str, Any]) -> str:
    if b.get("completed_at"):
        return "已完成"
    return "已暂停" if b.get("is_paused") else "进行中"


def list_backfills(api: AirflowApi, dag_ids: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for dag_id in dag_ids:
        try:
            out.extend(api.call("GET", list_path(dag_id))["backfills"])
        except urllib.error.HTTPError as exc:
            raise BackfillApiError(f"列出 {dag_id} 的回填失败（HTTP {exc.code}）：{_detail(exc)}") from exc
    return sorted(out, key=lambda b: b["id"])


def cancel_backfill(api: AirflowApi, backfill_id: int) -> dict[str, Any]:
    try:
        return api.call("PUT", cancel_path(backfill_id))
    except urllib.error.HTTPError as exc:
        reason = {404: "不存在", 409: "已完成，无需取消"}.get(exc.code, f"HTTP {exc.code}：{_detail(exc)}")
        raise BackfillApiError(f"无法取消回填 {backfill_id}：{reason}") from exc


def format_backfill(b: Mapping[str, Any]) -> str:
    return (
        f"{b['id']:>5}  {b['dag_id']:<20} {b['from_date'][:10]} … {b['to_date'][:10]}  "
        f"{_state(b)}  创建于 {b['created_at'][:19]}"
    )


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = sub.add_parser("list", help="list the backfills of the safegov DAGs (newest last)")
    ls.add_argument("--dag-id", dest="dag_ids", action="append", choices=SAFEGOV_DAGS, help="repeatable")
    cancel = sub.add_parser("cancel", help="cancel a backfill: its queued runs fail, running ones finish")
    cancel.add_argument("backfill_id", type=int)


def run(args) -> int:
    api = AirflowApi(api_settings())
    if args.action == "list":
        backfills = list_backfills(api, args.dag_ids or list(SAFEGOV_DAGS))
        if not backfills:
            print("没有回填记录")
        for b in backfills:
            print(format_backfill(b))
        return 0
    b = cancel_backfill(api, args.backfill_id)
    print(f"已取消回填 {b['id']}（{b['dag_id']}）：排队中的运行已标记失败，正在运行的将执行完毕")
    return 0
