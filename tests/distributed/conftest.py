"""Fixtures of the distributed suite: one Celery-shaped Airflow cluster per test session,
the local SendGrid server it mails to, and the embedded (``dag.test()``) baseline.

Every cluster test is marked ``distributed`` and ``xdist_group("distributed")`` (so
that with ``--dist loadgroup`` one xdist worker runs them all on one cluster).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .harness import ROOT, VENV_BIN, Cluster, free_port, services_available
from .scenario import AUDIT_KEY, FAKE_SENDGRID_KEY, MONTH, NOW, write_small_inbox

HERE = Path(__file__).resolve().parent
TIMINGS: dict[str, float] = {}


def _sigterm_to_interrupt(signum, frame):
    # A SIGTERMed session still runs its finalizers: the cluster is stopped, DBs dropped.
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _sigterm_to_interrupt)


def _is_cluster_test(item) -> bool:
    # Only the tests that start the cluster are "distributed"; the hook's unit tests are not.
    return HERE in Path(str(item.fspath)).resolve().parents and "cluster" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Runs after xdist has suffixed grouped node ids (``…@distributed``): a cluster test
    without the suffix would land on another worker, without the cluster and snapshots of
    the month run, and skip. That is a usage error here, not six silent skips: pytest 9.2
    with xdist 3.8 split the group exactly so (pytest-dev/pytest-xdist#1386), hence the
    pytest pin in pyproject.toml. (xdist starts the largest group first by itself.)"""
    cluster_tests = [item for item in items if _is_cluster_test(item)]
    if not cluster_tests:
        return
    for item in cluster_tests:
        # The xdist group itself comes from the module's pytestmark: xdist reads it in its
        # own hook, which runs before this one.
        item.add_marker(pytest.mark.distributed)
    if config.getoption("loadgroup", False):  # set on xdist workers only
        ungrouped = [item.nodeid for item in cluster_tests if not item.nodeid.endswith("@distributed")]
        if ungrouped:
            raise pytest.UsageError(
                "--dist loadgroup is not grouping the cluster tests (they share one cluster and "
                f"its snapshots); xdist left {ungrouped[0]} without its @distributed suffix. "
                "See pytest-dev/pytest-xdist#1386 and the pytest pin in pyproject.toml."
            )


def record_timing(name: str, seconds: float) -> None:
    """Figures for the report: printed at the end of the session and kept in a JSON file."""
    TIMINGS[name] = round(seconds, 1)
    out = Path(os.environ.get("SAFEGOV_DIST_TIMINGS", ROOT / "data" / "distributed-timings.json"))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(out.read_text()) if out.exists() else {}
        old.update(TIMINGS)
        out.write_text(json.dumps(old, indent=2, sort_keys=True))
    except OSError:
        pass


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_line("distributed timings (s): " + json.dumps(TIMINGS, sort_keys=True))


def _missing_pieces() -> str | None:
    reason = services_available()
    if reason:
        return reason
    if importlib.util.find_spec("asyncpg") is None:
        return "asyncpg is not installed: Airflow 3 needs it for a PostgreSQL metadata DB (make install)"
    for module in (
        "safegov.intake.pipeline",
        "safegov.evaluation.engine",
        "safegov.accountability.escalation",
        "safegov.notification.outbox",
        "safegov.devtools.mailserver",
    ):
        if importlib.util.find_spec(module) is None:
            return f"{module} does not exist yet"
    for dag in ("safegov_ingest.py", "safegov_periodic.py", "safegov_escalation.py"):
        if not (ROOT / "dags" / dag).exists():
            return f"dags/{dag} does not exist yet"
    return None


@pytest.fixture(scope="session")
def dist_base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("distributed")


@pytest.fixture(scope="session")
def mail_server(dist_base):
    from safegov.devtools.mailserver import MailServer

    server = MailServer(port=free_port(), record_path=dist_base / "mail" / "sent.jsonl").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fault_dir(dist_base) -> Path:
    d = dist_base / "faults"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def airflow_sqlite_template(dist_base) -> Path:
    """A migrated SQLite metadata DB for embedded runs (``dag.test()`` needs one)."""
    from .embedded import airflow_env

    home = dist_base / "embedded_template"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | airflow_env(home)
    subprocess.run([str(VENV_BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return home / "airflow.db"


class Embedded:
    """Runs ``embedded.py`` in a subprocess; ``start`` returns at once, ``result`` waits."""

    def __init__(
        self, base: Path, template: Path, steps: list[dict], *, inbox_writer=write_small_inbox, extra_env=None
    ):
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        home = base / "airflow_home"
        home.mkdir(exist_ok=True)
        shutil.copy(template, home / "airflow.db")
        inbox = base / "inbox"
        inbox_writer(inbox)
        from .embedded import airflow_env

        self.spec = {
            "steps": steps,
            "now": NOW,
            "out": str(base / "dumps.json"),
            "mail_record": str(base / "sent.jsonl"),
        }
        (base / "spec.json").write_text(json.dumps(self.spec))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SAFEGOV_", "PYTEST"))}
        env |= (
            airflow_env(home)
            | {
                "SAFEGOV_DATABASE_URL": f"sqlite:///{base / 'safegov.db'}",
                "SAFEGOV_INBOX": str(inbox),
                "SAFEGOV_DATA_DIR": str(base / "data"),
                "SAFEGOV_CONFIG_DIR": str(ROOT / "config"),
                "SAFEGOV_NOW": NOW,
                "SAFEGOV_INBOX_SETTLE_SECONDS": "0",  # the inbox is written just before ingesting
                "SENDGRID_API_KEY": FAKE_SENDGRID_KEY,
                "SAFEGOV_AUDIT_KEY": AUDIT_KEY,
            }
            | (extra_env or {})
        )
        self.log = base / "embedded.log"
        self._out = self.log.open("wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "embedded.py"), str(base / "spec.json")],
            env=env,
            cwd=str(base),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def result(self, timeout: float = 600) -> dict[str, dict]:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
            raise
        finally:
            self._out.close()
        if rc != 0:
            tail = self.log.read_text(errors="replace")[-4000:]
            raise AssertionError(f"embedded run failed ({rc}):\n{tail}")
        record_timing(f"embedded:{self.base.name}", time.monotonic() - self.t0)
        return json.loads(Path(self.spec["out"]).read_text())

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


BASELINE_STEPS = [
    {"name": "ingested", "dag": "safegov_ingest"},
    {"name": "evaluated", "dag": "safegov_monthly", "month": MONTH},
    {"name": "escalated", "dag": "safegov_escalation", "month": MONTH},
    *[
        {"name": f"backfill-{m}", "dag": "safegov_monthly", "month": m, "historical": True}
        for m in ("2024-01", "2024-02", "2024-03")
    ],
]


@pytest.fixture(scope="session")
def cluster(dist_base, mail_server, fault_dir, airflow_sqlite_template, request):
    """The running cluster (and, started alongside it, the embedded baseline run)."""
    missing = _missing_pieces()
    if missing:
        pytest.skip(f"distributed suite: {missing}")
    embedded = Embedded(dist_base / "embedded_baseline", airflow_sqlite_template, BASELINE_STEPS)
    request.config._safegov_baseline = embedded  # noqa: SLF001 - handed to the baseline fixture
    c = Cluster(
        dist_base / "cluster",
        now=NOW,
        extra_env={
            "SAFEGOV_SENDGRID_HOST": mail_server.url,
            "SENDGRID_API_KEY": FAKE_SENDGRID_KEY,
            "SAFEGOV_AUDIT_KEY": AUDIT_KEY,
            "SAFEGOV_FAULT_DIR": str(fault_dir),
        },
    )
    c.base.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.monotonic()
        c.start()
        c.wait_ready(120, dag_ids=("safegov_ingest", "safegov_monthly", "safegov_escalation"))
        record_timing("harness_up", time.monotonic() - t0)
        yield c
    finally:
        embedded.kill()
        c.stop()


@pytest.fixture(scope="session")
def baseline(cluster, request) -> dict[str, dict]:
    """Canonical dumps of the embedded run after each step of BASELINE_STEPS."""
    return request.config._safegov_baseline.result()  # noqa: SLF001


@pytest.fixture
def faults(fault_dir):
    """Pause points for the test; every pause file is removed afterwards (tasks released)."""

    class Faults:
        dir = fault_dir

        def pause(self, point: str, seconds: float = 120) -> None:
            (fault_dir / f"reached-{point}").unlink(missing_ok=True)
            (fault_dir / f"pause-{point}").write_text(str(seconds))

        def release(self, point: str) -> None:
            (fault_dir / f"pause-{point}").unlink(missing_ok=True)

        def wait_reached(self, point: str, timeout: float = 180) -> int:
            flag = fault_dir / f"reached-{point}"
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if flag.exists():
                    return int(flag.read_text() or 0)
                time.sleep(0.3)
            raise AssertionError(f"no task reached fault point {point} within {timeout}s")

    f = Faults()
    yield f
    for p in fault_dir.glob("pause-*"):
        p.unlink()
