#!/usr/bin/env bash
# Stops the control plane that scripts/cluster/up.sh started, found through its pid files.
#
#   --purge  then remove the whole cluster dir (PKI, etcd data, kubeconfigs, logs, ports)
# Processes this cluster dir did not start are never touched. With --leader-elect=false the
# scheduler exits 1 on SIGTERM: harmless.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
source "$here/components.sh"

purge=false
for arg in "$@"; do
  case $arg in
    --purge) purge=true ;;
    *) die "usage: down.sh [--purge]" ;;
  esac
done
if [[ ! -d $CLUSTER_DIR ]]; then
  log "nothing to stop: $CLUSTER_DIR does not exist"
  exit 0
fi
take_lock

# Clients first, so the API server has no control-plane watches left to close.
for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do
  stop_component "$name"
done

if $purge; then
  log "removing $CLUSTER_DIR"
  rm -rf "$CLUSTER_DIR"
fi
log "down"
