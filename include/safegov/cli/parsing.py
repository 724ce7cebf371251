"""Command-line values shared by the commands: moments, days and months, each checked with a
one-line reason naming the flag."""

from __future__ import annotations

import datetime as dt
import re

from safegov.core.errors import SafegovError

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_ANCHOR = re.compile(r"(\d+):([0-9a-f]{64})")


def parse_moment(text: str | None, flag: str = "--as-of") -> dt.datetime:
    """An ISO date or datetime (without offset: Asia/Shanghai); empty: now (or SAFEGOV_NOW)."""
    from safegov.core.clock import get_clock
    from safegov.core.periods import TZ

    if not text:
        return get_clock().now()
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SafegovError(f"{flag} {text!r} is not an ISO date or datetime (e.g. 2025-01-10T09:00+08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def parse_day(text: str | None, flag: str = "--on") -> dt.date:
    """A date YYYY-MM-DD; empty: today in Asia/Shanghai (or SAFEGOV_NOW's day)."""
    from safegov.core.clock import get_clock
    from safegov.core.periods import local_date

    if not text:
        return local_date(get_clock().now())
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise SafegovError(f"{flag} {text!r} is not a date YYYY-MM-DD") from None


def parse_month(text: str, flag: str) -> str:
    """A month key YYYY-MM, returned as given."""
    if not _MONTH.fullmatch(text or ""):
        raise SafegovError(f"{flag} {text!r}: expected a month YYYY-MM")
    return text


def parse_year(year: int, flag: str = "--year") -> int:
    """A calendar year whose every moment (and the first day after it) the date types hold."""
    # 9999-12-31 has no next day and year 1 in Asia/Shanghai starts before UTC's year 1.
    if not 1000 <= year <= 9998:
        raise SafegovError(f"{flag} {year}: expected a year between 1000 and 9998")
    return year


def parse_anchor(text: str, flag: str = "--anchor"):
    """``LENGTH:HEAD_HASH``, an audit chain head as a bulletin or an asset event publishes it."""
    from safegov.db.audit import Anchor

    m = _ANCHOR.fullmatch(text.strip())
    if not m:
        raise SafegovError(f"{flag} {text!r}: expected LENGTH:HASH (a link count and a 64-hex-digit hash)")
    return Anchor(int(m[1]), m[2], f"the published anchor {m[1]}:{m[2][:12]}…")


def parse_format(text: str, allowed: tuple[str, ...], flag: str = "--format") -> str:
    """One of ``allowed`` (case as given); argparse's ``choices`` would print the usage too,
    where the other flags get one line."""
    if text not in allowed:
        raise SafegovError(f"{flag} {text!r}: expected {' or '.join(allowed)}")
    return text
