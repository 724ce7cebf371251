"""The evaluation rules, keyed by the register's ``rule:`` value: one module per rule kind.

``rule_for(ob)`` is how the engine finds what evaluates an obligation; a ``rule:`` value with
no module here is an ``UnknownRule`` error. The names agree with ``Rule`` in
``safegov.register.obligations`` (tests/evaluation/test_evaluation_rule_meta.py checks both ways).
"""

from __future__ import annotations

from safegov.evaluation.rules import (
    accident_report,
    count,
    hazard_deadline,
    liability_review,
    milestone,
    report_chain,
    rolling_training,
    supervision,
    ticket_conclusion,
)
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.register.obligations import Obligation

RULES: dict[str, RuleKind] = {
    m.RULE.name: m.RULE
    for m in (
        count,
        milestone,
        hazard_deadline,
        accident_report,
        ticket_conclusion,
        supervision,
        rolling_training,
        report_chain,
        liability_review,
    )
}


class UnknownRule(LookupError):
    """An obligation names a ``rule:`` that no evaluation rule handles."""


def rule_for(ob: Obligation) -> RuleKind:
    try:
        return RULES[ob.rule]
    except KeyError:
        raise UnknownRule(f"obligation {ob.id}: no evaluation rule {ob.rule!r}; known: {sorted(RULES)}") from None


__all__ = ["RULES", "Plan", "RuleKind", "RuleRun", "UnknownRule", "rule_for"]
