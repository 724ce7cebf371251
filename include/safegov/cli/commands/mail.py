"""The email outbox and the local SendGrid server.

  safegov mail serve [--port 8025] [--rate-limit N]   run the local SendGrid-compatible server
  safegov mail deliver [--limit 500] [--workers 4]     send due outbox rows (exactly once)
  safegov mail remind [--on DATE]                      queue the pre-due reminders for a day
  safegov mail digest [--on DATE]                      queue the daily digests for a day
  safegov mail list [--state dead] [--json]            outbox rows (recipients masked)
  safegov mail requeue KEY...                          put failed/dead rows back to pending
  safegov mail show-received [--url URL]               what the local server has received

SAFEGOV_SENDGRID_HOST picks the server (default http://127.0.0.1:8025); the key comes from
the Airflow connection sendgrid_default or SENDGRID_API_KEY.
"""

from __future__ import annotations


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sub.add_parser("serve", help="run the local SendGrid-compatible server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--record", help="JSON Lines file of received messages (default $SAFEGOV_DATA_DIR/mail/sent.jsonl)")
    p.add_argument("--rate-limit", type=int, default=None, help="messages per window before 429")
    p.add_argument("--window", type=float, default=60.0, help="rate-limit window in seconds")
    p = sub.add_parser("deliver", help="send due outbox rows")
    p.add_argument("--limit", type=int, default=500)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--max-attempts", type=int, default=None)
    p.add_argument("--all", action="store_true", help="repeat until nothing is due")
    for name, help_text in (("remind", "queue pre-due reminders"), ("digest", "queue daily digests")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--on", help="local date YYYY-MM-DD (default: today in Asia/Shanghai)")
    p = sub.add_parser("list", help="outbox rows, recipients masked")
    p.add_argument("--state", choices=["pending", "sending", "sent", "failed", "dead", "suppressed"])
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("requeue", help="put failed/dead rows back to pending")
    p.add_argument("keys", nargs="+")
    p = sub.add_parser("show-received", help="messages the local server received")
    p.add_argument("--url", help="server URL (default SAFEGOV_SENDGRID_HOST)")
    p.add_argument("--limit", type=int, default=50)


def run(args) -> int:
    import json
    import os

    action = args.action
    if action == "serve":
        from pathlib import Path

        from safegov.devtools.mailserver import MailServer

        srv = MailServer(
            args.host,
            args.port,
            record_path=Path(args.record) if args.record else None,
            rate_limit=args.rate_limit,
            window=args.window,
        )
        print(
            f"local SendGrid on http://{args.host}:{args.port} (POST /v3/mail/send, GET /messages); "
            f"recording to {srv.record_path}",
            flush=True,
        )
        try:
            srv.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0
    if action == "show-received":
        import urllib.request

        url = (args.url or os.environ.get("SAFEGOV_SENDGRID_HOST") or "http://127.0.0.1:8025").rstrip("/")
        try:
            with urllib.request.urlopen(f"{url}/messages", timeout=10) as resp:
                messages = json.loads(resp.read().decode("utf-8"))
        except OSError as exc:
            from safegov.core.errors import SafegovError

            raise SafegovError(f"cannot reach the local mail server at {url}: {exc}") from None
        for m in messages[-args.limit :]:
            key = (m.get("custom_args") or {}).get("outbox_key", "")
            print(f"{m['received_at']}  {m['message_id']}  {m.get('subject')}  [{key}]")
        print(f"{len(messages)} message(s) received")
        return 0

    from safegov.cli.parsing import parse_day
    from safegov.core.clock import get_clock
    from safegov.db.engine import get_engine, session_scope

    engine = get_engine()
    if action == "deliver":
        from safegov.cli.progress import open_progress
        from safegov.notification.mail import get_mailer
        from safegov.notification.outbox import deliver

        mailer = get_mailer()
        total: dict[str, int] = {}
        with open_progress() as progress:
            while True:
                counts = deliver(
                    engine,
                    mailer,
                    now=get_clock().now(),
                    limit=args.limit,
                    max_attempts=args.max_attempts,
                    workers=args.workers,
                    mark_batch=20 if args.workers > 1 else 1,
                    progress=progress,
                )
                for k, v in counts.items():
                    total[k] = total.get(k, 0) + v
                if not args.all or counts["claimed"] == 0:
                    break
        print(" ".join(f"{k}={v}" for k, v in total.items()))
        return 0
    if action == "remind":
        from safegov.notification.reminders import queue_reminders
        from safegov.register.obligations import get_register

        n = queue_reminders(engine, get_register(), on=parse_day(args.on))
        print(f"{n} reminder(s) queued")
        return 0
    if action == "digest":
        from safegov.notification.reminders import queue_digests

        n = queue_digests(engine, on=parse_day(args.on))
        print(f"{n} digest(s) queued")
        return 0
    if action == "requeue":
        from safegov.notification.outbox import requeue

        with session_scope(engine) as session:
            n = requeue(session, args.keys, now=get_clock().now())
        print(f"{n} row(s) back to pending")
        return 0
    if action == "list":
        from safegov.notification.outbox import list_rows, state_counts, to_jsonable

        with session_scope(engine) as session:
            rows = [to_jsonable(r) for r in list_rows(session, state=args.state, limit=args.limit)]
            counts = state_counts(session)
        if args.json:
            print(json.dumps({"counts": counts, "rows": rows}, ensure_ascii=False, indent=1))
            return 0
        for r in rows:
            dup = " POSSIBLE-DUPLICATE" if r["possible_duplicate"] else ""
            print(
                f"{r['id']:>7} {r['state']:<10} {r['reason'] or '-':<22} a={r['attempts']} {r['to']:<16} "
                f"{r['key']}{dup}"
            )
        print("counts: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "empty"))
        return 0
    return 2
