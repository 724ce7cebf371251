"""Time the evaluation engine on synthetic data.

  .venv/bin/python benchmarks/eval_bench.py [--enterprises 300] [--months 24]
      [--url postgresql+psycopg2://postgres@127.0.0.1:5432/test] [--until 2024-12]

Builds a fresh database (a temporary SQLite file by default; with --url a fresh schema that
is dropped afterwards), loads the 116 real units with both posts held, 5 departments per
county, N enterprises with monthly self-inspections (~90 %), quarterly risk assessments,
meetings, inspections, bulletins, hazards, accidents and tickets for ``--months`` months,
then times:

1. one month of all obligations (first evaluation: every row is new → history + audit);
2. the same month again (nothing changed → nothing written);
3. all ``--months`` months of all obligations (first evaluation of the rest);
4. the same range again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))


def _months(until: str, n: int) -> list[tuple[int, int]]:
    y, m = map(int, until.split("-"))
    out = []
    for _ in range(n):
        out.append((y, m))
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return out[::-1]


def build(engine, n_enterprises: int, months: list[tuple[int, int]], seed: int = 7) -> dict:
    from sqlalchemy.orm import Session

    from safegov.calendar import TZ
    from safegov.models import (
        Accident, Bulletin, Complaint, Department, Enterprise, Hazard, HazardInspection, Inspection, Leader, Meeting,
        RiskAssessment,
    )
    from safegov.orgs import load_units, sync_units

    rnd = random.Random(seed)
    with Session(engine) as s, s.begin():
        sync_units(s, ROOT / "config")
    units = load_units(ROOT / "config")
    counties = [u.code for u in units if u.level == "county"]
    seq = iter(range(1, 10**9))

    def rec(day: dt.date, late: bool = False) -> dict:
        n = next(seq)
        received = dt.datetime.combine(day, dt.time(12), TZ) + (dt.timedelta(days=40) if late else dt.timedelta())
        return {"received_at": received, "raw_row_id": n, "content_hash": f"h{n}", "version": 1}

    def day_in(y: int, m: int) -> dt.date:
        return dt.date(y, m, rnd.randint(1, 28))

    leaders, inspections, meetings, bulletins = [], [], [], []
    for u in units:
        for role in ("party_secretary", "government_head", "safety_office_director"):
            leaders.append({"leader_id": f"{u.code}-{role}", "name": "x", "unit_code": u.code, "role": role,
                            "department_id": None, "term_start": dt.date(2015, 1, 1), "term_end": None, "email": "x@example.org"})
    departments = []
    for c in counties:
        for k in range(5):
            did = f"{c}-D{k}"
            departments.append({"department_id": did, "unit_code": c, "name": did, "safety_duty": k != 4})
            leaders.append({"leader_id": f"{did}-head", "name": "x", "unit_code": c, "role": "department_head",
                            "department_id": did, "term_start": dt.date(2015, 1, 1), "term_end": None, "email": None})
    for y, m in months:
        for u in units:
            if rnd.random() < 0.9:
                meetings.append({"unit_code": u.code, "record_id": f"M{next(seq)}", "body": "safety_committee",
                                 "held_on": day_in(y, m), "heard_safety_report": True, "heard_case_reports": True,
                                 "published_on": dt.date(y, m, 28), "minutes_ref": "m", **rec(day_in(y, m))})
            if m in (3, 9):
                for body in ("party_standing_committee", "government_executive_meeting"):
                    meetings.append({"unit_code": u.code, "record_id": f"M{next(seq)}", "body": body,
                                     "held_on": day_in(y, m), "heard_safety_report": True, "heard_case_reports": False,
                                     "published_on": None, "minutes_ref": "m", **rec(day_in(y, m))})
            for role in ("party_secretary", "government_head"):
                if rnd.random() < 0.85:
                    day = day_in(y, m)
                    inspections.append({"record_id": f"I{next(seq)}", "leader_id": f"{u.code}-{role}", "unit_code": u.code,
                                        "led_on": day, "targets": "t", "issues_found": 0, "report_ref": "r", **rec(day, rnd.random() < 0.1)})
            issued = dt.date(y, m, 28) + dt.timedelta(days=5)
            bulletins.append({"record_id": f"B{next(seq)}", "unit_code": u.code, "period": f"{y:04d}-{m:02d}",
                              "issued_on": issued, "accidents_reported": 0, "late_reports": 0, "concealed_reports": 0,
                              "doc_ref": "d", **rec(issued)})
        for dpt in departments:
            if rnd.random() < 0.8:
                day = day_in(y, m)
                inspections.append({"record_id": f"I{next(seq)}", "leader_id": f"{dpt['department_id']}-head",
                                    "unit_code": dpt["unit_code"], "led_on": day, "targets": "t", "issues_found": 0,
                                    "report_ref": "r", **rec(day)})
    enterprises, selfchecks, risks, hazards, accidents, tickets = [], [], [], [], [], []
    for i in range(n_enterprises):
        eid = f"E{i:017d}"
        county = counties[i % len(counties)]
        enterprises.append({"enterprise_id": eid, "name": eid, "county_code": county, "registered_on": dt.date(2010, 1, 1),
                            "closed_on": None, "high_risk": False})
        for y, m in months:
            if rnd.random() < 0.9:
                day = day_in(y, m)
                selfchecks.append({"enterprise_id": eid, "record_id": f"S{next(seq)}", "inspected_on": day,
                                   "led_by_role": "legal_representative" if rnd.random() < 0.95 else "other",
                                   "hazards_found": 0, "archived": rnd.random() < 0.97, **rec(day, rnd.random() < 0.05)})
            if m % 3 == 0 and rnd.random() < 0.9:
                day = day_in(y, m)
                risks.append({"enterprise_id": eid, "record_id": f"R{next(seq)}", "assessed_on": day, "major_risks": 0,
                              "published_on": day if m == 12 else None, **rec(day)})
            if rnd.random() < 0.05:
                found = day_in(y, m)
                hazards.append({"hazard_id": f"HZ{next(seq)}", "enterprise_id": eid, "found_on": found, "grade": "general",
                                "description": "d", "responsible_person": "p", "funds_cny": 1.0, "measures": "m",
                                "deadline": found + dt.timedelta(days=20), "contingency_plan": "c",
                                "rectified_on": found + dt.timedelta(days=rnd.randint(1, 30)) if rnd.random() < 0.9 else None,
                                **rec(found)})
    for y, m in months:
        for _ in range(max(1, n_enterprises // 200)):
            occ = dt.datetime.combine(day_in(y, m), dt.time(rnd.randint(0, 23)), TZ)
            accidents.append({"accident_id": f"A{next(seq)}", "unit_code": rnd.choice(counties), "occurred_at": occ,
                              "reported_at": occ + dt.timedelta(minutes=rnd.randint(10, 90)), "deaths": rnd.choice([0, 0, 1, 3]),
                              "serious_injuries": 0, "direct_loss_10k_cny": 10.0, "declared_grade": "general",
                              "concealed": False, "description": "d", **rec(occ.date())})
        for _ in range(max(5, n_enterprises // 20)):
            day = day_in(y, m)
            tickets.append({"ticket_id": f"T{next(seq)}", "unit_code": rnd.choice(counties), "received_on": day,
                            "concluded_on": day + dt.timedelta(days=rnd.randint(3, 30)) if rnd.random() < 0.9 else None,
                            **rec(day)})
    tables = [(Leader, leaders), (Department, departments), (Enterprise, enterprises), (Meeting, meetings),
              (Inspection, inspections), (Bulletin, bulletins), (HazardInspection, selfchecks), (RiskAssessment, risks),
              (Hazard, hazards), (Accident, accidents), (Complaint, tickets)]
    with Session(engine) as s, s.begin():
        for model, rows in tables:
            for i in range(0, len(rows), 10000):
                s.execute(model.__table__.insert(), rows[i : i + 10000])
    return {model.__tablename__: len(rows) for model, rows in tables}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--until", default="2024-12")
    parser.add_argument("--url", help="PostgreSQL URL (a fresh schema is created and dropped)")
    args = parser.parse_args(argv)

    import logging

    logging.disable(logging.INFO)
    from sqlalchemy import text

    from safegov.calendar import TZ
    from safegov.db import make_engine, migrate
    from safegov.evaluate import evaluate_range
    from safegov.register import load_register

    admin = schema = tmp = None
    if args.url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        tmp = tempfile.mkdtemp(prefix="safegov-evalbench-")
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
    try:
        migrate(engine)
        register = load_register(ROOT / "config" / "obligations.yaml")
        months = _months(args.until, args.months)
        t0 = time.perf_counter()
        sizes = build(engine, args.enterprises, months)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:  # as autovacuum would after a bulk load
                conn.execute(text("ANALYZE"))
        print(f"backend {engine.dialect.name}; {args.enterprises} enterprises, {args.months} months; data built in "
              f"{time.perf_counter() - t0:.1f}s: {sizes}")
        as_of = dt.datetime(2026, 6, 1, tzinfo=TZ)
        first, last = f"{months[0][0]:04d}-{months[0][1]:02d}", args.until

        def timed(label, lo, hi):
            t = time.perf_counter()
            res = evaluate_range(engine, register, lo, hi, as_of=as_of, run_id=label)
            rows = sum(res[s] for s in ("met", "met_late", "missed", "pending", "exempt"))
            print(f"{label:<40} {time.perf_counter() - t:7.2f}s  rows {rows:>8}  changed {res['changed']:>8}")

        timed(f"one month {last}, first evaluation", last, last)
        timed(f"one month {last}, re-run (no change)", last, last)
        timed(f"{args.months} months, first evaluation", first, last)
        timed(f"{args.months} months, re-run (no change)", first, last)
    finally:
        engine.dispose()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
