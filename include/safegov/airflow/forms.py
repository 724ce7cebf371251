"""Approval forms: Airflow human-in-the-loop tasks over the cases an upstream task listed.

One shape for the escalation's approval form (``safegov_escalation.approve_cases``) and the
history review (``safegov_history_review.review_history``): **批准** or **驳回** (an old
**Approve** answer still counts), no default option; skipped when the upstream task listed
nothing; assigned to the users of the offices that decide (``safegov.airflow.tasks.approvers``);
at expiry the task fails (the operators are alerted) and nothing is decided by the clock. A subclass says which offices,
what the body is, what the timeout says, and how the answer is applied (``answer``).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from safegov.airflow.tasks import APPROVAL_RESPONSE_TIMEOUT, APPROVE, REJECT, approvers


class ListedCasesForm(HITLOperator):
    """Approve or reject, in the Airflow UI, what the task ``cases_task_id`` listed (its XCom:
    ``case_ids`` and the body under ``body_key``)."""

    APPROVE, REJECT = APPROVE, REJECT
    body_key = "approval_body"
    skip_message = "no case awaits approval"
    timeout_message = "approval form expired"

    def __init__(self, *, cases_task_id: str, subject: str, form_params: dict[str, Any], **kwargs: Any) -> None:
        # A DAG's own params reach every operator; the form shows only its own fields.
        kwargs.pop("params", None)
        super().__init__(
            subject=subject,
            options=[self.APPROVE, self.REJECT],
            multiple=False,
            params=form_params,
            # no `defaults`: at expiry nothing is chosen for the office (process_trigger_event_error)
            response_timeout=APPROVAL_RESPONSE_TIMEOUT,
            **kwargs,
        )
        self.cases_task_id = cases_task_id

    def _listed(self, context) -> dict:
        return context["ti"].xcom_pull(task_ids=self.cases_task_id) or {}

    def offices(self, listed: dict) -> list[str]:
        """The units whose users (and their superiors') may answer."""
        raise NotImplementedError

    def answer(self, listed: dict, chosen, params_input, responded_by, responded_at, context) -> Any:
        """Apply the office's answer (the options chosen, the form's fields, who answered and
        when) to the listed cases."""
        raise NotImplementedError

    def execute(self, context):
        listed = self._listed(context)
        if not listed.get("case_ids"):
            raise AirflowSkipException(self.skip_message)
        self.body = listed.get(self.body_key)
        self.assigned_users = approvers(self.offices(listed))
        return super().execute(context)

    def process_trigger_event_error(self, event: dict[str, Any]) -> None:
        if event.get("error_type") == "timeout":
            # Escalate, never decide: fail at once (no retry would re-ask the same office);
            # the failure alerts the operators and the cases stay as they were.
            raise AirflowFailException(self.timeout_message)
        super().process_trigger_event_error(event)

    def execute_complete(self, context, event: dict[str, Any]) -> Any:
        r = super().execute_complete(context, event)
        return self.answer(
            self._listed(context),
            r["chosen_options"],
            r.get("params_input"),
            r.get("responded_by_user"),
            r.get("responded_at"),
            context,
        )
