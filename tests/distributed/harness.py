"""Airflow's production shape, started as separate processes for the distributed tests.

``Cluster`` brings up, on this machine:

- a fresh ``AIRFLOW_HOME`` in a temp dir (logs of every process under ``<home>/proc-logs``);
- two fresh PostgreSQL databases: Airflow's metadata DB (also the Celery result backend) and
  the compliance DB (``SAFEGOV_DATABASE_URL``) — never the same database (SPEC §9);
- a dedicated Redis db number as the Celery broker, flushed before and after;
- ``airflow db migrate``, then scheduler, dag-processor, api-server (free port), triggerer
  and two Celery workers (``--concurrency 2 -H w1@%h`` / ``w2@%h``), each in its own process
  group so that a test can SIGKILL one worker with everything it forked.

Configuration mirrors docker-compose.yml: CeleryExecutor, Redis broker, PostgreSQL result
backend, the Execution API at ``http://localhost:<port>/execution/`` (Airflow 3 workers
talk to the api-server, not to the metadata DB), one JWT secret and one API secret key for
all processes.

Two deliberate departures from a production deployment, both to make runs exactly
reproducible in tests:

- ``[scheduler] use_job_schedule = False``: the scheduler creates no timetable or
  asset-triggered runs, so only the runs a test triggers (or a backfill creates) exist;
- ``SAFEGOV_NOW`` pins the compliance clock (``safegov.core.clock``) in every process.

Every ``Popen`` is tracked; ``stop()`` sends SIGTERM to each process group, then SIGKILL
after a grace period, and drops both databases. ``stop()`` is idempotent and registered
with ``atexit`` so that an interrupted session does not leave processes behind.
"""

from __future__ import annotations

import atexit
import base64
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_DSN = os.environ.get("SAFEGOV_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PG_HOST_URL = os.environ.get("SAFEGOV_TEST_PG_BASE", "postgresql+psycopg2://postgres@127.0.0.1:5432")
REDIS_HOST = os.environ.get("SAFEGOV_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("SAFEGOV_TEST_REDIS_PORT", "6379"))
# Redis db numbers reserved for these tests; one is picked per cluster (first empty one).
REDIS_DBS = tuple(range(5, 12))

TERMINAL_RUN_STATES = ("success", "failed")


class ClusterError(RuntimeError):
    """The cluster did not come up or a run did not reach the expected state."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services_available() -> str | None:
    """None if PostgreSQL and Redis answer, else the reason they don't."""
    import psycopg2
    import redis

    try:
        psycopg2.connect(PG_ADMIN_DSN, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {exc}"
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc}"
    return None


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=5)
    conn.autocommit = True
    return conn


def create_database(name: str) -> None:
    conn = _pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def terminate_backends(name: str) -> int:
    """Kill every backend connected to database ``name`` (what a server restart does to clients)."""
    conn = _pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def drop_database(name: str) -> None:
    conn = _pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def kill_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process group of ``proc``, SIGKILL it after ``grace`` seconds."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        proc.poll()
        return
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    # Children of the group (celery pool, task supervisors) may outlive the leader.
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def canonical_key(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass
class Cluster:
    """One distributed Airflow deployment; see the module docstring."""

    base: Path
    now: str = "2024-12-31T12:00:00+08:00"
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: tuple[str, ...] = ("w1", "w2")
    # Seconds before the scheduler gives up on a silent (SIGKILLed) task; the task's own
    # supervisor heartbeats every few seconds, so a minute is ample even on 2 busy cores.
    heartbeat_timeout: int = 60
    # A task killed with its worker is retried after this many seconds (3 minutes in the
    # product): the fault tests wait on it once per kill.
    retry_delay: int = 5

    def __post_init__(self) -> None:
        tag = secrets.token_hex(4)
        self.home = self.base / "airflow_home"
        self.proc_logs = self.home / "proc-logs"
        self.inbox = self.base / "inbox"
        self.data_dir = self.base / "data"
        self.af_db = f"safegov_dist_af_{tag}"
        self.sg_db = f"safegov_dist_sg_{tag}"
        self.port = free_port()
        self.redis_db: int | None = None
        self.procs: dict[str, subprocess.Popen] = {}
        self.args: dict[str, list[str]] = {}
        self.proc_env: dict[str, dict[str, str]] = {}  # per-process settings over env()
        # docker-compose.yml runs every service with `restart: always`; so does the harness
        # (a scheduler whose DB connection was killed exits, and is started again).
        self.restart_policy = True
        self.restarts: dict[str, int] = {}
        self._log_handles: list[Any] = []
        self._created_dbs: list[str] = []
        self._stopped = False
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ config

    @property
    def api_url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def compliance_url(self) -> str:
        return f"{PG_HOST_URL}/{self.sg_db}"

    @property
    def metadata_url(self) -> str:
        return f"{PG_HOST_URL}/{self.af_db}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SAFEGOV_", "PYTEST"))}
        env.update(
            {
                "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
                # The scenarios write the inbox and trigger the ingest DAG at once: no settling time.
                "SAFEGOV_INBOX_SETTLE_SECONDS": "0",
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__FERNET_KEY": self._fernet_key,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
                "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:5432/{self.af_db}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API__SECRET_KEY": self._secret_key,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API_AUTH__JWT_SECRET": self._jwt_secret,
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                # Only the runs a test asks for (see module docstring).
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                # A SIGKILLed worker is noticed in seconds, not the default 5 minutes.
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(self.heartbeat_timeout),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "30",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW__TRIGGERER__CAPACITY": "50",
                # On a loaded 2-core machine the api-server may take longer than the default
                # 5 s to answer a worker; a time-out there fails the whole Celery workload.
                "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
                # The compliance side.
                "SAFEGOV_DATABASE_URL": self.compliance_url,
                "SAFEGOV_INBOX": str(self.inbox),
                "SAFEGOV_DATA_DIR": str(self.data_dir),
                "SAFEGOV_CONFIG_DIR": str(ROOT / "config"),
                "SAFEGOV_NOW": self.now,
                "SAFEGOV_TASK_RETRY_DELAY": str(self.retry_delay),
            }
        )
        env.update(self.extra_env)
        return env

    # ------------------------------------------------------------------ lifecycle

    def start(self, ready_timeout: float = 300.0) -> Cluster:
        t0 = time.monotonic()
        self._fernet_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        self._secret_key = secrets.token_urlsafe(32)
        self._jwt_secret = secrets.token_urlsafe(32)
        for d in (self.home, self.proc_logs, self.inbox, self.data_dir):
            d.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        self._claim_redis_db()
        for name in (self.af_db, self.sg_db):
            create_database(name)
            self._created_dbs.append(name)
        self.migrate_compliance()
        self.run_cli(["db", "migrate"], timeout=300)
        from safegov.airflow.pools import pool_specs

        for spec in pool_specs(self.env()):  # a task in a missing pool is never scheduled
            self.run_cli(spec.cli_args())
        self.timings["migrate"] = time.monotonic() - t0
        self.spawn("api-server", ["api-server", "--port", str(self.port), "--host", "127.0.0.1"])
        self.spawn("scheduler", ["scheduler"])
        self.spawn("dag-processor", ["dag-processor"])
        self.spawn("triggerer", ["triggerer", "--skip-serve-logs"])
        for w in self.workers:
            self.start_worker(w)
        self.wait_ready(timeout=ready_timeout)
        self.timings["start"] = time.monotonic() - t0
        return self

    def migrate_compliance(self) -> None:
        from safegov.db.engine import make_engine, migrate, session_scope
        from safegov.org.units import sync_units

        eng = make_engine(self.compliance_url)
        try:
            migrate(eng)
            with session_scope(eng) as session:  # what `safegov db init` does
                sync_units(session)
        finally:
            eng.dispose()

    def _claim_redis_db(self) -> None:
        import redis

        for db in REDIS_DBS:
            r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
            # A lock key makes the claim safe between parallel test sessions.
            if r.set("safegov-dist-lock", os.getpid(), nx=True, ex=3600):
                keys = [k for k in r.keys("*") if k != b"safegov-dist-lock"]
                if keys:
                    r.delete(*keys)
                self.redis_db = db
                return
        raise ClusterError(f"no free Redis db among {REDIS_DBS}")

    def _release_redis_db(self) -> None:
        if self.redis_db is None:
            return
        import redis

        try:
            redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.redis_db).flushdb()
        except Exception:  # noqa: BLE001 - teardown must go on
            pass
        self.redis_db = None

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start (or restart) ``airflow <args>``; ``env`` overrides settings for this process
        and is kept for its restarts."""
        if env is not None:
            self.proc_env[name] = env
        out = open(self.proc_logs / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self._log_handles.append(out)
        proc = subprocess.Popen(
            [str(VENV_BIN / "airflow"), *args],
            cwd=str(self.base),
            env=self.env() | self.proc_env.get(name, {}),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: kill the whole tree at once
        )
        self.procs[name] = proc
        self.args[name] = args
        return proc

    def start_worker(self, name: str) -> subprocess.Popen:
        return self.spawn(
            f"worker-{name}",
            ["celery", "worker", "--concurrency", "2", "-H", f"{name}@%h", "--skip-serve-logs", "--without-gossip"],
        )

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker's whole process group (pool children and task supervisors too)."""
        proc = self.procs[f"worker-{name}"]
        try:
            os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def worker_pids(self, name: str) -> list[int]:
        """Every live process of a worker's group (to find which worker runs a task)."""
        proc = self.procs[f"worker-{name}"]
        pgid = os.getpgid(proc.pid)
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == pgid:
                        pids.append(int(entry.name))
                except (ProcessLookupError, PermissionError):
                    continue
        return pids

    def run_cli(
        self, args: list[str], timeout: float = 180, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        res = subprocess.run(
            [str(VENV_BIN / "airflow"), *args],
            cwd=str(self.base),
            env=self.env() | (env or {}),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and res.returncode != 0:
            raise ClusterError(
                f"airflow {' '.join(args)} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
            )
        return res

    def wait_ready(self, timeout: float, dag_ids: tuple[str, ...] = ()) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                health = self.api("GET", "/api/v2/monitor/health")
                ok = all(
                    (health.get(part) or {}).get("status") == "healthy"
                    for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
                )
                workers = all(b" ready." in (self.proc_logs / f"worker-{w}.log").read_bytes() for w in self.workers)
                last = f"health={health} workers_ready={workers}"
                if ok and workers:
                    break
            except (urllib.error.URLError, ConnectionError, OSError, ClusterError) as exc:
                last = repr(exc)
            time.sleep(2)
        else:
            raise ClusterError(f"cluster not ready after {timeout}s: {last}\n{self.tail_logs()}")
        for dag_id in dag_ids:
            self.wait_dag(dag_id, timeout=max(10.0, deadline - time.monotonic()))

    def wait_dag(self, dag_id: str, timeout: float = 180) -> dict:
        """Wait until the dag-processor has serialized ``dag_id`` and it is unpaused."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                dag = self.api("GET", f"/api/v2/dags/{dag_id}")
                if dag.get("is_paused"):
                    self.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                    continue
                return dag
            except ClusterError:
                pass
            time.sleep(2)
        errors = self.api("GET", "/api/v2/importErrors")
        raise ClusterError(f"DAG {dag_id} not available after {timeout}s; import errors: {errors}")

    def stop_process(self, name: str) -> None:
        """SIGTERM one process group (SIGKILL after 20 s) and forget it: no restart."""
        proc = self.procs.pop(name)
        self.args.pop(name, None)
        try:
            os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
            proc.wait(timeout=10)

    # ------------------------------------------------------------------ FAB (docker-compose's auth manager)

    FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"

    def fab_env(self, port: int) -> dict[str, str]:
        return {
            "AIRFLOW__CORE__AUTH_MANAGER": self.FAB_AUTH_MANAGER,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        }

    def start_fab_api_server(self, timeout: float = 240) -> str:
        """A second api-server on the same metadata DB with the FAB auth manager, as in
        docker-compose.yml (the cluster's own api-server keeps SimpleAuthManager, which the
        other tests' REST calls use): FAB's tables, the dashboard's views as permissions
        (``safegov.airflow.fab_views``), then the server. Returns its URL."""
        port = free_port()
        env = self.fab_env(port)
        self.run_cli(["fab-db", "migrate"], timeout=300, env=env)
        res = subprocess.run(
            [str(VENV_BIN / "python"), "-m", "safegov.airflow.fab_views"],
            cwd=str(self.base),
            env=self.env() | env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if res.returncode != 0:
            raise ClusterError(f"safegov.airflow.fab_views failed:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}")
        self.spawn("api-server-fab", ["api-server", "--port", str(port), "--host", "127.0.0.1"], env=env)
        url = f"http://localhost:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=10) as resp:  # noqa: S310
                    if resp.status == 200:
                        return url
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(2)
        raise ClusterError(f"the FAB api-server did not answer within {timeout}s\n{self.tail_logs()}")

    def assert_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None and not n.startswith("worker-")}
        if dead and self.restart_policy and not self._stopped:
            for name in dead:
                if self.restarts.get(name, 0) < 5:
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    self.spawn(name, self.args[name])
            dead = {n: c for n, c in dead.items() if self.restarts.get(n, 0) >= 5}
        if dead:
            raise ClusterError(f"processes exited: {dead}\n{self.tail_logs()}")

    def tail_logs(self, lines: int = 25) -> str:
        out = []
        for f in sorted(self.proc_logs.glob("*.log")):
            text = f.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {f.name}\n" + "\n".join(text))
        return "\n".join(out)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        # SIGTERM every group at once, wait for all, then SIGKILL what is left.
        groups = {}
        for name, proc in self.procs.items():
            try:
                groups[name] = os.getpgid(proc.pid)
                os.killpg(groups[name], signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for pgid in groups.values():
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for h in self._log_handles:
            h.close()
        for name in reversed(self._created_dbs):
            drop_database(name)
        self._release_redis_db()

    # ------------------------------------------------------------------ REST

    def api(self, method: str, path: str, body: Any = None, timeout: float = 60, attempts: int = 4) -> Any:
        """One REST call. Reads are retried on time-outs and refused connections (an
        api-server on a loaded 2-core machine can be slow); writes are retried too, which is
        safe for the calls made here (explicit run ids, state patches)."""
        data = None if body is None else json.dumps(body, default=str).encode()
        last: Exception | None = None
        for attempt in range(attempts):
            req = urllib.request.Request(
                self.api_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - localhost only
                    raw = resp.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                if exc.code == 409 and attempt > 0:
                    return None  # an earlier attempt did it
                if exc.code >= 500 and attempt + 1 < attempts:
                    last = exc
                    time.sleep(2)
                    continue
                raise ClusterError(f"{method} {path} -> {exc.code}: {exc.read()[:500]!r}") from exc
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                last = exc
                time.sleep(2)
        raise ClusterError(f"{method} {path} failed {attempts} times: {last!r}")

    # ------------------------------------------------------------------ runs

    def trigger(
        self,
        dag_id: str,
        logical_date: dt.datetime | None,
        *,
        run_id: str | None = None,
        run_after: dt.datetime | None = None,
        conf: dict | None = None,
    ) -> str:
        """Create a manual run; the data interval is inferred from ``logical_date`` by the
        DAG's timetable, exactly as ``dag.test(logical_date=...)`` does."""
        body: dict[str, Any] = {"logical_date": logical_date.isoformat() if logical_date else None, "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        if run_after is not None:
            body["run_after"] = run_after.isoformat()
        if not run_id:  # an explicit id makes a retried POST harmless
            body["dag_run_id"] = run_id = f"manual_{dag_id}_{time.time_ns()}"
        self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)
        return run_id

    def run_state(self, dag_id: str, run_id: str) -> str:
        q = urllib.parse.quote(run_id, safe="")
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{q}")["state"]

    def wait_run(
        self, dag_id: str, run_id: str, timeout: float = 300, states: tuple[str, ...] = TERMINAL_RUN_STATES
    ) -> str:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in states:
                return state
            self.assert_alive()
            time.sleep(2)
        raise ClusterError(
            f"run {dag_id}/{run_id} still {state!r} after {timeout}s; tasks: "
            f"{self.task_states(dag_id, run_id)}\n{self.tail_logs(15)}"
        )

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        q = urllib.parse.quote(run_id, safe="")
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{q}/taskInstances?limit=1000")["task_instances"]

    def task_states(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return {
            ti["task_id"]: (ti["state"], ti.get("try_number"), ti.get("hostname"))
            for ti in self.task_instances(dag_id, run_id)
        }

    def wait_task(
        self, dag_id: str, run_id: str, task_id: str, states: tuple[str, ...] = ("running",), timeout: float = 180
    ) -> dict:
        deadline = time.monotonic() + timeout
        ti: dict = {}
        while time.monotonic() < deadline:
            for ti in self.task_instances(dag_id, run_id):
                if ti["task_id"] == task_id and ti["state"] in states:
                    return ti
            self.assert_alive()
            time.sleep(1)
        raise ClusterError(f"{dag_id}/{run_id}/{task_id} never reached {states}: {self.task_states(dag_id, run_id)}")

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=500&order_by=logical_date")["dag_runs"]

    def backfill(
        self, dag_id: str, from_date: str, to_date: str, *, max_active_runs: int = 1, reprocess: str = "none"
    ) -> dict:
        """``airflow backfill create`` (dates need their ``+08:00``); returns the backfill row."""
        res = self.run_cli(
            [
                "backfill",
                "create",
                "--dag-id",
                dag_id,
                "--from-date",
                from_date,
                "--to-date",
                to_date,
                "--max-active-runs",
                str(max_active_runs),
                "--reprocess-behavior",
                reprocess,
            ],
            timeout=240,
        )
        backfills = self.api("GET", f"/api/v2/backfills?dag_id={dag_id}&limit=100")["backfills"]
        if not backfills:
            raise ClusterError(f"no backfill was created:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
        return max(backfills, key=lambda b: b["id"])

    def backfill_runs(self, dag_id: str) -> list[dict]:
        return [r for r in self.runs(dag_id) if r.get("run_type") == "backfill"]

    def wait_backfill(self, dag_id: str, backfill_id: int, expected_runs: int, timeout: float = 600) -> list[dict]:
        """Wait until the scheduler marks the backfill complete; returns its runs (the
        backfill runs of the DAG, all finished)."""
        deadline = time.monotonic() + timeout
        runs: list[dict] = []
        while time.monotonic() < deadline:
            bf = self.api("GET", f"/api/v2/backfills/{backfill_id}")
            runs = self.backfill_runs(dag_id)
            if bf.get("completed_at") and all(r["state"] in TERMINAL_RUN_STATES for r in runs):
                if len(runs) < expected_runs:
                    raise ClusterError(
                        f"backfill {backfill_id} completed with {len(runs)} runs, expected {expected_runs}"
                    )
                return runs
            self.assert_alive()
            time.sleep(3)
        raise ClusterError(
            f"backfill {backfill_id} of {dag_id} not finished after {timeout}s: "
            f"{[(r['dag_run_id'], r['state']) for r in runs]}\n{self.tail_logs(15)}"
        )

    # ------------------------------------------------------------------ compliance DB

    def compliance_engine(self):
        from safegov.db.engine import make_engine

        return make_engine(self.compliance_url)

    def snapshot(self, name: str) -> str:
        """Copy the compliance DB as it is now (CREATE DATABASE … TEMPLATE)."""
        copy = f"{self.sg_db}_{name}"
        conn = _pg_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
                for attempt in range(10):
                    cur.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                        "pg_backend_pid()",
                        (self.sg_db,),
                    )
                    try:
                        cur.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{self.sg_db}"')
                        break
                    except Exception:  # noqa: BLE001 - a client reconnected in between
                        if attempt == 9:
                            raise
                        time.sleep(0.5)
        finally:
            conn.close()
        if copy not in self._created_dbs:
            self._created_dbs.append(copy)
        return copy

    def restore(self, name: str) -> None:
        """Make the compliance DB a copy of snapshot ``name`` again (same DB name)."""
        copy = f"{self.sg_db}_{name}"
        conn = _pg_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.sg_db}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{self.sg_db}" TEMPLATE "{copy}"')
        finally:
            conn.close()

    def reset_compliance(self) -> None:
        """Give the next test an empty, migrated compliance database (same name, so workers
        keep their URL). Clients are disconnected first; their pools reconnect (pre-ping)."""
        conn = _pg_admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE "{self.sg_db}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{self.sg_db}"')
        finally:
            conn.close()
        self.migrate_compliance()
        for p in self.inbox.glob("**/*"):
            if p.is_file():
                p.unlink()
