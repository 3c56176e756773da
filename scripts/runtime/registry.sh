# The local registry and the test images in it (sourced by up.sh): start, build, push.

REGISTRY_ACCEPT='application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json'

# Starts docker-registry on 127.0.0.1:5000 unless something already answers /v2/ there (for
# instance the registry of another checkout: it serves the same names, so it is reused).
start_registry() {
  local pid
  if registry_answers; then
    pid_of_ours "$REGISTRY_PID" "$REGISTRY_CONFIG" >/dev/null || log "registry: reusing the one already on $REGISTRY_ADDR"
    return 0
  fi
  if pid=$(pid_of_ours "$REGISTRY_PID" "$REGISTRY_CONFIG"); then
    log "registry: pid $pid is ours but not answering, restarting it"
    stop_pid "$pid" registry
  fi
  rm -f "$REGISTRY_PID"
  log "registry: starting on $REGISTRY_ADDR (log $LOG_DIR/registry.log)"
  start_daemon "$REGISTRY_PID" "$LOG_DIR/registry.log" docker-registry serve "$REGISTRY_CONFIG"
  wait_until 15 registry_answers || {
    tail -n 20 "$LOG_DIR/registry.log" >&2
    die "registry did not answer on http://$REGISTRY_ADDR/v2/ (port taken?)"
  }
}

# registry_digest REPO:TAG: the manifest digest the registry serves for it, or nothing.
registry_digest() {
  local repo=${1%:*} tag=${1##*:}
  curl -fsSI -m 5 -H "Accept: $REGISTRY_ACCEPT" "http://$REGISTRY_ADDR/v2/$repo/manifests/$tag" 2>/dev/null |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}

# Builds the archives (cheap when up to date) and pushes each one the registry lacks or holds
# in another version. The registry path drops the host: docker.io/library/busybox:1.36 is served
# as 127.0.0.1:5000/library/busybox:1.36, registry.k8s.io/pause:3.9 as 127.0.0.1:5000/pause:3.9.
build_and_push_images() {
  local list name ref digest archive path
  list=$(node "$REPO_DIR/scripts/images/build.mjs" "$IMAGES_DIR") || die "image build failed"
  while IFS=$'\t' read -r name ref digest archive; do
    path=${ref#*/}
    [[ $(registry_digest "$path") == "$digest" ]] && continue
    log "registry: pushing $ref as $REGISTRY_ADDR/$path"
    skopeo --policy "$ETC_DIR/policy.json" copy --quiet --dest-tls-verify=false \
      "oci-archive:$archive" "docker://$REGISTRY_ADDR/$path" >&2
  done <<<"$list"
}

# containerd_image_digest REF: the target digest containerd's k8s.io namespace has for REF.
containerd_image_digest() {
  ctr -a "$SOCK" -n k8s.io images ls "name==$1" 2>/dev/null | awk 'NR > 1 { print $3 }'
}

# The sandbox image must be local: import it, so no pod start ever has to pull it.
import_pause_image() {
  local stamp ref digest
  stamp=$(<"$IMAGES_DIR/pause.key")
  ref=$(sed -E 's/.*"ref":"([^"]+)".*/\1/' <<<"$stamp")
  digest=$(sed -E 's/.*"digest":"([^"]+)".*/\1/' <<<"$stamp")
  [[ $(containerd_image_digest "$ref") == "$digest" ]] && return 0
  log "containerd: importing $ref into namespace k8s.io"
  ctr -a "$SOCK" -n k8s.io images import "$IMAGES_DIR/pause.tar" >/dev/null
}
