# Writes the dev runtime's config files (sourced by up.sh): containerd, CNI, registry hosts, registry.
#
# Files are rewritten only when their content changes (write_file, lib.sh), so a rerun touches
# nothing and up.sh can tell whether a running containerd must restart to pick up a new config.

# A /24 for pods, stable per runtime dir (kept in etc/pod-subnet) and overlapping no host route.
# Different runtime dirs start from different offsets so two checkouts rarely meet.
pod_subnet() {
  local file="$ETC_DIR/pod-subnet" n i subnet
  if [[ -s $file ]]; then
    cat "$file"
    return
  fi
  n=$(printf %s "$RUNTIME_DIR" | cksum | cut -d' ' -f1)
  for ((i = 0; i < 250; i++)); do
    subnet="10.213.$(((n + i) % 250 + 1)).0/24"
    # `root` lists routes inside the prefix, `match` those containing it (the default route aside).
    if [[ -z $(ip -4 route show root "$subnet") && -z $(ip -4 route show match "$subnet" | grep -v '^default') ]]; then
      echo "$subnet" | tee "$file"
      return
    fi
  done
  die "no free /24 in 10.213.0.0/16 for pods"
}

# containerd: own root/state/socket; the CRI plugin tuned for these VMs (see docs/development.md).
write_containerd_config() {
  write_file "$CONTAINERD_CONFIG" <<EOF
# Written by scripts/runtime/up.sh; edits are overwritten.
version = 2
root = "$CONTAINERD_DIR/root"
state = "$STATE_DIR"
# Snapshotters and plugins that cannot work here and only add errors to the log.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CONTAINERD_DIR/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  # No CAP_SYS_RESOURCE here: runc cannot lower oom_score_adj to -998 for the sandbox.
  restrict_oom_score_adj = true
  # Network namespaces under our state dir rather than /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # cgroup v1 through cgroupfs: there is no systemd here.
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    # Debian's containernetworking-plugins install here, not in /opt/cni/bin.
    bin_dir = "/usr/lib/cni"
    conf_dir = "$ETC_DIR/cni"
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".registry]
    # hosts.toml per registry; never mirrors.*.endpoint, which falls back to the real registry.
    config_path = "$ETC_DIR/certs.d"
EOF
}

# One bridge network. The CRI plugin adds the loopback network itself (go-cni WithLoNetwork),
# so `loopback` is not chained here: a chained loopback would run against eth0.
write_cni_config() {
  local subnet=$1 bridge
  bridge="mkube$(cut -d. -f3 <<<"$subnet")"
  mkdir -p "$ETC_DIR/cni" "$RUNTIME_DIR/cni/ipam"
  write_file "$ETC_DIR/cni/10-mini-kubelet.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mini-kubelet",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$subnet" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$RUNTIME_DIR/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# Every registry name is served by the local registry, so no pull can leave the machine:
# the names tests use, plus _default for any other host.
write_registry_hosts() {
  local host
  for host in docker.io registry.k8s.io "$REGISTRY_ADDR" _default; do
    mkdir -p "$ETC_DIR/certs.d/$host"
    write_file "$ETC_DIR/certs.d/$host/hosts.toml" <<EOF || true
server = "http://$REGISTRY_ADDR"

[host."http://$REGISTRY_ADDR"]
  capabilities = ["pull", "resolve"]
EOF
  done
}

# distribution's config: loopback only (Debian's default listens on all interfaces). No in-memory blob
# cache: other runtime dirs may reuse this registry, and after its storage is wiped a cached
# "blob exists" would let a push skip the upload and leave images that cannot be pulled.
write_registry_config() {
  mkdir -p "$RUNTIME_DIR/registry"
  write_file "$REGISTRY_CONFIG" <<EOF || true
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $RUNTIME_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  write_file "$ETC_DIR/policy.json" <<EOF || true
{ "default": [{ "type": "insecureAcceptAnything" }] }
EOF
}
