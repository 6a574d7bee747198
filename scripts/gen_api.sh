#!/usr/bin/env bash
# Regenerates the web UI's typed API client from sdmd's OpenAPI:
# web/openapi.json (dumped from the Python app) and web/lib/api/schema.d.ts (openapi-typescript).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
python web/scripts/dump_openapi.py > web/openapi.json
cd web
[ -d node_modules ] || npm ci --no-audit --no-fund
npx --no-install openapi-typescript openapi.json -o lib/api/schema.d.ts
