"""Fixtures of the demo tests: the default demo (until 2026-10, seed 7) written once per session."""

from __future__ import annotations

import pytest

UNTIL = "2026-10"
SEED = 7


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """(inbox, summary) of the default demo, shared read-only by the tests of this folder."""
    from safegov.devtools.demo import write_demo

    inbox = tmp_path_factory.mktemp("demo") / "inbox"
    summary = write_demo(inbox, until=UNTIL, months=24, seed=SEED)
    return inbox, summary
