#!/usr/bin/env bash
# Stops what scripts/runtime/up.sh started, found through its pid files: pods, containerd, registry.
#
#   --keep-pods  leave pod sandboxes running (their shims outlive containerd; up.sh adopts them again)
#   --purge      then remove the whole runtime dir (images, registry data, containerd root)
# Processes this runtime dir did not start (another checkout's registry, say) are never touched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
source "$here/containerd.sh"

keep_pods=false
purge=false
for arg in "$@"; do
  case $arg in
    --keep-pods) keep_pods=true ;;
    --purge) purge=true ;;
    *) die "usage: down.sh [--keep-pods] [--purge]" ;;
  esac
done
need_root
if [[ ! -d $RUNTIME_DIR ]]; then
  log "nothing to stop: $RUNTIME_DIR does not exist"
  exit 0
fi
mkdir -p "$RUN_DIR"
exec 9>"$RUN_DIR/up.lock"
flock -w 600 9 || die "an up.sh holds $RUN_DIR/up.lock"

if ! $keep_pods && containerd_answers; then
  log "containerd: removing pod sandboxes"
  node "$here/cri.mjs" "$SOCK" teardown >&2 || log "warning: could not remove every pod sandbox"
fi

if pid=$(pid_of_ours "$CONTAINERD_PID" "$CONTAINERD_CONFIG"); then
  log "containerd: stopping pid $pid"
  stop_pid "$pid" containerd
elif containerd_answers; then
  log "containerd on $SOCK was not started by up.sh: leaving it running"
fi
rm -f "$CONTAINERD_PID"

if pid=$(pid_of_ours "$REGISTRY_PID" "$REGISTRY_CONFIG"); then
  log "registry: stopping pid $pid"
  stop_pid "$pid" registry
fi
rm -f "$REGISTRY_PID"

if $purge; then
  if containerd_answers; then
    die "containerd still answers on $SOCK: not purging under a running daemon"
  fi
  reap_orphans all
  # Snapshot, rootfs and netns mounts live under the runtime dir; rm -rf cannot cross them.
  awk -v dir="$RUNTIME_DIR/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$(printf '%b' "$m")" 2>/dev/null || umount -l "$(printf '%b' "$m")" || true
  done
  # The pod bridge named in our conflist keeps its address and route until deleted.
  bridge=$(sed -nE 's/.*"bridge": *"([^"]+)".*/\1/p' "$ETC_DIR/cni/10-mini-kubelet.conflist" 2>/dev/null || true)
  if [[ -n $bridge ]] && ip link show "$bridge" >/dev/null 2>&1; then
    log "removing bridge $bridge"
    ip link del "$bridge" || true
  fi
  log "removing $RUNTIME_DIR"
  rm -rf "$RUNTIME_DIR"
fi
log "down"
