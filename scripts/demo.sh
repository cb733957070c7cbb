#!/usr/bin/env bash
# `make demo`: an ocpi-hub and four simulated parties (two CPOs, two eMSPs) on this machine.
# It starts the hub on an embedded PostgreSQL under .ocpi-hub/demo (fresh each run), invites each
# party (`ocpi-hub parties invite --json`), starts each simulator with its token A, shows the
# traffic for DEMO_SECONDS, then what the hub knows (`parties list`, `outbox list`), and stops
# everything, also on Ctrl-C. It prints an operator token first: the console
# (http://127.0.0.1:8080/console/) shows the run live while it lasts.
#
#   DEMO_SECONDS=60 make demo       how long the simulators make traffic (default 30)
#   OCPI_HUB_PORT=8090 make demo    the hub's port (default 8080); simulators use 9101-9104
#
# docker-compose.yml runs the same topology in containers: its services run exactly the
# commands of the TOPOLOGY block (tests/simulate/test_demo.py checks it). Change both together.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- TOPOLOGY (begin) -------------------------------------------------------------------------
HUB='ocpi-hub serve'
INVITES=(
  'ocpi-hub parties invite --role CPO --country-code NL --party-id CPA --json > .ocpi-hub/demo/cpo1.json'
  'ocpi-hub parties invite --role CPO --country-code BE --party-id CPB --json > .ocpi-hub/demo/cpo2.json'
  'ocpi-hub parties invite --role EMSP --country-code DE --party-id EMA --json > .ocpi-hub/demo/emsp1.json'
  'ocpi-hub parties invite --role EMSP --country-code FR --party-id EMB --json > .ocpi-hub/demo/emsp2.json'
)
SIMULATORS=(
  'cpo1: ocpi-hub simulate cpo --invitation .ocpi-hub/demo/cpo1.json --port 9101 --country-code NL --party-id CPA --seed 1 --locations 3 --status-rate 0.3 --rfid-rate 0.1 --patch-interval 3 --session-duration 20 --stats-interval 10'
  'cpo2: ocpi-hub simulate cpo --invitation .ocpi-hub/demo/cpo2.json --port 9102 --country-code BE --party-id CPB --seed 2 --locations 2 --status-rate 0.3 --rfid-rate 0.1 --patch-interval 3 --session-duration 20 --stats-interval 10'
  'emsp1: ocpi-hub simulate emsp --invitation .ocpi-hub/demo/emsp1.json --port 9103 --country-code DE --party-id EMA --seed 3 --tokens 10 --start-rate 0.2 --stop-after 10 --stats-interval 10'
  'emsp2: ocpi-hub simulate emsp --invitation .ocpi-hub/demo/emsp2.json --port 9104 --country-code FR --party-id EMB --seed 4 --tokens 6 --start-rate 0.1 --stop-after 15 --stats-interval 10'
)
# --- TOPOLOGY (end) ---------------------------------------------------------------------------

DEMO_DIR=.ocpi-hub/demo
DEMO_SECONDS=${DEMO_SECONDS:-30}
export PATH="$PWD/.venv/bin:$PATH"
export OCPI_HUB_DATA_DIR=$DEMO_DIR
export OCPI_HUB_PORT=${OCPI_HUB_PORT:-8080}
HEALTH_URL="http://127.0.0.1:$OCPI_HUB_PORT/health"

HUB_PID=""
SLEEP_PID=""
CPO_PIDS=()
EMSP_PIDS=()
# Each background process in its own process group: Ctrl-C reaches this script only, which then
# stops everything in order.
set -m

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

prefix() {  # copy stdin to the terminal line by line, each line led by [NAME]
  local name=$1 line
  while IFS= read -r line; do printf '[%s] %s\n' "$name" "$line"; done
}

# Run a command in the background, its output in the terminal and in $DEMO_DIR/logs/NAME.log;
# `exec` so that $! is the command itself. The log pipeline ignores INT and TERM: it must outlive
# the process it logs, or that process would die writing its last lines (its counters).
start() {
  local name=$1 command=$2
  bash -c "exec $command" \
    > >(trap '' INT TERM; tee -a "$DEMO_DIR/logs/$name.log" | prefix "$name") 2>&1 &
  STARTED=$!
}

stop_pids() {  # SIGTERM, then wait: simulators print their counters, the hub stops PostgreSQL
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

outbox_drained() {  # nothing left for the hub to deliver
  [[ $(ocpi-hub outbox list --status PENDING --limit 1 --json 2>/dev/null) == "[]" ]]
}

finish() {
  trap - EXIT INT TERM
  set +e  # a cleanup that stops halfway would leave processes behind
  if [[ -n $SLEEP_PID ]]; then kill "$SLEEP_PID" 2>/dev/null; fi
  if ((${#CPO_PIDS[@]})); then
    # CPOs first: they end their running sessions with CDRs, which the eMSPs should receive.
    say "stopping the CPO simulators"
    stop_pids "${CPO_PIDS[@]}"
    CPO_PIDS=()
    for _ in $(seq 1 20); do outbox_drained && break; sleep 0.5; done
  fi
  if ((${#EMSP_PIDS[@]})); then
    say "stopping the eMSP simulators"
    stop_pids "${EMSP_PIDS[@]}"
    EMSP_PIDS=()
  fi
  if [[ -n $HUB_PID ]] && kill -0 "$HUB_PID" 2>/dev/null; then
    say "ocpi-hub parties list"
    ocpi-hub parties list || true
    say "ocpi-hub outbox list --limit 20"
    ocpi-hub outbox list --limit 20 || true
    say "stopping the hub"
    stop_pids "$HUB_PID"
  fi
  say "logs are in $DEMO_DIR/logs"
}
trap 'finish; exit 130' INT TERM
trap finish EXIT

if [[ -f $DEMO_DIR/pgdata/postmaster.pid ]] && kill -0 "$(head -1 "$DEMO_DIR/pgdata/postmaster.pid")" 2>/dev/null; then
  echo "A previous demo still runs its PostgreSQL in $DEMO_DIR; stop it first." >&2
  exit 1
fi
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/logs"

say "starting the hub: $HUB"
start hub "$HUB"
HUB_PID=$STARTED
healthy=false
for _ in $(seq 1 120); do
  if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "$HEALTH_URL" 2>/dev/null; then
    healthy=true
    break
  fi
  if ! kill -0 "$HUB_PID" 2>/dev/null; then
    echo "The hub exited; see $DEMO_DIR/logs/hub.log (is port $OCPI_HUB_PORT free?)" >&2
    exit 1
  fi
  sleep 0.5
done
if ! $healthy; then
  echo "The hub did not answer $HEALTH_URL within 60 s; see $DEMO_DIR/logs/hub.log" >&2
  exit 1
fi

say "the operator's console: http://127.0.0.1:$OCPI_HUB_PORT/console/ (sign in with this token)"
ocpi-hub operators create --name demo

say "inviting the parties"
for command in "${INVITES[@]}"; do
  echo "+ $command"
  bash -c "$command"
done

say "starting the simulators (traffic for $DEMO_SECONDS s; Ctrl-C stops earlier)"
for entry in "${SIMULATORS[@]}"; do
  name=${entry%%: *}
  command=${entry#*: }
  start "$name" "$command"
  if [[ $command == *" simulate cpo "* ]]; then CPO_PIDS+=("$STARTED"); else EMSP_PIDS+=("$STARTED"); fi
done

sleep "$DEMO_SECONDS" &
SLEEP_PID=$!
wait "$SLEEP_PID"  # (a trap runs at once during `wait`, not after a foreground sleep)
finish
