"""Issue #9: the ingest DAG under ``dag.test()`` and ``safegov ingest PATH`` give the same tables.

One inbox — a month of the demo data set (its planted bad rows, a GB18030 file, a BOM, an
XLSX) plus an unreadable XLSX, an empty file, a file of no known record type and a re-sent
copy of a file — is copied twice. One copy is ingested by ``dag.test()`` of
``safegov_ingest``, the other by the ``safegov ingest`` command, each into its own fresh
compliance database on SQLite (the ``engine`` fixture and its twin): the two paths share
the pipeline, so the backend is not what differs; the DAG's ingestion into PostgreSQL is
compared with this embedded run in tests/distributed, the pipeline on both backends in
tests/intake. Both run in subprocesses with the same pinned clock (``SAFEGOV_NOW``: the
demo's future-dated rows and the default received time depend on it).

Every table of the compliance schema is then compared row for row, as multisets, except:

- surrogate ``id`` columns: numbered in insertion order, nothing else refers to them once
  references are translated (next point);
- references by surrogate id are compared by what they point to: ``file_id`` as the file's
  sha256, ``raw_row_id`` as (file sha256, row number);
- ``run_id``: the DAG run's id on one side, none (no ``--run-id``) on the other;
- ``submission_file.ingested_at`` and ``record_version.recorded_at``: when the ingestion
  ran, which is not a property of the data (``received_at`` *is* compared: lateness
  depends on it).

What each run did with the files (``processed/``, ``rejected/`` and the reason notes) is
compared too.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from afhelpers import DAGS, ROOT, VENV_BIN, airflow_env, url_of
from sqlalchemy import delete, select
from tests.intake.conftest import write_ods, write_xls

pytestmark = pytest.mark.slow

NOW = "2026-11-29T10:00:00+08:00"  # after the demo month; its planted future dates lie beyond
SURROGATE = "id"
# Columns that legitimately differ between the two runs (see the module docstring).
RUN_SPECIFIC = {"run_id"}
INGESTION_TIME = {"submission_file": {"ingested_at"}, "record_version": {"recorded_at"}}

DAG_TEST = textwrap.dedent(
    """
    import sys
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
    assert not bag.import_errors, bag.import_errors
    dr = bag.dags["safegov_ingest"].test()
    print("@@", dr.state)
    """
)


def write_inbox(inbox: Path) -> None:
    from safegov.devtools.demo import write_demo

    write_demo(inbox, until="2026-10", months=1, seed=7)
    (inbox / "inspection_2026-10_scan.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (inbox / "hazard_2026-10_late.csv").write_bytes(b"")
    (inbox / "minutes.csv").write_text("topic,held_on\nsafety,2026-10-08\n", encoding="utf-8")
    shutil.copyfile(inbox / "meeting_2026-10.csv", inbox / "meeting_2026-10_resent.csv")
    # Issue 19 item 2: an Excel 97-2003 and an OpenDocument sheet, each with a row to quarantine.
    for name, write in (("meeting_2026-10_wps.xls", write_xls), ("meeting_2026-10_lo.ods", write_ods)):
        tag = name.rsplit(".", 1)[1]
        write(
            inbox / name,
            ["记录编号", "单位代码", "会议类型", "召开日期", "纪要文号"],
            [
                [f"{tag}-1", "150102", "safety_committee", dt.date(2026, 10, 9), "纪要"],
                [f"{tag}-2", "999999", "safety_committee", "2026-10-10", "纪要"],
            ],
        )


def snapshot(engine) -> dict[str, Counter]:
    """Every compliance table as a multiset of rows, references by natural key (see above)."""
    from safegov.db.models import Base, RawRow, SubmissionFile

    out: dict[str, Counter] = {}
    with engine.connect() as conn:
        file_sha = dict(conn.execute(select(SubmissionFile.id, SubmissionFile.sha256)).all())
        raw_key = {
            i: (file_sha[f], n) for i, f, n in conn.execute(select(RawRow.id, RawRow.file_id, RawRow.row_number))
        }
        refs = {"file_id": file_sha, "raw_row_id": raw_key}
        for table in Base.metadata.sorted_tables:
            skip = {SURROGATE} | RUN_SPECIFIC | INGESTION_TIME.get(table.name, set())
            cols = [c for c in table.columns if c.name not in skip]
            rows = Counter()
            for row in conn.execute(select(*cols)):
                rows[tuple(_comparable(c.name, v, refs) for c, v in zip(cols, row))] += 1
            out[table.name] = rows
    return out


def _comparable(name: str, value, refs: dict[str, dict]):
    if value is not None and name in refs:
        return refs[name][value]
    if isinstance(value, dict | list):  # JSON columns
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def differences(a: dict[str, Counter], b: dict[str, Counter]) -> dict[str, tuple[list, list]]:
    """Per table: (rows only in ``a``, rows only in ``b``), counting duplicates."""
    out = {}
    for name in sorted(set(a) | set(b)):
        only_a, only_b = (
            a.get(name, Counter()) - b.get(name, Counter()),
            b.get(name, Counter()) - a.get(name, Counter()),
        )
        if only_a or only_b:
            out[name] = (sorted(only_a.elements(), key=repr), sorted(only_b.elements(), key=repr))
    return out


def outcome_of(inbox: Path) -> list[str]:
    return sorted(str(p.relative_to(inbox)) for p in inbox.rglob("*") if p.is_file())


def prepare(engine) -> None:
    from safegov.db.engine import session_scope
    from safegov.org.units import sync_units

    with session_scope(engine) as s:
        sync_units(s)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_dag_test_and_cli_ingest_give_the_same_tables(engine, twin_engine, airflow_home, tmp_path):
    from safegov.db.models import RawRow, Rejection, SubmissionFile

    source = tmp_path / "source"
    write_inbox(source)
    dag_inbox, cli_inbox = tmp_path / "dag" / "inbox", tmp_path / "cli" / "inbox"
    shutil.copytree(source, dag_inbox)
    shutil.copytree(source, cli_inbox)
    prepare(engine)
    prepare(twin_engine)

    dag_env = airflow_env(
        airflow_home,
        SAFEGOV_DATABASE_URL=url_of(engine),
        SAFEGOV_INBOX=str(dag_inbox),
        SAFEGOV_DATA_DIR=str(tmp_path / "dag"),
        SAFEGOV_NOW=NOW,
    )
    proc = subprocess.run(
        [sys.executable, "-c", DAG_TEST, str(DAGS / "safegov_ingest.py")],
        env=dag_env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert proc.returncode == 0 and "@@ success" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-5000:]

    cli_env = airflow_env(
        airflow_home,
        SAFEGOV_DATABASE_URL=url_of(twin_engine),
        SAFEGOV_INBOX=str(cli_inbox),
        SAFEGOV_DATA_DIR=str(tmp_path / "cli"),
        SAFEGOV_NOW=NOW,
    )
    cli = subprocess.run(
        [str(VENV_BIN / "safegov"), "ingest", str(cli_inbox)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    # exit 2: some files were refused (the unreadable, empty and unknown ones); the rest is loaded
    assert cli.returncode == 2 and "3 file(s) refused" in cli.stderr, cli.stdout[-3000:] + cli.stderr[-3000:]

    via_dag, via_cli = snapshot(engine), snapshot(twin_engine)
    assert differences(via_dag, via_cli) == {}
    assert outcome_of(dag_inbox) == outcome_of(cli_inbox)

    # The comparison is not vacuous: loaded records, quarantined rows with their reasons,
    # refused files and the re-sent copy (skipped, so not a second submission) are all there.
    with engine.connect() as conn:
        statuses = Counter(conn.scalars(select(RawRow.status)))
        refused = set(conn.scalars(select(SubmissionFile.file_name).where(SubmissionFile.status == "rejected")))
    assert statuses["accepted"] > 0 and statuses["quarantined"] > 0
    assert sum(via_dag["rejection"].values()) >= statuses["quarantined"]
    assert refused == {"inspection_2026-10_scan.xlsx", "hazard_2026-10_late.csv", "minutes.csv"}
    assert "meeting_2026-10_resent.csv" not in {row[0] for row in via_dag["submission_file"]}
    assert "processed/meeting_2026-10_resent.csv" in outcome_of(dag_inbox)
    assert "rejected/minutes.csv.reason.txt" in outcome_of(dag_inbox)
    with engine.connect() as conn:
        sheets = conn.execute(
            select(SubmissionFile.file_name, SubmissionFile.rows_accepted, SubmissionFile.rows_quarantined).where(
                SubmissionFile.file_name.in_(["meeting_2026-10_wps.xls", "meeting_2026-10_lo.ods"])
            )
        ).all()
    assert sorted(map(tuple, sheets)) == [("meeting_2026-10_lo.ods", 1, 1), ("meeting_2026-10_wps.xls", 1, 1)]

    # Self-check: one quarantine reason dropped on one side is seen, and nothing else is.
    with twin_engine.begin() as conn:
        dropped_id = conn.scalar(select(Rejection.id).order_by(Rejection.id.desc()).limit(1))
        conn.execute(delete(Rejection).where(Rejection.id == dropped_id))
    diff = differences(via_dag, snapshot(twin_engine))
    assert list(diff) == ["rejection"]
    only_dag, only_cli = diff["rejection"]
    assert len(only_dag) == 1 and only_cli == []
