"""Ingest — every 5 minutes, take the new files in the inbox (SPEC §3).

Each file is ingested in its own transaction (`safegov.intake.pipeline.ingest_paths`): accepted rows
are loaded, rejected rows quarantined with row-level reasons, and the file moved to
`processed/` or `rejected/`. A broken file never stops the others.

Every record type touched is announced as an asset event `safegov://records/<type>`
(through the alias `safegov-records`) whose extra holds `{"file_ids": [...]}`; those events
trigger `safegov_late_data` (re-evaluate exactly the touched rows) and, for accidents,
hazards, complaints and milestones, `safegov_events`.
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, CronTriggerTimetable

from safegov.airflow.pools import DB_POOL
from safegov.airflow.tasks import DEFAULT_ARGS, RECORDS_ALIAS, START_DATE, TIMEZONE, ingest_inbox

with DAG(
    dag_id="safegov_ingest",
    description="Ingest new submission files from the inbox every 5 minutes",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("*/5 * * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # two runs must not race for the same inbox files
    dagrun_timeout=dt.timedelta(hours=2),
    default_args=DEFAULT_ARGS,
    tags=["safegov", "ingest"],
) as dag:
    PythonOperator(
        task_id="ingest_inbox",
        python_callable=ingest_inbox,
        pool=DB_POOL,
        outlets=[RECORDS_ALIAS],
        # first in the queue: evaluations should see the records that have arrived
        priority_weight=100,
        weight_rule="absolute",
    )
