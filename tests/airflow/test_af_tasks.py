"""Task plumbing: periods from the run's data interval, flags, asset-event parsing."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pendulum
import pytest

from safegov.airflow import tasks as at
from safegov.airflow.context import is_historical, period_from_context
from safegov.airflow.tasks import (
    approval_body,
    evaluation_ranges_of,
    file_ids_of,
    range_of_touched,
    triggering_events,
)
from safegov.core.periods import TZ

UTC = dt.UTC


@pytest.mark.parametrize(
    ("start", "cadence", "key"),
    [
        # Airflow hands the interval in UTC: 16:00Z the day before is 00:00+08:00.
        (dt.datetime(2024, 2, 29, 16, tzinfo=UTC), "monthly", "2024-03"),
        (dt.datetime(2024, 3, 31, 15, 30, tzinfo=UTC), "monthly", "2024-03"),  # 23:30 local, still March
        (dt.datetime(2024, 3, 31, 16, tzinfo=UTC), "monthly", "2024-04"),
        (dt.datetime(2023, 12, 31, 16, tzinfo=UTC), "quarterly", "2024-Q1"),
        (dt.datetime(2024, 6, 30, 16, tzinfo=UTC), "half_yearly", "2024-H2"),
        (dt.datetime(2023, 12, 31, 16, tzinfo=UTC), "yearly", "2024"),
        (pendulum.datetime(2024, 3, 1, tz="Asia/Shanghai"), "monthly", "2024-03"),
    ],
)
def test_period_comes_from_the_data_interval_in_shanghai(start, cadence, key):
    assert period_from_context({"data_interval_start": start}, cadence).key == key


def test_a_run_without_data_interval_is_refused():
    with pytest.raises(ValueError, match="data interval"):
        period_from_context({"data_interval_start": None}, "monthly")


@pytest.mark.parametrize(
    ("run_type", "historical"),
    [("backfill", True), ("scheduled", False), ("manual", False), ("asset_triggered", False)],
)
def test_historical_means_backfill(run_type, historical):
    from airflow.utils.types import DagRunType

    enum = DagRunType(run_type)
    assert is_historical({"dag_run": SimpleNamespace(run_type=enum)}) is historical
    assert is_historical({"dag_run": SimpleNamespace(run_type=run_type)}) is historical


def test_as_of_is_the_grace_end_but_never_in_the_future(monkeypatch):
    from safegov.core.periods import parse_period

    monkeypatch.setenv("SAFEGOV_NOW", "2024-04-20T12:00:00+08:00")
    assert at.as_of_for(parse_period("2024-03"), 5) == dt.datetime(
        2024, 4, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    # a backfill of a period whose grace still runs stays pending: as_of is the present
    monkeypatch.setenv("SAFEGOV_NOW", "2024-04-03T12:00:00+08:00")
    assert at.as_of_for(parse_period("2024-03"), 5) == dt.datetime(
        2024, 4, 3, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )


def _event(uri, **extra):
    return SimpleNamespace(asset=SimpleNamespace(uri=uri), extra=extra)


def test_triggering_events_are_read_once_even_through_aliases():
    from airflow.sdk import Asset, AssetAlias

    e1 = _event("safegov://records/meeting", file_ids=[3, 1])
    e2 = _event("safegov://records/accident", file_ids=[2])
    accessor = {
        Asset("safegov://records/meeting"): [e1],
        Asset("safegov://records/accident"): [e2],
        AssetAlias("safegov-records"): [e1, e2],
    }
    events = triggering_events({"triggering_asset_events": accessor})
    assert events == [e1, e2]
    assert file_ids_of(events) == [1, 2, 3]
    assert file_ids_of([_event("x"), _event("y", file_ids=None)]) == []


def test_evaluation_ranges_unite_live_and_historical_events_apart():
    events = [
        _event("safegov://evaluations", **{"from": "2024-04", "to": "2024-06", "historical": True}),
        _event("safegov://evaluations", **{"from": "2024-01", "to": "2024-03", "historical": True}),
    ]
    assert evaluation_ranges_of(events) == [("2024-01", "2024-06", True)]
    # A live run in the same batch is escalated as live, first; the history stays history.
    events.append(_event("safegov://evaluations", **{"from": "2024-08", "to": "2024-08", "historical": False}))
    events.append(_event("safegov://evaluations", **{"from": "2024-02", "to": "2024-02", "historical": False}))
    assert evaluation_ranges_of(events) == [("2024-02", "2024-08", False), ("2024-01", "2024-06", True)]
    assert evaluation_ranges_of([_event("safegov://evaluations")]) == []


def test_range_of_touched_rows():
    touched = [{"record_date": dt.date(2024, 3, 31)}, {"record_date": "2024-01-05"}, {"record_date": None}]
    assert range_of_touched(touched) == ("2024-01", "2024-03")
    assert range_of_touched([{"record_date": None}]) is None


def test_approval_body_lists_every_case_in_words():
    from safegov.notification.wording import Names

    names = Names(
        units={"150121": "土默特左旗", "150622": "准格尔旗"},
        leaders={"L1": "张三", "L2": "李四"},
        rules={"SC-MEET-LOCAL": "安委会定期会议", "DUAL-INTERVIEW-COUNTY": "较大事故双约谈"},
    )
    body = approval_body(
        [
            {
                "case_id": 7,
                "kind": "interview",
                "rule_id": "SC-MEET-LOCAL",
                "subject_kind": "unit",
                "subject_id": "150121",
                "persons": ["L1", "L2"],
                "period": "2026-06",
                "opened_on": "2026-07-09",
            },
            {
                "case_id": 9,
                "kind": "dual_interview",
                "rule_id": "DUAL-INTERVIEW-COUNTY",
                "subject_kind": "unit",
                "subject_id": "150622",
                "persons": [],
                "period": "A1",
                "accident_id": "A1",
                "opened_on": "2026-03-13",
            },
        ],
        names,
    )
    assert "| 7 | 约谈 | 安委会定期会议（SC-MEET-LOCAL） | 土默特左旗 | 张三、李四 | 2026年6月 | 2026年7月9日 |" in body
    # An accident's case: the accident under 期间/事项, not a bare id.
    assert (
        "| 9 | 双约谈 | 较大事故双约谈（DUAL-INTERVIEW-COUNTY） | 准格尔旗 | — | 生产安全事故 A1 | 2026年3月13日 |"
        in body
    )
    assert body.startswith("**2件问责案件待审批。**")
    assert approval_body([]) == "没有待审批的案件。"


def test_decision_applies_the_chosen_option(monkeypatch):
    calls = []

    def fake_decide(engine, case_ids, *, approve, decided_by, reason=None, at):
        calls.append((list(case_ids), approve, decided_by, reason, at))
        return len(case_ids)

    import safegov.accountability.cases

    monkeypatch.setattr(safegov.accountability.cases, "decide_cases", fake_decide)
    monkeypatch.setattr(at, "engine", lambda: None)
    when = dt.datetime(2026, 7, 10, 1, tzinfo=UTC)
    out = at.decide_task([3, 4], ["批准"], {"reason": ""}, {"id": "u1", "name": "office-150000"}, when, {})
    assert out == {"approved": [3, 4], "changed": 2, "decided_by": "office-150000"}
    # A form asked before the options were Chinese is still answered as asked.
    assert at.decide_task([6], ["Approve"], {"reason": ""}, {"id": "u1", "name": "o"}, when, {})["approved"] == [6]
    out = at.decide_task([5], ["驳回"], {"reason": None}, {"id": "u1", "name": ""}, when, {})
    assert calls[-1][1] is False and calls[-1][2] == "u1"
    assert "在 Airflow 审批表单中驳回" in calls[-1][3]  # a rejection always has a reason
    assert calls[-1][4] == when.astimezone(TZ)


def _escalation_module():
    import importlib.util

    from afhelpers import DAGS

    spec = importlib.util.spec_from_file_location("safegov_escalation_dag", DAGS / "safegov_escalation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_approval_form_is_skipped_when_nothing_awaits():
    from airflow.sdk.exceptions import AirflowSkipException

    module = _escalation_module()
    op = module.dag.get_task("approve_cases")
    ti = SimpleNamespace(xcom_pull=lambda task_ids: {"case_ids": [], "approval_body": "没有待审批的案件。"})
    with pytest.raises(AirflowSkipException):
        op.execute({"ti": ti})


def test_the_office_answer_decides_the_listed_cases(monkeypatch):
    module = _escalation_module()
    op = module.dag.get_task("approve_cases")
    assert op.options == ["批准", "驳回"] and not op.multiple
    assert op.subject == "问责案件待审批" and "驳回时必填" in op.params.get_param("reason").description
    seen = {}

    def fake_decide(case_ids, chosen, params_input, responded_by, responded_at, context):
        seen.update(case_ids=case_ids, chosen=chosen, params=params_input, by=responded_by)
        return {"changed": len(case_ids)}

    monkeypatch.setattr(module, "decide_task", fake_decide)
    ti = SimpleNamespace(xcom_pull=lambda task_ids: {"case_ids": [11, 12]})
    when = dt.datetime(2026, 7, 10, 2, tzinfo=UTC)
    event = {
        "chosen_options": ["驳回"],
        "params_input": {"reason": "duplicate of case 9"},
        "responded_at": when,
        "responded_by_user": {"id": "7", "name": "office-150000"},
    }
    assert op.execute_complete({"ti": ti}, event) == {"changed": 2}
    assert seen == {
        "case_ids": [11, 12],
        "chosen": ["驳回"],
        "params": {"reason": "duplicate of case 9"},
        "by": {"id": "7", "name": "office-150000"},
    }


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(None, 180), ("5", 5), ("0", 0)],
)
def test_retry_delay_comes_from_the_settings(value, seconds):
    from safegov.core.settings import load_settings

    env = {} if value is None else {"SAFEGOV_TASK_RETRY_DELAY": value}
    assert load_settings(env).task_retry_delay_seconds == seconds


@pytest.mark.parametrize("value", ["x", "-1", "1.5"])
def test_a_bad_retry_delay_is_refused_at_load(value):
    from pydantic import ValidationError

    from safegov.core.settings import load_settings

    with pytest.raises(ValidationError, match="task_retry_delay_seconds"):
        load_settings({"SAFEGOV_TASK_RETRY_DELAY": value})


def test_dags_retry_after_the_configured_delay():
    assert at.DEFAULT_ARGS["retry_delay"] == dt.timedelta(seconds=at.get_settings().task_retry_delay_seconds)
    assert at.DEFAULT_ARGS["retries"] >= 1


def test_approvers_are_the_deciding_units_users_and_their_superiors(tmp_path, monkeypatch):
    """The approval form is assigned to the users mapped to its deciding units or to an office
    above them; a unit with nobody mapped up its chain, or a case without one, is refused by name."""
    from safegov.core.errors import SafegovError

    path = tmp_path / "dashboard_users.yaml"
    path.write_text(
        'users:\n  region_office: "150000"\n  admin: "150000"\n  hohhot_office: "150100"\n'
        '  xincheng_office: "150102"\n  baotou_office: "150200"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SAFEGOV_DASHBOARD_USERS", str(path))
    ids = lambda units: [u["id"] for u in at.approvers(units)]  # noqa: E731
    assert at.approvers(["150000"]) == [
        {"id": "admin", "name": "admin"},
        {"id": "region_office", "name": "region_office"},
    ]
    assert ids(["150100", "150000", "150100"]) == ["admin", "hohhot_office", "region_office"]
    assert ids(["150102"]) == ["admin", "hohhot_office", "region_office", "xincheng_office"]
    assert ids(["150300"]) == ["admin", "region_office"]  # 乌海市: nobody mapped, the region decides
    assert "baotou_office" not in ids(["150102"])  # never a sibling office
    path.write_text('users:\n  hohhot_office: "150100"\n', encoding="utf-8")
    with pytest.raises(SafegovError, match="决定单位 150200 及其上级.*都没有登记用户"):
        at.approvers(["150200"])
    with pytest.raises(SafegovError, match="未记录决定单位"):
        at.approvers([""])


def test_approval_timeout_fails_without_approving():
    """At expiry the form fails at once (no retry, no default option): nothing is approved."""
    import importlib.util

    from afhelpers import DAGS
    from airflow.sdk.exceptions import AirflowFailException

    spec = importlib.util.spec_from_file_location("safegov_escalation_dag", DAGS / "safegov_escalation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    approve = module.dag.get_task("approve_cases")
    assert approve.defaults is None and approve.response_timeout == at.APPROVAL_RESPONSE_TIMEOUT
    with pytest.raises(AirflowFailException, match="审批超时"):
        approve.process_trigger_event_error({"error_type": "timeout", "error": "passed"})


def _history_review_module():
    import importlib.util

    from afhelpers import DAGS

    spec = importlib.util.spec_from_file_location("safegov_history_review_dag", DAGS / "safegov_history_review.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_history_review_form_applies_the_answer_to_the_listed_cases(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    module = _history_review_module()
    op = module.dag.get_task("review_history")
    assert op.options == ["批准", "驳回"] and not op.multiple and op.defaults is None
    assert set(op.params) == {"case_ids", "reason"}  # the form's fields, not the DAG's period/office
    assert set(module.dag.params) == {"period", "office"}
    empty = SimpleNamespace(xcom_pull=lambda task_ids: {"period": "2024-03", "case_ids": []})
    with pytest.raises(AirflowSkipException, match="没有未复核的历史案件"):
        op.execute({"ti": empty})
    seen = {}

    def fake_review(listed, chosen, params_input, responded_by, responded_at, context):
        seen.update(listed=listed, chosen=chosen, params=params_input, by=responded_by)
        return {"changed": 1}

    monkeypatch.setattr(module, "review_history_task", fake_review)
    listed = {"period": "2024-03", "office": "150100", "case_ids": [21, 22]}
    ti = SimpleNamespace(xcom_pull=lambda task_ids: listed)
    event = {
        "chosen_options": ["批准"],
        "params_input": {"case_ids": "21", "reason": ""},
        "responded_at": dt.datetime(2026, 7, 10, 2, tzinfo=UTC),
        "responded_by_user": {"id": "7", "name": "league_office"},
    }
    assert op.execute_complete({"ti": ti}, event) == {"changed": 1}
    assert seen == {
        "listed": listed,
        "chosen": ["批准"],
        "params": {"case_ids": "21", "reason": ""},
        "by": {"id": "7", "name": "league_office"},
    }
    with pytest.raises(AirflowFailException, match="复核超时"):
        op.process_trigger_event_error({"error_type": "timeout", "error": "passed"})
