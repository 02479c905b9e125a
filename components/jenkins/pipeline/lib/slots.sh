# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here (LIVE, IDLE, NEW, phase) are the steps'
# Blue-green release slots and the host's release proxy. Sourced by lib.sh, never run.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib/slots.sh is sourced by the pipeline steps (through lib.sh), not run" >&2
  exit 64
fi

# --- blue-green release slots ------------------------------------------------------------------
#
# Every service runs in two slots, blue and green: containers ${STACK}-${SERVICE}-blue and -green,
# published on 127.0.0.1:BLUE_PORT and :GREEN_PORT. The host's release proxy (PROXY_CONTAINER, an
# nginx the program declares: components/release/) listens on 127.0.0.1:APP_HOST_PORT and sends
# each request to the live slot its live file PROXY_LIVE_DIR/${SERVICE}.conf names. A release
# deploys into the idle slot, tests it there, switches the proxy (a graceful nginx reload: requests
# in flight finish on the old slot, none is refused), tests through the public port, and then
# either stops the old slot after RELEASE_GRACE seconds (kept, stopped, for a rollback) or switches
# back and removes the failed slot. Steps 5 and 6 and release.sh (`npm run release`) share this.

other_slot() {
  if [[ "$1" == blue ]]; then echo green; else echo blue; fi
}

slot_port() {
  if [[ "$1" == blue ]]; then echo "$BLUE_PORT"; else echo "$GREEN_PORT"; fi
}

slot_container() {
  printf '%s-%s-%s\n' "$STACK" "$SERVICE" "$1"
}

# render_live_conf <slot>: the live file naming <slot>; the same bytes as renderLiveSlotConf in
# components/release/release-render.ts (components/release/release-render.test.ts checks).
render_live_conf() {
  # shellcheck disable=SC2016 # nginx variables, literally
  printf 'set $live_slot %s;\nset $live_upstream 127.0.0.1:%s;\n' "$1" "$(slot_port "$1")"
}

# require_proxy: the host's release proxy runs (the program's `pulumi up` creates it).
require_proxy() {
  [[ "$(container_state "$PROXY_CONTAINER")" == running ]] ||
    die "the release proxy $PROXY_CONTAINER does not run on this host: run \`pulumi up\` for the $STACK stack"
}

# live_slot: the slot the proxy sends $SERVICE to (blue while its live file names none, as the
# proxy's own config does).
live_slot() {
  local text
  text="$(timeout 30 docker exec "$PROXY_CONTAINER" cat "$PROXY_LIVE_DIR/$SERVICE.conf" 2>/dev/null || true)"
  if [[ "$text" =~ set\ \$live_slot\ (blue|green)\; ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo blue
  fi
}

# served_slot: the slot the public port answers from (its X-Release-Slot header), or nothing.
served_slot() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$1" "$0" >&3
    while IFS= read -r line <&3; do
      line="${line%$'"'"'\r'"'"'}"
      [[ -n "$line" ]] || break
      if [[ "${line,,}" == x-release-slot:* ]]; then
        value="${line#*:}"
        printf "%s" "${value// /}"
      fi
    done
  ' "$APP_HOST_PORT" "$HEALTH_PATH" 2>/dev/null || true
}

# accepting_workers: how many nginx workers of the proxy accept connections (those told to finish
# are titled "nginx: worker process is shutting down").
accepting_workers() {
  # shellcheck disable=SC2016 # expanded by the container's sh
  timeout 10 docker exec "$PROXY_CONTAINER" sh -c '
    for f in /proc/[0-9]*/cmdline; do tr "\000" " " < "$f" 2>/dev/null; echo; done' |
    grep -c '^nginx: worker process *$' || true
}

# switch_to <slot>: writes the live file naming <slot> (an atomic rename), checks the config,
# reloads nginx, and waits until the public port answers from <slot>.
switch_to() {
  local slot="$1" deadline
  # shellcheck disable=SC2016 # expanded by the container's sh
  render_live_conf "$slot" | timeout 30 docker exec -i "$PROXY_CONTAINER" sh -c '
    set -e
    mkdir -p "$1"
    cat > "$1/$2.conf.tmp"
    mv "$1/$2.conf.tmp" "$1/$2.conf"
    nginx -q -t -c "$3"
    nginx -s reload -c "$3"' sh "$PROXY_LIVE_DIR" "$SERVICE" "$PROXY_CONF" ||
    {
      warn "could not point $PROXY_CONTAINER at the $slot slot of $SERVICE"
      return 1
    }
  deadline=$((SECONDS + SWITCH_TIMEOUT))
  # Until the master has told the old worker to finish, both old and new workers accept
  # connections: wait for one accepting worker (the proxy runs one) and for answers from <slot>.
  until [[ "$(accepting_workers)" == 1 && "$(served_slot)" == "$slot" ]]; do
    if ((SECONDS >= deadline)); then
      warn "127.0.0.1:$APP_HOST_PORT does not answer from the $slot slot after $SWITCH_TIMEOUT s"
      return 1
    fi
    sleep 0.2
  done
  record_timing "$CI_STEP" "switched-to-$slot" 0
  log "live: the proxy sends $SERVICE (127.0.0.1:$APP_HOST_PORT) to the $slot slot, $(slot_container "$slot")"
}

# start_slot <slot> <image> [docker run args...]: runs <image> in <slot>, replacing the container
# the slot held (a stopped earlier release, or one left by a failed deploy).
start_slot() {
  local slot="$1" image="$2" name
  shift 2
  name="$(slot_container "$slot")"
  if container_exists "$name"; then
    log "removing $name ($(build_of "$name")), what the idle $slot slot held"
    timeout 60 docker rm --force "$name" >/dev/null
  fi
  local run_args=(
    --detach
    --name "$name"
    --label "$LABEL.stack=$STACK"
    --label "$LABEL.service=$SERVICE"
    --label "$LABEL.role=deployed"
    --label "$LABEL.slot=$slot"
    --env "APP_ENV=$STACK"
    --env "SERVICE=$SERVICE"
    --env "RELEASE_SLOT=$slot"
    --network "$BACKEND_NETWORK"
    --dns "$RESOLVER_IP"
    --dns-search "$SEARCH_DOMAIN"
    --publish "127.0.0.1:$(slot_port "$slot"):$APP_PORT"
    --restart unless-stopped
    --log-driver json-file --log-opt max-size=10m --log-opt max-file=3
    --security-opt no-new-privileges:true
    "$@"
  )
  if [[ -n "${APP_MEMORY:-}" ]]; then run_args+=(--memory "$APP_MEMORY"); fi
  if [[ -n "${APP_CPUS:-}" ]]; then run_args+=(--cpus "$APP_CPUS"); fi
  if [[ -n "${APP_PIDS_LIMIT:-}" ]]; then run_args+=(--pids-limit "$APP_PIDS_LIMIT"); fi
  log "starting $name from $image on $BACKEND_NETWORK, 127.0.0.1:$(slot_port "$slot") -> $APP_PORT"
  timeout 120 docker run "${run_args[@]}" "$image" >/dev/null
}

# begin_slot_change: takes the service's deploy lease (then sets phase=leased, which the caller's
# exit hook reads), checks the proxy runs, rolls back a switch another run left untested, and sets
# LIVE, IDLE and NEW (the idle slot's container).
begin_slot_change() {
  acquire_lease
  phase=leased
  require_proxy
  roll_back_unverified || die "could not roll back the untested switch of $SERVICE"
  LIVE="$(live_slot)"
  IDLE="$(other_slot "$LIVE")"
  NEW="$(slot_container "$IDLE")"
}

# deploy_to_idle_slot <image> [docker run args...]: runs <image> in the idle slot, checks
# its health, runs the pre-tests (`ci-test live` from <image> against the slot directly) and
# switches the proxy to it. Sets phase=deploying, then phase=switching, for the caller's exit hook:
# before the switch the new slot is to be discarded, after it abandoned.
deploy_to_idle_slot() {
  local image="$1" port
  shift
  port="$(slot_port "$IDLE")"
  phase=deploying
  start_slot "$IDLE" "$image" "$@"
  timed health wait_healthy "$NEW" "$HEALTH_TIMEOUT" "$port" ||
    die "$NEW failed its health check (GET $HEALTH_PATH on 127.0.0.1:$port, up to $HEALTH_TIMEOUT s)"
  log "pre-tests: ci-test live against the $IDLE slot, http://127.0.0.1:$port"
  timed service-pre-live run_suite pre-live --network host \
    --env "BASE_URL=http://127.0.0.1:$port" "$image" ci-test live ||
    die "the pre-tests failed against $NEW"
  phase=switching
  mark_unverified "$IDLE"
  timed switch switch_to "$IDLE" || die "could not switch the proxy to $NEW"
}

# discard_slot <slot>: removes <slot>'s container, which never went live, after showing its log.
discard_slot() {
  local name
  name="$(slot_container "$1")"
  container_exists "$name" || return 0
  show_logs "$name"
  log "removing $name: the live $(other_slot "$1") slot serves on"
  timeout 60 docker rm --force "$name" >/dev/null || warn "could not remove $name"
}

# A switch not yet followed by passing post-tests: the slot is in UNVERIFIED_FILE until they pass.
mark_unverified() {
  mkdir -p "$CI_LOCK_DIR"
  printf '%s\n' "$1" >"$UNVERIFIED_FILE"
}

clear_unverified() {
  rm -f "$UNVERIFIED_FILE"
}

unverified_slot() {
  local slot=""
  if [[ -f "$UNVERIFIED_FILE" ]]; then read -r slot <"$UNVERIFIED_FILE" || true; fi
  if [[ "$slot" == blue || "$slot" == green ]]; then echo "$slot"; fi
}

# abandon_slot <slot>: when <slot> is live, switches back to the other slot (started again if it
# was stopped) provided it answers its health check; then removes <slot>'s container.
abandon_slot() {
  local failed="$1" good name good_name
  good="$(other_slot "$failed")"
  name="$(slot_container "$failed")"
  good_name="$(slot_container "$good")"
  if [[ "$(live_slot)" == "$failed" ]]; then
    if container_exists "$good_name"; then
      if [[ "$(container_state "$good_name")" != running ]]; then
        log "starting $good_name ($(build_of "$good_name")) again"
        timeout 60 docker start "$good_name" >/dev/null || warn "could not start $good_name"
      fi
      if wait_healthy "$good_name" "$HEALTH_TIMEOUT" "$(slot_port "$good")"; then
        switch_to "$good" || return 1
      else
        warn "$good_name does not answer its health check: $SERVICE stays on the $failed slot; fix it by hand"
        return 1
      fi
    else
      warn "no $good slot to switch back to: nothing of $SERVICE was live before"
    fi
  fi
  if container_exists "$name"; then
    show_logs "$name"
    log "removing $name ($(build_of "$name")), the failed $failed slot"
    timeout 60 docker rm --force "$name" >/dev/null || warn "could not remove $name"
  fi
  clear_unverified
}

# roll_back_unverified: a switch whose post-tests never finished (its build stopped) is undone.
roll_back_unverified() {
  local slot
  slot="$(unverified_slot)"
  [[ -n "$slot" ]] || return 0
  warn "the switch to the $slot slot ($(build_of "$(slot_container "$slot")")) was never tested: rolling it back first"
  abandon_slot "$slot"
}

# retire_slot <slot>: after RELEASE_GRACE seconds (requests the old slot took before the switch
# finish), stops <slot>; its container stays, stopped, as the way back (`npm run release -- --rollback`).
retire_slot() {
  local name
  name="$(slot_container "$1")"
  container_exists "$name" || return 0
  [[ "$(container_state "$name")" == running ]] || return 0
  if ((RELEASE_GRACE > 0)); then
    log "stopping $name ($(build_of "$name")) in $RELEASE_GRACE s, when requests it took have finished"
    sleep "$RELEASE_GRACE"
  fi
  timeout 60 docker stop --time 10 "$name" >/dev/null || warn "could not stop $name"
  log "stopped $name, kept for a rollback"
}
