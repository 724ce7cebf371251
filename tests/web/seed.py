"""A small, known compliance database for the dashboard tests (rows inserted directly).

Known facts the tests look for:
- SC-MEET-LOCAL, 2024-01..03, units 150100 (呼和浩特市), 150102 (新城区), 150103 (回民区),
  150200 (包头市), 150202 (东河区);
  MISSES: 150102 in 2024-02 (no_records) and 150202 in 2024-03 (evidence_rejected);
  met_late: 150103 in 2024-03; every other cell met with meeting ``M-<unit>-<period>``.
- A quarantined meeting row of 150202 (2024-03) with a rejection (minutes_ref required).
- Cases: notice #1 for 150102/2024-02 (open), interview #2 for 150202/2024-03
  (awaiting_approval, run ``scheduled__2024-04-08``, task ``approve_cases``).
- Blacklist: ENT_A (150102, listed), ENT_B (150202, listed).
- Outbox: pending mail to a 150102 leader, failed mail to the 150202 office, dead mail.
- Accidents in 2024-03: ACC-1 in 150102 (late_report), ACC-2 in 150202 (concealed,
  under_graded), ACC-3 in 150202 (on time).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safegov.core.periods import TZ, parse_period
from safegov.db.models import (
    Accident,
    BlacklistEntry,
    BlacklistEvent,
    Case,
    Enterprise,
    Evaluation,
    Leader,
    Meeting,
    OutboxMessage,
    RawRow,
    Rejection,
    SubmissionFile,
)
from safegov.org.units import sync_units

ENT_A = "91150102MA0000001X"  # not check-digit valid: the dashboard does not care
ENT_B = "91150202MA0000002X"
UNITS = ["150100", "150102", "150103", "150200", "150202"]
PERIODS = ["2024-01", "2024-02", "2024-03"]
MISSES = {("150102", "2024-02"): "no_records", ("150202", "2024-03"): "evidence_rejected"}
LATE = {("150103", "2024-03")}
UTC = dt.UTC
AT = dt.datetime(2024, 4, 10, 2, 0, tzinfo=UTC)


def seed(engine: Engine, *, extra_enterprises: int = 0) -> None:
    with Session(engine) as s:
        sync_units(s)
        s.flush()
        f = SubmissionFile(
            file_name="meeting_2024-03.csv",
            sha256="0" * 64,
            record_type="meeting",
            received_at=AT,
            ingested_at=AT,
            status="processed",
            rows_total=2,
            rows_accepted=1,
            rows_quarantined=1,
        )
        s.add(f)
        s.flush()
        for i, (unit, period) in enumerate((u, p) for u in UNITS for p in PERIODS):
            first = parse_period(period).first
            status = "missed" if (unit, period) in MISSES else "met_late" if (unit, period) in LATE else "met"
            rid = f"M-{unit}-{period}"
            if status != "missed":
                s.add(
                    Meeting(
                        unit_code=unit,
                        record_id=rid,
                        body="safety_committee",
                        held_on=first + dt.timedelta(days=9),
                        minutes_ref=f"minutes/{rid}.pdf",
                        received_at=AT,
                        raw_row_id=1000 + i,
                        content_hash="h" * 64,
                        version=1,
                    )
                )
            s.add(
                Evaluation(
                    obligation_id="SC-MEET-LOCAL",
                    subject_kind="unit",
                    subject_id=unit,
                    period=period,
                    status=status,
                    counted=0 if status == "missed" else 1,
                    required=1,
                    due_on=parse_period(period).last,
                    reason=MISSES.get((unit, period)),
                    evidence=None if status == "missed" else rid,
                    unit_code=unit,
                    evaluated_at=AT,
                )
            )
        rr = RawRow(
            file_id=f.id,
            row_number=2,
            record_type="meeting",
            received_at=AT,
            status="quarantined",
            values={"record_id": "M-150202-BAD", "unit_code": "150202", "held_on": "2024-03-12", "minutes_ref": ""},
            unit_code="150202",
            record_date=dt.date(2024, 3, 12),
        )
        ok = RawRow(
            file_id=f.id,
            row_number=3,
            record_type="meeting",
            received_at=AT,
            status="accepted",
            values={"record_id": "M-150202-2024-02"},
            unit_code="150202",
            record_date=dt.date(2024, 3, 2),
        )
        s.add_all([rr, ok])
        s.flush()
        s.add(
            Rejection(
                raw_row_id=rr.id, column="minutes_ref", rule="required", value="", message="minutes_ref is required"
            )
        )

        for ent, county, name in ((ENT_A, "150102", "新城煤业有限公司"), (ENT_B, "150202", "东河化工有限公司")):
            s.add(
                Enterprise(
                    enterprise_id=ent,
                    name=name,
                    county_code=county,
                    industry="mining",
                    high_risk=True,
                    registered_on=dt.date(2010, 1, 1),
                    contact_email="boss@" + county + ".example.cn",
                )
            )
        for n in range(extra_enterprises):
            s.add(
                Enterprise(
                    enterprise_id=f"9115{n:014d}",
                    name=f"企业{n}",
                    county_code=UNITS[n % len(UNITS)],
                    registered_on=dt.date(2015, 1, 1),
                )
            )
        s.add(
            Leader(
                leader_id="L-150102-PS",
                name="张三",
                unit_code="150102",
                role="party_secretary",
                email="zhang.san@xc.example.cn",
                term_start=dt.date(2020, 1, 1),
            )
        )
        s.flush()

        s.add(
            Case(
                case_key="SC-MEET-LOCAL|150102|2024-02|notice",
                kind="notice",
                rule_id="SC-MEET-LOCAL",
                subject_kind="unit",
                subject_id="150102",
                unit_code="150102",
                period="2024-02",
                step="notice",
                state="open",
                opened_on=dt.date(2024, 3, 8),
            )
        )
        s.add(
            Case(
                case_key="SC-MEET-LOCAL|150202|2024-03|interview",
                kind="interview",
                rule_id="SC-MEET-LOCAL",
                subject_kind="unit",
                subject_id="150202",
                unit_code="150202",
                period="2024-03",
                step="interview",
                persons="L-150202-PS;L-150202-GH",
                deciding_unit="150200",
                state="awaiting_approval",
                opened_on=dt.date(2024, 4, 8),
                run_id="scheduled__2024-04-08",
                details={"approval_task_id": "approve_cases"},
            )
        )
        s.add(
            Case(
                case_key="ACC|ACC-2|reporting_violation",
                kind="reporting_violation",
                rule_id="REPORTING-VIOLATION",
                subject_kind="accident",
                subject_id="ACC-2",
                unit_code="150202",
                period="ACC-2",
                step="reporting_violation",
                state="open",
                opened_on=dt.date(2024, 3, 20),
            )
        )

        for ent, ref in ((ENT_A, "ACC-1"), (ENT_B, "ACC-2")):
            e = BlacklistEntry(
                enterprise_id=ent,
                trigger="false_report",
                trigger_ref=ref,
                state="listed",
                candidate_on=dt.date(2024, 3, 20),
                notified_on=dt.date(2024, 3, 21),
                listed_on=dt.date(2024, 4, 1),
                expires_on=dt.date(2027, 4, 1),
                repair_eligible_on=dt.date(2025, 4, 1),
                scopes=["bidding", "government_procurement"],
            )
            s.add(e)
            s.flush()
            # The lifecycle lives in blacklist_event; safegov.accountability.blacklist.check reads it.
            for frm, to, on in (
                (None, "candidate", dt.date(2024, 3, 20)),
                ("candidate", "notified", dt.date(2024, 3, 21)),
                ("notified", "listed", dt.date(2024, 4, 1)),
            ):
                s.add(BlacklistEvent(entry_id=e.id, from_state=frm, to_state=to, on=on, at=AT, by="seed"))

        def mail(key, state, recipient, subject_id, to):
            return OutboxMessage(
                key=key,
                purpose="escalation",
                subject_id=subject_id,
                period="2024-02",
                recipient=recipient,
                step="notice",
                to_email=to,
                cc=None,
                mail_subject=f"通知 {subject_id}",
                body_text="…",
                state=state,
                created_at=AT,
                attempts=0 if state == "pending" else 5,
            )

        s.add(mail("k1", "pending", "L-150102-PS", "150102", "zhang.san@xc.example.cn"))
        s.add(mail("k2", "failed", "150202", "150202", None))
        s.add(mail("k3", "dead", "150200", "150202", "office@bt.example.cn"))

        def acc(aid, unit, ent, hours, concealed, grade, deaths):
            occurred = dt.datetime(2024, 3, 15, 10, 0, tzinfo=TZ)
            return Accident(
                accident_id=aid,
                unit_code=unit,
                enterprise_id=ent,
                occurred_at=occurred,
                reported_at=occurred + dt.timedelta(hours=hours),
                deaths=deaths,
                serious_injuries=0,
                direct_loss_10k_cny=50.0,
                declared_grade=grade,
                concealed=concealed,
                description="…",
                received_at=AT,
                raw_row_id=2000,
                content_hash="a" * 64,
            )

        s.add_all(
            [
                acc("ACC-1", "150102", ENT_A, 2, False, "general", 1),
                acc("ACC-2", "150202", ENT_B, 0.5, True, "general", 3),
                acc("ACC-3", "150202", None, 0.5, False, "general", 0),
            ]
        )
        for aid, unit, status, reason in (
            ("ACC-1", "150102", "missed", "late_report"),
            ("ACC-2", "150202", "missed", "under_graded,concealed"),
            ("ACC-3", "150202", "met", None),
        ):
            s.add(
                Evaluation(
                    obligation_id="ACCIDENT-REPORT-TIMELY",
                    subject_kind="accident",
                    subject_id=aid,
                    period="2024-03",
                    status=status,
                    counted=1,
                    required=1,
                    due_on=dt.date(2024, 3, 15),
                    reason=reason,
                    evidence=aid,
                    unit_code=unit,
                    evaluated_at=AT,
                )
            )
        s.commit()


def long_blacklist(engine: Engine, n: int) -> list[str]:
    """``n`` more listed enterprises of 新城区 (新城测试企业<i>有限公司): a blacklist of more than
    one page. In the list's order (state, credit code) they come between ENT_A and ENT_B;
    returns their credit codes in that order."""
    codes = [f"91150102MB{i:07d}Y" for i in range(n)]
    with Session(engine) as s:
        for i, code in enumerate(codes):
            s.add(
                Enterprise(
                    enterprise_id=code,
                    name=f"新城测试企业{i}有限公司",
                    county_code="150102",
                    registered_on=dt.date(2015, 1, 1),
                )
            )
            s.add(
                BlacklistEntry(
                    enterprise_id=code,
                    trigger="false_report",
                    trigger_ref=f"ACC-X{i}",
                    state="listed",
                    candidate_on=dt.date(2024, 3, 20),
                    listed_on=dt.date(2024, 4, 1),
                    expires_on=dt.date(2027, 4, 1),
                    scopes=["bidding"],
                )
            )
        s.commit()
    return codes
