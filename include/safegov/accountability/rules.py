"""Accountability rules (问责规则) as declared units: one handler per rule id.

A rule's id, article, clause and parameters are register data (``accountability_rules`` in
``config/obligations.yaml``, validated by ``safegov.register.obligations``); its handler is
the code that judges the facts, registered here under the same id with ``@register_rule``:

- ``subject="accident"``: ``handler(scan, accident, rule) -> list[CaseSpec]`` judges one
  accident of an ``accidents.AccidentScan`` (双约谈, reporting violations);
- ``subject="hazard"``: ``handler(run, rule) -> list[CaseSpec]`` judges the hazards of a
  ``RuleRun``'s range at once (诫勉谈话 and enforcement for overdue major hazards);
- ``subject="blacklist"``: ``handler(scan, rule) -> list[Ground]`` finds the blacklist
  candidates of a ``blacklist.GroundScan`` (〔十九〕, the national rule then in force).

A rule id may have several dated versions in the register; each is passed to its handler,
which judges only the facts whose date that version is in force on
(``Register.rule_in_force``).

The escalation runs the rules the register declares, in the register's order. A declared
rule without a handler is an error, never skipped; ``tests/accountability/test_accountability_rule_meta.py``
checks that handlers, register entries and test tables match one to one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from safegov.core.errors import SafegovError
from safegov.org.directory import PostDirectory
from safegov.register.obligations import AccountabilityRule, Register

Subject = Literal["accident", "hazard", "blacklist"]


@dataclass(frozen=True)
class Rule:
    """A registered handler: the rule id it judges for and what it looks at."""

    id: str
    subject: Subject
    handler: Callable[..., list[Any]]


@dataclass(frozen=True)
class RuleRun:
    """One run of the rules over the periods [lo, hi], judged as of ``as_of_day``."""

    session: Session
    register: Register
    lo: dt.date
    hi: dt.date
    as_of_day: dt.date
    directory: PostDirectory


RULES: dict[str, Rule] = {}


def register_rule(rule_id: str, *, subject: Subject) -> Callable[[Callable[..., list[Any]]], Callable[..., list[Any]]]:
    """Decorator: register the function as the handler of ``rule_id``."""

    def decorate(handler: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        known = RULES.get(rule_id)
        if known is not None and _name(known.handler) != _name(handler):
            raise SafegovError(
                f"accountability rule {rule_id} has two handlers: {_name(known.handler)} and {_name(handler)}"
            )
        RULES[rule_id] = Rule(rule_id, subject, handler)
        return handler

    return decorate


def _name(handler: Callable[..., Any]) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def declared(register: Register, subject: Subject) -> list[tuple[Rule, AccountabilityRule]]:
    """The register's rules about ``subject`` with their handlers, in the register's order
    (every version of a rule: each judges the facts of its own dates)."""
    out = []
    for entry in register.accountability_rules:
        rule = RULES.get(entry.id)
        if rule is None:
            raise SafegovError(f"accountability rule {entry.id} is in the register but has no handler")
        if rule.subject == subject:
            out.append((rule, entry))
    return out
