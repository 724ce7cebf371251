#!/usr/bin/env bash
# Backfills of the `make run` installation: list them, cancel one, create one.
#
#   scripts/backfill.sh list [--dag-id safegov_monthly …]
#   scripts/backfill.sh cancel ID
#   scripts/backfill.sh create --dag-id … --from-date … --to-date …   (airflow backfill create)
#
# list and cancel go through Airflow's REST API (`safegov backfill`; Airflow 3.3's CLI only
# creates), so the API server of `make run` must be up; credentials come from
# scripts/airflow_env.sh (the admin password file) unless SAFEGOV_AIRFLOW_PASSWORD is set.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/airflow_env.sh
source scripts/airflow_env.sh
action="${1:-}"
case "$action" in
  list | cancel) exec safegov backfill "$@" ;;
  create) shift; exec airflow backfill create "$@" ;;
  *)
    echo "用法：scripts/backfill.sh list [--dag-id DAG …] | cancel ID | create --dag-id DAG --from-date … --to-date …" >&2
    exit 2
    ;;
esac
