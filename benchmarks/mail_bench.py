"""Throughput of the outbox to the local SendGrid server: queue + deliver N messages.

    .venv/bin/python benchmarks/mail_bench.py [-n 10000] [--workers 8] [--db sqlite|URL]

Starts the local server on a free port, queues N Chinese notices (rendered templates) in one
transaction, delivers them with ``deliver(..., workers=W)`` until none is due, then checks
that the server received each outbox key exactly once. Prints messages/second.
urllib (under python_http_client) opens one connection per request, so concurrency comes from
a small thread pool; each row is still claimed once and marked after its send.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--limit", type=int, default=1000, help="rows claimed per deliver call")
    ap.add_argument("--mark-batch", type=int, default=50)
    ap.add_argument("--db", default="sqlite", help="sqlite (temporary file) or a SQLAlchemy URL")
    args = ap.parse_args(argv)

    import logging

    logging.basicConfig(level=logging.ERROR)
    from sqlalchemy.orm import Session

    from safegov.calendar import TZ
    from safegov.db import make_engine, migrate
    from safegov.mail import SendGridMailer
    from safegov.mailserver import MailServer
    from safegov.outbox import deliver, queue_many

    tmp = Path(tempfile.mkdtemp(prefix="safegov-mailbench-"))
    url = f"sqlite:///{tmp / 'bench.db'}" if args.db == "sqlite" else args.db
    schema = None
    if url.startswith("postgresql"):
        # A throw-away schema, dropped at the end: the benchmark leaves nothing behind.
        from sqlalchemy import text

        schema = f"mailbench_{int(time.time())}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(url)
    migrate(engine)
    server = MailServer("127.0.0.1", 0, record_path=tmp / "sent.jsonl").start()
    mailer = SendGridMailer("SG.bench", server.url, timeout=10)
    now = dt.datetime.now(TZ)
    run = now.strftime("%Y%m%dT%H%M%S%f")
    try:
        items = [{
            "purpose": "notice", "subject_id": f"bench-{run}-{i}", "period": now.strftime("%Y-%m"), "recipient": f"L{i}",
            "step": "notice", "to_email": f"leader{i}@example.gov.cn", "cc": ["office@example.gov.cn"], "template": "notice",
            "context": {"recipient_name": f"领导{i}", "obligation_id": "SC-MEET-LOCAL", "obligation_title": "安委会每月至少召开1次会议",
                        "article": ["五"], "subject_name": "新城区", "period": now.strftime("%Y-%m"), "due_on": "—",
                        "required": 1, "counted": 0, "reason": "no_records"},
        } for i in range(args.n)]
        t0 = time.perf_counter()
        with Session(engine) as s, s.begin():
            queued = queue_many(s, items, created_at=now)
        t1 = time.perf_counter()
        totals: dict[str, int] = {}
        while True:
            c = deliver(engine, mailer, now=dt.datetime.now(TZ), limit=args.limit, workers=args.workers,
                        mark_batch=args.mark_batch)
            for k, v in c.items():
                totals[k] = totals.get(k, 0) + v
            if c["claimed"] == 0:
                break
        t2 = time.perf_counter()
        keys = [m["custom_args"]["outbox_key"] for m in server.messages()]
        result = {
            "n": args.n, "backend": engine.dialect.name, "workers": args.workers, "queued": queued,
            "queue_seconds": round(t1 - t0, 2), "deliver_seconds": round(t2 - t1, 2),
            "queue_per_second": round(queued / (t1 - t0), 1), "deliver_per_second": round(totals.get("sent", 0) / (t2 - t1), 1),
            "end_to_end_per_second": round(totals.get("sent", 0) / (t2 - t0), 1),
            "received": len(keys), "distinct_keys": len(set(keys)), "counts": totals,
        }
        print(json.dumps(result, ensure_ascii=False))
        ok = len(keys) == len(set(keys)) == queued == totals.get("sent", 0)
        return 0 if ok else 1
    finally:
        server.stop()
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
