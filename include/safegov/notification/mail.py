"""Sending email through SendGrid (SPEC §1.6): a small ``Mailer`` interface and its SendGrid client.

``SendGridMailer`` wraps ``sendgrid.SendGridAPIClient(api_key=…, host=…)`` directly: the
Airflow SendGrid provider builds its client without ``host``, so it cannot talk to the local
SendGrid-compatible server (``safegov.devtools.mailserver``). No smtplib anywhere.

Privacy: never log the API key, email addresses or phone numbers. Log outbox ids/keys and
``mask(address)`` only; whatever a provider answers is stored only through ``scrub``
(credentials redacted, addresses masked). ``python_http_client`` logs request headers (the
key) and payloads (addresses) at DEBUG; its logger is silenced here.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

# Only for the bundled local server, which checks that a Bearer token is present, not its value.
LOCAL_PLACEHOLDER_KEY = "SG.local-development-placeholder"
DEFAULT_HOST = "http://127.0.0.1:8025"


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        return False


def _silence_http_client_logs() -> None:
    """python_http_client logs the Authorization header and the JSON payload at DEBUG."""
    lg = logging.getLogger("python_http_client.client")
    lg.setLevel(logging.WARNING)
    if not any(isinstance(f, _DropAll) for f in lg.filters):
        lg.addFilter(_DropAll())
    lg.propagate = False


_silence_http_client_logs()

_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+\-]+)@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def mask(value: str | None) -> str:
    """Mask an address for logs: ``zhang.san@example.cn`` → ``z***@e***.cn``; phones → ``1***34``."""
    if not value:
        return "-"
    value = str(value)
    m = _EMAIL_RE.fullmatch(value.strip())
    if m:
        local, domain = m.group(1), m.group(2)
        tld = domain.rsplit(".", 1)[-1]
        return f"{local[:1]}***@{domain[:1]}***.{tld}"
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7:
        return f"{digits[:1]}***{digits[-2:]}"
    return "***"


# Credentials a provider's reply may echo (a proxy or an error page quoting the request):
# the value of an Authorization header, a bearer/basic token, a SendGrid key (SG.<id>.<secret>).
_AUTHORIZATION_RE = re.compile(r"""(?i)(authorization["']?\s*[:=]\s*["']?)[^"'\r\n,;}<]+""")
_TOKEN_RE = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+")
_SENDGRID_KEY_RE = re.compile(r"\bSG\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?")
REDACTED = "[redacted]"


def redact_credentials(text: str | None) -> str:
    """``text`` with API keys and authorization tokens replaced by ``[redacted]``."""
    if not text:
        return ""
    text = _AUTHORIZATION_RE.sub(lambda m: m.group(1) + REDACTED, str(text))
    text = _TOKEN_RE.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    return _SENDGRID_KEY_RE.sub(REDACTED, text)


def scrub(text: str | None) -> str:
    """Free text from a provider (error bodies, exceptions) fit to store and show: credentials
    redacted, every email address and phone number masked. The one place that cleans what
    comes back from a mail provider."""
    if not text:
        return ""
    text = _EMAIL_RE.sub(lambda m: mask(m.group(0)), redact_credentials(text))
    return _PHONE_RE.sub(lambda m: mask(m.group(0)), text)


@dataclass
class Message:
    """One email as the outbox hands it to a mailer."""

    to: str
    subject: str
    text: str
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    from_email: str = "safegov@example.gov.cn"
    from_name: str | None = "安全生产委员会办公室"
    key: str | None = None  # outbox key, sent as custom_args and a header to tell duplicates apart
    outbox_id: int | None = None
    attempt: int = 1


@dataclass
class Response:
    """What the provider answered. ``status`` 0 means no HTTP answer (timeout, refused)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers.items():
            if k.lower() == lname:
                return v
        return None


class InvalidMessage(ValueError):
    """The message cannot be sent as it is (e.g. a malformed address): a permanent failure."""


class Mailer(Protocol):
    def send(self, message: Message) -> Response: ...


def build_mail(message: Message):
    """The ``sendgrid.helpers.mail.Mail`` for a message (Chinese kept as UTF-8)."""
    from sendgrid.helpers.mail import Cc, CustomArg, Email, Header, Mail, Personalization, To

    for addr in [message.to, *(message.cc or [])]:
        if not addr or not _EMAIL_RE.fullmatch(addr.strip()):
            raise InvalidMessage(f"malformed address {mask(addr)}")
    mail = Mail(
        from_email=Email(message.from_email, message.from_name),
        subject=message.subject,
        plain_text_content=message.text,
        html_content=message.html or None,
    )
    p = Personalization()
    p.add_to(To(message.to))
    seen = {message.to.lower()}
    for addr in message.cc or []:
        if addr and addr.lower() not in seen:
            seen.add(addr.lower())
            p.add_cc(Cc(addr))
    mail.add_personalization(p)
    if message.key:
        # custom_args travel with SendGrid's events; the header with the message itself.
        mail.add_custom_arg(CustomArg("outbox_key", message.key))
        mail.add_custom_arg(CustomArg("attempt", str(message.attempt)))
        mail.add_header(Header("X-Safegov-Outbox-Key", message.key))
    return mail


class SendGridMailer:
    """``Mailer`` over ``sendgrid.SendGridAPIClient``; every HTTP outcome becomes a ``Response``.

    One ``SendGridAPIClient`` per thread: the underlying client mutates a shared header dict.
    """

    def __init__(self, api_key: str, host: str = DEFAULT_HOST, *, timeout: float = 10.0):
        self._api_key = api_key
        self.host = host.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def __repr__(self) -> str:  # never show the key
        return f"SendGridMailer(host={self.host!r})"

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from sendgrid import SendGridAPIClient

            client = SendGridAPIClient(api_key=self._api_key, host=self.host)
            client.client.timeout = self.timeout  # propagated to every request built from it
            self._local.client = client
        return client

    def send(self, message: Message) -> Response:
        from python_http_client.exceptions import HTTPError

        mail = build_mail(message)
        try:
            resp = self._client().send(mail)
        except HTTPError as exc:  # ≥ 400: python_http_client raises; read status, headers, body
            body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
            return Response(int(exc.status_code), _headers(exc.headers), body)
        except (OSError, TimeoutError) as exc:  # refused, reset, timeout, DNS (URLError is an OSError)
            return Response(0, {}, f"{type(exc).__name__}: {scrub(str(exc))}")
        body = resp.body.decode("utf-8", "replace") if isinstance(resp.body, bytes) else str(resp.body or "")
        return Response(int(resp.status_code), _headers(resp.headers), body)


def _headers(headers: Any) -> dict[str, str]:
    """The response headers (an ``http.client.HTTPMessage``, or None) as a plain dict."""
    if headers is None:
        return {}
    return {str(k): str(v) for k, v in headers.items()}


def _airflow_key() -> str | None:
    """The password of the Airflow connection ``sendgrid_default``, when it exists.

    Inside Airflow (the task SDK already imported) ask Airflow; outside, read the
    ``AIRFLOW_CONN_SENDGRID_DEFAULT`` variable directly (URI or JSON) rather than import
    Airflow, which takes tens of seconds and may wait on a metadata DB the CLI does not need.
    """
    import sys

    if "airflow.sdk" in sys.modules:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            return BaseHook.get_connection("sendgrid_default").password or None
        except AirflowNotFoundException:  # no such connection: SENDGRID_API_KEY is the next source
            return None
    raw = os.environ.get("AIRFLOW_CONN_SENDGRID_DEFAULT", "").strip()
    if not raw:
        return None
    if raw.startswith("{"):
        import json

        from safegov.core.errors import SafegovError

        try:
            return json.loads(raw).get("password") or None
        except ValueError:
            raise SafegovError("AIRFLOW_CONN_SENDGRID_DEFAULT is not valid JSON") from None
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(raw).password or "") or None


def get_mailer(*, host: str | None = None, api_key: str | None = None, timeout: float = 10.0) -> SendGridMailer:
    """A ``SendGridMailer`` for SAFEGOV_SENDGRID_HOST (default the local server at :8025).

    Key: Airflow connection ``sendgrid_default`` (password), else ``SENDGRID_API_KEY``, else a
    placeholder that only the local server accepts.
    """
    from safegov.core.errors import SafegovError

    host = host or os.environ.get("SAFEGOV_SENDGRID_HOST") or DEFAULT_HOST
    key = api_key or _airflow_key() or os.environ.get("SENDGRID_API_KEY")
    if not key:
        if not _is_local(host):
            raise SafegovError(
                f"no SendGrid API key for {host}: set the Airflow connection sendgrid_default "
                "(password) or SENDGRID_API_KEY"
            )
        key = LOCAL_PLACEHOLDER_KEY
    return SendGridMailer(key, host, timeout=timeout)


def _is_local(host: str) -> bool:
    from urllib.parse import urlparse

    return (urlparse(host).hostname or "") in {"127.0.0.1", "localhost", "::1"}
