"""The register's accountability rules (``accountability_rules``): the shipped entries carry
the parameters the rules use, and each schema rule rejects bad input naming the file, the
rule id and the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from safegov.register.obligations import DualInterviewRule, RegisterError, load_register

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "config" / "obligations.yaml"


def test_shipped_rules_and_their_parameters():
    register = load_register(REGISTER)
    assert [r.id for r in register.accountability_rules] == [
        "DUAL-INTERVIEW-COUNTY",
        "DUAL-INTERVIEW-LEAGUE",
        "REPORTING-VIOLATION",
        "MAJOR-HAZARD-OVERDUE",
    ]
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


def _rule(data, rid):
    return next(r for r in data["accountability_rules"] if r["id"] == rid)


def _set(rid, dotted, value):
    def mutate(data):
        *path, last = dotted.split(".")
        node = _rule(data, rid)
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
    ],
)
def test_rule_schema_rejects_bad_input_naming_file_id_and_field(tmp_path, mutate, expected):
    path = _broken(tmp_path, mutate)
    with pytest.raises(RegisterError, match=expected) as exc:
        load_register(path)
    assert str(path) in str(exc.value)
