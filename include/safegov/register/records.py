"""The submission contract (SPEC §3): record types, their columns, types and natural keys.

This is the one place that says what a ``meeting`` or an ``accident`` row is; the readers,
the Great Expectations suites, the loaders and the register's schema all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from safegov.core.grades import GRADES
from safegov.org.roles import ROLES

ColumnType = Literal[
    "str", "int", "float", "bool", "date", "datetime", "period", "quarter", "year", "code", "credit_code", "email"
]
# Column types holding a period key: a month (``period``), a quarter (2025-Q1), a year (2025).
PERIOD_TYPES = ("period", "quarter", "year")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "str"
    required: bool = False
    values: tuple[str, ...] | None = None  # allowed values
    min: float | None = None
    # Registry membership: "unit", "county", "leader", "enterprise", "department",
    # "authority" (a unit or a department: who imposed a penalty), "party" (the same
    # membership: who sent or received an accident report) or "accident" (a loaded accident).
    references: str | None = None


@dataclass(frozen=True)
class RecordType:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # The column whose date places the record in a period (SPEC §5).
    date_column: str | None = None
    registry: bool = False
    # Date-order rules: (earlier, later) — later must be ≥ earlier.
    order: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def period_column(self) -> str | None:
        """The column holding the period key a record reports on (a bulletin's ``period``), if any."""
        return next((c.name for c in self.columns if c.type in PERIOD_TYPES), None)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"record type {self.name} has no column {name}")


C = Column
BODIES = ("safety_committee", "party_standing_committee", "government_executive_meeting")
# 〔四〕 法定代表人和实际控制人同为安全生产第一责任人: an enterprise's hazard self-inspection
# counts only when one of these two led it.
FIRST_RESPONSIBLE_ROLES = ("legal_representative", "actual_controller")
# What a penalty decision punishes: an accident, a hazard (ids of those records) or another
# violation (basis_id free or blank).
PENALTY_BASES = ("accident", "hazard", "other")
# 〔十六〕 who receives a referral of accident information: 同级纪检监察机关, 组织部门.
REFERRAL_RECIPIENTS = ("discipline_inspection", "organisation")
# 〔十五〕 where an accident became known: its county's own report (``unit``, or blank), a
# department's report, a 12350 ticket, a later bulletin, the media.
KNOWN_FROM = ("unit", "department", "hotline", "bulletin", "media")

RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in [
        RecordType(
            "meeting",
            key=("unit_code", "record_id"),
            date_column="held_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("body", required=True, values=BODIES),
                C("held_on", "date", required=True),
                C("heard_safety_report", "bool"),
                C("heard_case_reports", "bool"),
                C("published_on", "date"),
                C("chaired_by", references="leader"),
                C("minutes_ref", required=True),
            ),
            order=(("held_on", "published_on"),),
        ),
        RecordType(
            "inspection",
            key=("record_id",),
            date_column="led_on",
            columns=(
                C("record_id", required=True),
                C("leader_id", required=True, references="leader"),
                C("unit_code", "code", required=True, references="unit"),
                C("led_on", "date", required=True),
                C("targets", required=True),
                C("issues_found", "int", required=True, min=0),
                C("report_ref", required=True),
                # 〔九〕 持证上岗: the enforcement officers of the inspection (staff ids joined by ';'),
                # each certified and in service on led_on, else the row is quarantined.
                C("officer_ids"),
            ),
        ),
        RecordType(
            "bulletin",
            key=("unit_code", "period"),
            date_column="issued_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("period", "period", required=True),
                C("issued_on", "date", required=True),
                C("accidents_reported", "int", required=True, min=0),
                C("late_reports", "int", required=True, min=0),
                C("concealed_reports", "int", required=True, min=0),
                C("doc_ref", required=True),
            ),
        ),
        RecordType(
            "hazard_inspection",
            key=("enterprise_id", "record_id"),
            date_column="inspected_on",
            columns=(
                C("record_id", required=True),
                C("enterprise_id", "credit_code", required=True, references="enterprise"),
                C("inspected_on", "date", required=True),
                C("led_by_role", required=True, values=(*FIRST_RESPONSIBLE_ROLES, "other")),
                C("hazards_found", "int", required=True, min=0),
                C("archived", "bool", required=True),
            ),
        ),
        RecordType(
            "risk_assessment",
            key=("enterprise_id", "record_id"),
            date_column="assessed_on",
            columns=(
                C("record_id", required=True),
                C("enterprise_id", "credit_code", required=True, references="enterprise"),
                C("assessed_on", "date", required=True),
                C("major_risks", "int", required=True, min=0),
                C("published_on", "date"),
            ),
            order=(("assessed_on", "published_on"),),
        ),
        RecordType(
            "hazard",
            key=("hazard_id",),
            date_column="found_on",
            columns=(
                C("hazard_id", required=True),
                C("enterprise_id", "credit_code", required=True, references="enterprise"),
                C("found_on", "date", required=True),
                C("grade", required=True, values=("general", "major")),
                C("description", required=True),
                C("responsible_person", required=True),
                C("funds_cny", "float", required=True, min=0),
                C("measures", required=True),
                C("deadline", "date", required=True),
                C("contingency_plan", required=True),
                C("rectified_on", "date"),
                C("verified_on", "date"),
            ),
            order=(("found_on", "deadline"), ("found_on", "rectified_on"), ("rectified_on", "verified_on")),
        ),
        RecordType(
            "accident",
            key=("accident_id",),
            date_column="occurred_at",
            columns=(
                C("accident_id", required=True),
                C("unit_code", "code", required=True, references="county"),
                C("enterprise_id", "credit_code", references="enterprise"),
                C("occurred_at", "datetime", required=True),
                # When the unit's principal learned of the accident (Decree 493 art. 9: the
                # one-hour limit runs from then); blank = when it occurred.
                C("known_at", "datetime"),
                C("reported_at", "datetime", required=True),
                C("deaths", "int", required=True, min=0),
                C("serious_injuries", "int", required=True, min=0),
                C("direct_loss_10k_cny", "float", required=True, min=0),
                C("declared_grade", values=GRADES),
                C("concealed", "bool"),
                C("description", required=True),
                # 〔十五〕 漏报: how the accident became known — blank or ``unit``: the responsible
                # unit's own report; otherwise another source (a department's report, a 12350
                # ticket, a later bulletin, the media), ``source_ref`` naming it. An accident known
                # from another source that its county never reported is ``omitted``.
                C("known_from", values=KNOWN_FROM),
                C("source_ref"),
                # 〔十五〕 较大涉险: goes straight to the region (第一时间上报自治区政府和自治区安委办).
                C("near_miss_larger", "bool"),
                # 〔十四〕 生产安全责任事故: the day the investigation report, as approved, found it a
                # liability accident (责任事故); blank = not (yet) so found. The accident row is
                # sent again with it once the investigation concludes.
                C("liability_found_on", "date"),
            ),
            order=(("occurred_at", "known_at"), ("known_at", "reported_at"), ("occurred_at", "reported_at")),
        ),
        RecordType(
            # 〔十三〕 定期组织演练: an emergency drill (应急演练) of a unit's government (department_id
            # blank) or of one of its departments, naming the contingency plan drilled.
            "drill",
            key=("unit_code", "record_id"),
            date_column="held_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("department_id", references="department"),
                C("held_on", "date", required=True),
                C("plan_ref", required=True),
                C("doc_ref", required=True),
            ),
        ),
        RecordType(
            # 〔十五〕 归口直报 and Decree 493 art. 10–11: one hop of an accident's report up the
            # chain — who (a unit's safety office or a department) told whom, when. A re-sent
            # hop replaces the earlier version.
            "accident_report",
            key=("accident_id", "reporter", "reported_to"),
            date_column="reported_at",
            columns=(
                C("accident_id", required=True, references="accident"),
                C("reporter", required=True, references="party"),
                C("reported_to", required=True, references="party"),
                C("reported_at", "datetime", required=True),
            ),
        ),
        RecordType(
            "complaint",
            key=("ticket_id",),
            date_column="received_on",
            columns=(
                C("ticket_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("received_on", "date", required=True),
                C("investigated_on", "date"),
                C("concluded_on", "date"),
                C("outcome"),
            ),
            order=(("received_on", "investigated_on"), ("received_on", "concluded_on")),
        ),
        RecordType(
            "milestone",
            key=("unit_code", "record_id"),
            date_column="achieved_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("milestone", required=True, values=("enforcement_agency", "rescue_team", "rescue_base")),
                C("achieved_on", "date", required=True),
                C("doc_ref", required=True),
            ),
        ),
        # An administrative penalty decision (行政处罚决定) against an enterprise: under MEM Order
        # No. 11 of 2023 (art. 3, art. 4) a blacklist listing follows one and is decided by the
        # authority that imposed it (谁处罚、谁决定、谁负责). ``decided_by``: the unit code of
        # the deciding government level or a department id of the registry.
        RecordType(
            "penalty",
            key=("penalty_id",),
            date_column="decided_on",
            columns=(
                C("penalty_id", required=True),
                C("enterprise_id", "credit_code", required=True, references="enterprise"),
                C("decided_by", required=True, references="authority"),
                C("decided_on", "date", required=True),
                C("basis_kind", required=True, values=PENALTY_BASES),
                C("basis_id"),
                C("amount_cny", "float", min=0),
                C("document_ref", required=True),
            ),
        ),
        RecordType(
            # 〔八〕 制定执法计划: a year's enforcement plan of a unit (department_id blank) or of
            # one of its departments with safety duties; placed by the first day it applies.
            "plan",
            key=("unit_code", "record_id"),
            date_column="effective_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("department_id", references="department"),
                C("effective_on", "date", required=True),
                C("approved_on", "date", required=True),
                C("doc_ref", required=True),
            ),
        ),
        RecordType(
            # 〔九〕 定期轮训: a training (入职培训 or 轮训) of an enforcement staff member.
            "training",
            key=("staff_id", "record_id"),
            date_column="trained_on",
            columns=(
                C("record_id", required=True),
                C("staff_id", required=True, references="staff"),
                C("trained_on", "date", required=True),
                C("course", required=True),
                C("certificate_ref"),
            ),
        ),
        # ---- 〔十〕〔十六〕 (issue 16 items 3, 6): the safety fund, safety costs, referrals of
        # accident information and assessments of key industries.
        RecordType(
            # 〔十〕 设立安全生产专项资金,列入财政预算: the fund's line in a unit's budget for a
            # fiscal year (placed by fiscal_year, a year key such as 2025).
            "budget",
            key=("unit_code", "record_id"),
            date_column="approved_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("fiscal_year", "year", required=True),
                C("fund_cny", "float", required=True, min=1),
                C("approved_on", "date", required=True),
                C("doc_ref", required=True),
            ),
        ),
        RecordType(
            # 〔十〕 企业安全生产费用提取: what an enterprise extracted (and used) in a fiscal year.
            "safety_cost",
            key=("enterprise_id", "record_id"),
            date_column="reported_on",
            columns=(
                C("record_id", required=True),
                C("enterprise_id", "credit_code", required=True, references="enterprise"),
                C("fiscal_year", "year", required=True),
                C("extracted_cny", "float", required=True, min=0),
                C("used_cny", "float", min=0),
                C("reported_on", "date", required=True),
            ),
        ),
        RecordType(
            # 〔十六〕 定期向同级纪检监察机关、组织部门报送事故情况: one referral of a quarter's
            # accident information to one recipient (placed by period, a quarter key).
            "referral",
            key=("unit_code", "record_id"),
            date_column="sent_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("period", "quarter", required=True),
                C("recipient", required=True, values=REFERRAL_RECIPIENTS),
                C("sent_on", "date", required=True),
                C("accident_count", "int", required=True, min=0),
                C("doc_ref", required=True),
            ),
        ),
        RecordType(
            # 〔十六〕 重点行业领域安全生产状况定期评估、公告: an assessment of one key industry,
            # announced (published_on) to the public.
            "assessment",
            key=("unit_code", "record_id"),
            date_column="assessed_on",
            columns=(
                C("record_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("industry", required=True),
                C("assessed_on", "date", required=True),
                C("published_on", "date"),
                C("doc_ref", required=True),
            ),
            order=(("assessed_on", "published_on"),),
        ),
        RecordType(
            # 〔十四〕 倒查安全培训责任: the safety supervision department's review of the safety
            # training behind a liability accident (who trained, examined, certified the people
            # involved), by the unit whose department carried it out.
            "review",
            key=("accident_id", "record_id"),
            date_column="reviewed_on",
            columns=(
                C("record_id", required=True),
                C("accident_id", required=True, references="accident"),
                C("unit_code", "code", required=True, references="unit"),
                C("reviewed_on", "date", required=True),
                C("training_failures", "int", required=True, min=0),
                C("doc_ref", required=True),
            ),
        ),
        RecordType(
            # 〔九〕 安全监管执法人员: an enforcement officer of a unit or one of its departments,
            # certified (凡进必考、持证上岗) on certified_on with certificate_no.
            "staff",
            key=("staff_id",),
            registry=True,
            columns=(
                C("staff_id", required=True),
                C("name", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("department_id", references="department"),
                C("certified_on", "date"),
                C("certificate_no"),
                C("joined_on", "date", required=True),
                C("left_on", "date"),
            ),
            order=(("joined_on", "left_on"),),
        ),
        RecordType(
            "enterprise",
            key=("enterprise_id",),
            registry=True,
            columns=(
                C("enterprise_id", "credit_code", required=True),
                C("name", required=True),
                C("county_code", "code", required=True, references="county"),
                C("industry"),
                C("high_risk", "bool"),
                C("legal_representative"),
                C("contact_email", "email"),
                C("registered_on", "date", required=True),
                C("closed_on", "date"),
                # 〔八〕 明确每个生产经营单位安全生产监管主体: the department that supervises it.
                C("supervising_department_id", references="department"),
                # 〔四〕〔十八〕 实际控制人: with the legal representative the first responsible person,
                # and named in a penalty recommendation when the enterprise refuses to remove a hazard.
                C("actual_controller"),
            ),
            order=(("registered_on", "closed_on"),),
        ),
        RecordType(
            "leader",
            key=("leader_id",),
            registry=True,
            columns=(
                C("leader_id", required=True),
                C("name", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("role", required=True, values=ROLES),
                C("department_id", references="department"),
                C("email", "email"),
                C("term_start", "date", required=True),
                C("term_end", "date"),
            ),
            order=(("term_start", "term_end"),),
        ),
        RecordType(
            "department",
            key=("department_id",),
            registry=True,
            columns=(
                C("department_id", required=True),
                C("unit_code", "code", required=True, references="unit"),
                C("name", required=True),
                C("industry"),
                C("safety_duty", "bool"),
            ),
        ),
    ]
}


def record_type_for_filename(file_name: str) -> str | None:
    """The longest record type name that the file name starts with (SPEC §3)."""
    base = file_name.rsplit("/", 1)[-1].lower()
    matches = [name for name in RECORD_TYPES if base.startswith(name)]
    return max(matches, key=len) if matches else None
