"""`safegov mail …` end to end: serve in a subprocess, queue, deliver, list, show-received."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SAFEGOV = Path(sys.executable).parent / "safegov"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cli_env(tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        SAFEGOV_DATA_DIR=str(tmp_path),
        SAFEGOV_SENDGRID_HOST=f"http://127.0.0.1:{port}",
        SAFEGOV_NOW="2024-04-02T09:00:00+08:00",
    )
    env.pop("SAFEGOV_DATABASE_URL", None)
    env.pop("SENDGRID_API_KEY", None)
    server = subprocess.Popen(
        [str(SAFEGOV), "mail", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):  # wait until it answers (bounded)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/messages", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("local mail server did not start: " + server.stderr.read())
        yield env, port
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(env, *args):
    return subprocess.run([str(SAFEGOV), *args], capture_output=True, text=True, env=env, timeout=120)


def test_queue_deliver_list_show(cli_env, tmp_path):
    env, port = cli_env
    assert run(env, "db", "migrate").returncode == 0
    from sqlalchemy.orm import Session

    from safegov.core.periods import TZ
    from safegov.db.engine import make_engine
    from safegov.notification.outbox import queue

    engine = make_engine(f"sqlite:///{tmp_path / 'safegov.db'}")
    with Session(engine) as s, s.begin():
        for i, addr in enumerate(["li.si@example.gov.cn", None]):
            queue(
                s,
                purpose="notice",
                subject_id=f"15010{i}",
                period="2024-03",
                recipient=f"L{i}",
                step="notice",
                to_email=addr,
                template="notice",
                context={"obligation_title": "安委会会议", "period": "2024-03"},
                created_at=dt.datetime(2024, 4, 2, 9, tzinfo=TZ),
            )
    engine.dispose()
    out = run(env, "mail", "deliver")
    assert out.returncode == 0, out.stderr
    assert "sent=1" in out.stdout
    # Not a terminal: progress is plain log lines on stderr, ending on the figure reported (the
    # row without an address is failed when queued, never claimed).
    claimed = int(out.stdout.split("claimed=")[1].split()[0])
    assert claimed == 1 and f"邮件 messages: {claimed}/{claimed} (100 %)" in out.stderr.splitlines()[-1]
    listing = run(env, "mail", "list", "--state", "failed")
    assert "no_address" in listing.stdout and "@" not in listing.stdout
    all_rows = json.loads(run(env, "mail", "list", "--json").stdout)
    assert all_rows["counts"] == {"sent": 1, "failed": 1}
    assert all(r["to"] in ("l***@e***.cn", "-") for r in all_rows["rows"])
    shown = run(env, "mail", "show-received")
    assert "【通报】" in shown.stdout and "1 message(s) received" in shown.stdout
    assert (tmp_path / "mail" / "sent.jsonl").exists()  # default record under SAFEGOV_DATA_DIR


def test_show_received_without_server_is_a_one_line_error(tmp_path):
    env = dict(os.environ, SAFEGOV_DATA_DIR=str(tmp_path), SAFEGOV_SENDGRID_HOST=f"http://127.0.0.1:{free_port()}")
    out = run(env, "mail", "show-received")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
