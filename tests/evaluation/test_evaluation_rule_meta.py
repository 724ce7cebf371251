"""The register's rule names, the evaluation rules and their test tables agree: every ``rule:``
value the register allows or uses has a handler, every handler is a value the register
allows, and every rule kind has its table of cases in tests/evaluation/rules/test_<rule>.py."""

from __future__ import annotations

import pkgutil
import typing
from pathlib import Path

import pytest

import safegov.evaluation.rules as rules_package
from safegov.evaluation.rules import RULES, UnknownRule, rule_for
from safegov.register.obligations import Rule, load_register

HERE = Path(__file__).resolve().parent
REGISTER = HERE.parents[1] / "config" / "obligations.yaml"
ALLOWED = set(typing.get_args(Rule))
RULE_MODULES = {m.name for m in pkgutil.iter_modules(rules_package.__path__)} - {"base"}


def test_every_rule_the_register_allows_has_a_handler():
    assert ALLOWED - set(RULES) == set()


def test_every_rule_the_register_uses_has_a_handler():
    used = {ob.rule for ob in load_register(REGISTER).obligations}
    assert used - set(RULES) == set()


def test_every_handler_is_a_rule_the_register_allows():
    assert set(RULES) - ALLOWED == set()


def test_every_rule_module_is_registered_under_its_name():
    assert {name: kind.name for name, kind in RULES.items()} == {name: name for name in RULES}
    assert RULE_MODULES == set(RULES)


@pytest.mark.parametrize("rule", sorted(ALLOWED | set(RULES)))
def test_every_rule_kind_has_a_test_table(rule):
    assert (HERE / "rules" / f"test_{rule}.py").is_file(), f"no tests/evaluation/rules/test_{rule}.py"


def test_an_unknown_rule_is_a_named_error():
    ob = load_register(REGISTER).obligations[0].model_copy(update={"rule": "no_such_rule"})
    with pytest.raises(UnknownRule, match="no_such_rule"):
        rule_for(ob)
