"""REPORTING-VIOLATION 〔十五〕: an accident reported late, under-graded or concealed."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, LEAGUE, cases, outbox, sh

from safegov.accountability.escalation import escalate

AS_OF = dt.datetime(2025, 1, 10, 12, tzinfo=sh(2025, 1, 1).tzinfo)


@pytest.mark.parametrize(
    "delay, declared, concealed, violations",
    [
        (dt.timedelta(hours=1), "general", False, None),  # exactly 1 h is on time
        (dt.timedelta(hours=1, minutes=1), "general", False, ["late"]),
        (dt.timedelta(hours=1, seconds=1), "general", False, ["late"]),
        (dt.timedelta(minutes=5), None, False, ["grade_not_declared"]),  # the report must state a grade
        (dt.timedelta(hours=2), None, True, ["late", "grade_not_declared", "concealed"]),
        (dt.timedelta(minutes=5), "general", True, ["concealed"]),
    ],
)
def test_reporting_violation_general_accident(world, register, engine, delay, declared, concealed, violations):
    occurred = sh(2024, 3, 5, 10)
    world.accident("A1", occurred=occurred, reported=occurred + delay, declared=declared, concealed=concealed)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert [c.details["violations"] for c in got] == ([violations] if violations else [])
    if got:
        assert (got[0].kind, got[0].state, got[0].period, got[0].deciding_unit) == (
            "reporting_violation",
            "open",
            "A1",
            COUNTY,  # a 一般 accident: decided by the county (分级管理)
        )


@pytest.mark.parametrize("declared, under", [("general", True), ("larger", False), ("major", False)])
def test_under_graded_report(world, register, engine, declared, under):
    world.accident("A1", deaths=3, declared=declared, enterprise_id=ENT)
    world.enterprise()
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert bool(got) is under
    if under:
        assert got[0].details["violations"] == ["under_graded"]
        assert (got[0].subject_kind, got[0].subject_id) == ("enterprise", ENT)


def test_reporting_violation_notice_goes_to_the_offices(world, register, engine):
    world.accident("A1", occurred=sh(2025, 1, 5, 10), reported=sh(2025, 1, 5, 12))
    escalate(engine, register, "2025-01", "2025-01", as_of=AS_OF)
    rows = outbox(engine, template="case_reporting_violation")
    assert sorted(r.recipient for r in rows) == [f"office:{COUNTY}"]  # reporting and deciding office at once
    assert {r.state for r in rows} == {"pending"}


def test_a_larger_accident_notice_goes_to_the_county_and_the_deciding_league(world, register, engine):
    world.accident("A1", occurred=sh(2025, 1, 5, 10), reported=sh(2025, 1, 5, 12), deaths=3)
    escalate(engine, register, "2025-01", "2025-01", as_of=AS_OF)
    rows = outbox(engine, template="case_reporting_violation")
    assert sorted(r.recipient for r in rows) == [f"office:{LEAGUE}", f"office:{COUNTY}"]


@pytest.mark.parametrize(
    "unit, deaths, serious, loss, level, deciding",
    [
        (COUNTY, 0, 0, 0.0, "county", COUNTY),  # 一般
        (COUNTY, 2, 9, 999.9, "county", COUNTY),  # just below 较大 on every figure
        (COUNTY, 3, 0, 0.0, "league", LEAGUE),  # 较大 at its bound
        (COUNTY, 0, 10, 0.0, "league", LEAGUE),
        (COUNTY, 9, 49, 4999.0, "league", LEAGUE),  # just below 重大
        (COUNTY, 10, 0, 0.0, "region", "150000"),  # 重大
        (COUNTY, 0, 0, 5000.0, "region", "150000"),
        (COUNTY, 30, 0, 0.0, "region", "150000"),  # 特别重大
        (LEAGUE, 0, 0, 0.0, "county", LEAGUE),  # a league's own accident: no county above it to decide
    ],
)
def test_deciding_level_follows_the_grade(world, register, engine, unit, deaths, serious, loss, level, deciding):
    world.accident("A1", unit=unit, deaths=deaths, serious=serious, loss=loss, concealed=True)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    (got,) = cases(engine, rule_id="REPORTING-VIOLATION")
    assert (got.deciding_unit, got.details["deciding_level"], got.unit_code) == (deciding, level, unit)


def test_deciding_level_is_register_data(world, engine):
    from safegov.register.obligations import load_register

    reg = load_register()
    rule = next(e for e in reg.accountability_rules if e.id == "REPORTING-VIOLATION")
    levels = dict(rule.params.deciding_level, general="league")
    changed = reg.model_copy(
        update={
            "accountability_rules": tuple(
                e.model_copy(update={"params": e.params.model_copy(update={"deciding_level": levels})})
                if e.id == rule.id
                else e
                for e in reg.accountability_rules
            )
        }
    )
    world.accident("A1", concealed=True)
    escalate(engine, changed, "2024-03", "2024-03", as_of=AS_OF)
    assert [c.deciding_unit for c in cases(engine, rule_id="REPORTING-VIOLATION")] == [LEAGUE]


def test_a_deciding_level_table_missing_a_grade_fails_naming_it():
    from pydantic import ValidationError

    from safegov.register.obligations import ReportingViolationParams

    with pytest.raises(ValidationError, match="especially_major"):
        ReportingViolationParams(
            deadline_of="ACCIDENT-REPORT-TIMELY",
            deciding_level={"general": "county", "larger": "league", "major": "region"},
        )


HEADER = (
    "accident_id,unit_code,occurred_at,reported_at,deaths,serious_injuries,direct_loss_10k_cny,"
    "declared_grade,description"
)


def _submit(engine, tmp_path, name, deaths, declared, received):
    """One version of accident A1 (occurred 2024-03-05 10:00, reported 10:30) through ingestion."""
    from safegov.intake.pipeline import ingest_paths

    path = tmp_path / f"accident_{name}.csv"
    path.write_text(
        f"{HEADER}\nA1,{COUNTY},2024-03-05 10:00,2024-03-05 10:30,{deaths},0,10,{declared},煤仓坍塌\n",
        encoding="utf-8",
    )
    report = ingest_paths(engine, [path], received_at=received, docs_dir=None, now=received)
    assert report.files[0].accepted == 1


@pytest.mark.parametrize(
    "versions, violations",
    [
        # Truthful at the report (2 deaths, 一般); the 补报 of a third death (art. 13) is no 谎报.
        ([(2, sh(2024, 3, 5, 10, 40)), (3, sh(2024, 3, 15, 9))], None),
        # Three deaths when the report was made, declared 一般: 谎报 (低报等级).
        ([(3, sh(2024, 3, 5, 10, 40))], ["under_graded"]),
        ([(3, sh(2024, 3, 5, 10, 40)), (4, sh(2024, 3, 15, 9))], ["under_graded"]),
        # Received at the very minute of the report: that version was current then.
        ([(2, sh(2024, 3, 5, 10, 30)), (3, sh(2024, 3, 5, 10, 31))], None),
        ([(2, sh(2024, 3, 5, 10, 40)), (3, sh(2024, 3, 15, 9)), (4, sh(2024, 4, 2, 9))], None),
    ],
)
def test_under_grading_is_judged_on_the_figures_at_the_report(world, register, engine, tmp_path, versions, violations):
    for i, (deaths, received) in enumerate(versions):
        _submit(engine, tmp_path, f"v{i}", deaths, "general", received)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert [c.details["violations"] for c in got] == ([violations] if violations else [])
    # The other accident rules judge the accident by its figures now (a 较大 accident at the end).
    final = versions[-1][0]
    assert bool(cases(engine, rule_id="DUAL-INTERVIEW-COUNTY")) is (3 <= final < 10)
    if got:
        assert got[0].details["reported_grade"] == "larger"


@pytest.mark.parametrize(
    "known_after, reported_after, violations",
    [
        # Decree 493 art. 9: 90 minutes after the accident, 30 after the principal learned of it.
        (dt.timedelta(hours=1), dt.timedelta(minutes=90), None),
        (dt.timedelta(hours=1), dt.timedelta(hours=2), None),  # exactly one hour after it was known
        (dt.timedelta(hours=1), dt.timedelta(hours=2, seconds=1), ["late"]),
        (None, dt.timedelta(minutes=90), ["late"]),  # blank known_at: the clock starts when it occurred
    ],
)
def test_reporting_clock_starts_when_the_principal_knew(
    world, register, engine, known_after, reported_after, violations
):
    occurred = sh(2024, 3, 5, 10)
    known = occurred + known_after if known_after else None
    world.accident("A1", occurred=occurred, known=known, reported=occurred + reported_after, declared="general")
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert [c.details["violations"] for c in got] == ([violations] if violations else [])
    if got:
        assert got[0].details["known_at"] == (known.isoformat() if known else None)
