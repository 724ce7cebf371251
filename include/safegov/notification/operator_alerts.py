"""Failed Airflow tasks told to the operators (运维值班) by email, through the outbox.

A task that fails after its retries calls ``queue_failure_alert`` (the DAGs'
``on_failure_callback``): one email per operator of ``config/notifications.yaml`` per
**DAG run**, keyed ``task_failure|<dag id>|<run id>|operator:<email>|failed``, so a run whose
several tasks fail, or a callback that runs twice, alerts once. The email is sent at once
(``deliver`` of just those rows); when the mail server is down it stays pending for the next
delivery. Backfill runs store it suppressed, like every email of a backfill.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safegov.core.periods import TZ, local_date
from safegov.core.words import fmt_datetime
from safegov.notification.mail import scrub
from safegov.notification.outbox import get_notification_config, make_key, queue

log = logging.getLogger(__name__)

PURPOSE = TEMPLATE = "task_failure"
STEP = "failed"
MAX_ERROR_CHARS = 2000
PERIOD_CHARS = 64  # the outbox's period column


@dataclass(frozen=True)
class TaskFailure:
    """What the operators are told of a failed task."""

    dag_id: str
    dag_title: str
    run_id: str
    task_id: str
    try_number: int
    error: str
    at: dt.datetime
    historical: bool = False


def run_period(run_id: str) -> str:
    """The run id as the outbox's period (a long custom run id shortened with its hash)."""
    if len(run_id) <= PERIOD_CHARS:
        return run_id
    return f"{run_id[: PERIOD_CHARS - 17]}~{hashlib.sha256(run_id.encode()).hexdigest()[:16]}"


def queue_failure_alert(engine: Engine, failure: TaskFailure) -> list[str]:
    """Queue the alert for each operator; returns the keys of the rows queued now (none when
    this run already alerted)."""
    operators = [(op.name, op.email) for op in get_notification_config().operators]
    if not operators:
        log.error("no operators in config/notifications.yaml: the failure of %s is stored unsent", failure.task_id)
        operators = [(None, None)]
    local = failure.at.astimezone(TZ)
    context = {
        "dag_id": failure.dag_id,
        "dag_title": failure.dag_title,
        "run_id": failure.run_id,
        "task_id": failure.task_id,
        "try_number": failure.try_number,
        "failed_at": f"{fmt_datetime(local)}（北京时间）",
        "failed_at_en": fmt_datetime(local, "en"),
        "error": scrub(failure.error)[:MAX_ERROR_CHARS],
    }
    period = run_period(failure.run_id)
    queued = []
    with Session(engine) as session, session.begin():
        for name, email in operators:
            recipient = f"operator:{email}" if email else "operators"
            new = queue(
                session,
                purpose=PURPOSE,
                subject_id=failure.dag_id,
                period=period,
                recipient=recipient,
                step=STEP,
                to_email=email,
                template=TEMPLATE,
                context={**context, "recipient_name": name},
                historical=failure.historical,
                created_at=failure.at,
                run_id=failure.run_id,
                period_end=local_date(failure.at),
            )
            if new:
                queued.append(make_key(PURPOSE, failure.dag_id, period, recipient, STEP))
    return queued
