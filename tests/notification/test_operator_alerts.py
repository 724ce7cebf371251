"""Failed tasks told to the operators (#18): one email per operator per failed DAG run,
sent at once through the SendGrid client to the local server, in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db.models import OutboxMessage
from safegov.notification import outbox
from safegov.notification.operator_alerts import TaskFailure, queue_failure_alert, run_period

AT = dt.datetime(2026, 12, 3, 8, 5, 9, tzinfo=TZ)
SG_KEY = "SG." + "a" * 22 + "." + "b" * 43


def _failure(**kw) -> TaskFailure:
    return TaskFailure(
        **{
            "dag_id": "safegov_monthly",
            "dag_title": "月度履职评估",
            "run_id": "scheduled__2026-11-01T00:00:00+08:00",
            "task_id": "sc-meet-local",
            "try_number": 3,
            "error": f"OperationalError: connection refused (key {SG_KEY})",
            "at": AT,
            **kw,
        }
    )


@pytest.fixture
def operators(monkeypatch):
    """Two operators configured."""
    cfg = outbox.NotificationConfig(
        operators=[
            {"name": "值班甲", "email": "ops-a@example.gov.cn"},
            {"name": "值班乙", "email": "ops-b@example.gov.cn"},
        ]
    )
    monkeypatch.setattr(outbox, "get_notification_config", lambda path=None: cfg)
    monkeypatch.setattr("safegov.notification.operator_alerts.get_notification_config", lambda: cfg)
    return cfg


def _rows(engine):
    with Session(engine) as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "task_failure")).all()


def test_one_email_per_operator_per_failed_run(engine, operators):
    first = queue_failure_alert(engine, _failure())
    again = queue_failure_alert(engine, _failure(task_id="bulletin-monthly", try_number=1))  # same run
    other_run = queue_failure_alert(engine, _failure(run_id="manual__2026-12-03T08:00:00+08:00"))
    assert len(first) == 2 and again == [] and len(other_run) == 2
    rows = _rows(engine)
    assert sorted(r.to_email for r in rows) == sorted(["ops-a@example.gov.cn", "ops-b@example.gov.cn"] * 2)
    assert {r.state for r in rows} == {"pending"}


def test_the_alert_reads_in_chinese_with_beijing_time_and_no_secret(engine, operators):
    queue_failure_alert(engine, _failure())
    row = next(r for r in _rows(engine) if r.to_email == "ops-a@example.gov.cn")
    assert row.mail_subject == "【safegov 运行故障】月度履职评估：任务 sc-meet-local 失败"
    for part in (
        "值班甲：",
        "流程：月度履职评估（safegov_monthly）",
        "第 3 次尝试",
        "2026年12月3日 08:05（北京时间）",
    ):
        assert part in row.body_text
    assert "connection refused" in row.body_text
    assert SG_KEY not in row.body_text and SG_KEY not in (row.body_html or "")


def test_a_backfill_failure_is_stored_not_sent(engine, operators):
    queue_failure_alert(engine, _failure(historical=True))
    assert {(r.state, r.reason) for r in _rows(engine)} == {("suppressed", "historical")}


def test_without_operators_the_alert_is_kept_as_failed(engine, monkeypatch, caplog):
    cfg = outbox.NotificationConfig()
    monkeypatch.setattr("safegov.notification.operator_alerts.get_notification_config", lambda: cfg)
    assert queue_failure_alert(engine, _failure()) == [
        "task_failure|safegov_monthly|" + _failure().run_id + "|operators|failed"
    ]
    assert [(r.recipient, r.state, r.reason) for r in _rows(engine)] == [("operators", "failed", "no_address")]
    assert "no operators in config/notifications.yaml" in caplog.text


def test_a_long_run_id_fits_the_outbox_and_stays_distinct():
    a, b = "manual__" + "x" * 80, "manual__" + "x" * 79 + "y"
    assert len(run_period(a)) == 64 and run_period(a) != run_period(b)
    assert run_period("scheduled__2026-11-01") == "scheduled__2026-11-01"


def test_operators_are_validated(tmp_path):
    from safegov.core.errors import SafegovError

    p = tmp_path / "notifications.yaml"
    p.write_text("operators:\n  - name: 值班\n    email: not-an-address\n", encoding="utf-8")
    with pytest.raises(SafegovError, match="field operators.0.email"):
        outbox.load_notification_config(p)


def test_deliver_by_keys_sends_only_those_rows(engine, operators, mailserver):
    from safegov.notification.mail import get_mailer

    with Session(engine) as s, s.begin():
        outbox.queue(
            s,
            purpose="notice",
            subject_id="150102",
            period="2026-11",
            recipient="L1",
            step="notice",
            to_email="leader@example.gov.cn",
            template="notice",
            context={},
            created_at=AT,
        )
    keys = queue_failure_alert(engine, _failure())
    counts = outbox.deliver(engine, get_mailer(host=mailserver.url), now=AT, keys=keys)
    assert counts["sent"] == 2
    sent = mailserver.messages()
    assert sorted(m["custom_args"]["outbox_key"] for m in sent) == sorted(keys)
    assert sent[0]["subject"].startswith("【safegov 运行故障】")
    with Session(engine) as s:
        notice = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "notice")).one()
    assert notice.state == "pending"  # left for the regular delivery
