"""Bulletin — each safety committee office's monthly information-reporting bulletin 〔十五〕.

One run per month (GraceTimetable, monthly, grace 0: the run is created at 00:00+08:00 on
the first day of the next month), drafting the Chinese bulletin of every office for the
run's month (`safegov.reports.bulletin.draft_bulletins`). The office then has the obligation's grace
(`BULLETIN-MONTHLY`, 5 working days) to issue it; clearing the run redrafts it.
"""

from __future__ import annotations

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from safegov.airflow.tasks import DEFAULT_ARGS, START_DATE, bulletin_task, now
from safegov.airflow.timetable import GraceTimetable, with_schedule_notice

_timetable = GraceTimetable("monthly", 0)
# a next run that cannot be computed (holiday calendar not entered) says why in the UI
_description, _doc = with_schedule_notice(
    _timetable, "Draft the monthly bulletin of every safety office", __doc__, now()
)

with DAG(
    dag_id="safegov_bulletin",
    description=_description,
    doc_md=_doc,
    schedule=_timetable,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["safegov", "bulletin"],
) as dag:
    PythonOperator(task_id="draft_bulletins", python_callable=bulletin_task)
