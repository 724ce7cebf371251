"""Each accountability rule is one declared unit: a register entry, a handler and a test table.

Fails when a rule id of the register has no registered handler, a handler has no register
entry, or a rule has no table of tests ``tests/accountability/rules/test_<rule id>.py``
(lower case, ``-`` → ``_``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import safegov.accountability.escalation  # noqa: F401 - importing the escalation registers every handler
from safegov.accountability.rules import RULES, declared
from safegov.core.errors import SafegovError

TABLES = Path(__file__).resolve().parent / "rules"
DECISION = Path(__file__).resolve().parents[3] / "shared" / "reference" / "decision-2017-zh.txt"


def table_of(rule_id: str) -> Path:
    return TABLES / f"test_{rule_id.lower().replace('-', '_')}.py"


def test_every_register_rule_has_a_handler(register):
    missing = [r.id for r in register.accountability_rules if r.id not in RULES]
    assert missing == [], f"register rules without a handler (@register_rule): {missing}"


def test_every_handler_has_a_register_entry(register):
    declared_ids = {r.id for r in register.accountability_rules}
    extra = sorted(set(RULES) - declared_ids)
    assert extra == [], f"handlers without an entry under accountability_rules in the register: {extra}"


def test_every_rule_has_a_test_table(register):
    ids = {r.id for r in register.accountability_rules} | set(RULES)
    missing = sorted(str(table_of(i).relative_to(TABLES.parents[1])) for i in ids if not table_of(i).exists())
    assert missing == [], f"accountability rules without their test table: {missing}"


def test_a_declared_rule_without_a_handler_is_an_error_not_skipped(register):
    ghost = register.rule("REPORTING-VIOLATION").model_copy(update={"id": "GHOST-RULE"})
    changed = register.model_copy(update={"accountability_rules": (*register.accountability_rules, ghost)})
    with pytest.raises(SafegovError, match="GHOST-RULE"):
        declared(changed, "accident")


@pytest.mark.skipif(not DECISION.exists(), reason="shared/reference not beside the checkout")
def test_every_rule_clause_is_quoted_verbatim_from_the_decision(register):
    text = DECISION.read_text(encoding="utf-8")
    for rule in register.accountability_rules:
        assert rule.clause in text, f"{rule.id}: clause not found in the decision"
