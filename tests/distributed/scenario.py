"""The data and the comparisons the distributed tests share.

- ``write_small_inbox``: a small, hand-made submission set (a few units, leaders with email
  addresses and phone numbers, two enterprises, three months of records, some late, one
  bad row). Small on purpose: the distributed suite must stay within minutes on 2 cores.
- ``canonical_dump``: the compliance tables in a form that two runs of the same steps must
  share exactly, whatever the backend, the process layout or the faults survived.
- ``PERIOD_*`` and ``run_after_for``: the runs the tests trigger.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, select

# The month the tests evaluate and the pinned "now" (SAFEGOV_NOW) of every process: a week
# after March 2024's grace ended, so verdicts are final and notices are inside the email
# horizon (they are really sent, not suppressed).
MONTH = "2024-03"
BACKFILL_FROM = "2024-01-01T00:00:00+08:00"
BACKFILL_TO = "2024-03-01T00:00:00+08:00"
BACKFILL_MONTHS = ("2024-01", "2024-02", "2024-03")
NOW = "2024-04-15T09:00:00+08:00"
# Both runs sign their audit checkpoints with this key, so the checkpoints' key ids agree.
AUDIT_KEY = "distributed-tests-audit-key-0001"
FAKE_SENDGRID_KEY = "SG." + "a1B2c3D4e5F6g7H8i9J0kL" + "." + "m1N2o3P4q5R6s7T8u9V0w1X2y3Z4a5B6c7D8e9F0g1H"

UNITS = {"region": "150000", "league": "150100", "county": "150102", "county2": "150103"}

LEADERS = [
    # leader_id, unit, role, email, phone (an unknown column: kept in the raw row only)
    ("L-R-PS", "150000", "party_secretary", "region.secretary@nmg.example.gov.cn", "13800471001"),
    ("L-R-GH", "150000", "government_head", "region.head@nmg.example.gov.cn", "13800471002"),
    ("L-R-SO", "150000", "safety_office_director", "region.office@nmg.example.gov.cn", "0471-6661003"),
    ("L-H-PS", "150100", "party_secretary", "huhhot.secretary@nmg.example.gov.cn", "13900471004"),
    ("L-H-GH", "150100", "government_head", "huhhot.head@nmg.example.gov.cn", "13900471005"),
    ("L-H-SO", "150100", "safety_office_director", "huhhot.office@nmg.example.gov.cn", "0471-6661006"),
    ("L-X-PS", "150102", "party_secretary", "xincheng.secretary@nmg.example.gov.cn", "15004711007"),
    ("L-X-GH", "150102", "government_head", "xincheng.head@nmg.example.gov.cn", "15004711008"),
    ("L-X-SO", "150102", "safety_office_director", "xincheng.office@nmg.example.gov.cn", "0471-6661009"),
    ("L-Z-PS", "150103", "party_secretary", "huimin.secretary@nmg.example.gov.cn", "18604711010"),
    ("L-Z-GH", "150103", "government_head", "huimin.head@nmg.example.gov.cn", "18604711011"),
]


def _credit_code(seed: str) -> str:
    from safegov.core.creditcode import make_credit_code

    return make_credit_code(seed)


def enterprises() -> list[tuple[str, str, str, str]]:
    # enterprise_id, name, county, contact email
    return [
        (_credit_code("91150102MA0000001"), "新城区安达建材有限公司", "150102", "anda@ent.example.cn"),
        (_credit_code("91150103MA0000002"), "回民区顺通物流有限公司", "150103", "shuntong@ent.example.cn"),
    ]


def _write(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])


def write_small_inbox(inbox: Path, months: Iterable[str] = BACKFILL_MONTHS) -> list[Path]:
    """Write the hand-made submission set; the same bytes every time (deterministic)."""
    inbox = Path(inbox)
    ents = enterprises()
    paths = []
    p = inbox / "leader_registry.csv"
    _write(
        p,
        ["leader_id", "name", "unit_code", "role", "department_id", "email", "term_start", "term_end", "phone"],
        [
            (lid, f"领导{lid}", unit, role, None, email, "2020-01-01", None, phone)
            for lid, unit, role, email, phone in LEADERS
        ],
    )
    paths.append(p)
    p = inbox / "enterprise_registry.csv"
    _write(
        p,
        [
            "enterprise_id",
            "name",
            "county_code",
            "industry",
            "high_risk",
            "legal_representative",
            "contact_email",
            "registered_on",
            "closed_on",
            "contact_phone",
        ],
        [
            (eid, name, county, "building_materials", "true", "张三", email, "2015-06-01", None, "13312345678")
            for eid, name, county, email in ents
        ],
    )
    paths.append(p)
    for month in months:
        y, m = (int(x) for x in month.split("-"))
        day = lambda d, y=y, m=m: dt.date(y, m, d).isoformat()  # noqa: E731
        nxt = dt.date(y + (m == 12), m % 12 + 1, 3)
        on_time = f"{nxt.isoformat()} 10:00"
        late = f"{dt.date(y + (m == 12), m % 12 + 1, 28).isoformat()} 10:00"
        meetings = [
            # Xincheng meets every month on time; Huhhot only in January and March, March late.
            (
                f"M-150102-{month}",
                "150102",
                "safety_committee",
                day(10),
                "true",
                "false",
                None,
                "L-X-PS",
                f"minutes/{month}/x",
                on_time,
            ),
        ]
        if month != "2024-02":
            meetings.append(
                (
                    f"M-150100-{month}",
                    "150100",
                    "safety_committee",
                    day(12),
                    "true",
                    "false",
                    None,
                    "L-H-PS",
                    f"minutes/{month}/h",
                    late if month == "2024-03" else on_time,
                )
            )
        p = inbox / f"meeting_{month}.csv"
        _write(
            p,
            [
                "record_id",
                "unit_code",
                "body",
                "held_on",
                "heard_safety_report",
                "heard_case_reports",
                "published_on",
                "chaired_by",
                "minutes_ref",
                "received_at",
            ],
            meetings,
        )
        paths.append(p)
        inspections = [
            (f"I-X-PS-{month}", "L-X-PS", "150102", day(15), "工地", 2, f"reports/{month}/xps", on_time),
            (f"I-X-GH-{month}", "L-X-GH", "150102", day(16), "商场", 0, f"reports/{month}/xgh", on_time),
            # Huimin's government head inspects only in January.
            *(
                [(f"I-Z-GH-{month}", "L-Z-GH", "150103", day(17), "仓库", 1, f"reports/{month}/zgh", on_time)]
                if month == "2024-01"
                else []
            ),
        ]
        if month == "2024-03":
            # A bad row: an unknown leader (quarantined, never evidence).
            inspections.append((f"I-BAD-{month}", "L-NOBODY", "150103", day(18), "学校", 0, "reports/bad", on_time))
        p = inbox / f"inspection_{month}.csv"
        _write(
            p,
            ["record_id", "leader_id", "unit_code", "led_on", "targets", "issues_found", "report_ref", "received_at"],
            inspections,
        )
        paths.append(p)
        p = inbox / f"hazard_inspection_{month}.csv"
        _write(
            p,
            ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived", "received_at"],
            [(f"HI-{month}-1", ents[0][0], day(20), "legal_representative", 1, "true", on_time)]
            + ([(f"HI-{month}-2", ents[1][0], day(21), "other", 0, "true", on_time)] if month != "2024-01" else []),
        )
        paths.append(p)
    return paths


def write_late_record(inbox: Path, month: str = MONTH) -> Path:
    """A record for a closed period arriving late (Huimin's government head, March)."""
    p = inbox / f"inspection_{month}_late.csv"
    _write(
        p,
        ["record_id", "leader_id", "unit_code", "led_on", "targets", "issues_found", "report_ref", "received_at"],
        [
            (
                f"I-Z-GH-{month}-LATE",
                "L-Z-GH",
                "150103",
                f"{month}-25",
                "矿山",
                3,
                f"reports/{month}/zgh-late",
                "2024-04-14 16:00",
            )
        ],
    )
    return p


# --------------------------------------------------------------------------- periods


def run_after_for(month: str, cadence: str = "monthly") -> dt.datetime:
    """When the GraceTimetable creates the run of ``month`` (its grace end)."""
    from safegov.airflow.timetable import GraceTimetable
    from safegov.core.periods import parse_period
    from safegov.register.obligations import get_register

    grace = max(ob.grace_working_days for ob in get_register().by_cadence(cadence))
    return GraceTimetable(cadence, grace).grace_end(parse_period(month))


# --------------------------------------------------------------------------- canonical form

# Columns that differ between two correct runs of the same steps: surrogate ids, moments of
# processing, the Airflow run ids, hash-chain links (which cover those moments), and the
# delivery bookkeeping of emails (attempts differ when the mail server was down; checked
# separately: every row ends sent, at most one possible duplicate).
VOLATILE = {
    "id",
    "run_id",
    "raw_row_id",
    "file_id",
    "hash",
    "prev_hash",
    # an audit checkpoint's head and signature cover the chain's moments, like its links
    "head_id",
    "head_hash",
    "mac",
    "attempts",
    "last_response",
    "provider_message_id",
    "possible_duplicate",
    "lease_owner",
    "lease_until",
    "next_attempt_at",
    "last_error",
    "claimed_by",
    "decided_at",
    "last_status",
}
# Surrogate foreign keys are replaced by the natural key of the row they point to.
NATURAL_KEY = {"case": ("case_key",), "blacklist_entry": ("enterprise_id", "trigger", "trigger_ref")}
FK_COLUMNS = {("case_event", "case_id"): "case", ("blacklist_event", "entry_id"): "blacklist_entry"}
# Payload keys of the audit log that carry moments or run ids.
AUDIT_VOLATILE = {
    "run_id",
    "at",
    "created_at",
    "updated_at",
    "sent_at",
    "claimed_at",
    "decided_at",
    "id",
    "case_id",
    "entry_id",
    "attempts",
    "last_response",
    "provider_message_id",
    "lease_until",
    "next_attempt_at",
    "possible_duplicate",
    "outbox_id",
    "changed_at",
    "received_at",
    "ingested_at",
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return None  # moments are volatile (see VOLATILE)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items()) if k not in AUDIT_VOLATILE}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, bool)):  # Decimal
        return round(float(value), 6)
    return value


def canonical_dump(engine, *, tables: Iterable[str] | None = None, skip: Iterable[str] = ()) -> dict[str, list]:
    """``{table: sorted rows}``; each row a JSON string of its non-volatile columns."""
    from safegov.db.models import Base

    skip = set(skip)
    meta = Base.metadata
    wanted = [t for t in meta.sorted_tables if (tables is None or t.name in set(tables)) and t.name not in skip]
    out: dict[str, list] = {}
    with engine.connect() as conn:
        natural: dict[str, dict[Any, Any]] = {}
        for tname, cols in NATURAL_KEY.items():
            t = meta.tables[tname]
            natural[tname] = {r[0]: list(r[1:]) for r in conn.execute(select(t.c.id, *[t.c[c] for c in cols]))}
        for table in wanted:
            keep = [
                c
                for c in table.columns
                if c.name not in VOLATILE
                and not isinstance(c.type, DateTime)
                and type(c.type).__name__ != "UTCDateTime"
            ]
            fks = {
                c.name: FK_COLUMNS[(table.name, c.name)] for c in table.columns if (table.name, c.name) in FK_COLUMNS
            }
            sel = [*keep, *[table.c[n] for n in fks]]
            rows = []
            for r in conn.execute(select(*sel)):
                d = {c.name: _plain(r._mapping[c.name]) for c in keep}
                for n, target in fks.items():
                    d[n] = natural[target].get(r._mapping[n])
                rows.append(json.dumps(d, sort_keys=True, ensure_ascii=False, default=str))
            out[table.name] = sorted(rows)
    return out


def diff_dumps(a: dict[str, list], b: dict[str, list], limit: int = 6) -> str:
    """A readable difference of two canonical dumps ('' when equal)."""
    lines = []
    for t in sorted(set(a) | set(b)):
        ra, rb = a.get(t, []), b.get(t, [])
        if ra == rb:
            continue
        from collections import Counter

        ca, cb = Counter(ra), Counter(rb)
        only_a, only_b = list((ca - cb).elements()), list((cb - ca).elements())
        lines.append(f"{t}: {len(ra)} vs {len(rb)} rows; only left {len(only_a)}, only right {len(only_b)}")
        lines += [f"  - {x[:400]}" for x in only_a[:limit]]
        lines += [f"  + {x[:400]}" for x in only_b[:limit]]
    return "\n".join(lines)


def duplicates(engine) -> dict[str, list]:
    """Duplicate cases (same natural key) and emails (same outbox key, or the same message
    recorded twice by the mail server is checked by the caller)."""
    from sqlalchemy import func

    from safegov.db.models import Case, OutboxMessage

    with engine.connect() as conn:
        cases = conn.execute(
            select(Case.kind, Case.rule_id, Case.subject_id, Case.period, func.count())
            .group_by(Case.kind, Case.rule_id, Case.subject_id, Case.period)
            .having(func.count() > 1)
        ).all()
        mails = conn.execute(
            select(OutboxMessage.key, func.count()).group_by(OutboxMessage.key).having(func.count() > 1)
        ).all()
    return {"cases": [tuple(r) for r in cases], "outbox": [tuple(r) for r in mails]}
