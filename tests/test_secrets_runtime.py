"""No secret or personal contact detail leaks into what operators and Airflow keep.

The pipeline (ingest → monthly → escalation with delivery) runs embedded (``dag.test()`` in a
subprocess, see tests/distributed/embedded.py) with a SendGrid-shaped fake key in
``SENDGRID_API_KEY`` and registries carrying email addresses and phone numbers. Then the
task logs, the XCom values and the audit payloads of the outbox are scanned: the key, the
addresses and the phone numbers must appear in none of them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from distributed.embedded import airflow_env  # noqa: E402
from distributed.scenario import FAKE_SENDGRID_KEY, LEADERS, MONTH, NOW, enterprises, write_small_inbox  # noqa: E402

# xdist_group: the embedded run is a module fixture of minutes; one worker runs the module, once.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("secrets_runtime")]

KEY_RE = re.compile(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Mainland mobile numbers and landlines with an area code, as written in the registries —
# standing alone: eleven digits inside a UUID or hash (…-bf3d-19217777195a) are no phone.
PHONE_RE = re.compile(r"(?<![0-9A-Za-z-])(?:1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?![0-9A-Za-z])")
# The sender address is configuration, not personal data.
ALLOWED_EMAILS = {"safegov@example.gov.cn"}


def _leaks(text: str) -> dict[str, set[str]]:
    found = {
        "sendgrid_key": set(KEY_RE.findall(text)) | ({FAKE_SENDGRID_KEY} if FAKE_SENDGRID_KEY in text else set()),
        "email": {m for m in EMAIL_RE.findall(text) if m not in ALLOWED_EMAILS},
        "phone": set(PHONE_RE.findall(text)),
    }
    return {k: v for k, v in found.items() if v}


def test_the_scanner_finds_what_it_looks_for():
    """The regexes do catch the planted values (else the real test could not fail)."""
    planted = f"key {FAKE_SENDGRID_KEY} mail {LEADERS[0][3]} phone {LEADERS[0][4]} tel {LEADERS[2][4]}"
    leaks = _leaks(planted)
    assert leaks["sendgrid_key"] and leaks["email"] == {LEADERS[0][3]}
    assert leaks["phone"] == {LEADERS[0][4], LEADERS[2][4]}
    assert KEY_RE.fullmatch(FAKE_SENDGRID_KEY)
    # In Chinese text or after "=" a number is still found; inside an id it is not.
    assert _leaks(f"电话{LEADERS[0][4]}，phone={LEADERS[0][4]}")["phone"] == {LEADERS[0][4]}
    assert _leaks("correlation_id=01a226fc-a6de-7ee9-bf3d-19217777195a sha=ab13812345678cd") == {}


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("secrets_runtime")
    home = base / "airflow_home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SAFEGOV_", "PYTEST"))}
    env |= airflow_env(home)
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True, timeout=300
    )
    inbox = base / "inbox"
    write_small_inbox(inbox)
    spec = {
        "steps": [
            {"name": "ingested", "dag": "safegov_ingest"},
            {"name": "evaluated", "dag": "safegov_monthly", "month": MONTH},
            {"name": "escalated", "dag": "safegov_escalation", "month": MONTH},
        ],
        "now": NOW,
        "out": str(base / "dumps.json"),
        "mail_record": str(base / "sent.jsonl"),
    }
    (base / "spec.json").write_text(json.dumps(spec))
    env |= {
        "SAFEGOV_DATABASE_URL": f"sqlite:///{base / 'safegov.db'}",
        "SAFEGOV_INBOX": str(inbox),
        "SAFEGOV_DATA_DIR": str(base / "data"),
        "SAFEGOV_CONFIG_DIR": str(ROOT / "config"),
        "SAFEGOV_NOW": NOW,
        "SAFEGOV_INBOX_SETTLE_SECONDS": "0",  # the inbox is written just before ingesting
        "SENDGRID_API_KEY": FAKE_SENDGRID_KEY,
    }
    res = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "distributed" / "embedded.py"), str(base / "spec.json")],
        env=env,
        cwd=str(base),
        capture_output=True,
        text=True,
        timeout=800,
    )
    (base / "console.log").write_text(res.stdout + res.stderr)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    return base


def test_emails_were_really_sent_with_addresses(embedded_run):
    """Sanity: the run did handle the secrets (else 'no leak' would prove nothing)."""
    sent = (embedded_run / "sent.jsonl").read_text(encoding="utf-8") if (embedded_run / "sent.jsonl").exists() else ""
    con = sqlite3.connect(embedded_run / "safegov.db")
    try:
        outbox_emails = {r[0] for r in con.execute("SELECT to_email FROM outbox WHERE to_email IS NOT NULL")}
        raw = " ".join(r[0] for r in con.execute('SELECT "values" FROM raw_row'))
    finally:
        con.close()
    assert outbox_emails, "no email was queued: the scan below would be vacuous"
    assert outbox_emails & {ld[3] for ld in LEADERS}
    assert _leaks(raw).get("phone"), "the phone numbers were not even submitted"
    assert sent == "" or EMAIL_RE.search(sent)


def test_task_logs_hold_no_key_email_or_phone(embedded_run):
    texts = [(embedded_run / "console.log").read_text(errors="replace")]
    texts += [p.read_text(errors="replace") for p in (embedded_run / "airflow_home" / "logs").rglob("*") if p.is_file()]
    leaks = _leaks("\n".join(texts))
    assert leaks == {}, f"task logs leak: {leaks}"


def test_xcom_values_hold_no_key_email_or_phone(embedded_run):
    con = sqlite3.connect(embedded_run / "airflow_home" / "airflow.db")
    try:
        rows = con.execute("SELECT dag_id, task_id, value FROM xcom").fetchall()
    finally:
        con.close()
    assert rows, "no XCom was written: the scan would be vacuous"
    text = "\n".join(
        f"{d}.{t}: {v if isinstance(v, str) else (v or b'').decode('utf-8', 'replace')}" for d, t, v in rows
    )
    assert _leaks(text) == {}, f"XCom leaks: {_leaks(text)}"


def test_outbox_audit_payloads_hold_no_key_email_or_phone(embedded_run):
    con = sqlite3.connect(embedded_run / "safegov.db")
    try:
        rows = con.execute("SELECT entity, action, payload FROM audit_log").fetchall()
    finally:
        con.close()
    outbox_rows = [r for r in rows if r[0] in ("outbox", "email", "mail")]
    assert outbox_rows, f"no audit entry for emails (entities: {sorted({r[0] for r in rows})})"
    text = "\n".join(str(r[2]) for r in rows)
    assert _leaks(text) == {}, f"audit payloads leak: {_leaks(text)}"


def test_enterprise_contacts_not_in_logs_either(embedded_run):
    addresses = {e[3] for e in enterprises()}
    logs = (embedded_run / "console.log").read_text(errors="replace")
    assert not [a for a in addresses if a in logs]
