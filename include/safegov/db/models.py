"""The compliance database: SQLAlchemy 2 typed models (SPEC §2, §3, §5, §6, §7, §9).

Conventions
- Natural keys are unique constraints; every writer upserts on them, so re-runs never
  duplicate a row.
- Dates are ``date``; moments are timezone-aware UTC in the database
  (``UTCDateTime`` converts on the way in and out); periods are keys like ``2024-03``.
- History is append-only: ``record_version``, ``evaluation_history``, ``case_event``,
  ``blacklist_event`` and the hash-chained ``audit_log``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC; SQLite keeps no offset, so normalise both ways."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give an offset (Asia/Shanghai or UTC)")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Shared column types (Warehouse style).
intpk = Annotated[
    int, mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
]
unit_code = Annotated[str, mapped_column(String(6))]
record_id = Annotated[str, mapped_column(String(64))]
credit_code = Annotated[str, mapped_column(String(18))]
period_key = Annotated[str, mapped_column(String(16))]
short = Annotated[str, mapped_column(String(64))]
name = Annotated[str, mapped_column(String(200))]
text = Annotated[str, mapped_column(Text)]
moment = Annotated[dt.datetime, mapped_column(UTCDateTime())]
jsonb = Annotated[Any, mapped_column(JSON)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --------------------------------------------------------------------------- registries (§2)


class Unit(Base):
    """An administrative unit (GB/T 2260): region 自治区, league/city 盟市, county 旗县(市、区)."""

    __tablename__ = "unit"
    code: Mapped[unit_code] = mapped_column(primary_key=True)
    name: Mapped[name]
    level: Mapped[str] = mapped_column(String(8))  # region | league | county, derived from code
    parent_code: Mapped[str | None] = mapped_column(String(6), ForeignKey("unit.code"), index=True)


class Post(Base):
    """A post ``<unit_code>:<role>`` (职务); obligations attach to posts, not persons."""

    __tablename__ = "post"
    post_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    unit_code: Mapped[unit_code] = mapped_column(ForeignKey("unit.code"), index=True)
    role: Mapped[short]
    department_id: Mapped[str | None] = mapped_column(String(64))


class Leader(Base):
    """A person holding a post for a term (领导干部)."""

    __tablename__ = "leader"
    leader_id: Mapped[record_id] = mapped_column(primary_key=True)
    name: Mapped[name]
    unit_code: Mapped[unit_code] = mapped_column(index=True)
    role: Mapped[short]
    department_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    term_start: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date | None] = mapped_column(Date)
    received_at: Mapped[moment | None]
    raw_row_id: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (Index("ix_leader_post", "unit_code", "role", "term_start"),)


class Department(Base):
    """A department with safety duties (负有安全生产监督管理职责的部门)."""

    __tablename__ = "department"
    department_id: Mapped[record_id] = mapped_column(primary_key=True)
    unit_code: Mapped[unit_code] = mapped_column(index=True)
    name: Mapped[name]
    industry: Mapped[str | None] = mapped_column(String(64))
    safety_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    received_at: Mapped[moment | None]
    raw_row_id: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)


class Staff(Base):
    """An enforcement officer (安全监管执法人员, 〔九〕) of a unit or one of its departments."""

    __tablename__ = "staff"
    staff_id: Mapped[record_id] = mapped_column(primary_key=True)
    name: Mapped[name]
    unit_code: Mapped[unit_code] = mapped_column(index=True)
    department_id: Mapped[str | None] = mapped_column(String(64))
    certified_on: Mapped[dt.date | None] = mapped_column(Date)  # 持证上岗: None = no certificate
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    joined_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    received_at: Mapped[moment | None]
    raw_row_id: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)


class Enterprise(Base):
    """An enterprise (生产经营单位) keyed by its unified social credit code."""

    __tablename__ = "enterprise"
    enterprise_id: Mapped[credit_code] = mapped_column(primary_key=True)
    name: Mapped[name]
    county_code: Mapped[unit_code] = mapped_column(index=True)
    industry: Mapped[str | None] = mapped_column(String(64))
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    received_at: Mapped[moment | None]
    raw_row_id: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    # 〔八〕 安全生产监管主体: the department with safety duties that supervises it (None: none named).
    supervising_department_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # 〔四〕〔十八〕 实际控制人 (None: not registered).
    actual_controller: Mapped[str | None] = mapped_column(String(100))


# --------------------------------------------------------------------------- submissions (§3)


class SubmissionFile(Base):
    """One file taken from the inbox, once per content hash."""

    __tablename__ = "submission_file"
    id: Mapped[intpk]
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    record_type: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[moment]
    ingested_at: Mapped[moment]
    status: Mapped[str] = mapped_column(String(16))  # processed | rejected
    reason: Mapped[str | None] = mapped_column(Text)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_accepted: Mapped[int] = mapped_column(default=0)
    rows_quarantined: Mapped[int] = mapped_column(default=0)
    run_id: Mapped[str | None] = mapped_column(String(250))


class RawRow(Base):
    """Every submitted row, stored before anything else looks at it."""

    __tablename__ = "raw_row"
    id: Mapped[intpk]
    file_id: Mapped[int] = mapped_column(ForeignKey("submission_file.id"), index=True)
    row_number: Mapped[int]
    record_type: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[moment]
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    natural_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # accepted | quarantined
    # Best-effort hints parsed from the raw values, so that a quarantined row can still be
    # attributed to a subject and period (reason `evidence_rejected`, quality by unit).
    unit_code: Mapped[str | None] = mapped_column(String(6))
    enterprise_id: Mapped[str | None] = mapped_column(String(18))
    leader_id: Mapped[str | None] = mapped_column(String(64))
    record_date: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("file_id", "row_number"),
        Index("ix_raw_row_hint", "record_type", "status", "record_date"),
    )


class Rejection(Base):
    """One reason a raw row was quarantined: column, rule, offending value."""

    __tablename__ = "rejection"
    id: Mapped[intpk]
    raw_row_id: Mapped[int] = mapped_column(ForeignKey("raw_row.id"), index=True)
    column: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)


class RecordVersion(Base):
    """Every accepted version of every record (the history behind the current tables)."""

    __tablename__ = "record_version"
    id: Mapped[intpk]
    record_type: Mapped[str] = mapped_column(String(32))
    natural_key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[moment]
    raw_row_id: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[moment]

    __table_args__ = (UniqueConstraint("record_type", "natural_key", "version"),)


class _Record:
    """Columns every accepted record carries."""

    received_at: Mapped[moment]
    raw_row_id: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)


class Meeting(_Record, Base):
    """A meeting of a safety committee (安委会), party standing committee or government executive meeting."""

    __tablename__ = "meeting"
    id: Mapped[intpk]
    unit_code: Mapped[unit_code]
    record_id: Mapped[record_id]
    body: Mapped[short]
    held_on: Mapped[dt.date] = mapped_column(Date)
    heard_safety_report: Mapped[bool] = mapped_column(Boolean, default=False)
    heard_case_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    chaired_by: Mapped[str | None] = mapped_column(String(64))
    minutes_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("unit_code", "record_id"),
        Index("ix_meeting_eval", "body", "unit_code", "held_on"),
    )


class Inspection(_Record, Base):
    """An inspection led by a leader (领导带队督查检查)."""

    __tablename__ = "inspection"
    id: Mapped[intpk]
    record_id: Mapped[record_id] = mapped_column(unique=True)
    leader_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    led_on: Mapped[dt.date] = mapped_column(Date)
    targets: Mapped[str] = mapped_column(Text)
    issues_found: Mapped[int]
    report_ref: Mapped[str] = mapped_column(String(200))
    officer_ids: Mapped[str | None] = mapped_column(Text)  # 〔九〕 staff ids joined by ';'

    __table_args__ = (Index("ix_inspection_eval", "leader_id", "led_on"),)


class Bulletin(_Record, Base):
    """A monthly information-reporting bulletin (事故信息通报) of a safety office."""

    __tablename__ = "bulletin"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    period: Mapped[period_key]
    issued_on: Mapped[dt.date] = mapped_column(Date)
    accidents_reported: Mapped[int]
    late_reports: Mapped[int]
    concealed_reports: Mapped[int]
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("unit_code", "period"),)


class HazardInspection(_Record, Base):
    """An enterprise's comprehensive hazard self-inspection (隐患排查)."""

    __tablename__ = "hazard_inspection"
    id: Mapped[intpk]
    enterprise_id: Mapped[credit_code]
    record_id: Mapped[record_id]
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    led_by_role: Mapped[short]
    hazards_found: Mapped[int]
    archived: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "record_id"),
        Index("ix_hazard_inspection_eval", "inspected_on", "enterprise_id"),
    )


class RiskAssessment(_Record, Base):
    """An enterprise's risk assessment and hazard identification (风险评估和危害辨识)."""

    __tablename__ = "risk_assessment"
    id: Mapped[intpk]
    enterprise_id: Mapped[credit_code]
    record_id: Mapped[record_id]
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    major_risks: Mapped[int]
    published_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "record_id"),
        Index("ix_risk_assessment_eval", "assessed_on", "enterprise_id"),
    )


class Hazard(_Record, Base):
    """A hazard (隐患) with the five elements of 〔四〕 五落实."""

    __tablename__ = "hazard"
    id: Mapped[intpk]
    hazard_id: Mapped[record_id] = mapped_column(unique=True)
    enterprise_id: Mapped[credit_code] = mapped_column(index=True)
    found_on: Mapped[dt.date] = mapped_column(Date)
    grade: Mapped[short]
    description: Mapped[str] = mapped_column(Text)
    responsible_person: Mapped[str] = mapped_column(String(100))
    funds_cny: Mapped[float]
    measures: Mapped[str] = mapped_column(Text)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    contingency_plan: Mapped[str] = mapped_column(Text)
    rectified_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)


class Accident(_Record, Base):
    """A work-safety accident (生产安全事故) and its first report."""

    __tablename__ = "accident"
    id: Mapped[intpk]
    accident_id: Mapped[record_id] = mapped_column(unique=True)
    unit_code: Mapped[unit_code] = mapped_column(index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(18))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    # When the unit's principal learned of it; None: when it occurred (the report's clock starts then).
    known_at: Mapped[moment | None]
    reported_at: Mapped[moment]
    deaths: Mapped[int]
    serious_injuries: Mapped[int]
    direct_loss_10k_cny: Mapped[float]
    declared_grade: Mapped[str | None] = mapped_column(String(20))
    concealed: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text)
    # 〔十五〕 漏报: where it became known (None or "unit": its county's own report) and the
    # document that told of it (a ticket id, a bulletin's reference).
    known_from: Mapped[str | None] = mapped_column(String(20))
    source_ref: Mapped[str | None] = mapped_column(String(200))
    # 〔十五〕 较大涉险: reported straight to the region as well.
    near_miss_larger: Mapped[bool | None] = mapped_column(Boolean)

    # 〔十四〕 the day the approved investigation report found it a liability accident (责任事故);
    # None: not (yet) so found.
    liability_found_on: Mapped[dt.date | None] = mapped_column(Date)


class Drill(_Record, Base):
    """An emergency drill (应急演练, 〔十三〕 定期组织演练) of a unit's government or a department."""

    __tablename__ = "drill"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    department_id: Mapped[str | None] = mapped_column(String(64))
    held_on: Mapped[dt.date] = mapped_column(Date)
    plan_ref: Mapped[str] = mapped_column(String(200))
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("unit_code", "record_id"),
        Index("ix_drill_eval", "held_on", "unit_code"),
    )


class AccidentReport(_Record, Base):
    """One hop of an accident's report (事故信息报送) 〔十五〕: ``reporter`` (a unit's safety
    office by its code, or a department by its id) told ``reported_to`` at ``reported_at``."""

    __tablename__ = "accident_report"
    id: Mapped[intpk]
    accident_id: Mapped[record_id] = mapped_column(index=True)
    reporter: Mapped[str] = mapped_column(String(64))
    reported_to: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[moment]

    __table_args__ = (UniqueConstraint("accident_id", "reporter", "reported_to"),)


class Complaint(_Record, Base):
    """A 12350 hotline ticket (举报投诉)."""

    __tablename__ = "complaint"
    id: Mapped[intpk]
    ticket_id: Mapped[record_id] = mapped_column(unique=True)
    unit_code: Mapped[unit_code] = mapped_column(index=True)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    investigated_on: Mapped[dt.date | None] = mapped_column(Date)
    concluded_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)


class Milestone(_Record, Base):
    """A one-off institutional milestone (enforcement agency, rescue team, rescue base)."""

    __tablename__ = "milestone"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    milestone: Mapped[short]
    achieved_on: Mapped[dt.date] = mapped_column(Date)
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("unit_code", "record_id"),)


class Penalty(_Record, Base):
    """An administrative penalty decision (行政处罚决定); a blacklist listing under MEM Order
    No. 11 of 2023 follows one and is decided by its ``decided_by`` authority."""

    __tablename__ = "penalty"
    id: Mapped[intpk]
    penalty_id: Mapped[record_id] = mapped_column(unique=True)
    enterprise_id: Mapped[credit_code] = mapped_column(index=True)
    decided_by: Mapped[str] = mapped_column(String(64))  # unit code or department id
    decided_on: Mapped[dt.date] = mapped_column(Date)
    basis_kind: Mapped[short]
    basis_id: Mapped[str | None] = mapped_column(String(64))
    amount_cny: Mapped[float | None]
    document_ref: Mapped[str] = mapped_column(String(200))


class Plan(_Record, Base):
    """A year's enforcement plan (执法计划, 〔八〕) of a unit, or of one of its departments."""

    __tablename__ = "plan"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    department_id: Mapped[str | None] = mapped_column(String(64))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    approved_on: Mapped[dt.date] = mapped_column(Date)
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("unit_code", "record_id"),
        Index("ix_plan_eval", "effective_on", "unit_code"),
    )


class Training(_Record, Base):
    """A training of an enforcement officer (入职培训 / 轮训, 〔九〕)."""

    __tablename__ = "training"
    id: Mapped[intpk]
    staff_id: Mapped[record_id]
    record_id: Mapped[record_id]
    trained_on: Mapped[dt.date] = mapped_column(Date)
    course: Mapped[str] = mapped_column(String(200))
    certificate_ref: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("staff_id", "record_id"),
        Index("ix_training_eval", "staff_id", "trained_on"),
    )


# 〔十〕〔十六〕 (issue 16 items 3, 6)


class Budget(_Record, Base):
    """The safety fund's line in a unit's budget for a fiscal year (安全生产专项资金列入财政预算, 〔十〕)."""

    __tablename__ = "budget"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    fiscal_year: Mapped[period_key]
    fund_cny: Mapped[float]
    approved_on: Mapped[dt.date] = mapped_column(Date)
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("unit_code", "record_id"),
        Index("ix_budget_eval", "fiscal_year", "unit_code"),
    )


class SafetyCost(_Record, Base):
    """What an enterprise extracted and used of its safety costs in a fiscal year (企业安全生产费用, 〔十〕)."""

    __tablename__ = "safety_cost"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    enterprise_id: Mapped[credit_code]
    fiscal_year: Mapped[period_key]
    extracted_cny: Mapped[float]
    used_cny: Mapped[float | None]
    reported_on: Mapped[dt.date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "record_id"),
        Index("ix_safety_cost_eval", "fiscal_year", "enterprise_id"),
    )


class Referral(_Record, Base):
    """A quarter's accident information sent to the discipline inspection body or the
    organisation department of the same level (向纪检监察机关、组织部门报送事故情况, 〔十六〕)."""

    __tablename__ = "referral"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    period: Mapped[period_key]
    recipient: Mapped[str] = mapped_column(String(32))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    accident_count: Mapped[int]
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("unit_code", "record_id"),
        Index("ix_referral_eval", "period", "unit_code"),
    )


class Assessment(_Record, Base):
    """An assessment of a key industry's safety, announced to the public (重点行业领域安全生产状况
    评估、公告, 〔十六〕)."""

    __tablename__ = "assessment"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    unit_code: Mapped[unit_code]
    industry: Mapped[str] = mapped_column(String(64))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("unit_code", "record_id"),
        Index("ix_assessment_eval", "assessed_on", "unit_code"),
    )


class Review(_Record, Base):
    """倒查安全培训责任 〔十四〕: a review of the safety training behind a liability accident."""

    __tablename__ = "review"
    id: Mapped[intpk]
    record_id: Mapped[record_id]
    accident_id: Mapped[record_id] = mapped_column(index=True)
    unit_code: Mapped[unit_code]
    reviewed_on: Mapped[dt.date] = mapped_column(Date)
    training_failures: Mapped[int]
    doc_ref: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("accident_id", "record_id"),)


# --------------------------------------------------------------------------- evaluations (§5)


class Evaluation(Base):
    """The current verdict of obligation × subject × period."""

    __tablename__ = "evaluation"
    id: Mapped[intpk]
    obligation_id: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(80))
    period: Mapped[period_key]
    status: Mapped[str] = mapped_column(String(12))  # met | met_late | missed | pending | exempt
    counted: Mapped[int] = mapped_column(default=0)
    required: Mapped[int] = mapped_column(default=1)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    grace_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[str | None] = mapped_column(Text)  # deciding record ids joined by ';'
    responsible: Mapped[str | None] = mapped_column(String(64))  # leader_id at the due date
    unit_code: Mapped[str | None] = mapped_column(String(6))  # for dashboards/scoping
    evaluated_at: Mapped[moment]
    run_id: Mapped[str | None] = mapped_column(String(250))
    historical: Mapped[bool] = mapped_column(Boolean, default=False)

    # Two indexes, as every verdict a first run writes pays for each: the natural key (the
    # upsert's, the comparison of a re-run, a subject's verdicts) and the dashboard's (one
    # obligation, a range of periods, grouped by unit and status: the heatmap, the escalation's
    # misses, the probe whether a period was decided). Readers across obligations name the
    # register's obligations, so that this index serves them too.
    __table_args__ = (
        UniqueConstraint("obligation_id", "subject_id", "period"),
        Index("ix_evaluation_dashboard", "obligation_id", "period", "unit_code", "status"),
    )


class EvaluationHistory(Base):
    """A verdict that a later run replaced by another status (被取代的评价): the ``evaluation``
    row as it stood, archived in the transaction that changed it.

    The current verdict lives in ``evaluation`` only, so a first decision is written once; a
    key's history is its archived verdicts in order, then its current row
    (``safegov.evaluation.engine.verdict_timeline``). Each change of status is also in the
    audit chain."""

    __tablename__ = "evaluation_history"
    id: Mapped[intpk]
    obligation_id: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(80))
    period: Mapped[period_key]
    status: Mapped[str] = mapped_column(String(12))
    counted: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[moment]  # when the replaced verdict was written
    run_id: Mapped[str | None] = mapped_column(String(250))  # the run that wrote it
    replaced_at: Mapped[moment]
    replaced_by_run: Mapped[str | None] = mapped_column(String(250))

    __table_args__ = (Index("ix_evaluation_history_key", "obligation_id", "subject_id", "period"),)


# --------------------------------------------------------------------------- cases (§6)


class Case(Base):
    """An accountability case (问责案件); one per (rule, subject, period, step)."""

    __tablename__ = "case"
    id: Mapped[intpk]
    case_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    rule_id: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(80))
    unit_code: Mapped[str | None] = mapped_column(String(6), index=True)
    period: Mapped[str] = mapped_column(String(64))  # period key, or accident/hazard id
    # First day of the period, or the event's date (accident day, hazard deadline, ticket
    # due date): lets exports and reports select cases by date range whatever the key.
    period_start: Mapped[dt.date | None] = mapped_column(Date, index=True)
    step: Mapped[str] = mapped_column(String(24))
    persons: Mapped[str | None] = mapped_column(Text)  # leader ids joined by ';'
    deciding_unit: Mapped[str | None] = mapped_column(String(6))
    state: Mapped[str] = mapped_column(String(20))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[moment | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(250))

    __table_args__ = (
        Index("ix_case_state", "state", "kind"),
        # Escalation reconciles one rule's cases over a date range at a time.
        Index("ix_case_rule_period", "rule_id", "period_start"),
    )


class CaseEvent(Base):
    """Every state change of a case."""

    __tablename__ = "case_event"
    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[moment]
    by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------------------- blacklist (§7)


class BlacklistEntry(Base):
    """An entry of the list of seriously untrustworthy entities (安全生产严重失信主体名单)."""

    __tablename__ = "blacklist_entry"
    id: Mapped[intpk]
    enterprise_id: Mapped[credit_code] = mapped_column(index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    trigger_ref: Mapped[str] = mapped_column(String(64))  # accident or hazard id
    state: Mapped[str] = mapped_column(String(16))
    candidate_on: Mapped[dt.date] = mapped_column(Date)
    notified_on: Mapped[dt.date | None] = mapped_column(Date)
    objection_deadline: Mapped[dt.date | None] = mapped_column(Date)
    objection_on: Mapped[dt.date | None] = mapped_column(Date)
    objection_decision: Mapped[str | None] = mapped_column(String(16))
    listed_on: Mapped[dt.date | None] = mapped_column(Date)
    repair_eligible_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    # The register's ground and the version it rests on (``rule_id@valid_from``), the penalty
    # decision the listing follows and the authority that decides it (Order No. 11 art. 4),
    # and the decision's document reference recorded at approval.
    ground: Mapped[str | None] = mapped_column(String(40))
    legal_basis: Mapped[str | None] = mapped_column(String(60))
    penalty_id: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    document_ref: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("enterprise_id", "trigger", "trigger_ref"),)


class BlacklistEvent(Base):
    """Every dated transition of a blacklist entry."""

    __tablename__ = "blacklist_event"
    id: Mapped[intpk]
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entry.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    on: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[moment]
    by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------------------- outbox (§6 Notify)


class OutboxMessage(Base):
    """An email waiting to go out; the unique key makes every send exactly-once."""

    __tablename__ = "outbox"
    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(400), unique=True)
    purpose: Mapped[str] = mapped_column(String(64))  # e.g. notice, reminder:<obligation id>
    subject_id: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(80))  # leader id / office unit code
    step: Mapped[str] = mapped_column(String(24))
    to_email: Mapped[str | None] = mapped_column(String(254))
    cc: Mapped[list[Any] | None] = mapped_column(JSON)
    mail_subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), index=True)  # pending|sending|sent|failed|dead|suppressed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[moment | None]
    last_status: Mapped[int | None]
    last_response: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[moment]
    sent_at: Mapped[moment | None]
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    run_id: Mapped[str | None] = mapped_column(String(250))
    # Why a row is not (yet) sent: no_address, history, horizon, http_400, rate_limited, …
    reason: Mapped[str | None] = mapped_column(String(64))
    template: Mapped[str | None] = mapped_column(String(40))
    # When a worker claimed the row (state sending); a claim older than the lease is retried.
    claimed_at: Mapped[moment | None]
    # True when the row was re-sent after an expired claim: SendGrid may hold it twice.
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    # A safety office that takes a daily digest instead of a cc on every item (unit code).
    digest_office: Mapped[str | None] = mapped_column(String(6))

    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_digest", "digest_office", "created_at"),
    )


# --------------------------------------------------------------------------- audit


class AuditLog(Base):
    """Append-only, hash-chained log of every state change (previous hash + canonical JSON)."""

    __tablename__ = "audit_log"
    id: Mapped[intpk]
    at: Mapped[moment]
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement of the audit chain's head: its length and last hash (存证锚点).

    The HMAC is made with a key kept outside this database, so whoever can edit the database
    can neither truncate the chain below a checkpoint nor forge a checkpoint for a rewritten
    one; the same values are published as Airflow asset events and in the bulletins."""

    __tablename__ = "audit_checkpoint"
    id: Mapped[intpk]
    at: Mapped[moment]
    length: Mapped[int] = mapped_column(unique=True)  # links in the chain up to the head
    head_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    head_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))  # which key signed (a hash of it, not the key)
    mac: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(250))


RECORD_MODELS: dict[str, type[Base]] = {
    "meeting": Meeting,
    "inspection": Inspection,
    "bulletin": Bulletin,
    "hazard_inspection": HazardInspection,
    "risk_assessment": RiskAssessment,
    "hazard": Hazard,
    "accident": Accident,
    "accident_report": AccidentReport,
    "drill": Drill,
    "complaint": Complaint,
    "milestone": Milestone,
    "penalty": Penalty,
    "plan": Plan,
    "training": Training,
    "budget": Budget,
    "safety_cost": SafetyCost,
    "referral": Referral,
    "assessment": Assessment,
    "review": Review,
    "staff": Staff,
    "enterprise": Enterprise,
    "leader": Leader,
    "department": Department,
}
