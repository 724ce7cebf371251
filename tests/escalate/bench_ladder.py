"""Ladder benchmark: N enterprises × 10 years of monthly ENT-HAZARD-SELFCHECK misses.

  .venv/bin/python tests/escalate/bench_ladder.py sqlite:////tmp/b.db 100000 0.02 hist

Arguments: database URL (fresh), enterprises, miss rate, "hist" (historical) or "live".
Prints setup time, the first escalate over 2015-01..2024-12 and a re-run (creates nothing).
Not collected by pytest.
"""
import datetime as dt, random, time, sys, os
from safegov.db import make_engine, migrate, session_scope
from safegov.models import Evaluation, Enterprise, Leader
from safegov.orgs import sync_units, load_units
from safegov.calendar import TZ, periods_between
from safegov.register import load_register
from safegov.escalate import escalate

url = sys.argv[1]
N = int(sys.argv[2]); RATE = float(sys.argv[3]); hist = sys.argv[4] == "hist"
eng = make_engine(url)
migrate(eng)
rnd = random.Random(7)
counties = [u.code for u in load_units() if u.level == "county"]
t0 = time.time()
with session_scope(eng) as s:
    sync_units(s)
    s.execute(Leader.__table__.insert(), [{"leader_id": f"{u.code}-so", "name": "x", "unit_code": u.code, "role": "safety_office_director", "email": f"{u.code}@x", "term_start": dt.date(2000,1,1), "version": 1} for u in load_units()])
    ents = [{"enterprise_id": f"E{i:017d}", "name": f"e{i}", "county_code": counties[i % len(counties)], "high_risk": False, "legal_representative": f"rep{i}", "contact_email": f"e{i}@x", "registered_on": dt.date(2010,1,1), "version": 1} for i in range(N)]
    for i in range(0, N, 5000):
        s.execute(Enterprise.__table__.insert(), ents[i:i+5000])
periods = [p.key for p in periods_between("2015-01", "2024-12", "monthly")]
rows = []
at = dt.datetime(2025, 1, 10, tzinfo=TZ)
for i in range(N):
    for p in periods:
        if rnd.random() < RATE:
            rows.append({"obligation_id": "ENT-HAZARD-SELFCHECK", "subject_kind": "enterprise", "subject_id": f"E{i:017d}", "period": p, "status": "missed", "counted": 0, "required": 1, "reason": "no_records", "unit_code": counties[i % len(counties)], "evaluated_at": at, "historical": False})
with session_scope(eng) as s:
    for i in range(0, len(rows), 20000):
        s.execute(Evaluation.__table__.insert(), rows[i:i+20000])
print(f"setup {time.time()-t0:.1f}s: {N} enterprises, {len(rows)} missed evaluations", flush=True)
reg = load_register()
t0 = time.time()
r = escalate(eng, reg, "2015-01", "2024-12", as_of=at, historical=hist)
print(f"escalate 10y {'historical' if hist else 'live'}: {time.time()-t0:.1f}s {r}", flush=True)
t0 = time.time()
r = escalate(eng, reg, "2015-01", "2024-12", as_of=at, historical=hist)
print(f"re-run: {time.time()-t0:.1f}s {r}", flush=True)
