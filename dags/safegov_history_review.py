"""History review — an office reviews a month of backfilled cases in bulk (#15 item 5).

Cases that name a person (约谈, 诫勉谈话, 双约谈) opened by a historical (backfill) run are stored
`unreviewed`: nobody decided them, and the veto report does not count them. Trigger this DAG
by hand with the month (`period`, YYYY-MM) and the reviewing office (`office`, a unit code;
default the region):

1. `list_unreviewed` — `safegov.airflow.tasks.list_unreviewed_task`: the month's unreviewed
   cases decided by that office or one under it, listed by name (unit, persons, reason).
2. `review_history` — Airflow's human-in-the-loop form (Required actions in the UI), assigned
   to the office's users (config/dashboard_users.yaml): **Approve** or **Reject** all the
   listed cases, or only the ids entered in `case_ids`; the Airflow user who answers is
   recorded as the decider (`decided_by`, the case events, the audit chain). Approving
   sends nothing: the events are past. Skipped when nothing is listed.

The same as `safegov cases approve|reject [ID…] --historical --period YYYY-MM --by NAME`.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Param

from safegov.airflow.forms import ListedCasesForm
from safegov.airflow.tasks import (
    APPROVAL_RESPONSE_TIMEOUT,
    DEFAULT_ARGS,
    START_DATE,
    list_unreviewed_task,
    review_history_task,
)


class HistoryReviewOperator(ListedCasesForm):
    """Approve or reject, in the Airflow UI, the unreviewed historical cases the upstream task listed."""

    body_key = "review_body"
    skip_message = "没有未复核的历史案件"
    timeout_message = (
        f"复核超时：{APPROVAL_RESPONSE_TIMEOUT.days} 天内无人作答；案件仍为未复核，可重新触发本流程"
        "或以 safegov cases approve|reject --historical 处理"
    )

    def __init__(self, *, cases_task_id: str, **kwargs: Any) -> None:
        super().__init__(
            cases_task_id=cases_task_id,
            subject="历史案件批量复核",
            form_params={
                "case_ids": Param(
                    "", type=["string", "null"], description="案件编号，以逗号分隔；留空即处理所列全部案件"
                ),
                "reason": Param("", type=["string", "null"], description="理由（驳回时必填）"),
            },
            **kwargs,
        )

    def offices(self, listed: dict) -> list[str]:
        # the reviewing office's users, or those of an office above it
        return [listed["office"]]

    def answer(self, listed: dict, chosen, params_input, responded_by, responded_at, context) -> Any:
        return review_history_task(listed, chosen, params_input, responded_by, responded_at, context)


with DAG(
    dag_id="safegov_history_review",
    description="An office reviews a month of backfilled (unreviewed) cases in bulk",
    doc_md=__doc__,
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    params={
        "period": Param(type="string", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="月份 YYYY-MM"),
        "office": Param("150000", type="string", pattern=r"^\d{6}$", description="复核单位代码（默认自治区）"),
    },
    default_args=DEFAULT_ARGS,
    tags=["safegov", "escalation", "approval"],
) as dag:
    # a light read of one month's cases: the default pool, not the heavy writers' safegov_db
    listed = PythonOperator(task_id="list_unreviewed", python_callable=list_unreviewed_task)
    review = HistoryReviewOperator(task_id="review_history", cases_task_id="list_unreviewed")
    listed >> review
