#!/usr/bin/env bash
# Builds the web UI (web/, a Next.js static export) into sdmd/static, where sdmd serves it at /.
# Skips npm ci when package-lock.json is unchanged and the build when no source under web/ changed.
# With --test it also runs the UI's unit tests (vitest). Needs Node >= 20.9 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=sdmd/static

if ! command -v npm >/dev/null 2>&1; then
  echo "build_web: npm not found (install Node 20 and npm); $([ -f $dest/index.html ] && echo 'keeping the existing build' || echo 'no web UI')" >&2
  [ "${1:-}" = "--test" ] && exit 1 || exit 0
fi

lock_hash=$(sha256sum web/package-lock.json | cut -c1-64)
if [ ! -d web/node_modules ] || [ "$(cat web/node_modules/.sdmd-lock 2>/dev/null)" != "$lock_hash" ]; then
  echo "build_web: npm ci" >&2
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >web/node_modules/.sdmd-lock
fi

src_hash=$(find web -path web/node_modules -prune -o -path web/.next -prune -o -path web/out -prune \
             -o -path web/tests -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
if [ "$(cat $dest/.build-hash 2>/dev/null)" = "$src_hash" ] && [ -f $dest/index.html ]; then
  echo "build_web: web UI up to date" >&2
else
  echo "build_web: building the web UI" >&2
  (cd web && NEXT_TELEMETRY_DISABLED=1 npm run --silent build >/tmp/sdmd-web-build.$$.log 2>&1) \
    || { cat /tmp/sdmd-web-build.$$.log >&2; rm -f /tmp/sdmd-web-build.$$.log; exit 1; }
  rm -f /tmp/sdmd-web-build.$$.log
  rm -rf "$dest.new" "$dest.old"
  cp -r web/out "$dest.new"
  echo "$src_hash" >"$dest.new/.build-hash"
  [ -d "$dest" ] && mv "$dest" "$dest.old"
  mv "$dest.new" "$dest"
  rm -rf "$dest.old"
fi

if [ "${1:-}" = "--test" ]; then
  (cd web && NEXT_TELEMETRY_DISABLED=1 npx --no-install vitest run)
fi
