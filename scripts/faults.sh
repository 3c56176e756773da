#!/usr/bin/env bash
# `npm run faults`: the fault and hostile-input suite at its FULL size, then its table.
#
#   scripts/faults.sh            full size (MINI_KUBELET_FAULTS_FULL=1): ~30 min, and ~9 min of them faults-token
#   MINI_KUBELET_FAULTS_FULL=0 scripts/faults.sh    the CI size (~10 min)
# Needs the control plane's binaries (MINI_KUBELET_K8S_BIN) as the cluster e2e tests do. The
# records go to .faults/records.jsonl, the table (for docs/faults.md) to .faults/table.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export MINI_KUBELET_FAULTS_FULL="${MINI_KUBELET_FAULTS_FULL:-1}"
mkdir -p .faults
export MINI_KUBELET_FAULTS_OUT="$PWD/.faults/records.jsonl"
: > "$MINI_KUBELET_FAULTS_OUT"
status=0
MINI_KUBELET_TEST_TIMEOUT_MS="${MINI_KUBELET_TEST_TIMEOUT_MS:-3600000}" bash scripts/test.sh \
  test/unit/cri-hung-call.test.ts test/unit/hostile-pods.test.ts \
  test/e2e/faults-control-plane.e2e.test.ts test/e2e/faults-agent-kill.e2e.test.ts test/e2e/faults-node.e2e.test.ts \
  test/e2e/faults-token.e2e.test.ts test/e2e/hostile-pods.e2e.test.ts || status=$?
node --import tsx scripts/faults-table.ts "$MINI_KUBELET_FAULTS_OUT" | tee .faults/table.md
exit $status
