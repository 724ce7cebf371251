# shellcheck shell=bash
# The environment of the embedded Airflow (`make run`). Source it to use the airflow CLI:
#   source scripts/airflow_env.sh && airflow dags list
# Every setting can be overridden by exporting it before sourcing.
_safegov_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SAFEGOV_ROOT="${SAFEGOV_ROOT:-$_safegov_root}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$SAFEGOV_ROOT/airflow_home}"
export PATH="$SAFEGOV_ROOT/.venv/bin:$PATH"

# Airflow: DAGs and plugins from the checkout, SQLite metadata DB, LocalExecutor.
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$SAFEGOV_ROOT/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$SAFEGOV_ROOT/plugins}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
if [[ "$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" == sqlite* ]]; then
  # wait for SQLite's write lock instead of failing after 5 s ("database is locked")
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS:-safegov.airflow.sqlite_args.CONNECT_ARGS}"
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC:-safegov.airflow.sqlite_args.CONNECT_ARGS}"
fi
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
export AIRFLOW__CORE__DEFAULT_TIMEZONE="${AIRFLOW__CORE__DEFAULT_TIMEZONE:-Asia/Shanghai}"
export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
# Two cores are plenty for the demo; more parallel writers only contend on SQLite.
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="${AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL:-60}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://localhost:${AIRFLOW__API__PORT}}"
# Embedded default: Airflow's SimpleAuthManager with one admin (production uses FAB, see
# docker-compose.yml). The password lives in the passwords file below (run.sh writes it).
export AIRFLOW__CORE__AUTH_MANAGER="${AIRFLOW__CORE__AUTH_MANAGER:-airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$AIRFLOW_HOME/simple_auth_manager_passwords.json}"

# safegov: the compliance database and the inbox (defaults: SQLite file and inbox under data/).
export SAFEGOV_DATA_DIR="${SAFEGOV_DATA_DIR:-$SAFEGOV_ROOT/data}"
export SAFEGOV_DATABASE_URL="${SAFEGOV_DATABASE_URL:-sqlite:///$SAFEGOV_DATA_DIR/safegov.db}"
export SAFEGOV_INBOX="${SAFEGOV_INBOX:-$SAFEGOV_DATA_DIR/inbox}"
export SAFEGOV_CONFIG_DIR="${SAFEGOV_CONFIG_DIR:-$SAFEGOV_ROOT/config}"
# While this file exists the periodic DAGs create no scheduled run (backfills go on):
# run.sh holds the schedule while it backfills the demo's history (GraceTimetable).
export SAFEGOV_SCHEDULE_HOLD_FILE="${SAFEGOV_SCHEDULE_HOLD_FILE:-$AIRFLOW_HOME/.safegov-history-pending}"
unset _safegov_root
