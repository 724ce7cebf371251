"""Pre-due reminders: N working days before the due date, only while the quota is not met."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db.models import Enterprise, HazardInspection, Inspection, Leader, Meeting, OutboxMessage
from safegov.register.obligations import get_register

COUNTY, OTHER = "150102", "150103"  # 新城区, 回民区 (Hohhot)
E_DONE, E_OTHER_ROLE, E_NONE = "91150102MA00000001", "91150102MA00000002", "91150102MA00000003"
CREATED = dt.datetime(2024, 3, 25, 9, 0, tzinfo=TZ)


def _leader(i, unit, role, email, start=dt.date(2020, 1, 1), end=None):
    return Leader(
        leader_id=f"L{i}", name=f"领导{i}", unit_code=unit, role=role, email=email, term_start=start, term_end=end
    )


def _rec(model, **kw):
    return model(received_at=CREATED, raw_row_id=1, content_hash="h", **kw)


@pytest.fixture
def world(engine):
    from safegov.org.units import sync_units

    with Session(engine) as s, s.begin():
        sync_units(s)
        s.add_all(
            [
                _leader(1, COUNTY, "party_secretary", "ps.150102@example.gov.cn"),
                _leader(2, COUNTY, "government_head", "gh.150102@example.gov.cn"),
                _leader(3, COUNTY, "safety_office_director", "office.150102@example.gov.cn"),
                _leader(4, OTHER, "safety_office_director", "office.150103@example.gov.cn"),
                # OTHER's party secretary left before the due date: the last holder is still responsible.
                _leader(5, OTHER, "party_secretary", None, end=dt.date(2024, 2, 29)),
            ]
        )
        for eid, name in ((E_DONE, "甲公司"), (E_OTHER_ROLE, "乙公司"), (E_NONE, "丙公司")):
            s.add(
                Enterprise(
                    enterprise_id=eid,
                    name=name,
                    county_code=COUNTY,
                    contact_email=f"{eid[-1]}@corp.example.cn",
                    registered_on=dt.date(2019, 1, 1),
                )
            )
        s.add(
            Enterprise(
                enterprise_id="91150102MA00000004",
                name="已注销",
                county_code=COUNTY,
                contact_email="x@corp.example.cn",
                registered_on=dt.date(2019, 1, 1),
                closed_on=dt.date(2024, 1, 1),
            )
        )
        # The county's safety committee met in March; its party secretary inspected in March.
        s.add(
            _rec(
                Meeting,
                unit_code=COUNTY,
                record_id="M1",
                body="safety_committee",
                held_on=dt.date(2024, 3, 5),
                minutes_ref="m",
            )
        )
        s.add(
            _rec(
                Inspection,
                record_id="I1",
                leader_id="L1",
                unit_code=COUNTY,
                led_on=dt.date(2024, 3, 6),
                targets="煤矿",
                issues_found=0,
                report_ref="r",
            )
        )
        s.add(
            _rec(
                HazardInspection,
                enterprise_id=E_DONE,
                record_id="H1",
                inspected_on=dt.date(2024, 3, 8),
                led_by_role="legal_representative",
                hazards_found=0,
                archived=True,
            )
        )
        # Led by "other": does not count under 〔四〕.
        s.add(
            _rec(
                HazardInspection,
                enterprise_id=E_OTHER_ROLE,
                record_id="H2",
                inspected_on=dt.date(2024, 3, 8),
                led_by_role="other",
                hazards_found=0,
                archived=True,
            )
        )
    return engine


def remind(engine, on):
    from safegov.notification.reminders import queue_reminders

    return queue_reminders(engine, get_register(), on=on, created_at=CREATED)


def outbox(engine, **where):
    with Session(engine) as s:
        q = select(OutboxMessage)
        for k, v in where.items():
            q = q.where(getattr(OutboxMessage, k) == v)
        return {r.key: r for r in s.scalars(q)}


@pytest.mark.parametrize(
    "on, step, expect_any",
    [
        (dt.date(2024, 3, 25), "remind-5", True),  # Mon: 5 working days before Sun 31 March
        (dt.date(2024, 3, 29), "remind-1", True),  # Fri: 1 working day before
        (dt.date(2024, 3, 24), None, False),  # Sunday before: 6 working days to go, no stage yet
        (dt.date(2024, 3, 26), "remind-5", True),  # Monday's run missed: caught up on Tuesday
        (dt.date(2024, 3, 30), "remind-1", True),  # Saturday, first run in days: only the most urgent
    ],
)
def test_reminders_fall_on_the_offsets(world, on, step, expect_any):
    n = remind(world, on)
    rows = outbox(world)
    assert (n > 0) == expect_any
    assert {r.step for r in rows.values()} == ({step} if step else set())


def test_reminders_only_where_the_quota_is_not_met(world):
    remind(world, dt.date(2024, 3, 25))
    rows = outbox(world)
    subjects = {tuple(k.split("|")[:3]) for k in rows}
    # Met: the county's March meeting and its party secretary's March inspection.
    assert ("reminder:SC-MEET-LOCAL", COUNTY, "2024-03") not in subjects
    assert ("reminder:LEAD-INSPECT-COUNTY", f"{COUNTY}:party_secretary", "2024-03") not in subjects
    # …but the county's bulletin for March is still missing.
    assert ("reminder:BULLETIN-MONTHLY", COUNTY, "2024-03") in subjects
    # Not met: the government head did not inspect; the other county did not meet.
    gh = rows[f"reminder:LEAD-INSPECT-COUNTY|{COUNTY}:government_head|2024-03|L2|remind-5"]
    assert (gh.state, gh.to_email, gh.cc) == ("pending", "gh.150102@example.gov.cn", ["office.150102@example.gov.cn"])
    assert "尚缺：1次" in gh.body_text and "2024年3月31日" in gh.body_text
    meet = rows[f"reminder:SC-MEET-LOCAL|{OTHER}|2024-03|L4|remind-5"]
    assert meet.to_email == "office.150103@example.gov.cn" and meet.cc is None  # the office is the addressee
    # Enterprises: self-inspection led by the legal representative counts; by "other" it does not.
    ent = {k.split("|")[1] for k in rows if k.startswith("reminder:ENT-HAZARD-SELFCHECK|")}
    assert E_DONE not in ent and {E_OTHER_ROLE, E_NONE} <= ent
    assert "91150102MA00000004" not in ent  # closed before the period: out of scope
    # A vacancy: the last holder is responsible; no address → failed visibly.
    ps = rows[f"reminder:LEAD-INSPECT-COUNTY|{OTHER}:party_secretary|2024-03|L5|remind-5"]
    assert (ps.state, ps.reason) == ("failed", "no_address")
    # Units without any leader registered: failed, named by post.
    assert rows["reminder:SC-MEET-LOCAL|150104|2024-03|150104:safety_office_director|remind-5"].reason == "no_address"
    # Quarterly obligations are due on the same day (2024-Q1 ends 31 March).
    assert any(k.startswith("reminder:LEAD-INSPECT-LEAGUE|150100:party_secretary|2024-Q1|") for k in rows)


def test_reminders_are_idempotent(world):
    first = remind(world, dt.date(2024, 3, 25))
    assert first > 0
    assert remind(world, dt.date(2024, 3, 25)) == 0
    # The next days of the same stage send nothing more; the next stage sends its own.
    assert remind(world, dt.date(2024, 3, 26)) == remind(world, dt.date(2024, 3, 28)) == 0
    assert remind(world, dt.date(2024, 3, 29)) > 0
    assert {r.step for r in outbox(world).values()} == {"remind-5", "remind-1"}


def test_backfilled_reminders_are_suppressed(world):
    from safegov.notification.reminders import queue_reminders

    queue_reminders(world, get_register(), on=dt.date(2024, 3, 25), created_at=dt.datetime(2024, 9, 1, tzinfo=TZ))
    states = {r.state for r in outbox(world).values()}
    assert states == {"suppressed"}


def test_hazard_deadline_reminder(world):
    from safegov.db.models import Hazard

    with Session(world) as s, s.begin():
        for hid, rectified in (("HZ1", None), ("HZ2", dt.date(2024, 3, 20))):
            s.add(
                _rec(
                    Hazard,
                    hazard_id=hid,
                    enterprise_id=E_NONE,
                    found_on=dt.date(2024, 3, 1),
                    grade="major",
                    description="d",
                    responsible_person="p",
                    funds_cny=1.0,
                    measures="m",
                    deadline=dt.date(2024, 3, 29),
                    contingency_plan="c",
                    rectified_on=rectified,
                )
            )
    remind(world, dt.date(2024, 3, 22))  # 5 working days before Fri 29 March
    keys = [k for k in outbox(world) if k.split("|")[1].startswith("HZ")]
    assert keys == [f"reminder:HAZARD-RECTIFY|HZ1|2024-03-29|{E_NONE}|remind-5"]


def test_digest_office_gets_one_mail_instead_of_a_cc_per_item(world, monkeypatch):
    import safegov.notification.outbox
    import safegov.notification.reminders
    from safegov.notification.outbox import NotificationConfig
    from safegov.notification.reminders import queue_digests

    cfg = NotificationConfig(digest={"offices": [COUNTY]})
    monkeypatch.setattr(safegov.notification.outbox, "get_notification_config", lambda path=None: cfg)
    monkeypatch.setattr(safegov.notification.reminders, "get_notification_config", lambda path=None: cfg)
    remind(world, dt.date(2024, 3, 25))
    rows = outbox(world)
    gh = rows[f"reminder:LEAD-INSPECT-COUNTY|{COUNTY}:government_head|2024-03|L2|remind-5"]
    assert gh.cc is None and gh.digest_office == COUNTY
    covered = [r for r in rows.values() if r.digest_office == COUNTY]
    assert queue_digests(world, on=dt.date(2024, 3, 25), created_at=CREATED) == 1
    assert queue_digests(world, on=dt.date(2024, 3, 25), created_at=CREATED) == 0
    (digest,) = outbox(world, purpose="digest").values()
    assert digest.to_email == "office.150102@example.gov.cn" and digest.state == "pending"
    assert f"共{len(covered)}项" in digest.body_text
    assert digest.key == f"digest|{COUNTY}|2024-03-25|L3|daily"
