#!/usr/bin/env bash
# Starts the dev runtime: containerd with CRI, a loopback registry and the test images. Idempotent.
#
# Progress goes to stderr; the last (and only) line on stdout is
#   CONTAINER_RUNTIME_ENDPOINT=unix://<socket>
# Set MINI_KUBELET_RUNTIME_DIR to place the runtime elsewhere than <repo>/.runtime.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
source "$here/config.sh"
source "$here/registry.sh"
source "$here/containerd.sh"

started=$SECONDS
need_root
ensure_packages containerd runc containernetworking-plugins busybox-static docker-registry skopeo \
  iptables iproute2 curl util-linux
need_node

# sun_path holds 107 bytes; containerd also listens on "<socket>.ttrpc".
if ((${#SOCK} + 6 > 100)); then
  die "socket path $SOCK is too long for a unix socket (${#SOCK} chars); set MINI_KUBELET_RUNTIME_DIR to a shorter directory"
fi

mkdir -p "$ETC_DIR" "$LOG_DIR" "$RUN_DIR" "$IMAGES_DIR" "$CONTAINERD_DIR"
# One up.sh at a time per runtime dir: parallel test files may all call it at once.
exec 9>"$RUN_DIR/up.lock"
flock -w 600 9 || die "another up.sh holds $RUN_DIR/up.lock"

write_containerd_config || true
write_cni_config "$(pod_subnet)" || true
write_registry_hosts
write_registry_config

start_registry
build_and_push_images
start_containerd
version=$(node "$here/cri.mjs" "$SOCK" wait-ready 30) || {
  tail -n 30 "$LOG_DIR/containerd.log" >&2
  die "containerd answers but its CRI is not ready (see $LOG_DIR/containerd.log)"
}
import_pause_image

log "ready in $((SECONDS - started))s: $version on $SOCK, registry http://$REGISTRY_ADDR, runtime dir $RUNTIME_DIR"
echo "CONTAINER_RUNTIME_ENDPOINT=unix://$SOCK"
