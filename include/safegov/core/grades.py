"""Accident grades (事故等级) per State Council Decree No. 493 of 2007, art. 3 (SPEC §8).

The grade is the highest that any one figure reaches; "at least" includes the bound
(以上包括本数): 30 deaths is 特别重大, 29 is 重大.

``grade_of`` is the pure reference; ``grade_case`` is the same rule as a SQL CASE so that
the evaluation engine can grade every accident in one set-based statement. Both read the
same ``THRESHOLDS`` table, and tests check they agree on the bounds.
"""

from __future__ import annotations

GRADES = ("general", "larger", "major", "especially_major")
GRADE_RANK = {g: i for i, g in enumerate(GRADES)}
GRADE_NAMES = {"general": "一般", "larger": "较大", "major": "重大", "especially_major": "特别重大"}

# (grade, deaths ≥, serious injuries ≥, direct loss ≥ 万元), highest grade first.
THRESHOLDS: tuple[tuple[str, int, int, float], ...] = (
    ("especially_major", 30, 100, 10000.0),  # 特别重大
    ("major", 10, 50, 5000.0),  # 重大
    ("larger", 3, 10, 1000.0),  # 较大
)


def grade_of(deaths: int, serious_injuries: int, loss_10k: float) -> str:
    """The Decree 493 grade of an accident from its figures (loss in 万元 CNY)."""
    for grade, d, s, loss in THRESHOLDS:
        if deaths >= d or serious_injuries >= s or loss_10k >= loss:
            return grade
    return "general"  # 一般


def grade_case(deaths, serious_injuries, loss_10k):
    """SQL CASE equivalent of ``grade_of`` over three column expressions."""
    from sqlalchemy import case, literal

    whens = [
        ((deaths >= d) | (serious_injuries >= s) | (loss_10k >= loss), literal(grade))
        for grade, d, s, loss in THRESHOLDS
    ]
    return case(*whens, else_=literal("general"))


def rank_case(grade_expr):
    """SQL CASE giving the rank (0 general … 3 especially_major); NULL (undeclared) ranks as general."""
    from sqlalchemy import case, literal

    return case(*[(grade_expr == literal(g), literal(i)) for g, i in GRADE_RANK.items() if i], else_=literal(0))
