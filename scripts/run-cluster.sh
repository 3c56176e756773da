#!/usr/bin/env bash
# `npm run start:cluster`: the dev runtime, the local control plane, this node's credentials, a build, then mini-kubelet joined to the cluster.
#
# The node name is $NODE_NAME, else the host name (lower case). Extra arguments go to
# mini-kubelet: `npm run start:cluster -- --v 4` (a flag given again wins). Ctrl-C stops
# mini-kubelet only; the runtime and the control plane keep running (`npm run cluster:down`,
# `npm run runtime:down`).
#
# The node API (kubectl logs, exec, port-forward) listens on loopback (--address 127.0.0.1), so
# the node's InternalIP is 127.0.0.1 too (the API server dials it there), and the cluster's CA is
# --client-ca-file (the API server's kubelet client certificate authenticates with it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/deps.sh
endpoint=$(bash scripts/runtime/up.sh | tail -n 1)
endpoint=${endpoint#CONTAINER_RUNTIME_ENDPOINT=}
admin=$(bash scripts/cluster/up.sh | tail -n 1)
admin=${admin#KUBECONFIG=}
cluster_ca="$(dirname "$(dirname "$admin")")/pki/ca.crt"
node_name=${NODE_NAME:-$(hostname)}
node_name=${node_name,,}
node_kubeconfig=$(bash scripts/cluster/node-credentials.sh "$node_name" | tail -n 1)
echo "[run] build: npm run build" >&2
npm run --silent build >&2
cat >&2 <<EOF_HELP
[run] mini-kubelet joins the cluster as node $node_name. In another terminal:
[run]   export KUBECONFIG=$admin
[run]   kubectl get nodes
EOF_HELP
exec bin/mini-kubelet.js --kubeconfig "$node_kubeconfig" --hostname-override "$node_name" \
  --node-ip 127.0.0.1 --client-ca-file "$cluster_ca" \
  --pod-manifest-path manifests --container-runtime-endpoint "$endpoint" "$@"
