"""The plain progress of long work (issue 19 item 5): periodic log lines, and every stage's
final figure when closed."""

from __future__ import annotations

import logging

import pytest

from safegov.core.progress import LogProgress


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "safegov.progress"]


def test_lines_are_periodic_and_the_last_one_is_the_final_figure(caplog):
    caplog.set_level(logging.INFO, logger="safegov.progress")
    clock = Clock()
    with LogProgress(every=10.0, clock=clock) as progress:
        progress.add("文件 files", 4)
        progress.advance("文件 files")  # t=0: the stage's clock starts, no line yet
        clock.t = 9.9
        progress.advance("文件 files")
        assert messages(caplog) == []
        clock.t = 10.0
        progress.advance("文件 files")
        assert messages(caplog) == ["文件 files: 3/4 (75 %)"]
        progress.advance("行 rows", 120)  # a running count: no total
        progress.add("文件 files", 2)  # more work found: the total grows
        clock.t = 15.0
        progress.advance("文件 files", 3)
        assert messages(caplog) == ["文件 files: 3/4 (75 %)"]  # 5 s after the last line: quiet
    assert messages(caplog) == ["文件 files: 3/4 (75 %)", "文件 files: 6/6 (100 %)", "行 rows: 120"]


@pytest.mark.parametrize(
    ("total", "done", "line"),
    [
        (0, 0, "s: 0/0"),  # nothing to do: no share of zero
        (3, 0, "s: 0/3 (0 %)"),
        (3, 2, "s: 2/3 (67 %)"),
        (None, 5, "s: 5"),
    ],
)
def test_line(total, done, line):
    progress = LogProgress()
    if total is not None:
        progress.add("s", total)
    if done:
        progress.advance("s", done)
    assert progress.line("s") == line
