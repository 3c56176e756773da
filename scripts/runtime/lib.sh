# Paths and small helpers shared by the dev runtime scripts (sourced by up.sh and down.sh, never run).
#
# Everything lives under one directory, $MINI_KUBELET_RUNTIME_DIR (default <repo>/.runtime), so
# two checkouts on one machine keep apart, and `down.sh --purge` can remove it all.

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNTIME_DIR="${MINI_KUBELET_RUNTIME_DIR:-$REPO_DIR/.runtime}"
[[ $RUNTIME_DIR == /* ]] || RUNTIME_DIR="$PWD/$RUNTIME_DIR"
RUNTIME_DIR="${RUNTIME_DIR%/}"

SOCK="$RUNTIME_DIR/containerd.sock"
ETC_DIR="$RUNTIME_DIR/etc"             # containerd.toml, registry.yml, policy.json, certs.d/, cni/
LOG_DIR="$RUNTIME_DIR/log"             # containerd.log, registry.log
RUN_DIR="$RUNTIME_DIR/run"             # pid files and the lock
IMAGES_DIR="$RUNTIME_DIR/images"       # the built OCI archives
CONTAINERD_DIR="$RUNTIME_DIR/containerd"
STATE_DIR="$CONTAINERD_DIR/state"
CONTAINERD_CONFIG="$ETC_DIR/containerd.toml"
REGISTRY_CONFIG="$ETC_DIR/registry.yml"
CONTAINERD_PID="$RUN_DIR/containerd.pid"
REGISTRY_PID="$RUN_DIR/registry.pid"
REGISTRY_ADDR="127.0.0.1:5000"
# The runc v2 shim keeps runc state here whatever `state` says (one per containerd namespace).
RUNC_ROOT="/run/containerd/runc/k8s.io"

log() { printf '[runtime] %s\n' "$*" >&2; }
die() { printf '[runtime] error: %s\n' "$*" >&2; exit 1; }

need_root() {
  [[ $(id -u) == 0 ]] || die "must run as root (containerd, CNI and mounts need it)"
}

# Installs the Debian packages that are missing; a rerun with all present costs one dpkg-query.
ensure_packages() {
  local missing=() installed p
  # One dpkg-query for all (a package it does not know is simply absent from its output).
  installed=" $(dpkg-query -W -f='${Package}=${db:Status-Status} ' "$@" 2>/dev/null || true)"
  for p in "$@"; do
    [[ $installed == *" $p=installed "* ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]} (apt-get update first)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

need_node() {
  command -v node >/dev/null || die "node (>= 20) is required; install Node.js 20 first"
  local major
  major=$(node --version | sed -E 's/^v([0-9]+).*/\1/')
  ((major >= 20)) || die "node >= 20 is required, found $(node -v)"
}

# Prints the pid in PIDFILE if that process is alive and its command line contains MARK (our own
# config path): a recycled pid, or another checkout's daemon, is never taken for ours.
pid_of_ours() {
  local pidfile=$1 mark=$2 pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark" || return 1
  echo "$pid"
}

# stop_pid PID NAME: SIGTERM, then SIGKILL after 10 s.
stop_pid() {
  local pid=$1 name=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    [[ -d /proc/$pid ]] || return 0
    sleep 0.1
  done
  log "$name ($pid) ignored SIGTERM for 10s, killing"
  kill -KILL "$pid" 2>/dev/null || true
}

# start_daemon PIDFILE LOGFILE CMD...: detached from this shell (no init system will do it),
# in its own session so a Ctrl-C on the caller does not take it down. Fd 9 (up.sh's lock) is
# closed: a daemon inheriting it, and its children (shims), would hold the lock forever.
start_daemon() {
  local pidfile=$1 logfile=$2
  shift 2
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  echo $! >"$pidfile"
}

registry_answers() { curl -fsS -m 2 -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null; }
containerd_answers() { [[ -S $SOCK ]] && timeout 5 ctr -a "$SOCK" version >/dev/null 2>&1; }

# write_file FILE: stdin to FILE if different; returns 0 when it changed (mktemp: mode 0600).
write_file() {
  local file=$1 tmp
  tmp=$(mktemp "$file.XXXXXX")
  cat >"$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$file"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
