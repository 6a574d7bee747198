#!/usr/bin/env bash
# Runs sdmd with embedded defaults on http://127.0.0.1:8000: SQLite and stacks in ./data and ./stacks.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
    echo "sdmd: no Docker engine reachable; installing and starting one (docker.io + compose v2)" >&2
    bash scripts/provision.sh docker_engine compose_plugin
  else
    echo "sdmd: no Docker engine reachable; sdmd will answer 503 until one is (set SDMD_DOCKER_HOST)" >&2
  fi
fi

bash scripts/build_web.sh || echo "sdmd: the web UI could not be built; serving the API only" >&2
sdmd migrate
exec sdmd serve --host "${SDMD_HOST:-127.0.0.1}" --port "${SDMD_PORT:-8000}"
