# containerd for the dev runtime (sourced by up.sh): leftovers, start, restart on a new config.

CONTAINERD_CONFIG_STAMP="$RUN_DIR/containerd.config.sha256"

# Containers and shims whose bundle under our state dir has vanished (the state was wiped under
# them): containerd will never adopt them again, so nobody else would end them. Containers whose
# bundle still exists are left alone; containerd reconnects to their shims when it starts.
# With `all` (down.sh --purge, containerd stopped), every container and shim of ours goes.
reap_orphans() {
  local all=${1:-} id pid status bundle rest p args i ns shim_id address
  if [[ -d $RUNC_ROOT ]]; then
    while read -r id pid status bundle rest; do
      [[ $bundle == "$STATE_DIR/"* ]] || continue
      [[ $all == all || ! -d $bundle ]] || continue
      log "containerd: removing container $id left behind"
      runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
    done < <(runc --root "$RUNC_ROOT" list 2>/dev/null | tail -n +2)
  fi
  for p in /proc/[0-9]*; do
    [[ $(cat "$p/comm" 2>/dev/null) == containerd-shim* ]] || continue
    mapfile -d '' args <"$p/cmdline" 2>/dev/null || continue
    ns='' shim_id='' address=''
    for ((i = 0; i < ${#args[@]} - 1; i++)); do
      case ${args[i]} in
        -namespace) ns=${args[i + 1]} ;;
        -id) shim_id=${args[i + 1]} ;;
        -address) address=${args[i + 1]} ;;
      esac
    done
    [[ $address == "$SOCK" && -n $shim_id ]] || continue
    [[ $all != all && -d $STATE_DIR/io.containerd.runtime.v2.task/$ns/$shim_id ]] && continue
    log "containerd: stopping shim ${p#/proc/} of $shim_id left behind"
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
}

config_sha() { sha256sum "$CONTAINERD_CONFIG" | cut -d' ' -f1; }

# Starts containerd unless our socket already answers with the current config. A restart keeps
# running pods: their shims outlive containerd and are adopted again from the state dir.
start_containerd() {
  local pid
  pid=$(pid_of_ours "$CONTAINERD_PID" "$CONTAINERD_CONFIG") || pid=''
  if [[ -n $pid ]] && ! containerd_answers; then
    # Ours and alive but silent: still starting (give it a moment), or hung.
    if ! wait_until 20 containerd_answers; then
      log "containerd: pid $pid does not answer, restarting it"
      stop_pid "$pid" containerd
      pid=''
    fi
  fi
  if containerd_answers; then
    [[ $(cat "$CONTAINERD_CONFIG_STAMP" 2>/dev/null) == "$(config_sha)" ]] && return 0
    if [[ -z $pid ]]; then
      log "containerd: answering on $SOCK but not started by up.sh; its config may be stale"
      return 0
    fi
    log "containerd: config changed, restarting pid $pid (running pods survive)"
    stop_pid "$pid" containerd
  fi
  rm -f "$CONTAINERD_PID"
  if [[ -e $SOCK ]]; then
    log "containerd: removing stale socket $SOCK"
    rm -f "$SOCK" "$SOCK.ttrpc"
  fi
  reap_orphans
  log "containerd: starting (log $LOG_DIR/containerd.log)"
  config_sha >"$CONTAINERD_CONFIG_STAMP"
  start_daemon "$CONTAINERD_PID" "$LOG_DIR/containerd.log" containerd --config "$CONTAINERD_CONFIG"
  wait_until 30 containerd_answers || {
    tail -n 30 "$LOG_DIR/containerd.log" >&2
    die "containerd did not answer on $SOCK within 30s"
  }
}
