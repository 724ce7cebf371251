"""What the database does with a run's statement: one month reads one month, ten years
read the table once in key order.

The count rule puts the run's dates on the record table so that a month's run reads that
month through the date index, not every record stored over ten years. SQLite would rather
read the table in its (enterprise, record) key order to save the sort that feeds its ordered
``group_concat``: right for a run of years, so only a shorter run sorts by an expression
that the key order cannot give.
"""

from __future__ import annotations

import pytest
from evalkit import at
from sqlalchemy import event
from sqlalchemy.orm import Session

from safegov.evaluation.engine import periods_for, tune_transaction
from safegov.evaluation.rules import RuleRun, rule_for


def _plan(engine, register, obligation_id: str, first: str, last: str) -> list[str]:
    ob = register.get(obligation_id)
    periods = periods_for(ob, first, last)

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
    steps = [
        step for step in _plan(engine, register, obligation_id, "2026-11", "2026-11") if f" {table} " in f"{step} "
    ]
    assert steps, f"the plan does not read {table}"
    assert all(index in step and step.startswith("SEARCH") for step in steps), steps


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_run_of_years_reads_the_records_in_key_order_without_a_sort(build, register, engine):
    """Ten years hold nearly every record: read in the (enterprise, record) key order that the
    grouping wants, rather than found by date and sorted (2.3× as long at 25,000 enterprises)."""
    build.enterprise()
    _province_statistics(engine)
    steps = _plan(engine, register, "ENT-HAZARD-SELFCHECK", "2017-02", "2026-12")
    reads = [step for step in steps if " hazard_inspection " in f"{step} "]
    assert reads == ["SCAN hazard_inspection USING INDEX sqlite_autoindex_hazard_inspection_1"], steps


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_large_write_vacuums_and_analyzes_evaluation(build, register, engine, monkeypatch):
    """Autovacuum analyzes only once a tenth of the table changed: after many verdicts the
    engine vacuums and analyzes evaluation itself, so that the next run of those periods is
    planned on what is there (pg_class.reltuples: -1 until the table was first analyzed) and
    the heatmap reads the new rows from its index alone. (Whether the vacuum marks the pages
    visible to all depends on the oldest transaction on the server, so the statement is
    what is checked.)"""
    from sqlalchemy import event, text

    from safegov.evaluation import engine as evaluate

    def estimated_rows() -> float:
        with engine.connect() as conn:
            return conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'evaluation'::regclass")).scalar()

    maintenance: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(("VACUUM", "ANALYZE evaluation")):
            maintenance.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        build.enterprise()
        monkeypatch.setattr(evaluate, "REFRESH_STATISTICS_AFTER", 10**9)
        evaluate.evaluate_range(engine, register, "2024-01", "2024-03", as_of=at("2024-06-01 00:00"))
        assert estimated_rows() == -1
        assert maintenance == []
        monkeypatch.setattr(evaluate, "REFRESH_STATISTICS_AFTER", 3)
        evaluate.evaluate_range(engine, register, "2024-04", "2024-06", as_of=at("2024-09-01 00:00"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert estimated_rows() > 0  # analyzed after an obligation's large write
    assert maintenance and set(maintenance) == {"VACUUM (ANALYZE) evaluation"}  # and vacuumed


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_an_evaluation_transaction_gets_room_to_work(engine):
    """SQLite keeps up to 1 GiB of pages on an evaluating connection (2 MiB by default: ten
    years of a province's verdicts evict and re-read index pages); PostgreSQL gives sorts
    and hashes 64 MB and compiles nothing, for this transaction only."""
    from safegov.db.engine import BULK_PAGE_CACHE_KIB

    with engine.begin() as conn:
        tune_transaction(conn)
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -BULK_PAGE_CACHE_KIB
        else:
            assert (conn.exec_driver_sql("SHOW work_mem").scalar(), conn.exec_driver_sql("SHOW jit").scalar()) == (
                "64MB",
                "off",
            )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW work_mem").scalar() != "64MB"
