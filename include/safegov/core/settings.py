"""Runtime settings, read once from the environment (SPEC §9).

``SAFEGOV_DATABASE_URL``  compliance database (never Airflow's metadata DB);
                          default: SQLite file ``data/safegov.db`` under the project root.
``SAFEGOV_INBOX``         folder where submissions arrive (default ``data/inbox``).
``SAFEGOV_CONFIG_DIR``    the register and registries (default ``config/``).
``SAFEGOV_HOLIDAYS``      the holiday schedules entered from the State Council notices for
                          years the chinesecalendar package does not cover (default
                          ``holidays.yaml`` in the config dir).
``SAFEGOV_DATA_DIR``      working data (default ``data/``).
``SAFEGOV_TASK_RETRY_DELAY``  seconds before a failed task is retried (default 180, doubled
                          on each further try); the distributed tests shorten it.
``SAFEGOV_INBOX_SETTLE_SECONDS``  a file in the inbox is taken only once its size and
                          modification time have not changed for this long (default 5):
                          a file still being copied in is left for the next run.
``SAFEGOV_INGEST_SLICE_ROWS``  an ingest reads, validates and writes its files a slice of
                          at most this many rows at a time (whole files; default 200000):
                          its memory is a slice's, whatever the batch's size.
``SAFEGOV_MAX_CELL_CHARS``  longest cell text a row may carry (default 10000); a longer
                          cell quarantines its row (``cell_too_long``).
``SAFEGOV_AUDIT_KEY``     the secret that signs the audit checkpoints (HMAC-SHA256); kept
                          outside the compliance database (an Airflow secret, a mounted file).
``SAFEGOV_AUDIT_KEY_FILE``  file holding that secret when ``SAFEGOV_AUDIT_KEY`` is unset
                          (default ``data/audit.key``; created with mode 0600 on first use).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TIMEZONE = "Asia/Shanghai"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    database_url: str
    inbox: Path
    config_dir: Path
    holidays_file: Path
    data_dir: Path
    # Emails: "local" talks to the bundled SendGrid-compatible server, "sendgrid" to the real API.
    sendgrid_host: str = "http://127.0.0.1:8025"
    mail_from: str = "safegov@example.gov.cn"
    # Rows for periods older than this many days are stored as suppressed, never sent.
    history_horizon_days: int = 60
    # First retry of a failed Airflow task after this many seconds (exponential after that).
    task_retry_delay_seconds: int = Field(default=180, ge=0)
    # A file in the inbox younger than this (by mtime) may still be being written.
    inbox_settle_seconds: float = Field(default=5.0, ge=0)
    max_cell_chars: int = Field(default=10_000, ge=1)
    ingest_slice_rows: int = Field(default=200_000, ge=1)
    audit_key: str | None = Field(default=None, min_length=16, repr=False)
    audit_key_file: Path


def _default_data_dir() -> Path:
    return Path(os.environ.get("SAFEGOV_DATA_DIR", PROJECT_ROOT / "data"))


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("SAFEGOV_DATA_DIR", PROJECT_ROOT / "data"))
    config_dir = Path(env.get("SAFEGOV_CONFIG_DIR", PROJECT_ROOT / "config"))
    return Settings(
        database_url=env.get("SAFEGOV_DATABASE_URL", f"sqlite:///{data_dir / 'safegov.db'}"),
        inbox=Path(env.get("SAFEGOV_INBOX", data_dir / "inbox")),
        config_dir=config_dir,
        holidays_file=Path(env.get("SAFEGOV_HOLIDAYS", config_dir / "holidays.yaml")),
        data_dir=data_dir,
        sendgrid_host=env.get("SAFEGOV_SENDGRID_HOST", "http://127.0.0.1:8025"),
        mail_from=env.get("SAFEGOV_MAIL_FROM", "safegov@example.gov.cn"),
        history_horizon_days=int(env.get("SAFEGOV_HISTORY_HORIZON_DAYS", "60")),
        task_retry_delay_seconds=env.get("SAFEGOV_TASK_RETRY_DELAY", "180"),
        inbox_settle_seconds=env.get("SAFEGOV_INBOX_SETTLE_SECONDS", "5"),
        max_cell_chars=env.get("SAFEGOV_MAX_CELL_CHARS", "10000"),
        ingest_slice_rows=env.get("SAFEGOV_INGEST_SLICE_ROWS", "200000"),
        audit_key=env.get("SAFEGOV_AUDIT_KEY") or None,
        audit_key_file=Path(env.get("SAFEGOV_AUDIT_KEY_FILE", data_dir / "audit.key")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
