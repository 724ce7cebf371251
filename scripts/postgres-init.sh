#!/usr/bin/env bash
# PostgreSQL first-start hook (docker-compose.yml): the compliance database beside Airflow's.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE USER safegov WITH PASSWORD '${SAFEGOV_DB_PASSWORD:-safegov}';
CREATE DATABASE safegov OWNER safegov;
SQL
