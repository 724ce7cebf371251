"""``safegov.devtools.faults.maybe_pause``: silent by default, pauses only where a test asked."""

from __future__ import annotations

import threading
import time

from safegov.devtools.faults import maybe_pause


def test_no_pause_without_a_request(monkeypatch, tmp_path):
    monkeypatch.delenv("SAFEGOV_FAULT_PAUSE", raising=False)
    monkeypatch.setenv("SAFEGOV_FAULT_DIR", str(tmp_path))
    assert maybe_pause("evaluate") == 0
    assert not (tmp_path / "reached-evaluate").exists()


def test_env_pause_applies_to_its_point_only(monkeypatch):
    monkeypatch.setenv("SAFEGOV_FAULT_PAUSE", "escalate:0.2,deliver")
    monkeypatch.delenv("SAFEGOV_FAULT_DIR", raising=False)
    assert maybe_pause("evaluate") == 0
    assert maybe_pause("escalate") >= 0.2


def test_file_pause_signals_arrival_and_waits_for_release(monkeypatch, tmp_path):
    monkeypatch.delenv("SAFEGOV_FAULT_PAUSE", raising=False)
    monkeypatch.setenv("SAFEGOV_FAULT_DIR", str(tmp_path))
    flag = tmp_path / "pause-after_send"
    flag.write_text("30")
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("slept", maybe_pause("after_send")))
    worker.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "reached-after_send").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "reached-after_send").exists()
    assert worker.is_alive()  # still paused while the flag exists
    flag.unlink()
    worker.join(timeout=10)
    assert not worker.is_alive() and result["slept"] < 30


def test_file_pause_is_bounded(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEGOV_FAULT_DIR", str(tmp_path))
    (tmp_path / "pause-evaluate").write_text("0.3")
    assert 0.3 <= maybe_pause("evaluate") < 5
