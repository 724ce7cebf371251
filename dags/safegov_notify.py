"""Notify — every day at 08:00 Asia/Shanghai: sweep the event deadlines, queue the reminders
due that day, warn when next year's holidays are not entered, and deliver.

`sweep_event_deadlines` re-evaluates the event obligations (a hazard's rectification
deadline or a 12350 ticket's 15 working days pass without any record arriving) and
announces `safegov://evaluations` for this and last month, so `safegov_escalation` acts on
new misses (e.g. MAJOR-HAZARD-OVERDUE).

Reminders go N working days before a period's due date while its quota is not yet met
(`safegov.notification.reminders.queue_reminders`, offsets per obligation in the register); delivery goes
through SendGrid via the outbox, so a retried or cleared run never sends twice.

`remind_stale_approvals` reminds the deciding office of every case that has awaited its
approval for more than 5 working days (`safegov.accountability.cases.remind_stale_approvals`,
one reminder per further block of 5).

A task of any safegov DAG that fails after its retries emails the operators of
`config/notifications.yaml` once per DAG run (`on_failure_callback`,
`safegov.notification.operator_alerts`).

`watch_calendar` (`safegov.notification.calendar_watch`): from 1 November, while next year's
holiday schedule is neither in the chinesecalendar package nor in config/holidays.yaml, one
email per stage (11-01, 12-01, 12-15, and `overdue` once the year has begun) to the region's
safety office, naming the year and the State Council notice to enter. It runs beside the
chain, not before `deliver`, so that its failure never blocks the day's other mail.

`checkpoint_audit` then signs the audit chain's head (the day's deliveries and warnings
included) and publishes it as the asset event `safegov://audit/checkpoint`
(`safegov.db.checkpoint`).
"""

from __future__ import annotations

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, CronTriggerTimetable

from safegov.airflow.pools import DB_POOL, SENDGRID_POOL
from safegov.airflow.tasks import (
    AUDIT_CHECKPOINTS,
    DEFAULT_ARGS,
    EVALUATIONS_ALIAS,
    START_DATE,
    TIMEZONE,
    calendar_watch_task,
    checkpoint_audit_task,
    daily_events_task,
    deliver_task,
    reminders_task,
    stale_approvals_task,
)

with DAG(
    dag_id="safegov_notify",
    description="Daily at 08:00 Asia/Shanghai: event deadlines, reminders, calendar watch, delivery",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("0 8 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["safegov", "email"],
) as dag:
    sweep = PythonOperator(
        task_id="sweep_event_deadlines", python_callable=daily_events_task, outlets=[EVALUATIONS_ALIAS], pool=DB_POOL
    )
    queue = PythonOperator(task_id="queue_reminders", python_callable=reminders_task)
    stale = PythonOperator(task_id="remind_stale_approvals", python_callable=stale_approvals_task)
    # A leaf of its own: a broken holidays.yaml fails this task (and so the run) without
    # holding back the day's other mail. What it queues is sent by this run's deliver when
    # queued before it starts, otherwise by the next day's.
    watch = PythonOperator(task_id="watch_calendar", python_callable=calendar_watch_task)
    deliver = PythonOperator(task_id="deliver", python_callable=deliver_task, pool=SENDGRID_POOL)
    checkpoint = PythonOperator(
        task_id="checkpoint_audit",
        python_callable=checkpoint_audit_task,
        outlets=[AUDIT_CHECKPOINTS],
        trigger_rule="all_done",  # a failed step still leaves its links signed
    )
    sweep >> queue >> stale >> deliver
    [deliver, watch] >> checkpoint
