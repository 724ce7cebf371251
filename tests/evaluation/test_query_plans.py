"""What the database does with a run's statement: one month reads one month.

The count rule puts the run's dates on the record table so that a month's run reads that
month through the date index, not every record stored over ten years. SQLite would rather
read the table in its (enterprise, record) key order to save the sort that feeds its ordered
``group_concat``; the statement sorts by an expression so that it cannot.
"""

from __future__ import annotations

import pytest
from evalkit import at
from sqlalchemy import event
from sqlalchemy.orm import Session

from safegov.evaluation.engine import periods_for, tune_transaction
from safegov.evaluation.rules import RuleRun, rule_for


def _plan(engine, register, obligation_id: str, month: str) -> list[str]:
    ob = register.get(obligation_id)
    periods = periods_for(ob, month, month)

    def explain(conn, cursor, statement, parameters, context, executemany):
        return "EXPLAIN QUERY PLAN " + statement, parameters

    with Session(engine) as s, s.begin():
        tune_transaction(s.connection())
        plan = rule_for(ob).plan(RuleRun(s, ob, periods, at("2026-12-31 23:00"), None, None))
        event.listen(engine, "before_cursor_execute", explain, retval=True)
        try:
            return [row[-1] for row in s.execute(plan.statement, plan.params)]
        finally:
            event.remove(engine, "before_cursor_execute", explain)


# SQLite's statistics (sqlite_stat1) of a province ten years in: 25,000 enterprises, 2.95 M
# self-inspections over 3,620 days, a million quarterly risk assessments. The planner weighs
# a run's statement by these, as it would on the region's database after ANALYZE.
PROVINCE_STATISTICS = [
    ("enterprise", "sqlite_autoindex_enterprise_1", "25000 1"),
    ("enterprise", "ix_enterprise_county_code", "25000 243"),
    ("hazard_inspection", "sqlite_autoindex_hazard_inspection_1", "2950000 118 1"),
    ("hazard_inspection", "ix_hazard_inspection_eval", "2950000 815 1"),
    ("risk_assessment", "sqlite_autoindex_risk_assessment_1", "1000000 40 1"),
    ("risk_assessment", "ix_risk_assessment_eval", "1000000 276 1"),
]


def _province_statistics(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # creates sqlite_stat1
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        for row in PROVINCE_STATISTICS:
            conn.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", row)
    engine.dispose()  # connections read the statistics when they open


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "obligation_id, table, index",
    [
        ("ENT-HAZARD-SELFCHECK", "hazard_inspection", "ix_hazard_inspection_eval"),
        ("ENT-RISK-ASSESS", "risk_assessment", "ix_risk_assessment_eval"),
    ],
)
def test_a_months_run_reads_the_month_by_the_date_index(build, register, engine, obligation_id, table, index):
    build.enterprise()
    _province_statistics(engine)
    steps = [step for step in _plan(engine, register, obligation_id, "2026-11") if f" {table} " in f"{step} "]
    assert steps, f"the plan does not read {table}"
    assert all(index in step and step.startswith("SEARCH") for step in steps), steps
