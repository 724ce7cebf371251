#!/usr/bin/env bash
# `make run`: the embedded safegov — Airflow standalone on SQLite with the project's DAGs.
#
#  1. environment (scripts/airflow_env.sh): AIRFLOW_HOME=airflow_home/, dags/ and plugins/
#     from the checkout, LocalExecutor, Asia/Shanghai, SimpleAuthManager with user admin;
#  2. Airflow metadata DB and the compliance DB (`safegov db init`) migrated;
#  3. first run only: the demo data set written into the inbox (`safegov demo`);
#  4. `airflow standalone` (API server and UI on :8080, scheduler, dag-processor, triggerer);
#  5. in the background, once the UI is up: unpause the safegov DAGs, let `safegov_ingest`
#     take the demo files, then (first run only) backfill the demo's past periods through
#     the evaluation DAGs — backfill runs are historical: same verdicts, no email — and
#     only then let the periodic DAGs decide their live periods (safegov.devtools.first_run
#     plans which periods are which; $SAFEGOV_SCHEDULE_HOLD_FILE holds the schedule).
#
# Running it again is safe: data, runs and the password are kept (markers in airflow_home/).
# Stop with Ctrl-C.  Options via environment: SAFEGOV_ADMIN_PASSWORD, SAFEGOV_SKIP_DEMO=1,
# SAFEGOV_SKIP_BACKFILL=1, SAFEGOV_POOL_DB_SLOTS, SAFEGOV_POOL_SENDGRID_SLOTS, AIRFLOW__API__PORT, SAFEGOV_SENDGRID_HOST (default: the local
# SendGrid-compatible server started here on :8025).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/airflow_env.sh
source scripts/airflow_env.sh

say() { printf '\033[1;34m[safegov]\033[0m %s\n' "$*"; }
mkdir -p "$AIRFLOW_HOME" "$SAFEGOV_INBOX"
started=$(date +%s)

# ---------------------------------------------------------------- login
pwfile="$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
if [[ ! -s "$pwfile" ]]; then
  password="${SAFEGOV_ADMIN_PASSWORD:-$(python - <<'PY'
import secrets
alphabet = "abcdefghkmnpqrstuvwxyzABCDEFGHKMNPQRSTUVWXYZ23456789"
print("".join(secrets.choice(alphabet) for _ in range(16)))
PY
)}"
  ADMIN_PASSWORD="$password" python - "$pwfile" <<'PY'
import json, os, sys
with open(sys.argv[1], "w") as fh:
    json.dump({"admin": os.environ["ADMIN_PASSWORD"]}, fh)
PY
  chmod 600 "$pwfile"
fi
password="$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$pwfile")"
url="http://localhost:${AIRFLOW__API__PORT}"

# ---------------------------------------------------------------- databases
say "Airflow metadata database: $AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { tail -20 "$AIRFLOW_HOME/db-migrate.log"; exit 1; }
say "compliance database: $SAFEGOV_DATABASE_URL"
safegov db init
# The pools the tasks run in (safegov_db: 1 slot on SQLite, one heavy writer at a time;
# sendgrid); a task in a missing pool is never scheduled. Sizes: SAFEGOV_POOL_*_SLOTS.
python -m safegov.airflow.pools

# ---------------------------------------------------------------- demo data (first run only)
demo_marker="$AIRFLOW_HOME/.safegov-demo-written"
# The first run's plan (safegov.devtools.first_run, from the clock's now): the demo's last
# month (the latest whose grace has ended), the history to backfill, the live periods.
plan_file="$AIRFLOW_HOME/.safegov-first-run-plan"
if [[ -z "${SAFEGOV_SKIP_DEMO:-}" && ! -e "$demo_marker" ]]; then
  python -m safegov.devtools.first_run 24 >"$plan_file.tmp"
  until_month="$(awk '$1 == "until" {print $2}' "$plan_file.tmp")"
  set +e
  python - "$SAFEGOV_INBOX" "$until_month" <<'PY'
import sys
from pathlib import Path
from safegov.devtools.demo import write_demo
result = write_demo(Path(sys.argv[1]), until=sys.argv[2], months=24)
print(f"{len(result.get('files', []))} files, {result.get('rows_total', '?')} rows")
PY
  rc=$?
  set -e
  if [[ $rc -eq 0 ]]; then
    mv "$plan_file.tmp" "$plan_file"
    touch "$demo_marker"
    say "demo data for the 24 months up to $until_month written to $SAFEGOV_INBOX; safegov_ingest picks it up"
    # Hold the periodic DAGs' schedule from their first parse until the history is in.
    if [[ -z "${SAFEGOV_SKIP_BACKFILL:-}" ]]; then touch "$SAFEGOV_SCHEDULE_HOLD_FILE"; fi
  else
    say "safegov demo failed (exit $rc): starting without demo data"
  fi
  rm -f "$plan_file.tmp"
fi

# ---------------------------------------------------------------- bootstrap (background)
bootstrap() {
  local t0=$1
  for _ in $(seq 1 600); do
    if curl -fsS "$url/api/v2/monitor/health" >/dev/null 2>&1; then break; fi
    sleep 1
  done
  if ! curl -fsS "$url/api/v2/monitor/health" >/dev/null 2>&1; then
    say "the API server did not come up on $url within 10 minutes; see the output above"
    return 1
  fi
  say "UI is up after $(( $(date +%s) - t0 )) s: $url  (login: admin / $password)"
  # Unpause once the dag-processor has registered every DAG file's DAGs (10).
  for _ in $(seq 1 120); do
    n="$(airflow dags list -o plain 2>/dev/null | grep -c '^safegov_' || true)"
    [[ "${n:-0}" -ge 10 ]] && break
    sleep 5
  done
  local backfill_marker="$AIRFLOW_HOME/.safegov-history-backfilled"
  if [[ -n "${SAFEGOV_SKIP_BACKFILL:-}" || ! -s "$plan_file" || -e "$backfill_marker" ]]; then
    rm -f "$SAFEGOV_SCHEDULE_HOLD_FILE"
    airflow dags unpause --treat-dag-id-as-regex -y '^safegov_' >/dev/null 2>&1 || true
    say "safegov DAGs unpaused"
    airflow dags trigger safegov_ingest >/dev/null 2>&1 || true
    return 0
  fi
  # First run with demo data: ingest first, so that no period is decided (and no notice
  # sent) before its records are in; the evaluation DAGs stay paused until then.
  airflow dags unpause --treat-dag-id-as-regex -y '^safegov_(ingest|events|late_data|escalation|notify|bulletin)$' >/dev/null 2>&1 || true
  airflow dags trigger safegov_ingest >/dev/null 2>&1 || true
  say "ingesting the demo files (safegov_ingest); the evaluation DAGs start when the inbox is empty"
  for _ in $(seq 1 360); do  # up to an hour
    # Exit 0 (stop waiting) once the inbox is empty.
    python -c 'import sys
from safegov.core.settings import get_settings
from safegov.intake.pipeline import scan_inbox
sys.exit(1 if scan_inbox(get_settings().inbox) else 0)' 2>/dev/null && break
    sleep 10
  done
  # The history: only periods whose grace has ended (a backfill over a running grace would
  # wait for it, and Airflow allows one running backfill per DAG). The periodic DAGs are
  # unpaused (backfill runs only run on unpaused DAGs) while their schedule is held by
  # $SAFEGOV_SCHEDULE_HOLD_FILE, so the live periods are decided after the history.
  local -a chunks
  mapfile -t chunks < <(awk '$1 == "backfill" {print $2 "|" $3 "|" $4}' "$plan_file")
  airflow dags unpause --treat-dag-id-as-regex -y '^safegov_(monthly|quarterly|half_yearly|yearly)$' >/dev/null 2>&1 || true
  say "backfilling the demo's past periods in ${#chunks[@]} requests (historical runs, no email); live: $(awk '$1 == "live" {printf "%s %s  ", $2, $3}' "$plan_file")"
  local rounds=0 item dag from to out
  local -A busy
  while ((${#chunks[@]})) && ((rounds < 240)); do  # up to about two hours
    local -a rest=()
    busy=()
    for item in "${chunks[@]}"; do
      IFS='|' read -r dag from to <<<"$item"
      if [[ -n "${busy[$dag]:-}" ]]; then rest+=("$item"); continue; fi
      busy[$dag]=1  # one request per DAG per round, in order
      if out="$(airflow backfill create --dag-id "$dag" --from-date "$from" --to-date "$to" \
          --reprocess-behavior none --max-active-runs 1 2>&1)"; then
        say "backfill $dag ${from%%T*} … ${to%%T*} created"
      elif grep -q "No runs to create" <<<"$out"; then
        say "backfill $dag ${from%%T*} … ${to%%T*} already done (a restarted bootstrap)"
      else
        rest+=("$item")  # AlreadyRunningBackfill until the DAG's previous request finished
      fi
      printf '%s\n' "$out" >>"$AIRFLOW_HOME/backfill.log"
    done
    chunks=("${rest[@]}")
    ((${#chunks[@]})) && sleep 30
    rounds=$((rounds + 1))
  done
  ((${#chunks[@]})) && say "${#chunks[@]} backfill request(s) not created (see $AIRFLOW_HOME/backfill.log)"
  # Wait until every backfill has completed (REST API: Airflow's CLI cannot list them).
  for _ in $(seq 1 360); do  # up to an hour
    python -c 'import sys
from safegov.cli.commands.backfill import SAFEGOV_DAGS, AirflowApi, api_settings, list_backfills
running = [b for b in list_backfills(AirflowApi(api_settings()), list(SAFEGOV_DAGS[:4])) if not b.get("completed_at")]
sys.exit(1 if running else 0)' 2>>"$AIRFLOW_HOME/backfill.log" && break
    sleep 10
  done
  touch "$backfill_marker"
  rm -f "$SAFEGOV_SCHEDULE_HOLD_FILE"
  say "history backfilled; the periodic DAGs decide their live periods at their next parse"
}

# ---------------------------------------------------------------- scheduler watchdog
# `airflow standalone` does not restart a component that exits. On SQLite the scheduler can
# exit on a metadata conflict it does not recover from (seen on Airflow 3.3.2: a backfill run
# that `airflow backfill create` committed and then lost to "database is locked" makes its
# loop raise ObjectDeletedError), and then every queued run waits forever. A scheduler is
# stateless: a new one takes over the queued runs, so the watchdog starts one, says so, and
# keeps its output in $AIRFLOW_HOME/scheduler-restarted.log.
watch_scheduler() {
  local airflow_bin missing=0
  airflow_bin="$(command -v airflow)"
  until curl -fsS "$url/api/v2/monitor/health" >/dev/null 2>&1; do sleep 5; done
  while sleep 15; do
    if pgrep -f "$airflow_bin scheduler" >/dev/null; then missing=0; continue; fi
    missing=$((missing + 1))
    ((missing < 2)) && continue  # two checks apart: not a scheduler between two start-ups
    say "the scheduler exited (last lines above); starting a new one (output: $AIRFLOW_HOME/scheduler-restarted.log)"
    setsid "$airflow_bin" scheduler >>"$AIRFLOW_HOME/scheduler-restarted.log" 2>&1 &
    missing=0
  done
}

# ---------------------------------------------------------------- local SendGrid server
mail_pid=""
if [[ "${SAFEGOV_SENDGRID_HOST:-http://127.0.0.1:8025}" == http://127.0.0.1:8025* ]]; then
  if curl -s -o /dev/null --max-time 2 http://127.0.0.1:8025/ 2>/dev/null; then
    say "a mail server already answers on 127.0.0.1:8025"
  else
    # Emails go to the bundled SendGrid-compatible server; set SAFEGOV_SENDGRID_HOST and
    # SENDGRID_API_KEY (or the connection sendgrid_default) for the real SendGrid.
    safegov mail serve --port 8025 >"$AIRFLOW_HOME/mailserver.log" 2>&1 &
    mail_pid=$!
    say "local SendGrid-compatible server on http://127.0.0.1:8025 (received mail: safegov mail show-received)"
  fi
fi

# Tasks started before the API server answers die at start-up (Airflow 3 tasks talk to the
# Execution API), so the scheduler starts with the safegov DAGs paused and the bootstrap
# unpauses them once the API is up.
if [[ -e "$AIRFLOW_HOME/.safegov-started-once" ]]; then
  airflow dags pause --treat-dag-id-as-regex -y '^safegov_' >/dev/null 2>&1 || true
fi
touch "$AIRFLOW_HOME/.safegov-started-once"

say "starting Airflow standalone; the UI will be at $url"
say "login: admin / $password   (SimpleAuthManager; password file $pwfile)"
bootstrap "$started" &
boot_pid=$!
watch_scheduler &
watch_pid=$!
# standalone runs in its own process group so that stopping run.sh stops all its children
AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True setsid airflow standalone &
af_pid=$!
cleanup() {
  trap - EXIT INT TERM
  kill "$boot_pid" "$watch_pid" 2>/dev/null || true
  # a scheduler the watchdog started runs in its own process group
  pkill -TERM -f "$(command -v airflow) scheduler" 2>/dev/null || true
  if kill -0 "$af_pid" 2>/dev/null; then
    say "stopping Airflow"
    kill -TERM -- "-$af_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 -- "-$af_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$af_pid" 2>/dev/null || true
  fi
  if [[ -n "$mail_pid" ]]; then kill "$mail_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM
wait "$af_pid"
