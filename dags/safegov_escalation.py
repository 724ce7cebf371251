"""Escalation — the ladder, accident, hazard and blacklist rules, with the office's approval.

Scheduled on the asset `safegov://evaluations` (announced by the periodic, event and late-data
DAGs with the month range they decided):

1. `escalate` — `safegov.accountability.escalation.escalate` over the union of the announced ranges (notices,
   interviews 约谈, admonishments 诫勉谈话, dual interviews 双约谈, blacklist 〔十九〕), then lists
   the cases this run opened that await approval.
2. `approve_cases` — Airflow's human-in-the-loop form (Required actions in the UI): the
   deciding office chooses **批准** (approve) or **驳回** (reject, with a reason) for the listed cases;
   the answer is applied with `decide_cases`. Skipped when nothing awaits approval.
3. `deliver` — sends the outbox through SendGrid (`safegov.notification.outbox.deliver`); runs whether
   the approval was given, refused or skipped. Nothing is ever sent twice (outbox keys), and
   cases from backfilled (historical) periods send nothing.
4. `checkpoint_audit` — right after `escalate` (it does not wait for the approval): signs the
   audit chain's head with the key kept outside the compliance database and publishes it as
   the asset event `safegov://audit/checkpoint` (`safegov.db.checkpoint`).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Param

from safegov.airflow.forms import ListedCasesForm
from safegov.airflow.pools import DB_POOL, SENDGRID_POOL
from safegov.airflow.tasks import (
    APPROVAL_RESPONSE_TIMEOUT,
    AUDIT_CHECKPOINTS,
    DEFAULT_ARGS,
    EVALUATIONS,
    START_DATE,
    checkpoint_audit_task,
    decide_task,
    deliver_task,
    escalate_task,
)


class CaseApprovalOperator(ListedCasesForm):
    """Approve or reject, in the Airflow UI, the cases the upstream task listed."""

    skip_message = "no case awaits approval"
    timeout_message = (
        f"审批超时：决定单位在 {APPROVAL_RESPONSE_TIMEOUT.days} 天内未作决定；案件仍待审批（不会自动批准），"
        "请督促决定单位或以 safegov cases approve|reject 处理"
    )

    def __init__(self, *, cases_task_id: str, **kwargs: Any) -> None:
        super().__init__(
            cases_task_id=cases_task_id,
            subject="问责案件待审批",
            form_params={"reason": Param("", type=["string", "null"], description="理由（驳回时必填）")},
            **kwargs,
        )

    def offices(self, listed: dict) -> list[str]:
        # only the users of the deciding offices may answer (config/dashboard_users.yaml)
        return listed.get("deciding_units") or [""]

    def answer(self, listed: dict, chosen, params_input, responded_by, responded_at, context) -> Any:
        return decide_task(listed.get("case_ids") or [], chosen, params_input, responded_by, responded_at, context)


with DAG(
    dag_id="safegov_escalation",
    description="Escalate misses and accidents; the office approves cases that name a person",
    doc_md=__doc__,
    schedule=[EVALUATIONS],
    start_date=START_DATE,
    catchup=False,
    # An approval may wait days for the office; later runs must not wait behind it. Each run's
    # form lists only the cases that run opened, and the ladder itself runs one at a time.
    max_active_runs=8,
    default_args=DEFAULT_ARGS,
    tags=["safegov", "escalation", "approval"],
) as dag:
    escalate = PythonOperator(task_id="escalate", python_callable=escalate_task, max_active_tis_per_dag=1, pool=DB_POOL)
    approve = CaseApprovalOperator(task_id="approve_cases", cases_task_id="escalate")
    deliver = PythonOperator(
        task_id="deliver", python_callable=deliver_task, trigger_rule="none_failed", pool=SENDGRID_POOL
    )
    checkpoint = PythonOperator(
        task_id="checkpoint_audit",
        python_callable=checkpoint_audit_task,
        outlets=[AUDIT_CHECKPOINTS],
        trigger_rule="all_done",  # a failed step still leaves its links signed
    )
    escalate >> approve >> deliver
    escalate >> checkpoint
