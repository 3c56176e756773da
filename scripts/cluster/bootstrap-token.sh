#!/usr/bin/env bash
# Mints a bootstrap token (as `kubeadm token create` does) and writes a kubeconfig that uses it.
#
#   bootstrap-token.sh [--ttl DURATION]     DURATION like 30m, 24h (the default) or 0 (never expires)
# The token is a bootstrap-token-<id> Secret in kube-system that authenticates as
# system:bootstrap:<id>, groups system:bootstrappers and
# system:bootstrappers:kubeadm:default-node-token. up.sh's TLS-bootstrap bindings let it create a
# node client CSR, which the controller manager approves and signs. The cluster must be up. The
# last line on stdout is the bootstrap kubeconfig's absolute path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
source "$here/pki.sh"

ttl=24h
while (($# > 0)); do
  case $1 in
    --ttl) ttl=${2:-}; shift 2 || die "--ttl needs a value" ;;
    *) die "usage: bootstrap-token.sh [--ttl DURATION]" ;;
  esac
done
expiration=''
if [[ $ttl =~ ^([0-9]+)([smh])$ ]]; then
  declare -A units=([s]=seconds [m]=minutes [h]=hours)
  expiration=$(date -u -d "+${BASH_REMATCH[1]} ${units[${BASH_REMATCH[2]}]}" +%Y-%m-%dT%H:%M:%SZ)
elif [[ $ttl != 0 ]]; then
  die "bad --ttl '$ttl': a number with s, m or h (30m, 24h), or 0 for a token that never expires"
fi
[[ -s $ADMIN_KUBECONFIG && -s $PORTS_FILE ]] || die "no cluster in $CLUSTER_DIR yet: run 'npm run cluster:up' first"
load_ports

# [a-z0-9]{6}.[a-z0-9]{16}, as the bootstrap token authenticator requires (hex is a subset).
id=$(openssl rand -hex 3)
secret=$(openssl rand -hex 8)
args=(--namespace kube-system create secret generic "bootstrap-token-$id" --type bootstrap.kubernetes.io/token
  --from-literal=token-id="$id" --from-literal=token-secret="$secret"
  --from-literal=usage-bootstrap-authentication=true --from-literal=usage-bootstrap-signing=true
  --from-literal=auth-extra-groups=system:bootstrappers:kubeadm:default-node-token
  --from-literal=description="made by scripts/cluster/bootstrap-token.sh")
[[ -z $expiration ]] || args+=(--from-literal=expiration="$expiration")
kubectl=$(kubectl_bin) || die "$kubectl"
"$kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "${args[@]}" >&2

mkdir -p "$KUBECONFIGS_DIR"
write_kubeconfig "$KUBECONFIGS_DIR/bootstrap-$id.kubeconfig" "system:bootstrap:$id" --token "$id.$secret"
