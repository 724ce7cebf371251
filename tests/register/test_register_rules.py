"""The register's accountability rules (``accountability_rules``): the shipped entries carry
the parameters the rules use, and each schema rule rejects bad input naming the file, the
rule id and the field."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from safegov.register.obligations import BlacklistRule, DualInterviewRule, RegisterError, load_register

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "obligations.yaml"


def test_shipped_rules_and_their_parameters():
    register = load_register(REGISTER)
    assert [r.id for r in register.accountability_rules] == [
        "DUAL-INTERVIEW-COUNTY",
        "DUAL-INTERVIEW-LEAGUE",
        "REPORTING-VIOLATION",
        "MAJOR-HAZARD-OVERDUE",
        "BLACKLIST-ACCIDENT",
        "BLACKLIST-ACCIDENT",
        "BLACKLIST-FALSE-REPORT",
        "BLACKLIST-FALSE-REPORT",
        "BLACKLIST-HAZARD",
        "HAZARD-REFUSAL-PENALTY",
    ]
    for r in register.accountability_rules:
        assert r.source and r.valid_from, r.id
    league = register.rule("DUAL-INTERVIEW-LEAGUE")
    assert isinstance(league, DualInterviewRule)
    assert (league.params.level, league.params.grades) == ("league", ("major", "especially_major"))
    assert (league.params.repeat.grade, league.params.repeat.within_months) == ("larger", 6)
    assert register.rule("DUAL-INTERVIEW-COUNTY").params.grades == ("larger",)
    assert register.report_within_hours(register.rule("REPORTING-VIOLATION")) == 1.0
    assert register.rule("MAJOR-HAZARD-OVERDUE").params.hazard_grade == "major"
    assert register.is_accountability_rule("REPORTING-VIOLATION") and not register.is_accountability_rule(
        "SC-MEET-LOCAL"
    )
    with pytest.raises(KeyError):
        register.is_accountability_rule("NO-SUCH-ID")


def _broken(tmp_path, mutate) -> Path:
    data = copy.deepcopy(yaml.safe_load(REGISTER.read_text(encoding="utf-8")))
    mutate(data)
    path = tmp_path / "obligations.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _rule(data, rid, version=0):
    return [r for r in data["accountability_rules"] if r["id"] == rid][version]


def _set(rid, dotted, value, version=0):
    def mutate(data):
        *path, last = dotted.split(".")
        node = _rule(data, rid, version)
        for key in path:
            node = node[key]
        node[last] = value

    return mutate


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            _set("DUAL-INTERVIEW-LEAGUE", "params.grades", ["huge"]),
            r"accountability rule DUAL-INTERVIEW-LEAGUE: field params.grades: unknown grade",
        ),
        (
            _set("DUAL-INTERVIEW-LEAGUE", "params.repeat.within_months", 0),
            r"accountability rule DUAL-INTERVIEW-LEAGUE: field params.repeat.within_months: "
            r"Input should be greater than or equal to 1",
        ),
        (
            _set("DUAL-INTERVIEW-COUNTY", "params.roles", ["mayor"]),
            r"accountability rule DUAL-INTERVIEW-COUNTY: field params.roles: unknown role",
        ),
        (
            _set("DUAL-INTERVIEW-COUNTY", "params.level", "province"),
            r"accountability rule DUAL-INTERVIEW-COUNTY: field params.level: Input should be",
        ),
        (
            _set("DUAL-INTERVIEW-COUNTY", "article", ["二十一"]),
            r"accountability rule DUAL-INTERVIEW-COUNTY: field article: unknown article",
        ),
        (
            _set("DUAL-INTERVIEW-COUNTY", "clause", "a larger accident in a county"),
            r"accountability rule DUAL-INTERVIEW-COUNTY: field clause: the clause must be quoted in Chinese",
        ),
        (
            _set("MAJOR-HAZARD-OVERDUE", "params.window", 3),
            r"accountability rule MAJOR-HAZARD-OVERDUE: field params.window: Extra inputs are not permitted",
        ),
        (
            _set("MAJOR-HAZARD-OVERDUE", "trigger", "comet"),
            r"accountability rule MAJOR-HAZARD-OVERDUE: field \(accountability rule\): Input tag 'comet'",
        ),
        (
            _set("REPORTING-VIOLATION", "params.deadline_of", "SC-MEET-LOCAL"),
            r"field \(register\): accountability rule REPORTING-VIOLATION: "
            r"params.deadline_of 'SC-MEET-LOCAL' is not an obligation",
        ),
        (_set("REPORTING-VIOLATION", "id", "SC-MEET-LOCAL"), r"field \(register\): duplicate rule id SC-MEET-LOCAL"),
        (lambda d: d.pop("accountability_rules"), r"field accountability_rules: Field required"),
        # Dated versions (#15 item 1).
        (
            _set("BLACKLIST-ACCIDENT", "valid_to", dt.date(2023, 10, 1)),
            r"accountability rule BLACKLIST-ACCIDENT: versions overlap: valid_from 2017-05-09 "
            r"\(valid_to 2023-10-01\) and valid_from 2023-10-01",
        ),
        (
            _set("BLACKLIST-ACCIDENT", "valid_to", None),
            r"accountability rule BLACKLIST-ACCIDENT: versions overlap: valid_from 2017-05-09 \(valid_to open\)",
        ),
        (
            _set("BLACKLIST-FALSE-REPORT", "valid_to", dt.date(2023, 9, 29)),
            r"accountability rule BLACKLIST-FALSE-REPORT: gap between versions: valid_to 2023-09-29 "
            r"and the next valid_from 2023-10-01",
        ),
        (
            _set("BLACKLIST-HAZARD", "valid_to", dt.date(2017, 5, 8)),
            r"accountability rule BLACKLIST-HAZARD: field \(accountability rule\): valid_to 2017-05-08 is before "
            r"valid_from 2017-05-09",
        ),
        (
            _set("BLACKLIST-ACCIDENT", "params.threshold", 3, version=1),
            r"accountability rule BLACKLIST-ACCIDENT: field params.threshold: Extra inputs are not permitted",
        ),
        (
            _set("BLACKLIST-ACCIDENT", "params.violations", ["concealed"]),
            r"accountability rule BLACKLIST-ACCIDENT: field params: a accident ground takes no violations",
        ),
        (
            _set("BLACKLIST-ACCIDENT", "params.deciding_unit", "150000", version=1),
            r"accountability rule BLACKLIST-ACCIDENT: field params: deciding_unit is for grounds listed without",
        ),
        (
            _set("BLACKLIST-FALSE-REPORT", "trigger", "hazard_overdue", version=1),
            r"accountability rule BLACKLIST-FALSE-REPORT: field params.hazard_grade: Field required",
        ),
        (
            lambda d: _rule(d, "DUAL-INTERVIEW-COUNTY").pop("source"),
            r"accountability rule DUAL-INTERVIEW-COUNTY: field source: Field required",
        ),
        (
            _set("DUAL-INTERVIEW-COUNTY", "valid_from", "2017-02-30"),
            r"accountability rule DUAL-INTERVIEW-COUNTY: field valid_from: Input should be a valid date",
        ),
    ],
)
def test_rule_schema_rejects_bad_input_naming_file_id_and_field(tmp_path, mutate, expected):
    path = _broken(tmp_path, mutate)
    with pytest.raises(RegisterError, match=expected) as exc:
        load_register(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize(
    "rule_id, day, valid_from",
    [
        ("BLACKLIST-ACCIDENT", dt.date(2017, 5, 8), None),  # before the 2017 rules: no version
        ("BLACKLIST-ACCIDENT", dt.date(2017, 5, 9), "2017-05-09"),
        ("BLACKLIST-ACCIDENT", dt.date(2023, 9, 30), "2017-05-09"),
        ("BLACKLIST-ACCIDENT", dt.date(2023, 10, 1), "2023-10-01"),
        ("BLACKLIST-ACCIDENT", dt.date(2030, 1, 1), "2023-10-01"),  # open-ended
        ("BLACKLIST-HAZARD", dt.date(2023, 9, 30), "2017-05-09"),
        ("BLACKLIST-HAZARD", dt.date(2023, 10, 1), None),  # no Order No. 11 version
        ("DUAL-INTERVIEW-COUNTY", dt.date(2017, 1, 25), None),
        ("DUAL-INTERVIEW-COUNTY", dt.date(2017, 1, 26), "2017-01-26"),
    ],
)
def test_rule_in_force_chooses_the_version_of_the_day(rule_id, day, valid_from):
    register = load_register(REGISTER)
    got = register.rule_in_force(rule_id, day)
    assert (got.valid_from.isoformat() if got else None) == valid_from
    if got is not None:
        assert got.legal_basis == f"{rule_id}@{valid_from}"


def test_rule_in_force_of_an_unknown_rule_is_an_error():
    with pytest.raises(KeyError, match="NO-SUCH-RULE"):
        load_register(REGISTER).rule_in_force("NO-SUCH-RULE", dt.date(2024, 1, 1))


def test_order_11_versions_list_the_art_2_industries_and_need_a_penalty():
    register = load_register(REGISTER)
    for rid in ("BLACKLIST-ACCIDENT", "BLACKLIST-FALSE-REPORT"):
        old, new = register.rule_versions(rid)
        assert isinstance(new, BlacklistRule) and new.params.requires_penalty and "应急管理部令第11号" in new.source
        assert {"mining", "hazardous_chemicals", "fireworks", "metallurgy", "retail"} <= set(new.params.industries)
        assert not {"construction", "road_transport", "power"} & set(new.params.industries)
        assert (
            old.params.industries is None and not old.params.requires_penalty and "安监总办〔2017〕49号" in old.source
        )
    accident = register.rule_in_force("BLACKLIST-ACCIDENT", dt.date(2024, 1, 1)).params
    assert accident.grades == ("major", "especially_major")
    assert (accident.repeat.grade, accident.repeat.count, accident.repeat.within_months) == ("larger", 2, 12)
