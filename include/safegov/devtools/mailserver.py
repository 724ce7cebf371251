"""A local SendGrid-compatible server for development, demos and tests (stdlib only).

Speaks ``POST /v3/mail/send`` with SendGrid's status codes:

- 202 Accepted, empty body, ``X-Message-Id`` header;
- 400 for malformed JSON or a missing ``personalizations`` / ``from`` / ``subject`` /
  ``content``, with SendGrid's error shape ``{"errors": [{"message", "field", "help"}]}``;
- 401 without ``Authorization: Bearer <key>``;
- 413 when the body exceeds ``max_bytes`` (SendGrid's limit is 30 MB; configurable);
- 429 with ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (epoch seconds) when more
  than ``rate_limit`` messages arrive within one window.

Every accepted message is appended to a JSON Lines file (default
``$SAFEGOV_DATA_DIR/mail/sent.jsonl``); ``GET /messages`` returns them as JSON and ``GET /``
as a small HTML list. Test hooks: ``POST /_control`` with ``{"fail_next": 3, "status": 500}``
(the next 3 sends answer 500, after recording nothing), ``{"rate_limit": N, "window": S}``,
``{"delay": seconds}`` (slow answers, for timeouts) or ``{"reset": true}``. The test can also
simply stop the server to simulate an outage.
"""

from __future__ import annotations

import html
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 30 * 1024 * 1024


def default_record_path() -> Path:
    from safegov.core.settings import get_settings

    return get_settings().data_dir / "mail" / "sent.jsonl"


def _error(message: str, field: str | None = None, help_: str | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "field": field, "help": help_}]}


def validate_mail(payload: Any) -> dict[str, Any] | None:
    """SendGrid's 400 checks (the subset safegov can violate); None when the body is valid."""
    if not isinstance(payload, dict):
        return _error("Bad Request", None, None)
    pers = payload.get("personalizations")
    if not pers or not isinstance(pers, list):
        return _error(
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
            "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#-Personalizations-Errors",
        )
    for i, p in enumerate(pers):
        tos = p.get("to") if isinstance(p, dict) else None
        if not tos or not all(isinstance(t, dict) and "@" in str(t.get("email", "")) for t in tos):
            return _error(
                "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",  # noqa: E501 - verbatim text
                f"personalizations.{i}.to",
                None,
            )
    frm = payload.get("from")
    if not isinstance(frm, dict) or "@" not in str(frm.get("email", "")):
        return _error(
            "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",  # noqa: E501 - verbatim text
            "from.email",
            None,
        )
    has_subject = bool(payload.get("subject")) or all(isinstance(p, dict) and p.get("subject") for p in pers)
    if not has_subject:
        return _error(
            "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",  # noqa: E501 - verbatim text
            "subject",
            None,
        )
    content = payload.get("content")
    if not content and not payload.get("template_id"):
        return _error(
            "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.",  # noqa: E501 - verbatim text
            "content",
            None,
        )
    if content and not all(
        isinstance(c, dict) and c.get("type") and isinstance(c.get("value"), str) and c.get("value") for c in content
    ):
        return _error("The content value must be a string at least one character in length.", "content.0.value", None)
    return None


class _HTTPServer(ThreadingHTTPServer):
    # socketserver's backlog of 5 overflows when the outbox's sender pool connects at once
    # (one connection per request); the client's SYN is then retried after 1 s.
    request_queue_size = 128
    daemon_threads = True


class MailServer:
    """The local SendGrid; ``start()`` serves in a daemon thread, ``stop()`` shuts it down."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8025,
        *,
        record_path: Path | None = None,
        rate_limit: int | None = None,
        window: float = 60.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ):
        self.host = host
        self.port = port
        self.record_path = Path(record_path) if record_path else default_record_path()
        self.record_path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.rate_limit = rate_limit
        self.window = window
        self.window_start = time.time()
        self.window_count = 0
        self.fail_next = 0
        self.fail_status = 500
        self.delay = 0.0
        self.stats = {"accepted": 0, "rejected": 0}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def _make_httpd(self) -> ThreadingHTTPServer:
        server = self

        class Handler(_Handler):
            mail_server = server

        httpd = _HTTPServer((self.host, self.port), Handler)
        self.port = httpd.server_address[1]
        return httpd

    def start(self) -> MailServer:
        self._httpd = self._make_httpd()
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="safegov-mailserver", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd = self._make_httpd()
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ state
    def control(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if body.get("reset"):
                self.fail_next, self.rate_limit, self.delay = 0, None, 0.0
                self.window_count, self.window_start = 0, time.time()
            if "fail_next" in body:
                self.fail_next = int(body["fail_next"])
                self.fail_status = int(body.get("status", 500))
            if "rate_limit" in body:
                self.rate_limit = None if body["rate_limit"] is None else int(body["rate_limit"])
                self.window = float(body.get("window", self.window))
                self.window_count, self.window_start = 0, time.time()
            if "delay" in body:
                self.delay = float(body["delay"])
            return {
                "fail_next": self.fail_next,
                "status": self.fail_status,
                "rate_limit": self.rate_limit,
                "window": self.window,
                "delay": self.delay,
                **self.stats,
            }

    def messages(self) -> list[dict[str, Any]]:
        with self.lock:
            if not self.record_path.exists():
                return []
            return [
                json.loads(line) for line in self.record_path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]

    def clear(self) -> None:
        with self.lock:
            self.record_path.write_text("", encoding="utf-8")


def read_records(path: Path) -> list[dict[str, Any]]:
    if not Path(path).exists():
        return []
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


class _Handler(BaseHTTPRequestHandler):
    mail_server: MailServer
    protocol_version = "HTTP/1.1"
    server_version = "safegov-local-sendgrid/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet; records are in the file
        return

    def _send(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        if body is None:
            data = b""
        elif isinstance(body, bytes | str):
            data = body.encode("utf-8") if isinstance(body, str) else body
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802
        srv = self.mail_server
        path = self.path.split("?", 1)[0]
        if path == "/messages":
            self._send(200, srv.messages())
        elif path == "/":
            rows = srv.messages()
            items = "".join(
                f"<tr><td>{html.escape(m['received_at'])}</td><td>{html.escape(m.get('message_id', ''))}</td>"
                f"<td>{html.escape(', '.join(m.get('to', [])))}</td><td>{html.escape(m.get('subject') or '')}</td>"
                f"<td>{html.escape((m.get('custom_args') or {}).get('outbox_key', ''))}</td></tr>"
                for m in reversed(rows[-500:])
            )
            page = (
                "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>safegov 本地邮件</title></head>"
                f"<body><h1>本地 SendGrid：已接收 {len(rows)} 封</h1><table border='1' cellpadding='4'>"
                "<tr><th>received</th><th>message id</th><th>to</th><th>subject</th><th>outbox key</th></tr>"
                f"{items}</table></body></html>"
            )
            self._send(200, page, content_type="text/html")
        elif path == "/_control":
            self._send(200, srv.control({}))
        else:
            self._send(404, _error("Not Found"))

    def do_POST(self) -> None:  # noqa: N802
        srv = self.mail_server
        path = self.path.split("?", 1)[0]
        if path == "/_control":
            try:
                body = json.loads(self._body() or b"{}")
            except ValueError:
                self._send(400, _error("Bad Request"))
                return
            self._send(200, srv.control(body))
            return
        if path != "/v3/mail/send":
            self._body()
            self._send(404, _error("Not Found"))
            return
        self._mail_send()

    def _mail_send(self) -> None:
        srv = self.mail_server
        length = int(self.headers.get("Content-Length") or 0)
        if length > srv.max_bytes:
            # Drain what we can so the client sees the answer rather than a reset connection.
            self.rfile.read(length)
            self._send(413, _error("Request Entity Too Large"))
            return
        raw = self._body()
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            self._send(401, _error("The provided authorization grant is invalid, expired, or revoked", None, None))
            return
        if srv.delay:
            time.sleep(srv.delay)
        with srv.lock:
            if srv.fail_next > 0:
                srv.fail_next -= 1
                status = srv.fail_status
                srv.stats["rejected"] += 1
                fail = True
            else:
                fail = False
            limited = None
            if not fail and srv.rate_limit is not None:
                now = time.time()
                if now - srv.window_start >= srv.window:
                    srv.window_start, srv.window_count = now, 0
                reset = int(srv.window_start + srv.window) + 1
                if srv.window_count >= srv.rate_limit:
                    limited = {
                        "X-RateLimit-Limit": str(srv.rate_limit),
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": str(reset),
                    }
                    srv.stats["rejected"] += 1
                else:
                    srv.window_count += 1
        if fail:
            self._send(status, _error("injected failure") if status >= 400 else None)
            return
        if limited:
            self._send(429, _error("too many requests"), headers=limited)
            return
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            self._send(
                400,
                _error(
                    "Bad Request",
                    None,
                    "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.body",
                ),
            )
            return
        problem = validate_mail(payload)
        if problem:
            with srv.lock:
                srv.stats["rejected"] += 1
            self._send(400, problem)
            return
        message_id = uuid.uuid4().hex[:22]
        record = _record(payload, message_id)
        with srv.lock:
            with srv.record_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            srv.stats["accepted"] += 1
        self._send(202, None, headers={"X-Message-Id": message_id})


def _record(payload: dict[str, Any], message_id: str) -> dict[str, Any]:
    import datetime as dt

    pers = payload["personalizations"]
    content = {c.get("type"): c.get("value") for c in payload.get("content") or []}
    return {
        "message_id": message_id,
        "received_at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "from": payload["from"].get("email"),
        "to": [t["email"] for p in pers for t in p.get("to", [])],
        "cc": [t["email"] for p in pers for t in p.get("cc", []) or []],
        "subject": payload.get("subject") or pers[0].get("subject"),
        "text": content.get("text/plain"),
        "html": content.get("text/html"),
        "custom_args": {
            **(payload.get("custom_args") or {}),
            **{k: v for p in pers for k, v in (p.get("custom_args") or {}).items()},
        },
        "headers": payload.get("headers") or {},
    }
