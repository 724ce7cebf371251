"""The blacklist 〔十九〕 (MEM Order No. 11 of 2023): triggers, lifecycle, check."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, ENT2, cases, outbox, sh
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability import blacklist as bl
from safegov.accountability.cases import decide_cases, decide_historical
from safegov.accountability.escalation import escalate
from safegov.core.errors import SafegovError
from safegov.db.engine import session_scope
from safegov.db.models import BlacklistEntry, BlacklistEvent

ALL = list(bl.SCOPES)


# --------------------------------------------------------------------------- config


def test_shipped_config_is_valid():
    cfg = bl.load_config()
    assert cfg.objection_working_days == 5 and cfg.repair_after_months == 12 and cfg.expire_after_months == 36
    assert list(cfg.default_scopes) == ALL and len(ALL) == 11


@pytest.mark.parametrize(
    "text, message",
    [
        ("objection_working_days: -1\n", "key objection_working_days"),
        ("default_scopes: [bidding, golf]\n", "key default_scopes.1"),
        ("triggers: {accident_liability: {min_grade: general}}\n", "key triggers.accident_liability.min_grade"),
        ("triggers: {false_report: {scopes: [golf]}}\n", "key triggers.false_report.scopes.0"),
        ("triggers: {unknown: {}}\n", "key triggers.unknown"),
        ("repair_after_months: 48\n", "repair_after_months 48 is after"),
        ("[1, 2]\n", "expected a mapping"),
    ],
)
def test_bad_config_names_file_key_and_reason(tmp_path, text, message):
    p = tmp_path / "blacklist.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(bl.BlacklistConfigError, match=message) as exc:
        bl.load_config(p)
    assert str(p) in str(exc.value)


# --------------------------------------------------------------------------- grounds and the listing decision
# (each ground's table by date: tests/accountability/rules/test_blacklist_*.py)


def _approve(engine, case, by="县应急管理局 王五", at=None):
    decide_cases(engine, [case.id], approve=True, decided_by=by, at=at or sh(2024, 4, 2, 10))


@pytest.mark.parametrize(
    "kw, triggers",
    [
        ({"deaths": 3}, ["accident_liability"]),
        ({"deaths": 2}, []),
        ({"loss": 1000}, ["accident_liability"]),
        ({"deaths": 1, "concealed": True}, ["false_report"]),
        ({"deaths": 3, "declared": "general"}, ["accident_liability", "false_report"]),
        ({"deaths": 3, "enterprise_id": None}, []),  # no enterprise to list
    ],
)
def test_2017_rules_open_a_candidate_the_region_decides(world, register, engine, kw, triggers):
    world.enterprise()
    kw = {"enterprise_id": ENT, **kw}
    world.accident("A1", occurred=sh(2023, 3, 6, 10), **kw)
    escalate(engine, register, "2023-03", "2023-03", as_of=sh(2023, 3, 7, 10))
    with Session(engine) as s:
        got = s.scalars(select(BlacklistEntry).order_by(BlacklistEntry.trigger)).all()
        assert [e.trigger for e in got] == triggers
        for e in got:
            # A candidate, not notified: its listing waits for the region's decision.
            assert (e.state, e.candidate_on, e.notified_on, e.decided_by) == (
                "candidate",
                dt.date(2023, 3, 6),
                None,
                "150000",
            )
            assert e.scopes == ALL and e.legal_basis.endswith("@2017-05-09")
    got = cases(engine, kind="blacklist")
    assert [(c.rule_id, c.state, c.deciding_unit, c.subject_id, c.period) for c in got] == [
        (e_rule, "awaiting_approval", "150000", ENT, "A1")
        for e_rule in sorted(
            {"accident_liability": "BLACKLIST-ACCIDENT", "false_report": "BLACKLIST-FALSE-REPORT"}[t] for t in triggers
        )
    ]
    assert outbox(engine, template="blacklist_notified") == []


def test_order_11_listing_needs_the_penalty_and_its_authoritys_approval(world, register, engine):
    world.enterprise()
    world.accident("A1", enterprise_id=ENT, occurred=sh(2024, 3, 5, 10), deaths=3)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 3, 6, 10))
    with Session(engine) as s:
        assert s.scalars(select(BlacklistEntry)).all() == []  # a single 较大 accident: no ground
    world.accident("A2", enterprise_id=ENT, occurred=sh(2024, 9, 2, 10), deaths=4)
    escalate(engine, register, "2024-09", "2024-09", as_of=sh(2024, 9, 3, 10))
    with Session(engine) as s:
        e = s.scalars(select(BlacklistEntry)).one()
        assert (e.trigger_ref, e.state, e.ground, e.legal_basis, e.penalty_id, e.decided_by) == (
            "A2",
            "candidate",
            "BLACKLIST-ACCIDENT",
            "BLACKLIST-ACCIDENT@2023-10-01",
            None,
            None,
        )
    assert cases(engine, kind="blacklist") == []  # no penalty yet: nobody can decide
    # The penalty for the first accident carries the listing of the ground (both accidents).
    world.penalty("P1", "A1", decided_by=COUNTY, decided_on=dt.date(2024, 9, 20), document_ref="新应急罚〔2024〕7号")
    counts = escalate(engine, register, "2024-09", "2024-09", as_of=sh(2024, 9, 21, 10))
    assert counts["blacklist_cases"] == 1
    (case,) = cases(engine, kind="blacklist")
    assert (case.rule_id, case.state, case.deciding_unit, case.period, case.step) == (
        "BLACKLIST-ACCIDENT",
        "awaiting_approval",
        COUNTY,
        "A2",
        "listing",
    )
    assert case.details["document_ref"] == "新应急罚〔2024〕7号" and case.details["basis_ids"] == ["A1", "A2"]
    assert case.details["legal_basis"] == "BLACKLIST-ACCIDENT@2023-10-01"
    escalate(engine, register, "2024-09", "2024-09", as_of=sh(2024, 9, 25, 10))
    with Session(engine) as s:
        assert s.scalars(select(BlacklistEntry)).one().state == "candidate"  # waits for the decision
    _approve(engine, case, at=sh(2024, 9, 26, 15))
    counts = escalate(engine, register, "2024-09", "2024-09", as_of=sh(2024, 9, 27, 10))
    assert counts["blacklist_notified"] == 1
    with Session(engine) as s:
        e = s.scalars(select(BlacklistEntry)).one()
        assert (e.state, e.notified_on, e.penalty_id, e.decided_by, e.document_ref) == (
            "notified",
            dt.date(2024, 9, 26),
            "P1",
            COUNTY,
            "新应急罚〔2024〕7号",
        )
        ev = s.scalars(select(BlacklistEvent).where(BlacklistEvent.to_state == "notified")).one()
        assert "新应急罚〔2024〕7号" in ev.reason and ev.by == "县应急管理局 王五"
    assert [r.recipient for r in outbox(engine, template="blacklist_notified")] == [f"enterprise:{ENT}"]
    # The approval told the deciding office, not the enterprise (its notice is the 告知 above).
    assert {r.recipient for r in outbox(engine, template="case_blacklist")} == {f"office:{COUNTY}"}


def test_a_department_that_imposed_the_penalty_decides_through_its_units_office(world, register, engine):
    from safegov.db.models import Department

    with session_scope(engine) as s:
        s.add(
            Department(
                department_id="D-150102-01", unit_code=COUNTY, name="新城区应急管理局", industry=None, safety_duty=True
            )
        )
    world.enterprise()
    world.accident("A1", enterprise_id=ENT, occurred=sh(2024, 3, 5, 10), deaths=10)
    world.penalty("P1", "A1", decided_by="D-150102-01", decided_on=dt.date(2024, 3, 20))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 3, 21, 10))
    (case,) = cases(engine, kind="blacklist")
    assert (case.deciding_unit, case.details["decided_by"]) == (COUNTY, "D-150102-01")


@pytest.mark.parametrize(
    "basis_kind, basis_id, enterprise_id, decided_on, opens",
    [
        ("accident", "A1", ENT, dt.date(2024, 3, 21), True),
        ("accident", "A1", ENT, dt.date(2024, 3, 22), False),  # decided after the run's day
        ("accident", "A9", ENT, dt.date(2024, 3, 20), False),  # another accident
        ("hazard", "A1", ENT, dt.date(2024, 3, 20), False),
        ("accident", "A1", ENT2, dt.date(2024, 3, 20), False),  # another enterprise
    ],
)
def test_only_the_grounds_penalty_opens_the_listing(
    world, register, engine, basis_kind, basis_id, enterprise_id, decided_on, opens
):
    world.enterprise()
    world.enterprise(ENT2)
    world.accident("A1", enterprise_id=ENT, occurred=sh(2024, 3, 5, 10), deaths=10)
    world.penalty("P1", basis_id, enterprise_id=enterprise_id, basis_kind=basis_kind, decided_on=decided_on)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 3, 21, 10))
    assert bool(cases(engine, kind="blacklist")) is opens


def test_a_rejected_listing_withdraws_the_candidate(world, register, engine):
    world.enterprise()
    world.accident("A1", enterprise_id=ENT, occurred=sh(2023, 9, 30, 10), deaths=3)
    escalate(engine, register, "2023-09", "2023-09", as_of=sh(2023, 10, 2, 10))
    (case,) = cases(engine, kind="blacklist")
    decide_cases(
        engine, [case.id], approve=False, decided_by="自治区应急管理厅 赵六", reason="责任未认定", at=sh(2023, 10, 3, 9)
    )
    escalate(engine, register, "2023-09", "2023-09", as_of=sh(2023, 10, 4, 10))
    with Session(engine) as s:
        assert s.scalars(select(BlacklistEntry)).one().state == "withdrawn"
    assert outbox(engine, template="blacklist_notified") == []


def test_a_corrected_accident_withdraws_the_candidate_and_its_case(world, register, engine):
    world.enterprise()
    world.accident("A1", enterprise_id=ENT, occurred=sh(2023, 9, 30, 10), deaths=3)
    escalate(engine, register, "2023-09", "2023-09", as_of=sh(2023, 10, 2, 10))
    world.accident("A1", enterprise_id=ENT, occurred=sh(2023, 9, 30, 10), deaths=2)
    escalate(engine, register, "2023-09", "2023-09", as_of=sh(2023, 10, 3, 10))
    with Session(engine) as s:
        assert s.scalars(select(BlacklistEntry)).one().state == "withdrawn"
    assert [c.state for c in cases(engine, kind="blacklist")] == ["withdrawn"]


def test_hazard_unrectified_after_enforcement(world, register, engine):
    world.enterprise()
    world.hazard("H1", found=dt.date(2023, 2, 1), deadline=dt.date(2023, 3, 15))
    escalate(engine, register, "2023-03", "2023-03", as_of=sh(2023, 4, 8, 12))
    assert cases(engine, step="enforcement")
    with Session(engine) as s:
        assert s.scalars(select(BlacklistEntry)).all() == []  # 30 days not yet passed
    # The candidate day is deadline + 31 = 2023-04-15, in April's run.
    escalate(engine, register, "2023-04", "2023-04", as_of=sh(2023, 5, 9, 12))
    with Session(engine) as s:
        e = s.scalars(select(BlacklistEntry)).one()
        assert (e.trigger, e.trigger_ref, e.candidate_on) == ("hazard_unrectified", "H1", dt.date(2023, 4, 15))


def test_rectified_within_30_days_is_no_trigger(world, register, engine):
    world.enterprise()
    world.hazard("H1", found=dt.date(2023, 2, 1), deadline=dt.date(2023, 3, 15), rectified=dt.date(2023, 4, 14))
    escalate(engine, register, "2023-03", "2023-04", as_of=sh(2023, 4, 10, 12))
    escalate(engine, register, "2023-04", "2023-04", as_of=sh(2023, 5, 9, 12))
    with Session(engine) as s:
        assert s.scalars(select(BlacklistEntry)).all() == []


# --------------------------------------------------------------------------- lifecycle


def _entry(engine, listed_on=None, *, candidate_on=dt.date(2024, 1, 10), scopes=None, eid=ENT, ref="A1"):
    """An entry taken to `listed` on `listed_on` through the public lifecycle."""
    with session_scope(engine) as s:
        e = BlacklistEntry(
            enterprise_id=eid,
            trigger="accident_liability",
            trigger_ref=ref,
            state="candidate",
            candidate_on=candidate_on,
            scopes=scopes or ALL,
            historical=False,
        )
        s.add(e)
        s.flush()
        eid_ = e.id
    if listed_on is not None:
        with session_scope(engine) as s:
            bl.notify(s, eid_, on=candidate_on, by="office")
            bl.record_objection(s, eid_, on=candidate_on, by="enterprise", reason="we object")
            bl.decide_objection(s, eid_, upheld=False, on=listed_on, by="office")
    return eid_


@pytest.mark.parametrize(
    "listed_on, repair, expires",
    [
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2027, 2, 28)),
        (dt.date(2024, 3, 1), dt.date(2025, 3, 1), dt.date(2027, 3, 1)),
        (dt.date(2023, 2, 28), dt.date(2024, 2, 28), dt.date(2026, 2, 28)),
    ],
)
def test_listing_dates(world, engine, listed_on, repair, expires):
    eid = _entry(engine, listed_on, candidate_on=listed_on - dt.timedelta(days=20))
    with Session(engine) as s:
        e = s.get(BlacklistEntry, eid)
        assert (e.state, e.listed_on, e.repair_eligible_on, e.expires_on, e.objection_decision) == (
            "listed",
            listed_on,
            repair,
            expires,
            "dismissed",
        )


def _moved(counts):
    return {k: counts[k] for k in ("notified", "listed", "expired")}


def test_no_objection_lists_the_day_after_the_deadline(world, engine):
    world.enterprise()
    eid = _entry(engine)
    assert bl.advance_blacklist(engine, on=dt.date(2024, 1, 10))["notified"] == 1
    with Session(engine) as s:
        e = s.get(BlacklistEntry, eid)
        assert (e.state, e.notified_on, e.objection_deadline) == (
            "notified",
            dt.date(2024, 1, 10),
            dt.date(2024, 1, 17),
        )
    rows = outbox(engine, template="blacklist_notified")
    assert [(r.recipient, r.to_email, r.state) for r in rows] == [(f"enterprise:{ENT}", "ent@example.com", "pending")]
    # On the deadline day nothing happens; the day after it is listed, dated the day after.
    assert _moved(bl.advance_blacklist(engine, on=dt.date(2024, 1, 17))) == {"notified": 0, "listed": 0, "expired": 0}
    assert bl.advance_blacklist(engine, on=dt.date(2024, 2, 1))["listed"] == 1
    assert _moved(bl.advance_blacklist(engine, on=dt.date(2024, 2, 1))) == {"notified": 0, "listed": 0, "expired": 0}
    with Session(engine) as s:
        e = s.get(BlacklistEntry, eid)
        assert (e.state, e.listed_on) == ("listed", dt.date(2024, 1, 18))
    # Expiry is dated expires_on, whenever the sweep runs.
    assert bl.advance_blacklist(engine, on=dt.date(2027, 6, 1))["expired"] == 1
    with Session(engine) as s:
        ev = s.scalars(select(BlacklistEvent).where(BlacklistEvent.entry_id == eid).order_by(BlacklistEvent.id)).all()
        assert [(x.to_state, x.on) for x in ev] == [
            ("notified", dt.date(2024, 1, 10)),
            ("listed", dt.date(2024, 1, 18)),
            ("expired", dt.date(2027, 1, 18)),
        ]
    assert len(outbox(engine, template="blacklist_notified")) == 1


def test_objection_upheld_withdraws(world, engine):
    eid = _entry(engine)
    with session_scope(engine) as s:
        bl.notify(s, eid, on=dt.date(2024, 1, 10), by="office")
        with pytest.raises(SafegovError, match="window closed on 2024-01-17"):
            bl.record_objection(s, eid, on=dt.date(2024, 1, 18), by="enterprise", reason="late")
        bl.record_objection(s, eid, on=dt.date(2024, 1, 17), by="enterprise", reason="not our accident")
    # Listing waits for the decision, whatever the date.
    assert bl.advance_blacklist(engine, on=dt.date(2024, 3, 1))["listed"] == 0
    with session_scope(engine) as s:
        bl.decide_objection(
            s, eid, upheld=True, on=dt.date(2024, 1, 25), by="office", reason="accident of another enterprise"
        )
    with Session(engine) as s:
        assert s.get(BlacklistEntry, eid).state == "withdrawn"
        assert bl.check(s, ENT, "bidding", dt.date(2024, 2, 1))["restricted"] is False


def test_removal_only_after_repair_date_and_revocation(world, engine):
    eid = _entry(engine, dt.date(2024, 2, 29), candidate_on=dt.date(2024, 2, 1))
    with session_scope(engine) as s:
        with pytest.raises(SafegovError, match="possible from 2025-02-28"):
            bl.request_removal(s, eid, on=dt.date(2025, 2, 27), by="office", reason="repaired")
    with session_scope(engine) as s:
        bl.request_removal(s, eid, on=dt.date(2025, 2, 28), by="office", reason="credit repaired")
    with Session(engine) as s:
        assert bl.check(s, ENT, "bidding", dt.date(2025, 2, 27))["restricted"] is True
        assert bl.check(s, ENT, "bidding", dt.date(2025, 2, 28))["restricted"] is False
    with session_scope(engine) as s:
        bl.revoke_removal(s, eid, on=dt.date(2025, 6, 1), by="office", reason="repair certificate was forged")
    with Session(engine) as s:
        e = s.get(BlacklistEntry, eid)
        assert (e.state, e.removed_on, e.revoked_on) == ("listed", dt.date(2025, 2, 28), dt.date(2025, 6, 1))
        assert bl.check(s, ENT, "bidding", dt.date(2025, 3, 15))["restricted"] is False  # removal was in force then
        r = bl.check(s, ENT, "bidding", dt.date(2025, 6, 1))
        assert (r["restricted"], r["since"], r["until"]) == (True, dt.date(2025, 6, 1), dt.date(2027, 2, 28))


@pytest.mark.parametrize(
    "on, restricted",
    [
        (dt.date(2024, 2, 28), False),  # before listing
        (dt.date(2024, 2, 29), True),  # listing day
        (dt.date(2026, 1, 1), True),  # future date, still listed
        (dt.date(2027, 2, 27), True),  # last restricted day
        (dt.date(2027, 2, 28), False),  # expires_on: no longer restricted
    ],
)
def test_check_past_and_future(world, engine, on, restricted):
    _entry(engine, dt.date(2024, 2, 29), candidate_on=dt.date(2024, 2, 1))
    with Session(engine) as s:
        r = bl.check(s, ENT, "bidding", on)
    assert r["restricted"] is restricted
    if restricted:
        assert (r["since"], r["until"]) == (dt.date(2024, 2, 29), dt.date(2027, 2, 28))
        assert "accident_liability" in r["why"] and r["entry"]["trigger_ref"] == "A1"


@pytest.mark.parametrize("scope", ALL)
def test_check_each_scope(world, engine, scope):
    # ENT restricted in every scope; ENT2's entry restricts bidding and procurement only.
    _entry(engine, dt.date(2024, 3, 1), candidate_on=dt.date(2024, 2, 1))
    _entry(
        engine,
        dt.date(2024, 3, 1),
        candidate_on=dt.date(2024, 2, 1),
        eid=ENT2,
        ref="A2",
        scopes=["bidding", "government_procurement"],
    )
    with Session(engine) as s:
        assert bl.check(s, ENT, scope, dt.date(2024, 6, 1))["restricted"] is True
        assert bl.check(s, ENT2, scope, dt.date(2024, 6, 1))["restricted"] is (
            scope in ("bidding", "government_procurement")
        )


def test_check_rejects_an_unknown_scope(world, engine):
    with Session(engine) as s, pytest.raises(SafegovError, match="unknown scope 'golf'"):
        bl.check(s, ENT, "golf", dt.date(2024, 1, 1))


def test_historical_blacklist_waits_for_a_review_and_sends_nothing(world, register, engine):
    world.enterprise()
    world.accident("A1", occurred=sh(2019, 3, 5, 10), deaths=3, enterprise_id=ENT)
    escalate(engine, register, "2019-03", "2019-03", as_of=sh(2019, 4, 9, 0), historical=True)
    escalate(engine, register, "2019-04", "2019-04", as_of=sh(2019, 5, 10, 0), historical=True)
    with Session(engine) as s:
        e = s.scalars(select(BlacklistEntry)).one()
        assert (e.historical, e.state, e.listed_on) == (True, "candidate", None)  # history is decided by nobody
    assert [c.state for c in cases(engine, kind="blacklist")] == ["unreviewed"]
    # The month's review decides the listing and the county's 双约谈 alike.
    assert (
        decide_historical(engine, "2019-03", approve=True, decided_by="自治区应急管理厅 赵六", at=sh(2019, 5, 12, 9))
        == 2
    )
    escalate(engine, register, "2019-05", "2019-05", as_of=sh(2019, 5, 13, 0), historical=True)
    escalate(engine, register, "2019-05", "2019-05", as_of=sh(2019, 6, 1, 0), historical=True)
    with Session(engine) as s:
        e = s.scalars(select(BlacklistEntry)).one()
        assert (e.state, e.notified_on, e.listed_on) == ("listed", dt.date(2019, 5, 12), dt.date(2019, 5, 18))
        assert bl.check(s, ENT, "land_transfer", dt.date(2020, 1, 1))["restricted"] is True
    rows = outbox(engine)
    assert rows and {r.state for r in rows} == {"suppressed"}


def test_the_escalation_dags_task_offers_the_listing_to_the_penalty_authority(world, register, engine, monkeypatch):
    """The DAG path (safegov_escalation's escalate task, the callable without Airflow): the
    listing case is in the run's approval form, assigned to the authority's office."""
    from types import SimpleNamespace

    from safegov.airflow import tasks as at

    monkeypatch.setattr(at, "engine", lambda: engine)
    monkeypatch.setattr(at, "register", lambda: register)
    world.enterprise()
    world.accident("A1", enterprise_id=ENT, occurred=sh(2024, 3, 5, 10), deaths=10)
    world.penalty("P1", "A1", decided_on=dt.date(2024, 3, 20), document_ref="新应急罚〔2024〕5号")
    run = SimpleNamespace(
        run_id="asset_triggered__2024-03-21", run_after=sh(2024, 3, 21, 12), run_type="asset_triggered"
    )
    event = SimpleNamespace(extra={"from": "2024-03", "to": "2024-03"})
    out = at.escalate_task(dag_run=run, triggering_asset_events={"safegov://evaluations": [event]})
    (listing,) = cases(engine, kind="blacklist")
    assert listing.id in out["case_ids"] and COUNTY in out["deciding_units"]
    assert "BLACKLIST-ACCIDENT" in out["approval_body"]
