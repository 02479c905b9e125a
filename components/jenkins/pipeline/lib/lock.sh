# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here (DEPLOY_KEY, UNVERIFIED_FILE, ...) are the steps'
# The deploy lease of a service on a host. Sourced by lib.sh, never run.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib/lock.sh is sourced by the pipeline steps (through lib.sh), not run" >&2
  exit 64
fi

# --- the deploy lease -----------------------------------------------------------------------------
#
# Deploys of one service on a host are serialized by a lease, a file guarded by flock, that step 5
# (or release.sh) takes and step 6 releases, so two builds never interleave deploy and live tests.
# A lease older than DEPLOY_LEASE_TTL (a build aborted between steps 5 and 6) is taken over, and
# the switch it left unverified is rolled back first.
#
# Why a lease and not one flock held for the whole deploy: steps 5 and 6 are two processes (two
# `sh` steps of the Jenkinsfile, two scripts run one at a time from a terminal), and the lock must
# outlive step 5 so no other build deploys before step 6 has tested this one. A flock lives only as
# long as a process keeps its file open; holding it across the steps would take a process left
# running by step 5, which an aborted build does not reliably stop, so it would need the same TTL.
# flock guards each read and write of the lease file instead (with_lock).

deploy_names() {
  # What the lease serializes: the service's deploys on this stack's host (both slots).
  DEPLOY_KEY="${STACK}-${SERVICE}"
  LEASE_FILE="$CI_LOCK_DIR/${STACK}-${SERVICE}.lease"
  LOCK_FILE="$CI_LOCK_DIR/${STACK}-${SERVICE}.lock"
  UNVERIFIED_FILE="$CI_LOCK_DIR/${STACK}-${SERVICE}.unverified"
}

# with_lock <command...>: runs it holding the service's flock (bounded to 60 s).
with_lock() {
  mkdir -p "$CI_LOCK_DIR"
  (
    flock --wait 60 9 || {
      warn "could not lock $LOCK_FILE within 60 s"
      exit 75
    }
    "$@"
  ) 9>>"$LOCK_FILE"
}

# Prints "taken", "taken-over <holder>" or "busy <holder> <age seconds>".
try_take_lease() {
  local holder="" since=0 now
  now="$(date +%s)"
  if [[ -f "$LEASE_FILE" ]]; then
    read -r holder since <"$LEASE_FILE" || true
  fi
  [[ "$since" =~ ^[0-9]+$ ]] || since=0
  if [[ -z "$holder" || "$holder" == "$BUILD_ID" ]]; then
    printf '%s %s\n' "$BUILD_ID" "$now" >"$LEASE_FILE"
    echo taken
  elif ((now - since > DEPLOY_LEASE_TTL)); then
    printf '%s %s\n' "$BUILD_ID" "$now" >"$LEASE_FILE"
    echo "taken-over $holder"
  else
    echo "busy $holder $((now - since))"
  fi
}

release_lease_locked() {
  local holder="" _since
  if [[ -f "$LEASE_FILE" ]]; then
    read -r holder _since <"$LEASE_FILE" || true
    if [[ "$holder" == "$BUILD_ID" ]]; then
      rm -f "$LEASE_FILE"
      record_timing "$CI_STEP" lease-released 0
      log "released the deploy lease of $DEPLOY_KEY"
    fi
  fi
  return 0
}

holds_lease_locked() {
  local holder="" _since
  [[ -f "$LEASE_FILE" ]] && read -r holder _since <"$LEASE_FILE" && [[ "$holder" == "$BUILD_ID" ]]
}

# acquire_lease: waits (bounded by DEPLOY_WAIT_TIMEOUT) for the service's deploy lease.
acquire_lease() {
  local deadline answer last_note=-100
  deadline=$((SECONDS + DEPLOY_WAIT_TIMEOUT))
  while :; do
    answer="$(with_lock try_take_lease)" || die "could not read the deploy lease $LEASE_FILE"
    case "$answer" in
      taken)
        log "holding the deploy lease of $DEPLOY_KEY"
        record_timing "$CI_STEP" lease-acquired 0
        return 0
        ;;
      taken-over*)
        warn "took over the deploy lease of ${answer#taken-over } (older than $DEPLOY_LEASE_TTL s)"
        record_timing "$CI_STEP" lease-acquired 0
        return 0
        ;;
    esac
    local holder age
    read -r _ holder age <<<"$answer"
    if ((SECONDS >= deadline)); then
      die "build $holder still deploys $DEPLOY_KEY after $DEPLOY_WAIT_TIMEOUT s (its lease is $age s old)"
    fi
    if ((SECONDS - last_note >= 15)); then
      log "waiting for build $holder to finish deploying and live-testing $DEPLOY_KEY (lease held $age s)"
      last_note=$SECONDS
    fi
    sleep 1
  done
}

release_lease() {
  with_lock release_lease_locked || warn "could not release the deploy lease $LEASE_FILE"
}
