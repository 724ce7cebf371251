"""The outbox over real HTTP against the local SendGrid server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safegov.db.models import AuditLog, OutboxMessage

from .conftest import NOW, SECRET_KEY, control, queue_one, received

MIN = dt.timedelta(minutes=1)


def rows(engine):
    with Session(engine) as s:
        return {r.key: r for r in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def queue_n(engine, n, **kw):
    with Session(engine) as s, s.begin():
        return [queue_one(s, i, **kw) for i in range(n)]


def keys_received(server):
    return [m["custom_args"].get("outbox_key") for m in received(server)]


# --------------------------------------------------------------------------- queue


def test_queue_is_idempotent_on_the_key_and_audited_without_addresses(engine):
    assert queue_n(engine, 1) == [True]
    assert queue_n(engine, 1) == [False]  # the re-run of the same decision adds nothing
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        row = s.scalars(select(OutboxMessage)).one()
        assert row.key == "notice|150100|2024-03|L0|notice"
        assert row.state == "pending"
        audits = s.scalars(select(AuditLog).where(AuditLog.entity == "email")).all()
        assert [a.action for a in audits] == ["queued"]
        assert "@" not in str(audits[0].payload)


@pytest.mark.parametrize(
    "kw, state, reason",
    [
        ({}, "pending", None),
        ({"historical": True}, "suppressed", "historical"),  # backfill runs never send
        ({"period": "2023-12"}, "suppressed", "horizon"),  # ended 93 days before created_at
        ({"period": "2024-02"}, "pending", None),
        ({"period": "2024-Q1"}, "pending", None),
        ({"period": "2023"}, "suppressed", "horizon"),
        ({"to": None}, "failed", "no_address"),
        ({"to": "  "}, "failed", "no_address"),
    ],
)
def test_queue_state(engine, kw, state, reason):
    queue_n(engine, 1, **kw)
    (row,) = rows(engine).values()
    assert (row.state, row.reason) == (state, reason)


def test_horizon_boundary_is_exactly_sixty_days(engine):
    # 2024-01-31 + 60 days = 2024-03-31: on that day the period is still inside the horizon.
    at = dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # 15:30 UTC
    with Session(engine) as s, s.begin():
        queue_one(s, 1, period="2024-01", created_at=at)
        queue_one(s, 2, period="2024-01", created_at=at + dt.timedelta(hours=1))  # 2024-04-01 local
    assert [r.state for r in rows(engine).values()] == ["pending", "suppressed"]


def test_nothing_is_sent_for_suppressed_or_failed_rows(engine, mailer, mailserver):
    with Session(engine) as s, s.begin():
        queue_one(s, 1, historical=True)
        queue_one(s, 2, period="2022-01")
        queue_one(s, 3, to=None)
    counts = deliver(engine, mailer, now=NOW + dt.timedelta(days=400))
    assert counts["claimed"] == 0
    assert received(mailserver) == []
    assert sorted(r.state for r in rows(engine).values()) == ["failed", "suppressed", "suppressed"]


# --------------------------------------------------------------------------- deliver


def deliver(engine, mailer, **kw):
    from safegov.notification.outbox import deliver as _deliver

    return _deliver(engine, mailer, **kw)


def test_chinese_subjects_and_bodies_arrive_intact_and_once(engine, mailer, mailserver):
    queue_n(engine, 3)
    counts = deliver(engine, mailer, now=NOW)
    assert counts["sent"] == 3
    again = deliver(engine, mailer, now=NOW + dt.timedelta(days=1))
    assert again["claimed"] == 0
    msgs = received(mailserver)
    assert len(msgs) == 3
    m = msgs[0]
    assert m["subject"] == "【通报】新城区未完成“盟市、旗县安委会每月至少召开1次会议”（2024年3月）"
    assert "张三同志" in m["text"] and "《关于进一步加强安全生产工作的决定》第（五）条" in m["text"]
    assert "<strong>新城区</strong>" in m["html"]
    assert m["to"] == ["zhang.san@example.gov.cn"]
    assert m["custom_args"]["outbox_key"] == "notice|150100|2024-03|L0|notice"
    assert m["headers"]["X-Safegov-Outbox-Key"] == m["custom_args"]["outbox_key"]
    r = rows(engine)["notice|150100|2024-03|L0|notice"]
    assert (r.state, r.attempts, r.last_status) == ("sent", 1, 202)
    assert r.provider_message_id == m["message_id"]


def test_crash_between_send_and_mark_gives_at_most_one_logged_duplicate(engine, mailer, mailserver, caplog):
    queue_n(engine, 3)
    crash_key = "notice|150101|2024-03|L1|notice"

    def crash(claimed, response):
        if claimed.key == crash_key:
            raise RuntimeError("worker killed after the HTTP send")

    with pytest.raises(RuntimeError):
        deliver(engine, mailer, now=NOW, after_send=crash)
    r = rows(engine)
    assert r[crash_key].state == "sending"  # sent, not marked
    assert r["notice|150100|2024-03|L0|notice"].state == "sent"  # marked before the crash
    # Within the lease nobody touches the claim: no second copy.
    assert deliver(engine, mailer, now=NOW + 5 * MIN)["claimed"] == 1  # only the third, never-sent row
    assert keys_received(mailserver).count(crash_key) == 1
    caplog.set_level(logging.WARNING, logger="safegov.notification.outbox")
    counts = deliver(engine, mailer, now=NOW + 11 * MIN)
    assert counts["reclaimed"] == 1 and counts["sent"] == 1
    got = keys_received(mailserver)
    assert got.count(crash_key) == 2  # the one possible duplicate…
    assert all(got.count(k) == 1 for k in got if k != crash_key)
    attempts = [
        m["custom_args"]["attempt"] for m in received(mailserver) if m["custom_args"]["outbox_key"] == crash_key
    ]
    assert attempts == ["1", "2"]  # …told apart by the attempt number
    assert any("POSSIBLE DUPLICATE" in rec.getMessage() and crash_key in rec.getMessage() for rec in caplog.records)
    r = rows(engine)[crash_key]
    assert (r.state, r.possible_duplicate) == ("sent", True)
    assert deliver(engine, mailer, now=NOW + 60 * MIN)["claimed"] == 0


@pytest.mark.parametrize("mark_batch", [1, 3])
def test_a_claim_taken_over_before_the_mark_is_left_to_its_new_owner(engine, mailer, mailserver, mark_batch):
    queue_n(engine, 3)
    stolen = "notice|150101|2024-03|L1|notice"

    def take_over(claimed, response):
        # Another worker reclaimed this row (our lease looked expired) while we were sending.
        if claimed.key == stolen:
            with Session(engine) as s, s.begin():
                s.execute(
                    OutboxMessage.__table__.update()
                    .where(OutboxMessage.key == stolen)
                    .values(attempts=OutboxMessage.attempts + 1)
                )

    counts = deliver(engine, mailer, now=NOW, mark_batch=mark_batch, after_send=take_over)
    assert (counts["sent"], counts["lost"]) == (2, 1)
    r = rows(engine)
    assert (r[stolen].state, r[stolen].attempts, r[stolen].sent_at) == ("sending", 2, None)
    assert {k: v.state for k, v in r.items() if k != stolen} == dict.fromkeys(set(r) - {stolen}, "sent")
    assert all(v.last_status == 202 and v.provider_message_id for k, v in r.items() if k != stolen)


def test_429_waits_for_the_rate_limit_reset(engine, mailer, mailserver):
    queue_n(engine, 5)
    control(mailserver, rate_limit=2, window=30)
    counts = deliver(engine, mailer, now=NOW)
    assert (counts["sent"], counts["retry"]) == (2, 3)
    waiting = [r for r in rows(engine).values() if r.state == "pending"]
    assert {r.reason for r in waiting} == {"rate_limited"}
    assert {r.attempts for r in waiting} == {0}  # pacing is not a failed attempt
    reset = waiting[0].next_attempt_at
    assert reset > dt.datetime.now(dt.UTC)  # X-RateLimit-Reset, in epoch seconds
    control(mailserver, reset=True)
    assert deliver(engine, mailer, now=reset - dt.timedelta(seconds=1))["claimed"] == 0  # not before the reset
    assert deliver(engine, mailer, now=reset)["sent"] == 3
    assert len(received(mailserver)) == 5


def test_5xx_retries_with_exponential_backoff(engine, mailer, mailserver):
    queue_n(engine, 1)
    control(mailserver, fail_next=2, status=500)
    assert deliver(engine, mailer, now=NOW)["retry"] == 1
    r = next(iter(rows(engine).values()))
    assert (r.state, r.attempts, r.reason, r.last_status) == ("pending", 1, "http_500", 500)
    assert r.next_attempt_at == NOW + 1 * MIN  # 60 s × 2^0
    assert deliver(engine, mailer, now=NOW + 30 * dt.timedelta(seconds=1))["claimed"] == 0
    assert deliver(engine, mailer, now=NOW + 1 * MIN)["retry"] == 1
    r = next(iter(rows(engine).values()))
    assert r.next_attempt_at == NOW + 3 * MIN  # then 120 s
    assert deliver(engine, mailer, now=NOW + 3 * MIN)["sent"] == 1
    assert len(received(mailserver)) == 1


def test_permanent_400_is_failed_with_the_response(engine, mailer, mailserver):
    queue_n(engine, 1)
    control(mailserver, fail_next=1, status=400)
    counts = deliver(engine, mailer, now=NOW)
    assert counts["failed"] == 1
    r = next(iter(rows(engine).values()))
    assert (r.state, r.reason, r.last_status) == ("failed", "http_400", 400)
    assert '"errors"' in r.last_response  # SendGrid's error JSON kept for operators
    assert deliver(engine, mailer, now=NOW + dt.timedelta(days=1))["claimed"] == 0
    assert received(mailserver) == []


def test_server_validation_400_for_a_payload_sendgrid_rejects(mailserver):
    import json
    import urllib.error
    import urllib.request

    body = {
        "personalizations": [{"to": [{"email": "a@example.cn"}]}],
        "from": {"email": "b@example.cn"},
        "content": [{"type": "text/plain", "value": "x"}],
    }  # no subject
    req = urllib.request.Request(
        f"{mailserver.url}/v3/mail/send",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    assert json.loads(err.value.read())["errors"][0]["field"] == "subject"


def test_malformed_address_fails_without_a_request(engine, mailer, mailserver):
    queue_n(engine, 1, to="not-an-address")
    counts = deliver(engine, mailer, now=NOW)
    assert counts["failed"] == 1
    r = next(iter(rows(engine).values()))
    assert (r.state, r.reason, r.last_status) == ("failed", "invalid_message", None)
    assert received(mailserver) == []


def test_dead_after_max_attempts(engine, mailer, mailserver):
    queue_n(engine, 1)
    control(mailserver, fail_next=10, status=503)
    now = NOW
    for _attempt in (1, 2):
        assert deliver(engine, mailer, now=now, max_attempts=3)["retry"] == 1
        now = next(iter(rows(engine).values())).next_attempt_at
    assert deliver(engine, mailer, now=now, max_attempts=3)["dead"] == 1
    r = next(iter(rows(engine).values()))
    assert (r.state, r.attempts, r.reason) == ("dead", 3, "http_503")
    assert deliver(engine, mailer, now=now + dt.timedelta(days=1))["claimed"] == 0
    from safegov.notification.outbox import list_rows

    with Session(engine) as s:
        assert [x.key for x in list_rows(s, state="dead")] == [r.key]


def test_server_down_then_up(engine, mailer, mailserver):
    from safegov.devtools.mailserver import MailServer

    queue_n(engine, 2)
    port, record = mailserver.port, mailserver.record_path
    mailserver.stop()
    counts = deliver(engine, mailer, now=NOW)
    assert counts["retry"] == 2 and counts["sent"] == 0
    assert {r.reason for r in rows(engine).values()} == {"timeout_or_unreachable"}
    back = MailServer("127.0.0.1", port, record_path=record).start()
    try:
        assert deliver(engine, mailer, now=NOW + 1 * MIN)["sent"] == 2
        assert len(back.messages()) == 2
    finally:
        back.stop()


def test_timeout_is_retried(engine, mailserver):
    from safegov.notification.mail import SendGridMailer

    queue_n(engine, 1)
    control(mailserver, delay=1.5)
    impatient = SendGridMailer(SECRET_KEY, mailserver.url, timeout=0.3)
    assert deliver(engine, impatient, now=NOW)["retry"] == 1
    assert next(iter(rows(engine).values())).reason == "timeout_or_unreachable"


def test_no_key_address_or_phone_in_logs(engine, mailer, mailserver, caplog):
    caplog.set_level(logging.DEBUG)
    with Session(engine) as s, s.begin():
        queue_one(s, 1, context={"reason": "联系电话 13812345678"}, cc=["office.150100@example.gov.cn"])
        queue_one(s, 2, to="bad-address")
        queue_one(s, 3, to=None)
    control(mailserver, fail_next=1, status=500)
    deliver(engine, mailer, now=NOW)
    deliver(engine, mailer, now=NOW + 10 * MIN)
    assert len(received(mailserver)) == 1
    logs = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert logs.strip(), "nothing was logged: the scan would prove nothing"
    assert SECRET_KEY not in logs
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", logs), logs
    assert "13812345678" not in logs
    with Session(engine) as s:
        payloads = " ".join(str(a.payload) for a in s.scalars(select(AuditLog)))
    assert "@" not in payloads and "13812345678" not in payloads


def test_concurrent_deliver_sends_each_row_once(engine, mailer, mailserver):
    from safegov.db.audit import verify

    queue_n(engine, 40)
    totals, errors = [], []

    def worker():
        try:
            while True:
                c = deliver(engine, mailer, now=NOW, limit=7)
                totals.append(c["sent"])
                if c["claimed"] == 0:
                    return
        except Exception as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    got = keys_received(mailserver)
    assert len(got) == 40 and len(set(got)) == 40
    assert sum(totals) == 40
    with Session(engine) as s:
        assert verify(s).ok  # two writers never forked the audit chain


def test_thread_pool_delivery_keeps_exactly_once(engine, mailer, mailserver):
    queue_n(engine, 30)
    counts = deliver(engine, mailer, now=NOW, workers=4, mark_batch=8)
    assert counts["sent"] == 30
    got = keys_received(mailserver)
    assert len(got) == 30 == len(set(got))
    assert {r.state for r in rows(engine).values()} == {"sent"}
