#!/usr/bin/env bash
# Starts a local Kubernetes control plane on 127.0.0.1 (etcd, kube-apiserver, kube-controller-manager, kube-scheduler). Idempotent.
#
# The binaries come from $MINI_KUBELET_K8S_BIN (a directory holding kube-apiserver,
# kube-controller-manager and kube-scheduler), else from the PATH; etcd is Debian's etcd-server.
# State lives in $MINI_KUBELET_CLUSTER_DIR (default <repo>/.cluster). A rerun reuses every
# healthy component and restarts only what is dead or whose flags changed.
#
# Progress goes to stderr; the last line on stdout is
#   KUBECONFIG=<admin kubeconfig>
# `up.sh --check` starts nothing: it prints K8S_BIN=<dir> and KUBECTL=<path>, or one line saying
# what is missing and exits 1 (the e2e test support asks it before skipping).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
source "$here/pki.sh"
source "$here/components.sh"

case ${1:-} in
  '') ;;
  --check)
    K8S_BIN=$(k8s_bin_dir) && KUBECTL=$(kubectl_bin) || { echo "${KUBECTL:-$K8S_BIN}"; exit 1; }
    printf 'K8S_BIN=%s\nKUBECTL=%s\n' "$K8S_BIN" "$KUBECTL"
    exit 0 ;;
  *) die "usage: up.sh [--check]" ;;
esac
K8S_BIN=$(k8s_bin_dir) || die "$K8S_BIN"
if ! command -v etcd >/dev/null && [[ $(id -u) != 0 ]]; then
  die "etcd not found: install Debian's etcd-server (apt-get install etcd-server), or run as root"
fi
ensure_packages etcd-server openssl curl iproute2 util-linux
KUBECTL=$(kubectl_bin) || die "$KUBECTL"

mkdir -p "$CLUSTER_LOGS" "$CLUSTER_RUN" "$CLUSTER_DIR/flexvolume"
take_lock
load_ports
ensure_pki
step "pki: ready in $PKI_DIR"

etcd_cmd
start_component etcd etcd_healthy "$ETCD_PORT"
await_component etcd etcd_healthy
apiserver_cmd
start_component kube-apiserver apiserver_ready "$APISERVER_PORT"
await_component kube-apiserver apiserver_ready
controller_manager_cmd
start_component kube-controller-manager controller_manager_healthy "$CONTROLLER_MANAGER_PORT"
scheduler_cmd
start_component kube-scheduler scheduler_healthy "$SCHEDULER_PORT"

# The TLS-bootstrap bindings, applied once per cluster dir (and again when the file changes).
rbac_stamp=$(sha256sum "$here/bootstrap-rbac.yaml")
if [[ $(cat "$CLUSTER_RUN/rbac.stamp" 2>/dev/null) != "$rbac_stamp" ]]; then
  "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" apply -f "$here/bootstrap-rbac.yaml" >&2
  echo "$rbac_stamp" >"$CLUSTER_RUN/rbac.stamp"
  step "rbac: TLS-bootstrap bindings applied"
fi
await_component kube-controller-manager controller_manager_healthy
await_component kube-scheduler scheduler_healthy

# Usable at once: pods need their namespace's `default` ServiceAccount (the ServiceAccount
# admission plugin), which the controller manager creates a few seconds after its first start.
wait_until 60 api /api/v1/namespaces/default/serviceaccounts/default >/dev/null ||
  die "the default ServiceAccount did not appear within 60s (log: $CLUSTER_LOGS/kube-controller-manager.log)"
step "default ServiceAccount: present"

step "ready: $APISERVER_URL ($("$K8S_BIN/kube-apiserver" --version)), binaries $K8S_BIN, cluster dir $CLUSTER_DIR"
echo "KUBECONFIG=$ADMIN_KUBECONFIG"
