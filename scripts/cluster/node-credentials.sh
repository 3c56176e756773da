#!/usr/bin/env bash
# Mints a node's client credentials: a kubeconfig whose certificate says CN system:node:NAME, O system:nodes.
#
#   node-credentials.sh NODE_NAME
# The Node authorizer and the NodeRestriction admission plugin then treat its holder as node
# NODE_NAME. Signed by the cluster CA, so run up.sh once first. A rerun reuses the certificate
# while it is valid. The last line on stdout is the kubeconfig's absolute path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
source "$here/pki.sh"

(($# == 1)) || die "usage: node-credentials.sh NODE_NAME"
name=$1
# A Node's name is a DNS subdomain (RFC 1123): lower case, digits, '-' and '.'.
if ((${#name} > 253)) || [[ ! $name =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]]; then
  die "invalid node name '$name': a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'), at most 253 characters"
fi
[[ -s $PKI_DIR/ca.key && -s $PORTS_FILE ]] || die "no cluster in $CLUSTER_DIR yet: run 'npm run cluster:up' first"
take_lock
load_ports
node_kubeconfig "$name"
