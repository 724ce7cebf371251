"""The Airflow pools the safegov tasks run in, and how they are created.

- ``safegov_db``: the tasks that write the compliance DB heavily (evaluations, escalation,
  ingest). On SQLite the database takes one writer at a time, so the default is 1 slot
  there (tasks queue instead of waiting out the busy timeout); 4 on PostgreSQL.
- ``sendgrid``: the tasks that send mail (``deliver``), so that a backlog is not sent over
  more connections than SendGrid's rate allows; default 2.

Slot counts: ``SAFEGOV_POOL_DB_SLOTS`` and ``SAFEGOV_POOL_SENDGRID_SLOTS``. Every other
task stays in Airflow's ``default_pool``, whose size is left alone.

A task in a pool that does not exist is never scheduled, so every place that sets up
Airflow runs ``python -m safegov.airflow.pools`` after ``airflow db migrate`` (scripts/run.sh,
docker-compose's airflow-init, the test harnesses). ``airflow pools set`` creates or
updates, so running it again is harmless. DAG files import only the names (no Airflow).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

DB_POOL = "safegov_db"
SENDGRID_POOL = "sendgrid"


@dataclass(frozen=True)
class PoolSpec:
    name: str
    slots: int
    description: str

    def cli_args(self) -> list[str]:
        """The arguments of ``airflow pools set`` for this pool."""
        return ["pools", "set", self.name, str(self.slots), self.description]


def _slots(environ: Mapping[str, str], var: str, default: int) -> int:
    raw = environ.get(var, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{var}={raw!r}：池的槽位数须为正整数")
    return int(raw)


def pool_specs(environ: Mapping[str, str] | None = None) -> list[PoolSpec]:
    """The pools with their slot counts from ``environ`` (default: the process's)."""
    env = os.environ if environ is None else environ
    sqlite = env.get("SAFEGOV_DATABASE_URL", "sqlite").startswith("sqlite")
    return [
        PoolSpec(
            DB_POOL,
            _slots(env, "SAFEGOV_POOL_DB_SLOTS", 1 if sqlite else 4),
            "大量写入合规数据库的任务（评估、升级、导入）",
        ),
        PoolSpec(
            SENDGRID_POOL,
            _slots(env, "SAFEGOV_POOL_SENDGRID_SLOTS", 2),
            "发送邮件的任务（经 SendGrid 投递）",
        ),
    ]


def main() -> int:
    """Create or update the pools with the ``airflow`` CLI of this interpreter."""
    for spec in pool_specs():
        subprocess.run([sys.executable, "-m", "airflow", *spec.cli_args()], check=True, stdout=subprocess.DEVNULL)
        print(f"Airflow 池 {spec.name}：{spec.slots} 个槽位")
    return 0


if __name__ == "__main__":
    sys.exit(main())
