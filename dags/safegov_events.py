"""Event-driven evaluation and late data — triggered by the record assets.

`safegov_events` — scheduled on `safegov://records/{accident,accident_report,hazard,complaint,milestone,review}`
(any of them): evaluates the event obligations (hazard deadlines 〔四〕〔十八〕, accident
reports 〔十五〕, training reviews of liability accidents 〔十四〕, 12350 tickets 〔二十〕, the
one-off milestones) with
`safegov.evaluation.engine.evaluate_events`.

`safegov_late_data` — scheduled on every record asset: reads the submission file ids from
the triggering asset events, derives the touched rows from the raw rows' hint columns
(`safegov.intake.late.touched_for_files`) and re-evaluates exactly those
(`safegov.evaluation.engine.reevaluate_touched`). "Again whenever a record for a closed period
arrives" (SPEC §5).

Both announce `safegov://evaluations` with the touched month range when something was
touched, which triggers `safegov_escalation`.
"""

from __future__ import annotations

import functools
import operator

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from safegov.airflow.pools import DB_POOL
from safegov.airflow.tasks import (
    DEFAULT_ARGS,
    EVALUATIONS_ALIAS,
    EVENT_RECORD_TYPES,
    START_DATE,
    all_record_types,
    evaluate_events_task,
    record_asset,
    reevaluate_late_task,
)

with DAG(
    dag_id="safegov_events",
    description="Evaluate hazard, accident, ticket and milestone obligations when such records arrive",
    doc_md=__doc__,
    schedule=functools.reduce(operator.or_, [record_asset(t) for t in EVENT_RECORD_TYPES]),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["safegov", "evaluation", "events"],
) as events_dag:
    PythonOperator(
        task_id="evaluate_events", python_callable=evaluate_events_task, outlets=[EVALUATIONS_ALIAS], pool=DB_POOL
    )

with DAG(
    dag_id="safegov_late_data",
    description="Re-evaluate exactly the rows touched by newly ingested files",
    doc_md=__doc__,
    schedule=functools.reduce(operator.or_, [record_asset(t) for t in all_record_types()]),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["safegov", "evaluation", "late-data"],
) as late_dag:
    PythonOperator(
        task_id="reevaluate_touched", python_callable=reevaluate_late_task, outlets=[EVALUATIONS_ALIAS], pool=DB_POOL
    )
