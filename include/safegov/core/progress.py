"""Progress of long work (issue 19 item 5): the small interface long domain functions report to.

A function that can run for minutes (ingestion, evaluation, escalation, mail delivery, the
synthetic set, the audit walk) takes ``progress: Progress | None = None`` and tells it, per
*stage* (a short label such as ``"文件 files"``), how much work there is (:meth:`Progress.add`,
as soon as it is known; a stage never added is a running count with no total) and how much
is done (:meth:`Progress.advance`). The figures are the ones the function returns: once it
has returned, every stage's done count is the matching figure of its result.

How progress is shown is the caller's business: the CLI draws rich bars on a terminal
(``safegov.cli.progress``) and uses :class:`LogProgress` otherwise; an Airflow task log gets
:class:`LogProgress`. The domain never imports a terminal library.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("safegov.progress")


class Progress(Protocol):
    def add(self, stage: str, total: int) -> None:
        """``total`` more units of ``stage`` are to be done."""

    def advance(self, stage: str, done: int = 1) -> None:
        """``done`` more units of ``stage`` are done."""


class NoProgress:
    """Reports nowhere: the default of every function that takes a progress."""

    def add(self, stage: str, total: int) -> None:
        pass

    def advance(self, stage: str, done: int = 1) -> None:
        pass


NO_PROGRESS = NoProgress()


class LogProgress:
    """Plain log lines (``stage: done/total (pct %)``, or ``stage: done`` without a total):
    a stage's line at most once every ``every`` seconds while it advances, and every stage's
    final line when closed (``with LogProgress() as progress: …``), so the last line of a
    stage is the figure the work returned."""

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger or log
        self.every = every
        self.clock = clock
        self.totals: dict[str, int | None] = {}
        self.done: dict[str, int] = {}
        self._last: dict[str, float] = {}

    def add(self, stage: str, total: int) -> None:
        self.totals[stage] = (self.totals.get(stage) or 0) + total
        self.done.setdefault(stage, 0)

    def advance(self, stage: str, done: int = 1) -> None:
        self.totals.setdefault(stage, None)
        self.done[stage] = self.done.get(stage, 0) + done
        now = self.clock()
        if now - self._last.setdefault(stage, now) >= self.every:
            self._last[stage] = now
            self.logger.info("%s", self.line(stage))

    def line(self, stage: str) -> str:
        done, total = self.done.get(stage, 0), self.totals.get(stage)
        if total is None:
            return f"{stage}: {done}"
        share = f" ({100 * done / total:.0f} %)" if total else ""
        return f"{stage}: {done}/{total}{share}"

    def close(self) -> None:
        for stage in self.totals:
            self.logger.info("%s", self.line(stage))

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
