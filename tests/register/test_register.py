"""The obligation register: the shipped file is valid and complete; each schema rule rejects
bad input with a message naming the file, the obligation id and the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from safegov.register.obligations import RegisterError, load_register

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "obligations.yaml"
# ../shared beside the main checkout; a worktree (…/wt/<branch>) finds it one level further up.
DECISION = next(
    (
        p / "shared" / "reference" / "decision-2017-zh.txt"
        for p in ROOT.parents
        if (p / "shared" / "reference").is_dir()
    ),
    ROOT.parent / "shared" / "reference" / "decision-2017-zh.txt",
)

SPEC_IDS = {
    "SC-MEET-REGION",
    "SC-MEET-LOCAL",
    "SC-CASE-REVIEW",
    "PARTY-HEARS-SAFETY",
    "GOV-HEARS-SAFETY",
    "LEAD-INSPECT-REGION",
    "LEAD-INSPECT-LEAGUE",
    "LEAD-INSPECT-COUNTY",
    "DEPT-HEAD-INSPECT",
    "BULLETIN-MONTHLY",
    "ENT-HAZARD-SELFCHECK",
    "ENT-RISK-ASSESS",
    "ENT-RISK-PUBLISH",
    "HAZARD-RECTIFY",
    "ACCIDENT-REPORT-TIMELY",
    "HOTLINE-CONCLUDE",
    "ENFORCEMENT-AGENCY-2017",
    "RESCUE-TEAM-2017",
    "RESCUE-BASES-2018",
}
# Issue 16: the checkable clauses added after the SPEC §4 catalogue, with their articles.
ISSUE16_IDS = {
    "ENT-SUPERVISOR": ("八",),
    "ENFORCE-PLAN-UNIT": ("八",),
    "ENFORCE-PLAN-DEPT": ("八",),
    "STAFF-ROTATION-TRAINING": ("九",),
    # items 3, 6: 〔十〕 the safety fund and safety costs, 〔十六〕 referrals and assessments
    "SAFETY-FUND-BUDGET": ("十",),
    "ENT-SAFETY-COST": ("十",),
    "ACCIDENT-REFERRAL-DISCIPLINE": ("十六",),
    "ACCIDENT-REFERRAL-ORG": ("十六",),
    "KEY-INDUSTRY-ASSESS": ("十六",),
    "ACCIDENT-REPORT-CHAIN": ("十五",),
    "GOV-EMERGENCY-DRILL": ("十三",),
    "LIABILITY-TRAINING-REVIEW": ("十四",),
}


def test_shipped_register_has_every_obligation_of_the_spec():
    register = load_register(REGISTER)
    assert {ob.id for ob in register.obligations} == SPEC_IDS | set(ISSUE16_IDS)


@pytest.mark.parametrize("oid, articles", sorted(ISSUE16_IDS.items()))
def test_issue16_clauses_carry_their_article(oid, articles):
    assert load_register(REGISTER).get(oid).article == articles


@pytest.mark.parametrize(
    "oid, cadence, quota, kind",
    [
        ("SC-MEET-REGION", "quarterly", 1, "unit"),
        ("SC-MEET-LOCAL", "monthly", 1, "unit"),
        ("PARTY-HEARS-SAFETY", "yearly", 2, "unit"),
        ("GOV-HEARS-SAFETY", "yearly", 2, "unit"),
        ("LEAD-INSPECT-REGION", "half_yearly", 1, "post"),
        ("LEAD-INSPECT-LEAGUE", "quarterly", 1, "post"),
        ("LEAD-INSPECT-COUNTY", "monthly", 1, "post"),
        ("DEPT-HEAD-INSPECT", "monthly", 1, "department"),
        ("ENT-HAZARD-SELFCHECK", "monthly", 1, "enterprise"),
        ("ENT-RISK-ASSESS", "quarterly", 1, "enterprise"),
        ("HAZARD-RECTIFY", "event", 1, "hazard"),
        ("RESCUE-BASES-2018", "once", 2, "unit"),
        ("ENT-SUPERVISOR", "yearly", 1, "unit"),
        ("ENFORCE-PLAN-UNIT", "yearly", 1, "unit"),
        ("ENFORCE-PLAN-DEPT", "yearly", 1, "department"),
        ("STAFF-ROTATION-TRAINING", "yearly", 1, "staff"),
        ("LIABILITY-TRAINING-REVIEW", "event", 1, "accident"),
    ],
)
def test_register_encodes_the_spec_table(oid, cadence, quota, kind):
    ob = load_register(REGISTER).get(oid)
    assert (ob.cadence.value, ob.quota, ob.subject.kind) == (cadence, quota, kind)


@pytest.mark.skipif(not DECISION.exists(), reason="shared/reference not beside the checkout")
def test_every_clause_is_quoted_verbatim_from_the_decision():
    text = DECISION.read_text(encoding="utf-8")
    for ob in load_register(REGISTER).obligations:
        assert ob.clause in text, f"{ob.id}: clause not found in the decision"


def _broken(tmp_path, mutate) -> Path:
    data = yaml.safe_load(REGISTER.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    mutate(data)
    path = tmp_path / "obligations.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _ob(data, oid):
    return next(o for o in data["obligations"] if o["id"] == oid)


def _set(oid, field, value):
    def mutate(data):
        ob = _ob(data, oid)
        if value is _DELETE:
            del ob[field]
        else:
            ob[field] = value

    return mutate


_DELETE = object()


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            _set("SC-MEET-LOCAL", "id", "sc-meet-local"),
            r"obligation sc-meet-local: field id: String should match pattern",
        ),
        (_set("SC-MEET-LOCAL", "article", ["二十一"]), r"obligation SC-MEET-LOCAL: field article: unknown article"),
        (
            _set("SC-MEET-LOCAL", "article", []),
            r"obligation SC-MEET-LOCAL: field article: .*should have at least 1 item",
        ),
        (
            _set("SC-MEET-LOCAL", "clause", "at least one meeting a month"),
            r"obligation SC-MEET-LOCAL: field clause: the clause must be quoted in Chinese",
        ),
        (_set("SC-MEET-LOCAL", "clause", _DELETE), r"obligation SC-MEET-LOCAL: field clause: Field required"),
        (_set("SC-MEET-LOCAL", "cadence", "weekly"), r"obligation SC-MEET-LOCAL: field cadence: Input should be"),
        (
            _set("SC-MEET-LOCAL", "quota", 0),
            r"obligation SC-MEET-LOCAL: field quota: Input should be greater than or equal to 1",
        ),
        (
            _set("RESCUE-BASES-2018", "quota_max", 1),
            r"obligation RESCUE-BASES-2018: field \(obligation\): quota_max 1 is below quota 2",
        ),
        (
            _set("SC-MEET-LOCAL", "grace_working_days", -1),
            r"obligation SC-MEET-LOCAL: field grace_working_days: Input should be greater than or equal to 0",
        ),
        (
            _set("SC-MEET-LOCAL", "reminder_offsets", [1, 5]),
            r"obligation SC-MEET-LOCAL: field reminder_offsets: reminder offsets must be distinct and in descending "
            r"order",
        ),
        (
            _set("SC-MEET-LOCAL", "reminder_offsets", [0]),
            r"obligation SC-MEET-LOCAL: field reminder_offsets: .*each > 0",
        ),
        (
            _set("SC-MEET-LOCAL", "evidence", {"record_type": "minutes"}),
            r"obligation SC-MEET-LOCAL: field evidence.record_type: unknown record type 'minutes'",
        ),
        (
            _set("SC-MEET-LOCAL", "evidence", {"record_type": "meeting", "where": {"colour": "red"}}),
            r"obligation SC-MEET-LOCAL: field evidence: record type meeting has no column 'colour'",
        ),
        (
            _set("SC-MEET-LOCAL", "evidence", {"record_type": "meeting", "where": {"body": "tea_party"}}),
            r"obligation SC-MEET-LOCAL: field evidence: body='tea_party' is not one of",
        ),
        (
            _set("SC-MEET-LOCAL", "subject", {"kind": "unit"}),
            r"obligation SC-MEET-LOCAL: field subject: subject kind unit needs levels",
        ),
        (
            _set("LEAD-INSPECT-COUNTY", "subject", {"kind": "post", "levels": ["county"], "roles": ["mayor"]}),
            r"obligation LEAD-INSPECT-COUNTY: field subject.roles: unknown role",
        ),
        (
            _set("SC-MEET-LOCAL", "subject", {"kind": "unit", "levels": ["province"]}),
            r"obligation SC-MEET-LOCAL: field subject.levels.0: Input should be",
        ),
        (
            _set("RESCUE-TEAM-2017", "due_on", _DELETE),
            r"obligation RESCUE-TEAM-2017: field \(obligation\): a once obligation needs due_on",
        ),
        (
            _set("SC-MEET-LOCAL", "due_on", "2017-12-31"),
            r"obligation SC-MEET-LOCAL: field \(obligation\): due_on is only for once obligations",
        ),
        (
            _set("SC-MEET-LOCAL", "cadence", "event"),
            r"obligation SC-MEET-LOCAL: field \(obligation\): event cadence goes with hazard",
        ),
        (
            _set("SC-MEET-LOCAL", "ladder", "lenient"),
            r"field \(register\): obligation SC-MEET-LOCAL: ladder 'lenient' is not defined under ladders",
        ),
        (
            _set("SC-MEET-LOCAL", "colour", "red"),
            r"obligation SC-MEET-LOCAL: field colour: Extra inputs are not permitted",
        ),
        (
            lambda d: d["obligations"].append(copy.deepcopy(_ob(d, "SC-MEET-LOCAL"))),
            r"duplicate obligation id SC-MEET-LOCAL",
        ),
    ],
)
def test_schema_rule_rejects_bad_input_naming_file_id_and_field(tmp_path, mutate, expected):
    path = _broken(tmp_path, mutate)
    with pytest.raises(RegisterError, match=expected) as exc:
        load_register(path)
    assert str(path) in str(exc.value)


def test_not_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "obligations.yaml"
    bad.write_text("obligations: [unclosed", encoding="utf-8")
    with pytest.raises(RegisterError, match="not valid YAML"):
        load_register(bad)
    with pytest.raises(RegisterError, match="file not found"):
        load_register(tmp_path / "nope.yaml")
