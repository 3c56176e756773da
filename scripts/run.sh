#!/usr/bin/env bash
# `npm start`: node deps, the dev runtime, a build, then mini-kubelet on manifests/ against it.
#
# Extra arguments go to mini-kubelet: `npm start -- --v 4`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh
endpoint=$(bash scripts/runtime/up.sh | tail -n 1)
endpoint=${endpoint#CONTAINER_RUNTIME_ENDPOINT=}
echo "[run] build: npm run build" >&2
npm run --silent build >&2
exec bin/mini-kubelet.js --pod-manifest-path manifests --container-runtime-endpoint "$endpoint" "$@"
