"""The obligation register (``config/obligations.yaml``), validated by a pydantic schema.

Each obligation is data with its citation: article, the clause quoted from the decision,
subject, cadence, quota, evidence filter, grace and escalation. So is each accountability
rule (问责规则, ``accountability_rules``): what an accident or a hazard makes the escalation
open besides the ladder for misses (双约谈, 诫勉谈话, reporting violations), with its article,
clause and parameters; ``safegov.accountability.rules`` holds one handler per rule id. A
broken register fails at load with ``RegisterError`` naming the file, the obligation or rule
id and the field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from safegov.core.grades import GRADES
from safegov.core.periods import Cadence
from safegov.org.roles import ROLES
from safegov.register.records import RECORD_TYPES

ARTICLES = ("一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十").split()
SubjectKind = Literal["unit", "post", "department", "enterprise", "hazard", "accident", "ticket", "staff"]
Level = Literal["region", "league", "county"]
# How the evaluation engine decides; "count" is the general quota rule. Each value has one
# rule module in safegov.evaluation.rules (tests/evaluation/test_evaluation_rule_meta.py checks both ways).
Rule = Literal[
    "count",
    "hazard_deadline",
    "accident_report",
    "ticket_conclusion",
    "milestone",
    "supervision",
    "rolling_training",
    "report_chain",
    "liability_review",
]
# 〔十五〕 / Decree 493 art. 10–11: the parameters of the ``report_chain`` rule, each a positive
# number of hours or minutes.
REPORT_CHAIN_PARAMS = ("forward_within_hours", "direct_within_hours", "simultaneous_within_minutes")
# Rules whose evidence is a registry (``RecordType.registry``), not submitted records: the
# ``supervision`` rule reads the enterprise registry's supervising department 〔八〕.
REGISTRY_RULES = {"supervision": "enterprise"}


class RegisterError(ValueError):
    """The register or a registry in config/ is invalid; the message names file, id and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_roles(v: tuple[str, ...]) -> tuple[str, ...]:
    bad = [r for r in v if r not in ROLES]
    if bad:
        raise ValueError(f"unknown role(s) {bad}; expected one of {list(ROLES)}")
    return v


def _known_grades(v: tuple[str, ...]) -> tuple[str, ...]:
    bad = [g for g in v if g not in GRADES]
    if bad:
        raise ValueError(f"unknown grade(s) {bad}; expected from {list(GRADES)}")
    return v


class Subject(_Strict):
    kind: SubjectKind
    levels: tuple[Level, ...] | None = None  # for unit and post subjects
    roles: tuple[str, ...] | None = None  # for post subjects

    @field_validator("roles")
    @classmethod
    def _roles_known(cls, v):
        return v if v is None else _known_roles(v)

    @model_validator(mode="after")
    def _shape(self):
        if self.kind in ("unit", "post") and not self.levels:
            raise ValueError(f"subject kind {self.kind} needs levels")
        if self.kind == "post" and not self.roles:
            raise ValueError("subject kind post needs roles")
        if self.kind not in ("unit", "post") and (self.levels or self.roles):
            raise ValueError(f"subject kind {self.kind} takes no levels or roles")
        return self


class Evidence(_Strict):
    record_type: str
    date_column: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)  # column → required value
    not_null: tuple[str, ...] = ()  # columns that must be filled for the record to count

    @field_validator("record_type")
    @classmethod
    def _known_type(cls, v):
        if v not in RECORD_TYPES or (RECORD_TYPES[v].registry and v not in REGISTRY_RULES.values()):
            evidence_types = sorted(k for k, t in RECORD_TYPES.items() if not t.registry)
            raise ValueError(
                f"unknown record type {v!r}; expected one of {evidence_types} "
                f"(or a registry read by a rule: {REGISTRY_RULES})"
            )
        return v

    @model_validator(mode="after")
    def _columns_exist(self):
        rt = RECORD_TYPES[self.record_type]
        for col in [self.date_column, *self.where, *self.not_null]:
            if col is not None and col not in rt.column_names:
                raise ValueError(f"record type {self.record_type} has no column {col!r}")
        for col, value in self.where.items():
            allowed = rt.column(col).values
            if allowed and value not in allowed:
                raise ValueError(f"{col}={value!r} is not one of {list(allowed)}")
        return self

    @property
    def effective_date_column(self) -> str:
        return self.date_column or RECORD_TYPES[self.record_type].date_column  # type: ignore[return-value]

    @property
    def period_column(self) -> str | None:
        """The column whose period key places a record in a period (a bulletin's ``period``: the
        month it reports on); None when records are placed by the date in
        ``effective_date_column``. Naming a ``date_column`` in the register places by that date."""
        return RECORD_TYPES[self.record_type].period_column if self.date_column is None else None


class _Cited(_Strict):
    """An entry of the register with its citation: id, title, article(s), the clause quoted."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    title: str = Field(min_length=2)
    article: tuple[str, ...] = Field(min_length=1)
    clause: str = Field(min_length=8, description="the words of the decision, quoted in Chinese")

    @field_validator("article")
    @classmethod
    def _articles(cls, v):
        bad = [a for a in v if a not in ARTICLES]
        if bad:
            raise ValueError(f"unknown article(s) {bad}: the decision has articles 一 … 二十")
        return v

    @field_validator("clause")
    @classmethod
    def _chinese(cls, v):
        if not re.search(r"[\u4e00-\u9fff]", v):
            raise ValueError("the clause must be quoted in Chinese from the decision")
        return v


class Obligation(_Cited):
    subject: Subject
    cadence: Cadence
    rule: Rule = "count"
    quota: int = Field(default=1, ge=1)
    quota_max: int | None = None
    evidence: Evidence
    grace_working_days: int = Field(default=5, ge=0, le=60)
    reminder_offsets: tuple[int, ...] = (5, 1)
    ladder: str | None = "default"
    due_on: dt.date | None = None  # one-off obligations
    params: dict[str, Any] = Field(default_factory=dict)  # rule-specific (hours, working days)
    policy: bool = False  # the figure is policy, not law (SPEC marks it so)
    # A duty taken from a national regulation (not the decision) is dated: its document and
    # article, and the days it is in force (inclusive; valid_to None = still in force).
    source: str | None = Field(default=None, min_length=8)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, v):
        if any(o <= 0 for o in v):
            raise ValueError("reminder offsets are working days before the due date, each > 0")
        if list(v) != sorted(set(v), reverse=True):
            raise ValueError("reminder offsets must be distinct and in descending order")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if self.cadence is Cadence.ONCE and self.due_on is None:
            raise ValueError("a once obligation needs due_on")
        if self.cadence is not Cadence.ONCE and self.due_on is not None:
            raise ValueError(f"due_on is only for once obligations, not {self.cadence.value}")
        if self.quota_max is not None and self.quota_max < self.quota:
            raise ValueError(f"quota_max {self.quota_max} is below quota {self.quota}")
        registry = RECORD_TYPES[self.evidence.record_type].registry
        if registry != (self.rule in REGISTRY_RULES):
            raise ValueError(f"evidence.record_type {self.evidence.record_type!r} does not go with rule {self.rule!r}")
        if self.rule in REGISTRY_RULES and self.evidence.record_type != REGISTRY_RULES[self.rule]:
            raise ValueError(f"rule {self.rule} reads the {REGISTRY_RULES[self.rule]} registry")
        if self.rule == "supervision" and self.subject.kind != "unit":
            raise ValueError("rule supervision judges units (the counties' enterprises)")
        if (self.rule == "rolling_training") != (self.subject.kind == "staff"):
            raise ValueError("rule rolling_training goes with staff subjects, and only with them")
        if self.rule == "rolling_training":
            years = self.params.get("window_years")
            if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 10:
                raise ValueError("rule rolling_training needs params.window_years, an integer 1..10")
        if (self.source is None) != (self.valid_from is None):
            raise ValueError("source and valid_from go together: a regulation's duty is dated")
        if self.valid_to is not None and (self.valid_from is None or self.valid_to < self.valid_from):
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        if self.rule == "report_chain":
            if self.subject.kind != "accident":
                raise ValueError("rule report_chain judges accidents")
            for name in REPORT_CHAIN_PARAMS:
                value = self.params.get(name)
                if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                    raise ValueError(f"rule report_chain needs params.{name}, a number > 0")
        if self.rule == "liability_review":
            if self.subject.kind != "accident" or self.evidence.record_type != "review":
                raise ValueError("rule liability_review judges accidents by their review records")
            days = self.params.get("review_within_working_days")
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 120:
                raise ValueError("rule liability_review needs params.review_within_working_days, an integer 1..120")
        event_kinds = {"hazard", "accident", "ticket"}
        if (self.cadence is Cadence.EVENT) != (self.subject.kind in event_kinds):
            raise ValueError("event cadence goes with hazard, accident and ticket subjects, and only with them")
        if "high_risk_industries" in self.params:
            if self.subject.kind != "enterprise":
                raise ValueError("params.high_risk_industries scopes enterprise subjects only")
            _industry_scopes(self.params["high_risk_industries"])
        return self

    @property
    def industry_scopes(self) -> tuple[IndustryScope, ...]:
        """The dated industry lists that put an enterprise in scope (〔十〕 高危行业), oldest
        first; () when every enterprise is."""
        raw = self.params.get("high_risk_industries")
        return _industry_scopes(raw) if raw is not None else ()

    def industries_on(self, day: dt.date) -> frozenset[str] | None:
        """The industries in scope on ``day`` (the version in force then; empty when none
        is), None when the obligation has no industry scope."""
        scopes = self.industry_scopes
        if not scopes:
            return None
        return next((frozenset(s.industries) for s in scopes if s.in_force(day)), frozenset())


class LadderStep(_Strict):
    consecutive: int | None = Field(default=None, ge=1)
    count: int | None = Field(default=None, ge=1)
    within_months: int | None = Field(default=None, ge=1)
    while_open: str | None = None  # a miss while a case of this kind is open
    needs_approval: bool = False


class Ladder(_Strict):
    """Escalation ladder for misses (SPEC §6, policy). ``source`` and ``valid_from`` date it
    like an accountability rule (one version per ladder: a ladder that changes gets a new
    name); a case on it rests on ``ladder:<name>@<valid_from>``."""

    notice: LadderStep = LadderStep(consecutive=1)
    interview: LadderStep = LadderStep(consecutive=2, count=3, within_months=12, needs_approval=True)
    admonishment: LadderStep = LadderStep(consecutive=3, while_open="interview", needs_approval=True)
    source: str | None = Field(default=None, min_length=8)
    valid_from: dt.date | None = None


# --------------------------------------------------------------------------- accountability rules


class Repeat(_Strict):
    """A second accident of ``grade`` in the same unit within ``within_months`` calendar months
    of an earlier one (inclusive; a day missing in the target month becomes its last day)."""

    grade: str
    within_months: int = Field(ge=1, le=120)

    @field_validator("grade")
    @classmethod
    def _grade(cls, v):
        return _known_grades((v,))[0]


class DualInterviewParams(_Strict):
    level: Level  # the unit whose leaders are interviewed: the accident's unit at this level
    grades: tuple[str, ...] = Field(min_length=1)  # grades (by the figures, SPEC §8) that trigger alone
    repeat: Repeat | None = None  # … or a repeated accident of a lower grade
    roles: tuple[str, ...] = Field(min_length=1)  # the posts interviewed (党政主要负责人)
    by: tuple[Literal["region_safety_committee", "discipline_commission", "organisation_department"], ...] = Field(
        min_length=1
    )

    @field_validator("grades")
    @classmethod
    def _grades(cls, v):
        return _known_grades(v)

    @field_validator("roles")
    @classmethod
    def _roles(cls, v):
        return _known_roles(v)


class _Dated(_Strict):
    """When a rule version is law: its legal source and the days it is in force.

    ``source`` names the document and article (the decision, a national regulation);
    ``valid_from`` and ``valid_to`` are inclusive days (Asia/Shanghai), ``valid_to`` None =
    still in force. A fact is judged by the version in force on its date (the accident's
    day, the hazard's deadline): ``Register.rule_in_force`` is the one place that chooses.
    """

    source: str = Field(min_length=8, description="document name and article, in Chinese")
    valid_from: dt.date
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _span(self):
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def legal_basis(self) -> str:
        """``rule_id@valid_from``: the version a case rests on (exports, case details)."""
        return f"{self.id}@{self.valid_from.isoformat()}"  # type: ignore[attr-defined]


class IndustryScope(_Dated):
    """The industries a national rule names, while it is in force (〔十〕: the 高危行业 whose
    enterprises extract safety costs, 财企〔2012〕16号 and then 财资〔2022〕136号 art. 2).
    ``industries``: the enterprise registry's industry code → the rule's words."""

    industries: dict[str, str] = Field(min_length=1)


_INDUSTRY_SCOPES = TypeAdapter(tuple[IndustryScope, ...])


@lru_cache(maxsize=64)
def _scopes_cached(key: str) -> tuple[IndustryScope, ...]:
    scopes = _INDUSTRY_SCOPES.validate_python(json.loads(key))
    for earlier, later in zip(scopes, scopes[1:], strict=False):
        if earlier.valid_to is None or later.valid_from <= earlier.valid_to:
            raise ValueError(
                f"high_risk_industries: the version from {later.valid_from} overlaps the one from "
                f"{earlier.valid_from}; list versions oldest first, each ending before the next begins"
            )
    return scopes


def _industry_scopes(raw: Any) -> tuple[IndustryScope, ...]:
    """``params.high_risk_industries`` validated (ValueError naming the field); cached by
    its JSON text, as the register is frozen and read on every evaluation run."""
    try:
        return _scopes_cached(json.dumps(raw, default=str, sort_keys=True))
    except ValidationError as e:
        parts = []
        for err in e.errors():
            steps = (f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
            where = "params.high_risk_industries" + "".join(steps)
            parts.append(f"{where}: {err['msg']}")
        raise ValueError("; ".join(parts)) from None


class DualInterviewRule(_Cited, _Dated):
    """双约谈 of a unit's party secretary and government head after an accident 〔十七〕."""

    trigger: Literal["accident_grade"]
    params: DualInterviewParams


# 分级管理: the level whose safety office decides a reporting violation, by the accident's
# grade — the level of government that investigates an accident of that grade (Decree 493
# art. 19: 重大 by the province, 较大 by the city with districts, 一般 by the county).
DECIDING_LEVEL_BY_GRADE: dict[str, Level] = {
    "general": "county",
    "larger": "league",
    "major": "region",
    "especially_major": "region",
}


class ReportingViolationParams(_Strict):
    deadline_of: str  # the obligation whose ``report_within_hours`` is the reporting deadline
    # grade (by the accident's figures) → the level that decides (分级管理, 〔十五〕); every grade.
    deciding_level: dict[str, Level] = Field(default_factory=lambda: dict(DECIDING_LEVEL_BY_GRADE))

    @field_validator("deciding_level")
    @classmethod
    def _every_grade(cls, v):
        _known_grades(tuple(v))
        missing = [g for g in GRADES if g not in v]
        if missing:
            raise ValueError(f"deciding_level names no level for grade(s) {missing}")
        return v


class ReportingViolationRule(_Cited, _Dated):
    """An accident reported late, under-graded or concealed 〔十五〕."""

    trigger: Literal["accident_report"]
    params: ReportingViolationParams


class HazardOverdueParams(_Strict):
    hazard_grade: Literal["general", "major"]  # the hazards judged (重大事故隐患: major)
    # 诫勉谈话 names the officials who supervise the enterprise 〔十七〕: these posts of its
    # county, and the head of the department with safety duty for its industry …
    roles: tuple[Literal["party_secretary", "government_head"], ...] = ("government_head",)
    # … found by the duty (``department.industry``) its industry maps to, else the default
    # duty (管行业必须管安全; 工贸 and the rest: the emergency management department), at the
    # county, else at the league/city.
    department_duty: dict[str, str] = Field(default_factory=dict)
    default_department_duty: str = "emergency"
    deciding_level: Level = "league"  # decided by the level above the county (分级管理)


class HazardOverdueRule(_Cited, _Dated):
    """A hazard not rectified by its deadline: 诫勉谈话 of its responsible person 〔十七〕 and,
    while it stays unrectified, enforcement against the enterprise 〔十八〕."""

    trigger: Literal["hazard_overdue"]
    params: HazardOverdueParams


class HazardRefusalParams(_Strict):
    """〔十八〕 拒不采取措施消除事故隐患: a hazard of ``hazard_grade`` on which an enforcement
    decision was recorded (a ``penalty`` with basis_kind hazard naming it), still not rectified
    ``after_days`` calendar days after the first such decision."""

    hazard_grade: Literal["general", "major"] = "major"
    after_days: int = Field(ge=0, le=365)
    policy: bool = False  # after_days is policy, not law (the decision names no time)


class HazardRefusalRule(_Cited, _Dated):
    """A penalty recommendation against the legal representative and the actual controller of
    an enterprise that refuses to remove a hazard after enforcement 〔十八〕."""

    trigger: Literal["hazard_refused"]
    params: HazardRefusalParams


class BlacklistRepeat(_Strict):
    """``count`` accidents of at least ``grade`` at the same enterprise, the last within
    ``within_months`` calendar months of the first (inclusive)."""

    grade: str
    count: int = Field(ge=2, le=100)
    within_months: int = Field(ge=1, le=120)

    @field_validator("grade")
    @classmethod
    def _grade(cls, v):
        return _known_grades((v,))[0]


class BlacklistParams(_Strict):
    """What makes an enterprise a blacklist candidate under one version of a ground, and
    what its listing then needs (安全生产严重失信主体名单 / 安全生产不良记录“黑名单”)."""

    # accident: an accident of one of ``grades`` (by its figures, SPEC §8), or ``repeat``;
    # false_report: a report with one of ``violations`` (safegov.accountability.accidents);
    # hazard: a major hazard unrectified ``after_days`` after its deadline despite enforcement.
    ground: Literal["accident", "false_report", "hazard"]
    grades: tuple[str, ...] = ()
    repeat: BlacklistRepeat | None = None
    violations: tuple[Literal["concealed", "under_graded", "late"], ...] = ()
    after_days: int | None = Field(default=None, ge=0, le=3650)
    # Industry codes of the enterprise registry (code → name in the source's words); None:
    # every industry. An enterprise whose industry is not listed is never a candidate.
    industries: dict[str, str] | None = None
    # Listing follows an administrative penalty (``penalty`` records) and is decided by the
    # authority that imposed it (Order No. 11 art. 4); False: decided by ``deciding_unit``.
    requires_penalty: bool
    deciding_unit: str | None = Field(default=None, pattern=r"^\d{6}$")

    @field_validator("grades")
    @classmethod
    def _grades(cls, v):
        return _known_grades(v)

    @model_validator(mode="after")
    def _shape(self):
        wants = {
            "accident": ("grades", "repeat"),
            "false_report": ("violations",),
            "hazard": ("after_days",),
        }[self.ground]
        if not any(getattr(self, k) for k in wants) and not (self.ground == "hazard" and self.after_days == 0):
            raise ValueError(f"a {self.ground} ground needs {' or '.join(wants)}")
        others = {"grades", "repeat", "violations", "after_days"} - set(wants)
        extra = sorted(k for k in others if getattr(self, k) not in ((), None))
        if extra:
            raise ValueError(f"a {self.ground} ground takes no {', '.join(extra)}")
        if self.requires_penalty == (self.deciding_unit is not None):
            raise ValueError(
                "deciding_unit is for grounds listed without a penalty (requires_penalty: false), and needed there"
            )
        return self


class BlacklistRule(_Cited, _Dated):
    """A blacklist ground 〔十九〕 in the version of the national rule then in force."""

    trigger: Literal["blacklist"]
    params: BlacklistParams


AccountabilityRule = Annotated[
    DualInterviewRule | ReportingViolationRule | HazardOverdueRule | HazardRefusalRule | BlacklistRule,
    Field(discriminator="trigger"),
]
TRIGGERS = ("accident_grade", "accident_report", "hazard_overdue", "hazard_refused", "blacklist")


# --------------------------------------------------------------------------- the register


class Register(_Strict):
    version: Literal[1] = 1
    ladders: dict[str, Ladder] = Field(default_factory=lambda: {"default": Ladder()})
    obligations: tuple[Obligation, ...]
    accountability_rules: tuple[AccountabilityRule, ...]

    @model_validator(mode="after")
    def _refs(self):
        seen: set[str] = set()
        for ob in self.obligations:
            if ob.id in seen:
                raise ValueError(f"duplicate obligation id {ob.id}")
            seen.add(ob.id)
            if ob.ladder is not None and ob.ladder not in self.ladders:
                raise ValueError(f"obligation {ob.id}: ladder {ob.ladder!r} is not defined under ladders")
        obligation_ids = set(seen)
        for rule in self.accountability_rules:
            # Cases of obligations and of rules share one rule id namespace (case_key, rule_id).
            if rule.id in obligation_ids:
                raise ValueError(f"duplicate rule id {rule.id}: obligations and accountability rules share ids")
            if isinstance(rule, ReportingViolationRule):
                ob = next((o for o in self.obligations if o.id == rule.params.deadline_of), None)
                hours = ob.params.get("report_within_hours") if ob else None
                if not isinstance(hours, int | float) or isinstance(hours, bool) or hours <= 0:
                    raise ValueError(
                        f"accountability rule {rule.id}: params.deadline_of {rule.params.deadline_of!r} "
                        "is not an obligation with params.report_within_hours > 0"
                    )
        _check_versions(self.accountability_rules)
        return self

    def get(self, obligation_id: str) -> Obligation:
        for ob in self.obligations:
            if ob.id == obligation_id:
                return ob
        raise KeyError(f"no obligation {obligation_id!r} in the register")

    def rule(self, rule_id: str) -> AccountabilityRule:
        """The latest version of ``rule_id`` (its parameters as they stand now)."""
        versions = self.rule_versions(rule_id)
        if not versions:
            raise KeyError(f"no accountability rule {rule_id!r} in the register")
        return versions[-1]

    def rule_versions(self, rule_id: str) -> list[AccountabilityRule]:
        """Every version of ``rule_id``, oldest first."""
        return sorted((r for r in self.accountability_rules if r.id == rule_id), key=lambda r: r.valid_from)

    def rule_in_force(self, rule_id: str, day: dt.date) -> AccountabilityRule | None:
        """The version of ``rule_id`` in force on ``day`` (the date of the facts judged), or None
        when the rule was not law that day. The one place where a rule's version is chosen."""
        if not any(r.id == rule_id for r in self.accountability_rules):
            raise KeyError(f"no accountability rule {rule_id!r} in the register")
        return next((r for r in self.accountability_rules if r.id == rule_id and r.in_force(day)), None)

    def legal_basis(self, rule_id: str, day: dt.date | None) -> str | None:
        """What a case of ``rule_id`` on ``day`` rests on: ``rule_id@valid_from`` of the
        accountability rule's version in force that day, or ``ladder:<name>@<valid_from>`` of
        an obligation's ladder; None when no version was in force, the ladder is undated or the
        id is no longer in the register."""
        if any(r.id == rule_id for r in self.accountability_rules):
            version = self.rule_in_force(rule_id, day) if day else None
            return version.legal_basis if version else None
        ob = next((o for o in self.obligations if o.id == rule_id), None)
        if ob is None:  # a case of an obligation since taken out of the register
            return None
        name = ob.ladder
        ladder = self.ladders.get(name) if name else None
        if ladder is None or ladder.valid_from is None:
            return None
        return f"ladder:{name}@{ladder.valid_from.isoformat()}"

    def is_accountability_rule(self, rule_id: str) -> bool:
        """True for an accountability rule's id, False for an obligation's; KeyError for neither."""
        if any(rule.id == rule_id for rule in self.accountability_rules):
            return True
        self.get(rule_id)
        return False

    def report_within_hours(self, rule: ReportingViolationRule) -> float:
        """The reporting deadline in hours that ``rule`` judges by (its ``deadline_of`` obligation's)."""
        return float(self.get(rule.params.deadline_of).params["report_within_hours"])

    def by_cadence(self, cadence: Cadence | str) -> list[Obligation]:
        return [ob for ob in self.obligations if ob.cadence == Cadence(cadence)]


def _check_versions(rules: tuple[AccountabilityRule, ...]) -> None:
    """Versions of one rule id: the same trigger, no overlap and no gap between them (a gap
    would leave facts judged by no version of a rule that continued)."""
    by_id: dict[str, list[AccountabilityRule]] = {}
    for rule in rules:
        by_id.setdefault(rule.id, []).append(rule)
    for rule_id, versions in by_id.items():
        versions.sort(key=lambda r: r.valid_from)
        triggers = {v.trigger for v in versions}
        if len(triggers) > 1:
            raise ValueError(f"accountability rule {rule_id}: versions have different triggers {sorted(triggers)}")
        for before, after in zip(versions, versions[1:]):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise ValueError(
                    f"accountability rule {rule_id}: versions overlap: valid_from {before.valid_from} "
                    f"(valid_to {before.valid_to or 'open'}) and valid_from {after.valid_from}"
                )
            if before.valid_to + dt.timedelta(days=1) != after.valid_from:
                raise ValueError(
                    f"accountability rule {rule_id}: gap between versions: valid_to {before.valid_to} "
                    f"and the next valid_from {after.valid_from}"
                )


def _describe(path: Path, data: Any, err: ValidationError) -> str:
    """file: obligation <id>: field <dotted path>: message — for the first error."""
    first = err.errors()[0]
    loc = list(first["loc"])
    where = ""
    sections = {"obligations": "obligation", "accountability_rules": "accountability rule"}
    if len(loc) >= 2 and loc[0] in sections and isinstance(loc[1], int):
        entry = data[loc[0]][loc[1]]
        oid = entry.get("id", f"#{loc[1]}") if isinstance(entry, dict) else f"#{loc[1]}"
        where = f"{sections[loc[0]]} {oid}: "
        loc = loc[2:]
        if loc and loc[0] in TRIGGERS:  # the discriminated union names the trigger first
            loc = loc[1:]
    field = ".".join(str(p) for p in loc) or (f"({sections[first['loc'][0]]})" if where else "(register)")
    more = f" (and {err.error_count() - 1} more error(s))" if err.error_count() > 1 else ""
    msg = first["msg"].removeprefix("Value error, ")
    return f"{path}: {where}field {field}: {msg}{more}"


def load_register(path: str | Path | None = None) -> Register:
    """Load and validate the register; raise ``RegisterError`` with file, id and field."""
    if path is None:
        from safegov.core.settings import get_settings

        path = get_settings().config_dir / "obligations.yaml"
    path = Path(path)
    try:
        # libyaml's safe loader when present: the pure-Python parser was most of the DAG
        # folder's parse time (the periodic DAGs are generated from this file).
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except FileNotFoundError as exc:
        raise RegisterError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise RegisterError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RegisterError(f"{path}: expected a mapping with 'obligations'")
    try:
        return Register.model_validate(data)
    except ValidationError as exc:
        raise RegisterError(_describe(path, data, exc)) from None


def get_register(path: str | Path | None = None) -> Register:
    """The register, cached until its file changes: a long-lived process (the dag-processor,
    the API server) sees an edited register at its next parse, without a restart."""
    if path is None:
        from safegov.core.settings import get_settings

        path = get_settings().config_dir / "obligations.yaml"
    try:
        stamp = Path(path).stat().st_mtime_ns
    except OSError:
        stamp = None  # load_register says "file not found"
    return _register_at(str(path), stamp)


@lru_cache(maxsize=8)
def _register_at(path: str, stamp: int | None) -> Register:
    return load_register(path)


get_register.cache_clear = _register_at.cache_clear  # type: ignore[attr-defined]
