"""Unified social credit codes (统一社会信用代码, GB 32100-2015; SPEC §8).

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z); the last is a
check character over the first 17: with weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10
30 28, check value = (31 − Σ(value × weight) mod 31) mod 31.

Pure functions: the Great Expectations suite (``safegov.intake.validation``) and the demo data
generator both use them.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class CreditCodeError(ValueError):
    """A string that cannot be a unified social credit code."""


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise CreditCodeError(f"{first17!r}: need 17 characters before the check character, got {len(first17)}")
    total = 0
    for pos, (ch, weight) in enumerate(zip(first17, WEIGHTS), start=1):
        value = _VALUE.get(ch)
        if value is None:
            raise CreditCodeError(f"{first17!r}: character {pos} {ch!r} is not in the GB 32100 alphabet")
        total += value * weight
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: object) -> bool:
    """True when ``code`` is 18 characters of the alphabet with the right check character.

    Case-sensitive on purpose: the standard uses capital letters, and the stored key must
    match other departments' queries exactly.
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    try:
        return check_character(code[:17]) == code[17]
    except CreditCodeError:
        return False


def make_credit_code(seed_17_chars: str) -> str:
    """A valid code: the 17 given characters plus their check character.

    >>> make_credit_code("91150102MA0N00000")[-1] in ALPHABET
    True
    """
    return seed_17_chars + check_character(seed_17_chars)
