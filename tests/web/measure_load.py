"""Measure the dashboard's page build time on a synthetic database (not a test: no timing asserts).

    .venv/bin/python -m tests.web.measure_load --enterprises 400 --months 24
    .venv/bin/python -m tests.web.measure_load --enterprises 40000 --months 24   # province scale
    .venv/bin/python -m tests.web.measure_load --pg-schema perf_x \\
        --url postgresql+psycopg2://postgres@127.0.0.1:5432/test

Inserts evaluations directly: every monthly unit/post obligation for all 116 units and the
enterprise obligations for N enterprises spread over the 103 counties, plus cases and
outbox rows, then times each page for a region, a league and a county user (best and
median of 5; on a shared machine the best is the page's own cost).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session


def _engine(url: str, schema: str | None):
    from safegov.db.engine import make_engine

    if schema:
        return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return make_engine(url)


def build(url: str, enterprises: int, months: int, seed: int = 7, schema: str | None = None) -> None:
    from safegov.core.periods import parse_period
    from safegov.db.engine import migrate
    from safegov.db.models import Case, Enterprise, Evaluation
    from safegov.org.units import load_units, sync_units

    rnd = random.Random(seed)
    eng = _engine(url, schema)
    migrate(eng)
    units = load_units()
    counties = [u.code for u in units if u.level == "county"]
    at = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
    periods = []
    y, m = 2024, 1
    for _ in range(months):
        periods.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)

    def status():
        r = rnd.random()
        return "missed" if r < 0.08 else "met_late" if r < 0.15 else "met"

    with Session(eng) as s:
        sync_units(s)
        s.commit()
        ents = [
            {
                "enterprise_id": f"91{i:016d}",
                "name": f"企业{i}",
                "county_code": counties[i % len(counties)],
                "registered_on": dt.date(2015, 1, 1),
            }
            for i in range(enterprises)
        ]
        s.execute(insert(Enterprise), ents)
        rows = []
        for p in periods:
            due = parse_period(p).last
            for u in units:
                if u.level != "region":
                    rows.append(
                        dict(
                            obligation_id="SC-MEET-LOCAL",
                            subject_kind="unit",
                            subject_id=u.code,
                            period=p,
                            status=status(),
                            unit_code=u.code,
                            due_on=due,
                            evaluated_at=at,
                        )
                    )
                if u.level == "county":
                    for role in ("party_secretary", "government_head"):
                        rows.append(
                            dict(
                                obligation_id="LEAD-INSPECT-COUNTY",
                                subject_kind="post",
                                subject_id=f"{u.code}:{role}",
                                period=p,
                                status=status(),
                                unit_code=u.code,
                                due_on=due,
                                evaluated_at=at,
                            )
                        )
                rows.append(
                    dict(
                        obligation_id="BULLETIN-MONTHLY",
                        subject_kind="unit",
                        subject_id=u.code,
                        period=p,
                        status=status(),
                        unit_code=u.code,
                        due_on=due,
                        evaluated_at=at,
                    )
                )
            for e in ents:
                rows.append(
                    dict(
                        obligation_id="ENT-HAZARD-SELFCHECK",
                        subject_kind="enterprise",
                        subject_id=e["enterprise_id"],
                        period=p,
                        status=status(),
                        unit_code=e["county_code"],
                        due_on=due,
                        evaluated_at=at,
                    )
                )
            if len(rows) > 50_000:
                s.execute(insert(Evaluation), rows)
                rows = []
        if rows:
            s.execute(insert(Evaluation), rows)
        cases = []
        for i, p in enumerate(periods):
            for c in rnd.sample(counties, 10):
                cases.append(
                    dict(
                        case_key=f"k{i}-{c}",
                        kind=rnd.choice(["notice", "interview", "admonishment"]),
                        rule_id="SC-MEET-LOCAL",
                        subject_kind="unit",
                        subject_id=c,
                        unit_code=c,
                        period=p,
                        step="notice",
                        state=rnd.choice(["open", "awaiting_approval", "closed"]),
                        opened_on=parse_period(p).last + dt.timedelta(days=8),
                    )
                )
        s.execute(insert(Case), cases)
        s.commit()
    eng.dispose()


def measure(url: str, schema: str | None = None) -> dict[str, dict[str, tuple[float, float]]]:
    from fastapi.testclient import TestClient

    from safegov.web.app import create_app
    from safegov.web.auth import Identity

    async def verify(token: str) -> Identity:  # the JWT check is not what is measured here
        return Identity(token, "VIEWER")

    users = Path(tempfile.mkdtemp()) / "u.yaml"
    users.write_text('users:\n  region: "150000"\n  league: "150100"\n  county: "150102"\n', encoding="utf-8")
    eng = _engine(url, schema)
    client = TestClient(create_app(eng, verifier=verify, users_file=users))
    out: dict[str, dict[str, float]] = {}
    for user in ("region", "league", "county"):
        for path in (
            "/",
            "/?obligation=ENT-HAZARD-SELFCHECK",
            "/?obligation=ENT-HAZARD-SELFCHECK&unit=150102&period=2025-06",
            "/cases",
            "/quality",
            "/outbox",
        ):
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                r = client.get(path, headers={"Authorization": f"Bearer {user}"})
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text[:300]
            out.setdefault(user, {})[path] = (min(times), statistics.median(times))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=400)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--pg-schema", help="PostgreSQL: a scratch schema, created and dropped here")
    a = ap.parse_args()
    url = a.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'perf.db'}"
    admin = None
    if a.pg_schema:
        from sqlalchemy import text

        from safegov.db.engine import make_engine

        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{a.pg_schema}"'))
    try:
        t0 = time.perf_counter()
        build(url, a.enterprises, a.months, schema=a.pg_schema)
        print(f"built {a.enterprises} enterprises × {a.months} months in {time.perf_counter() - t0:.1f}s ({url})")
        for user, pages in measure(url, a.pg_schema).items():
            for path, (best, median) in pages.items():
                print(f"{user:7s} {path:65s} best {best:8.1f} ms  median {median:8.1f} ms")
    finally:
        if admin is not None:
            from sqlalchemy import text

            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{a.pg_schema}" CASCADE'))


if __name__ == "__main__":
    main()
