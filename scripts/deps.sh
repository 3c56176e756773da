#!/usr/bin/env bash
# Installs the node dependencies with `npm ci` when node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v node >/dev/null || { echo "[deps] error: node (>= 20) is required" >&2; exit 1; }
# npm writes node_modules/.package-lock.json on every install: older than the lock means stale.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[deps] npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
