"""Fault-injection points for the distributed tests (no effect in production).

A task calls ``maybe_pause("evaluate")`` (or ``"escalate"``, ``"deliver"``,
``"after_send"``) at the moment a crash would hurt most. Nothing happens unless a test
asked for a pause, in one of two ways:

- ``SAFEGOV_FAULT_PAUSE=<point>[:seconds][,<point>…]`` in the environment: sleep there;
- ``SAFEGOV_FAULT_DIR=<dir>`` and a file ``<dir>/pause-<point>`` (its content: seconds,
  default 60): sleep while the file exists, at most that long. The test deletes the file to
  release the task, and sees ``<dir>/reached-<point>`` appear when a task got there — so it
  can SIGKILL the worker at exactly that moment.

Every pause is bounded (at most 300 s), so a forgotten file never hangs a deployment.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

MAX_PAUSE = 300.0


def _env_pause(point: str) -> float | None:
    spec = os.environ.get("SAFEGOV_FAULT_PAUSE", "")
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, secs = item.partition(":")
        if name == point:
            return float(secs or 30)
    return None


def maybe_pause(point: str) -> float:
    """Pause at ``point`` if a test asked for it; returns the seconds slept (0 normally)."""
    slept = 0.0
    secs = _env_pause(point)
    if secs:
        log.warning("fault point %s: pausing %.0fs (SAFEGOV_FAULT_PAUSE)", point, secs)
        time.sleep(min(secs, MAX_PAUSE))
        slept += min(secs, MAX_PAUSE)
    folder = os.environ.get("SAFEGOV_FAULT_DIR")
    if not folder:
        return slept
    flag = Path(folder) / f"pause-{point}"
    if not flag.exists():
        return slept
    try:
        limit = min(float(flag.read_text().strip() or 60), MAX_PAUSE)
    except (OSError, ValueError):
        limit = 60.0
    (Path(folder) / f"reached-{point}").write_text(str(os.getpid()))
    log.warning("fault point %s: paused while %s exists (at most %.0fs)", point, flag, limit)
    start = time.monotonic()
    while flag.exists() and time.monotonic() - start < limit:
        time.sleep(0.2)
    return slept + time.monotonic() - start
