"""Periodic evaluation — one DAG per cadence, generated from the obligation register.

`safegov_monthly`, `safegov_quarterly`, `safegov_half_yearly`, `safegov_yearly`: one run per
period (Asia/Shanghai), created when the period's grace has ended (GraceTimetable: the
largest `grace_working_days` among the cadence's obligations, PRC working days with 调休).
One task per obligation of the cadence (task id = obligation id in lower case) calls
`safegov.evaluation.engine.evaluate_period` for the run's period; the last task announces
`safegov://evaluations` with the period's month range, which triggers `safegov_escalation`.

- The period comes from the run's data interval, never from the clock.
- Runs created by `airflow backfill create` are *historical*: same verdicts and cases, no email.
- `catchup=False`: history is re-evaluated with `airflow backfill create --dag-id
  safegov_monthly --from-date 2017-02-01T00:00:00+08:00 --to-date …` (see README).
- Change an obligation in `config/obligations.yaml`; the DAGs follow on the next parse.
"""

from __future__ import annotations

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from safegov.airflow.pools import DB_POOL
from safegov.airflow.tasks import (
    DEFAULT_ARGS,
    EVALUATIONS,
    START_DATE,
    announce_evaluations,
    evaluate_obligation,
    now,
    register,
)
from safegov.airflow.timetable import GraceTimetable, with_schedule_notice
from safegov.core.periods import PERIODIC

_TITLE = {"monthly": "每月", "quarterly": "每季度", "half_yearly": "每半年", "yearly": "每年"}

for _cadence in PERIODIC:
    _obligations = register().by_cadence(_cadence)
    if not _obligations:
        continue
    _grace = max(ob.grace_working_days for ob in _obligations)
    _table = "\n".join(
        f"| `{ob.id}` | 〔{'〕〔'.join(ob.article)}〕 | {ob.title} | {ob.quota} | {ob.grace_working_days} |"
        for ob in _obligations
    )
    _doc = (
        f"{__doc__}\n\n## {_cadence.value} obligations ({_TITLE[_cadence.value]})\n\n"
        "| id | article | title | quota | grace (working days) |\n|---|---|---|---|---|\n" + _table
    )
    _timetable = GraceTimetable(_cadence, _grace)
    # a next run that cannot be computed (holiday calendar not entered) says why in the UI
    _description, _doc = with_schedule_notice(
        _timetable, f"Evaluate the {_cadence.value} obligations when each period's grace has ended", _doc, now()
    )
    with DAG(
        dag_id=f"safegov_{_cadence.value}",
        description=_description,
        doc_md=_doc,
        schedule=_timetable,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,  # periods in order: the ladder counts consecutive misses
        default_args=DEFAULT_ARGS,
        tags=["safegov", "evaluation", _cadence.value],
    ) as _dag:
        _evaluations = [
            PythonOperator(
                task_id=ob.id.lower(),
                python_callable=evaluate_obligation,
                op_kwargs={"obligation_id": ob.id, "cadence": _cadence.value, "grace_working_days": _grace},
                pool=DB_POOL,
                doc_md=f"{ob.title} — 〔{'〕〔'.join(ob.article)}〕",
            )
            for ob in _obligations
        ]
        _announce = PythonOperator(
            task_id="announce_evaluations",
            python_callable=announce_evaluations,
            op_kwargs={"cadence": _cadence.value},
            outlets=[EVALUATIONS],
        )
        _evaluations >> _announce
    globals()[_dag.dag_id] = _dag
