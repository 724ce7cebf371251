"""Notify — every day at 08:00 Asia/Shanghai: queue the reminders due that day and deliver.

Reminders go N working days before a period's due date while its quota is not yet met
(`safegov.outbox.queue_reminders`, offsets per obligation in the register); delivery goes
through SendGrid via the outbox, so a retried or cleared run never sends twice.
"""

from __future__ import annotations

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, CronTriggerTimetable

from safegov.airflow_tasks import DEFAULT_ARGS, START_DATE, TIMEZONE, deliver_task, reminders_task

with DAG(
    dag_id="safegov_notify",
    description="Daily reminders at 08:00 Asia/Shanghai, then delivery of the outbox",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("0 8 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["safegov", "email"],
) as dag:
    queue = PythonOperator(task_id="queue_reminders", python_callable=reminders_task)
    deliver = PythonOperator(task_id="deliver", python_callable=deliver_task)
    queue >> deliver
