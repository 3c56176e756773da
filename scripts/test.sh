#!/usr/bin/env bash
# `npm test`: node deps, type check, the build (e2e), the dev runtime, then every test file in ONE node --test run.
#
#   scripts/test.sh              unit + e2e (starts the dev runtime; run as root)
#   scripts/test.sh --unit       unit tests only, no runtime
#   scripts/test.sh FILE...      just these test files (the runtime only if one is under test/e2e)
# MINI_KUBELET_TEST_TIMEOUT_MS bounds each test file (default 10 min), so a hang cannot eat CI.
# Cluster e2e tests start (or reuse) the local control plane themselves, only when one runs
# (test/support/cluster.ts, scripts/cluster/up.sh); without MINI_KUBELET_K8S_BIN or the binaries
# on the PATH they are skipped with one line saying why.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

unit_only=false
files=()
for arg in "$@"; do
  case $arg in
    --unit) unit_only=true ;;
    *) files+=("$arg") ;;
  esac
done

bash scripts/deps.sh
echo "[test] type check (src, tests, bench): tsc -p tsconfig.test.json" >&2
npx tsc -p tsconfig.test.json

if ((${#files[@]} == 0)); then
  # Node 20's --test does not expand globs itself; find also covers nested folders.
  mapfile -t files < <(
    find test/unit -name '*.test.ts' 2>/dev/null | sort
    $unit_only || find test/e2e -name '*.e2e.test.ts' 2>/dev/null | sort
  )
fi
((${#files[@]} > 0)) || { echo "[test] error: no test files found" >&2; exit 1; }

if printf '%s\n' "${files[@]}" | grep -q '^test/e2e/'; then
  # E2e tests run the agent and the CLI as users do: bin/mini-kubelet.js on dist/ (the bin refuses a
  # build older than any source, so a stale one fails loudly instead of testing old code).
  echo "[test] build: npm run build" >&2
  npm run --silent build >&2
  endpoint=$(bash scripts/runtime/up.sh | tail -n 1)
  export CONTAINER_RUNTIME_ENDPOINT="${endpoint#CONTAINER_RUNTIME_ENDPOINT=}"
fi
# The live page's test drives Debian's chromium (playwright-core downloads no browser).
if printf '%s\n' "${files[@]}" | grep -q '^test/e2e/ui\.e2e\.test\.ts$'; then
  MINI_KUBELET_CHROMIUM=$(bash scripts/browser.sh | tail -n 1)
  export MINI_KUBELET_CHROMIUM
fi

echo "[test] ${#files[@]} test files" >&2
# spec reporter: readable per test, and its closing summary gives the counts (tests/pass/fail)
# plus a recap of failing tests. Concurrency 1: e2e files share one containerd.
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 \
  --test-timeout="${MINI_KUBELET_TEST_TIMEOUT_MS:-600000}" "${files[@]}"
