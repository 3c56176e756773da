# The control plane's four processes (sourced by up.sh and down.sh): command lines, health checks, start and stop.
#
# A start reuses a healthy process whose command line and input files are unchanged. Each *_cmd
# fills CMD. Flags follow kubeadm's static pods, all bound to 127.0.0.1; the README beside the
# shared binaries (../shared/k8s/README.md) says why each one is there.

# Sidecar containers (restartPolicy: Always on an init container) are alpha in 1.28: without the
# gate the API server drops the field, and the scheduler would not count their requests.
FEATURE_GATES=SidecarContainers=true

etcd_cmd() {
  CMD=(etcd --name=mini-kubelet --data-dir="$ETCD_DATA"
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT"
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT"
    --initial-cluster="mini-kubelet=http://127.0.0.1:$ETCD_PEER_PORT"
    --logger=zap --log-outputs=stderr)
}

apiserver_cmd() {
  CMD=("$K8S_BIN/kube-apiserver"
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT"
    --etcd-servers="http://127.0.0.1:$ETCD_PORT"
    --client-ca-file="$PKI_DIR/ca.crt"
    --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key"
    --kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt"
    --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key"
    --kubelet-preferred-address-types=InternalIP,Hostname
    --service-account-issuer=https://kubernetes.default.svc.cluster.local
    --service-account-key-file="$PKI_DIR/sa.pub" --service-account-signing-key-file="$PKI_DIR/sa.key"
    --service-cluster-ip-range="$SERVICE_CIDR"
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction
    --enable-bootstrap-token-auth --allow-privileged=true
    --requestheader-client-ca-file="$PKI_DIR/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group
    --requestheader-extra-headers-prefix=X-Remote-Extra-
    --proxy-client-cert-file="$PKI_DIR/front-proxy-client.crt" --proxy-client-key-file="$PKI_DIR/front-proxy-client.key"
    --feature-gates="$FEATURE_GATES"
    # Closes open watches on SIGTERM; by default they hold the exit for the 60s shutdown timeout.
    --shutdown-watch-termination-grace-period=5s
    # No control-plane endpoints to publish for the `kubernetes` Service: keeps it quiet.
    --endpoint-reconciler-type=none)
}

controller_manager_cmd() {
  local kubeconfig="$KUBECONFIGS_DIR/controller-manager.kubeconfig"
  CMD=("$K8S_BIN/kube-controller-manager"
    --kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig"
    --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" --leader-elect=false
    --controllers='*,bootstrapsigner,tokencleaner' --use-service-account-credentials=true
    --service-account-private-key-file="$PKI_DIR/sa.key" --root-ca-file="$PKI_DIR/ca.crt"
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key"
    --feature-gates="$FEATURE_GATES"
    # Its default is under /usr/libexec, outside the cluster dir.
    --flex-volume-plugin-dir="$CLUSTER_DIR/flexvolume")
}

scheduler_cmd() {
  local kubeconfig="$KUBECONFIGS_DIR/scheduler.kubeconfig"
  CMD=("$K8S_BIN/kube-scheduler"
    --kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig"
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false
    --feature-gates="$FEATURE_GATES")
}

etcd_healthy() { curl -fsS -m 2 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; }
# As the admin: /readyz says whether etcd and the post-start hooks (bootstrap RBAC roles, ...) are done.
api() { curl -fsS -m 5 --cacert "$PKI_DIR/ca.crt" --cert "$PKI_DIR/admin.crt" --key "$PKI_DIR/admin.key" "$APISERVER_URL$1" 2>/dev/null; }
apiserver_ready() { api /readyz >/dev/null; }
# /healthz is always allowed on their secure ports; their serving certs are self-signed.
controller_manager_healthy() { curl -fsSk -m 2 -o /dev/null "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz" 2>/dev/null; }
scheduler_healthy() { curl -fsSk -m 2 -o /dev/null "https://127.0.0.1:$SCHEDULER_PORT/healthz" 2>/dev/null; }

# The command line plus a hash of every file it names: a new flag, another binary directory or a
# reissued certificate then restarts the component.
cmd_stamp() {
  local a
  printf '%s\n' "${CMD[@]}"
  for a in "${CMD[@]}"; do
    [[ $a == --*=/* && -f ${a#*=} ]] && sha256sum "${a#*=}"
  done
  return 0
}

port_listened() { [[ -n $(ss -Htln "sport = :$1") ]]; }

# start_component NAME CHECK PORT: launches CMD unless our process for NAME is alive, healthy and
# was started with the same stamp; await_component then waits for a launched one, so that
# components that do not need each other come up side by side. Never touches a process this
# cluster dir did not start.
start_component() {
  local name=$1 check=$2 port=$3 pidfile="$CLUSTER_RUN/$1.pid" stampfile="$CLUSTER_RUN/$1.stamp" pid stamp
  stamp=$(cmd_stamp)
  if pid=$(pid_of_ours "$pidfile" "$CLUSTER_DIR/"); then
    if [[ $(cat "$stampfile" 2>/dev/null) != "$stamp" ]]; then
      step "$name: flags or files changed, restarting pid $pid"
    elif wait_until 30 "$check"; then
      step "$name: running (pid $pid), reused"
      return 0
    else
      step "$name: pid $pid not healthy after 30s, restarting it"
    fi
    stop_pid "$pid" "$name"
  fi
  if port_listened "$port"; then
    die "$name: port 127.0.0.1:$port (kept in $PORTS_FILE) is taken by a process this cluster dir did not start; stop it, or run 'npm run cluster:down -- --purge' to start afresh on new ports"
  fi
  printf '%s\n' "$stamp" >"$stampfile"
  start_daemon "$pidfile" "$CLUSTER_LOGS/$name.log" "${CMD[@]}"
  LAUNCHED+=("$name:$port")
}

# await_component NAME CHECK: if start_component launched NAME, waits until CHECK passes.
await_component() {
  local name=$1 check=$2 entry
  for entry in "${LAUNCHED[@]}"; do
    [[ ${entry%%:*} == "$name" ]] || continue
    wait_until 90 "$check" || {
      tail -n 20 "$CLUSTER_LOGS/$name.log" >&2
      die "$name did not become healthy within 90s (log: $CLUSTER_LOGS/$name.log)"
    }
    step "$name: started (pid $(<"$CLUSTER_RUN/$name.pid"), port ${entry#*:}, log $CLUSTER_LOGS/$name.log)"
  done
}
LAUNCHED=()

# stop_component NAME: stops our process for NAME, if alive.
stop_component() {
  local pid
  if pid=$(pid_of_ours "$CLUSTER_RUN/$1.pid" "$CLUSTER_DIR/"); then
    log "$1: stopping pid $pid"
    stop_pid "$pid" "$1"
  fi
  rm -f "$CLUSTER_RUN/$1.pid"
}
