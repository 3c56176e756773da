# Paths, ports and binaries of the local control plane (sourced by the cluster scripts, never run).
#
# Everything lives under one directory, $MINI_KUBELET_CLUSTER_DIR (default <repo>/.cluster), so
# several checkouts can each run a cluster on one machine and `down.sh --purge` can remove it all.
# The generic helpers (pid_of_ours, start_daemon, stop_pid, wait_until, write_file,
# ensure_packages) are the dev runtime's.

source "$(dirname "${BASH_SOURCE[0]}")/../runtime/lib.sh"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

CLUSTER_DIR="${MINI_KUBELET_CLUSTER_DIR:-$REPO_DIR/.cluster}"
[[ $CLUSTER_DIR == /* ]] || CLUSTER_DIR="$PWD/$CLUSTER_DIR"
CLUSTER_DIR="${CLUSTER_DIR%/}"

PKI_DIR="$CLUSTER_DIR/pki"               # ca, apiserver, clients, sa key pair; nodes/<name>.*
KUBECONFIGS_DIR="$CLUSTER_DIR/kubeconfigs"
CLUSTER_LOGS="$CLUSTER_DIR/logs"         # one <component>.log each
CLUSTER_RUN="$CLUSTER_DIR/run"           # <component>.pid, <component>.stamp, the lock
ETCD_DATA="$CLUSTER_DIR/etcd"
PORTS_FILE="$CLUSTER_DIR/ports"          # picked on the first up, kept for later ones
ADMIN_KUBECONFIG="$KUBECONFIGS_DIR/admin.kubeconfig"
SERVICE_CIDR="10.96.0.0/16"
FIRST_SERVICE_IP="10.96.0.1"
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler)

# Steps log the seconds since the script started.
T0=${EPOCHREALTIME/[.,]/}
step() {
  local us=$((${EPOCHREALTIME/[.,]/} - T0))
  printf '[cluster] %3d.%02ds %s\n' $((us / 1000000)) $((us % 1000000 / 10000)) "$*" >&2
}

# The directory holding the three control-plane binaries: $MINI_KUBELET_K8S_BIN, else the one
# on the PATH that holds kube-apiserver. Prints it, or an error line and returns 1.
k8s_bin_dir() {
  local dir c
  if [[ -n ${MINI_KUBELET_K8S_BIN:-} ]]; then
    dir=$MINI_KUBELET_K8S_BIN
    for c in "${COMPONENTS[@]}"; do
      [[ -x $dir/$c ]] || { echo "MINI_KUBELET_K8S_BIN=$dir holds no executable $c"; return 1; }
    done
  else
    c=$(command -v kube-apiserver) || {
      echo "kube-apiserver not found (set MINI_KUBELET_K8S_BIN to a directory holding kube-apiserver, kube-controller-manager and kube-scheduler)"
      return 1
    }
    dir=$(dirname "$c")
    for c in kube-controller-manager kube-scheduler; do
      [[ -x $dir/$c ]] || { echo "$c not found beside $dir/kube-apiserver (set MINI_KUBELET_K8S_BIN)"; return 1; }
    done
  fi
  (cd "$dir" && pwd)
}

# kubectl: the one beside the control plane (a Kubernetes release's server/bin has it), else PATH.
# Prints it, or an error line and returns 1.
kubectl_bin() {
  local dir
  dir=$(k8s_bin_dir) && [[ -x $dir/kubectl ]] && { echo "$dir/kubectl"; return; }
  command -v kubectl || { echo "kubectl not found on the PATH or in MINI_KUBELET_K8S_BIN"; return 1; }
}

# Loopback ports: picked once per cluster dir (kept in $PORTS_FILE), so kubeconfigs stay valid
# and reruns are stable. Blocks of 5 in 20000-29999, below the kernel's ephemeral range, from an
# offset hashed from the dir so that two checkouts rarely try the same block.
load_ports() {
  if [[ ! -s $PORTS_FILE ]]; then
    local n i j base listening taken
    n=$(printf %s "$CLUSTER_DIR" | cksum | cut -d' ' -f1)
    listening=" $(ss -Htln | awk '{ sub(/.*:/, "", $4); printf "%s ", $4 }')"
    for ((i = 0; i < 2000; i++)); do
      base=$((20000 + (n + i) % 2000 * 5))
      taken=false
      for ((j = 0; j < 5; j++)); do [[ $listening == *" $((base + j)) "* ]] && taken=true; done
      $taken && continue
      printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\nCONTROLLER_MANAGER_PORT=%s\nSCHEDULER_PORT=%s\n' \
        "$base" $((base + 1)) $((base + 2)) $((base + 3)) $((base + 4)) >"$PORTS_FILE"
      break
    done
    [[ -s $PORTS_FILE ]] || die "no 5 free loopback ports in 20000-29999"
  fi
  source "$PORTS_FILE"
  APISERVER_URL="https://127.0.0.1:$APISERVER_PORT"
}

# One up (or down, or mint) at a time per cluster dir.
take_lock() {
  mkdir -p "$CLUSTER_RUN"
  exec 9>"$CLUSTER_RUN/lock"
  flock -w 600 9 || die "another cluster script holds $CLUSTER_RUN/lock"
}
