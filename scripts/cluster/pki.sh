# The cluster's PKI and kubeconfigs, made with openssl (sourced by the cluster scripts).
#
# Keys are ECDSA P-256 (quick to make; every component and client-node accept them). A file is
# made only when missing, or, for a certificate, when it expires within 30 days or no longer
# chains to the CA, so a rerun costs one `openssl verify` and changes nothing.

new_key() {
  [[ -s $1 ]] && return 0
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
}

# ensure_ca BASE CN: a self-signed CA, BASE.crt and BASE.key.
ensure_ca() {
  [[ -s $1.key ]] || rm -f "$1.crt"
  new_key "$1.key"
  [[ -s $1.crt ]] && return 0
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -out "$1.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign,cRLSign" 2>/dev/null
}

# The service-account token key pair (the API server verifies, the controller manager signs).
ensure_sa_keys() {
  new_key "$PKI_DIR/sa.key"
  [[ -s $PKI_DIR/sa.pub ]] || openssl pkey -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
}

# check_certs CA FILE...: adds to VALID_CERTS those of FILE that chain to CA.crt and are still
# valid 30 days from now (one openssl call for all).
check_certs() {
  local ca=$1 files=() f
  shift
  for f in "$@"; do [[ -s $f ]] && files+=("$f"); done
  ((${#files[@]} > 0)) || return 0
  VALID_CERTS+=$(openssl verify -attime $(($(date +%s) + 2592000)) -CAfile "$ca.crt" "${files[@]}" 2>/dev/null |
    sed -n 's/: OK$//p' || true)$'\n'
}

# ensure_cert CA BASE SUBJECT serverAuth|clientAuth [SANS]: BASE.crt and BASE.key signed by CA,
# kept if check_certs found BASE.crt valid.
ensure_cert() {
  local ca=$1 base=$2 subject=$3 usage=$4 sans=${5:-}
  [[ -s $base.key ]] && grep -qxF "$base.crt" <<<"$VALID_CERTS" && return 0
  rm -f "$base.key"
  new_key "$base.key"
  openssl req -new -key "$base.key" -subj "$subject" 2>/dev/null |
    openssl x509 -req -CA "$ca.crt" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 365 -out "$base.crt" -extfile <(
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$usage"
        [[ -z $sans ]] || echo "subjectAltName=$sans"
      ) 2>/dev/null
}

b64() { base64 -w0 <"$1"; }

# write_kubeconfig FILE USER (--cert BASE | --token TOKEN): a self-contained kubeconfig (data
# embedded, so it can be copied anywhere on this machine) for $APISERVER_URL. Prints FILE.
write_kubeconfig() {
  local file=$1 user=$2 credentials
  case $3 in
    --cert) credentials="    client-certificate-data: $(b64 "$4.crt")
    client-key-data: $(b64 "$4.key")" ;;
    --token) credentials="    token: $4" ;;
  esac
  write_file "$file" <<EOF || true
# Written by scripts/cluster ($(basename "$file")); rewritten on each run.
apiVersion: v1
kind: Config
clusters:
- name: mini-kubelet
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(b64 "$PKI_DIR/ca.crt")
users:
- name: $user
  user:
$credentials
contexts:
- name: $user@mini-kubelet
  context:
    cluster: mini-kubelet
    user: $user
current-context: $user@mini-kubelet
EOF
  echo "$file"
}

# Everything the control plane needs, with kubeadm's names and identities.
ensure_pki() {
  local ca="$PKI_DIR/ca" fp="$PKI_DIR/front-proxy-ca" c
  mkdir -p "$PKI_DIR" "$KUBECONFIGS_DIR"
  ensure_ca "$ca" mini-kubelet-ca
  # The aggregation layer's own CA: with it, the controller manager and the scheduler find the
  # request-header CA they look for (else they log a missing CA bundle every few seconds).
  ensure_ca "$fp" mini-kubelet-front-proxy-ca
  ensure_sa_keys
  VALID_CERTS=''
  check_certs "$ca" "$PKI_DIR"/{apiserver,apiserver-kubelet-client,admin,controller-manager,scheduler}.crt
  check_certs "$fp" "$PKI_DIR/front-proxy-client.crt"
  ensure_cert "$ca" "$PKI_DIR/apiserver" "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:$FIRST_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # The API server's identity towards a node's port (logs, exec, port-forward).
  ensure_cert "$ca" "$PKI_DIR/apiserver-kubelet-client" "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  ensure_cert "$ca" "$PKI_DIR/admin" "/O=system:masters/CN=kubernetes-admin" clientAuth
  ensure_cert "$fp" "$PKI_DIR/front-proxy-client" "/CN=front-proxy-client" clientAuth
  for c in controller-manager scheduler; do
    ensure_cert "$ca" "$PKI_DIR/$c" "/CN=system:kube-$c" clientAuth
    write_kubeconfig "$KUBECONFIGS_DIR/$c.kubeconfig" "system:kube-$c" --cert "$PKI_DIR/$c" >/dev/null
  done
  write_kubeconfig "$ADMIN_KUBECONFIG" kubernetes-admin --cert "$PKI_DIR/admin" >/dev/null
}

# node_kubeconfig NAME: client credentials of node NAME (CN system:node:NAME, O system:nodes), which
# the Node authorizer and NodeRestriction treat as that node. Prints the kubeconfig's path.
node_kubeconfig() {
  local name=$1
  mkdir -p "$PKI_DIR/nodes"
  VALID_CERTS=''
  check_certs "$PKI_DIR/ca" "$PKI_DIR/nodes/$name.crt"
  ensure_cert "$PKI_DIR/ca" "$PKI_DIR/nodes/$name" "/O=system:nodes/CN=system:node:$name" clientAuth
  write_kubeconfig "$KUBECONFIGS_DIR/node-$name.kubeconfig" "system:node:$name" --cert "$PKI_DIR/nodes/$name"
}
