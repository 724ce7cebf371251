"""Progress of a command (issue 19 item 5): rich bars on a terminal, plain log lines otherwise.

:func:`open_progress` chooses once, by ``isatty`` of the stream progress goes to (stderr:
stdout carries the command's result, which may be piped), and gives a
:class:`safegov.core.progress.Progress` to pass into the domain function. Closing it draws
or logs every stage's final figure, before the command prints its summary.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from safegov.core.progress import LogProgress, Progress
from safegov.core.progress import log as progress_log


class BarProgress:
    """One rich bar per stage (a stage with no total shows its running count)."""

    def __init__(self, console: Console) -> None:
        self.bars = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {}
        self.totals: dict[str, int | None] = {}

    def _task(self, stage: str) -> TaskID:
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(stage, total=None)
            self.totals[stage] = None
        return self.tasks[stage]

    def add(self, stage: str, total: int) -> None:
        task = self._task(stage)
        self.totals[stage] = (self.totals[stage] or 0) + total
        self.bars.update(task, total=self.totals[stage])

    def advance(self, stage: str, done: int = 1) -> None:
        self.bars.advance(self._task(stage), done)

    def done(self, stage: str) -> int:
        return int(self.bars.tasks[self.tasks[stage]].completed)

    def __enter__(self) -> BarProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # A stage with no total ends as a full bar of its count.
        for stage, task in self.tasks.items():
            if self.totals[stage] is None:
                self.bars.update(task, total=self.done(stage))
        self.bars.stop()


@contextmanager
def open_progress(stream: IO[str] | None = None, *, every: float = 10.0) -> Iterator[Progress]:
    """Bars when ``stream`` (default stderr) is a terminal, else log lines every ``every`` s."""
    stream = stream if stream is not None else sys.stderr
    if stream.isatty():
        with BarProgress(Console(file=stream)) as bars:
            yield bars
        return
    handler = None
    if not progress_log.hasHandlers():  # a bare command: nothing set up logging (Airflow and pytest do)
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        progress_log.addHandler(handler)
        progress_log.setLevel(logging.INFO)
    try:
        with LogProgress(every=every) as lines:
            yield lines
    finally:
        if handler is not None:
            progress_log.removeHandler(handler)
