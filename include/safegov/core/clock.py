"""The clock, behind a small interface: the system clock, or a fixed one.

Airflow tasks never ask the clock: they take their period and "as of" moment from the run's
data interval. Only CLI commands and daily sweeps ask "now", and tests and demos pin it with
``SAFEGOV_NOW`` (an ISO datetime; without offset it is Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Protocol

from safegov.core.periods import TZ


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(TZ)


class FixedClock:
    def __init__(self, moment: dt.datetime):
        self._moment = moment if moment.tzinfo else moment.replace(tzinfo=TZ)

    def now(self) -> dt.datetime:
        return self._moment


def get_clock() -> Clock:
    pinned = os.environ.get("SAFEGOV_NOW")
    if pinned:
        return FixedClock(dt.datetime.fromisoformat(pinned))
    return SystemClock()
