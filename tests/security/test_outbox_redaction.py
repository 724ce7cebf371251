"""Issue #17: a provider reply that echoes the request's Authorization header (an error
page, a proxy) is stored in ``outbox.last_response`` with the key and tokens redacted."""

from __future__ import annotations

import json
import secrets
import string
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.notification.conftest import NOW, queue_one

from safegov.db.models import OutboxMessage
from safegov.notification.mail import Response, redact_credentials, scrub
from safegov.notification.outbox import deliver

ALPHABET = string.ascii_letters + string.digits + "_-"


def _key() -> str:
    """A key of SendGrid's shape (SG.<22>.<43>), made up per test (none is in the repository)."""
    part = lambda n: "".join(secrets.choice(ALPHABET) for _ in range(n))  # noqa: E731
    return f"SG.{part(22)}.{part(43)}"


class EchoingProvider:
    """A mailer whose provider quotes the request headers back in its answer."""

    def __init__(self, key: str, status: int):
        self.key, self.status = key, status

    def send(self, message) -> Response:
        auth = f"Bearer {self.key}"
        body = json.dumps(
            {"errors": [{"message": "denied", "request": {"headers": {"Authorization": auth}}}], "echo": auth}
        )
        return Response(self.status, {"X-Message-Id": f"id-{self.key}"}, body + f"\nAuthorization: {auth}\n")


def _stored(engine) -> OutboxMessage:
    with Session(engine) as s:
        return s.scalars(select(OutboxMessage)).one()


@pytest.mark.parametrize("status", [400, 500, 202])
def test_echoed_key_is_not_stored(engine, status):
    key = _key()
    with Session(engine) as s, s.begin():
        queue_one(s)
    deliver(engine, EchoingProvider(key, status), now=NOW)
    row = _stored(engine)
    stored = " ".join(str(v) for v in (row.last_response, row.provider_message_id, row.reason))
    secret = key.split(".")[2]
    assert key not in stored and secret not in stored and key.split(".")[1] not in stored
    if status != 202:
        assert "[redacted]" in row.last_response and '"errors"' in row.last_response  # the rest is kept


def test_real_http_reply_echoing_the_header(engine, tmp_path):
    """The SendGrid client against a server that answers 401 with the request's headers."""
    from safegov.notification.mail import SendGridMailer

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"errors": [{"message": "bad key"}], "headers": dict(self.headers)}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key = _key()
    try:
        with Session(engine) as s, s.begin():
            queue_one(s)
        deliver(engine, SendGridMailer(key, f"http://127.0.0.1:{server.server_port}", timeout=5), now=NOW)
    finally:
        server.shutdown()
        server.server_close()
    row = _stored(engine)
    assert row.last_status == 401
    assert key not in row.last_response and key.split(".")[2] not in row.last_response
    assert '"Authorization": "[redacted]"' in row.last_response and "bad key" in row.last_response


def test_redaction_forms():
    key = _key()
    token = secrets.token_urlsafe(24)
    assert redact_credentials(f"key {key} end") == "key [redacted] end"
    assert redact_credentials(f"Authorization: Bearer {token}\nnext") == "Authorization: [redacted]\nnext"
    assert redact_credentials(f'{{"authorization": "{key}", "x": 1}}') == '{"authorization": "[redacted]", "x": 1}'
    assert redact_credentials(f"sent bearer {token}.") == "sent bearer [redacted]"
    assert redact_credentials(f"Basic {token}") == "Basic [redacted]"
    # scrub, the one cleaner of provider text, does both: credentials and addresses.
    assert scrub(f"to zhang.san@example.cn with {key}") == "to z***@e***.cn with [redacted]"
