#!/usr/bin/env bash
# Runs sdmd with embedded defaults: the API and web UI on http://127.0.0.1:8000 (SQLite and stacks
# in ./data and ./stacks), the RQ worker, the scheduler, the RQ dashboard on http://127.0.0.1:9181
# and, unless SDMD_REDIS_URL is set, a private redis-server on a unix socket in the data dir.
# Ctrl-C or SIGTERM stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh

log() { printf 'sdmd: %s\n' "$*" >&2; }
as_debian_root() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; }

if ! docker info >/dev/null 2>&1; then
  if as_debian_root; then
    log "no Docker engine reachable; installing and starting one (docker.io + compose v2)"
    bash scripts/provision.sh docker_engine compose_plugin
  else
    log "no Docker engine reachable; sdmd will answer 503 until one is (set SDMD_DOCKER_HOST)"
  fi
fi

data_dir=${SDMD_DATA_DIR:-./data}
mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)
export SDMD_DATA_DIR=$data_dir

# Children run in sessions of their own, so a Ctrl-C reaches only this script, which then stops
# them in order: the API and the dashboard first, the worker (let it finish its job), Redis last.
pids=()
names=()
start() { # start NAME COMMAND...
  local name=$1; shift
  setsid "$@" &
  pids+=("$!"); names+=("$name")
}

alive() { kill -0 "$1" 2>/dev/null; }

stop_one() { # stop_one PID NAME GRACE_SECONDS
  local pid=$1 name=$2 grace=$3 waited=0
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && [ $waited -lt $((grace * 5)) ]; do sleep 0.2; waited=$((waited + 1)); done
  if alive "$pid"; then
    log "$name did not stop within ${grace}s; stopping it harder"
    kill -TERM "$pid" 2>/dev/null || true  # a second TERM makes the RQ worker abandon its job
    sleep 2
    kill -KILL -- "-$pid" 2>/dev/null || true  # the whole session: work horse, docker compose
  fi
  wait "$pid" 2>/dev/null || true
}

stopping=0
stop_all() {
  [ $stopping = 1 ] && return 0
  stopping=1
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    case ${names[$i]} in
      worker) stop_one "${pids[$i]}" "${names[$i]}" "${SDMD_STOP_GRACE_SECONDS:-30}" ;;
      *) stop_one "${pids[$i]}" "${names[$i]}" 10 ;;
    esac
  done
  [ -n "${private_tmp:-}" ] && rm -rf "$private_tmp"
  return 0
}
trap 'stop_all' EXIT
trap 'log "stopping"; stop_all; exit 130' INT
trap 'log "stopping"; stop_all; exit 143' TERM

if [ -z "${SDMD_REDIS_URL:-}" ]; then
  if ! command -v redis-server >/dev/null 2>&1; then
    if as_debian_root; then
      log "redis-server not found; installing it"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        redis-server >/dev/null
    else
      log "redis-server not found: install it, or point SDMD_REDIS_URL at a Redis"; exit 1
    fi
  fi
  sock=$data_dir/redis.sock
  if [ ${#sock} -gt 100 ]; then  # unix socket paths are limited to ~107 bytes
    private_tmp=$(mktemp -d /tmp/sdmd-redis.XXXXXX)
    sock=$private_tmp/redis.sock
  fi
  if redis-cli -s "$sock" ping >/dev/null 2>&1; then
    log "a Redis already answers on $sock: is another sdmd running with this data dir?"; exit 1
  fi
  start redis redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' --appendonly no \
    --dir "$data_dir" --logfile "$data_dir/redis.log"
  for _ in $(seq 100); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -s "$sock" ping >/dev/null || { log "private redis-server did not start (see $data_dir/redis.log)"; exit 1; }
  export SDMD_REDIS_URL="unix://$sock"
  log "private Redis on $sock"
fi

bash scripts/build_web.sh || log "the web UI could not be built; serving the API only"
sdmd migrate
start worker sdmd worker
start scheduler sdmd scheduler
dashboard_port=${SDMD_RQ_DASHBOARD_PORT:-9181}
if [ "$dashboard_port" != 0 ]; then
  # Loopback only: the dashboard can delete and requeue jobs and has no login of its own
  # (RQ_DASHBOARD_USERNAME / RQ_DASHBOARD_PASSWORD add HTTP basic auth).
  start rq-dashboard rq-dashboard --bind 127.0.0.1 --port "$dashboard_port" --redis-url "$SDMD_REDIS_URL"
  log "RQ dashboard on http://127.0.0.1:$dashboard_port"
fi
start api sdmd serve --host "${SDMD_HOST:-127.0.0.1}" --port "${SDMD_PORT:-8000}"

# Whichever process ends first (or a signal) ends the whole run.
status=0
wait -n "${pids[@]}" || status=$?
if [ $stopping = 0 ]; then
  for i in "${!pids[@]}"; do
    alive "${pids[$i]}" || log "${names[$i]} exited; stopping the rest"
  done
fi
stop_all
exit "$status"
