#!/usr/bin/env bash
# Runs the whole test suite, first installing and starting what it needs where it is missing:
# Docker engine, compose v2, a registry on 127.0.0.1:5000 with test images, Redis, PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
  bash scripts/provision.sh
fi
source scripts/_venv.sh
ruff check sdmd tests
bash scripts/build_web.sh --test  # the web UI (used by tests/web) and its vitest unit tests
# Two workers: most of the time goes to waiting on Docker, so the two cores overlap well.
exec pytest -n "${SDMD_TEST_WORKERS:-2}" "$@"
