# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here (APP_PORT, BUILD_IMAGE, RUN_ARGS, ...) are the steps'
# Shared functions of the pipeline steps (01-checkout.sh ... 07-publish.sh, run-all.sh). Sourced by
# them, never run. Every step takes all its input from the environment, so it runs the same from
# Jenkins, a terminal and the tests; examples/sample-service/README.md documents the contract.
#
# Inputs (which step needs which is checked by each step, all problems reported at once):
#   SERVICE, BUILD_NUMBER, WORKSPACE (the service's checkout dir), GIT_URL, GIT_BRANCH,
#   BASE_IMAGE, DEV_PORTS, STACK, BACKEND_NETWORK, RESOLVER_IP, SEARCH_DOMAIN, APP_HOST_PORT,
#   BLUE_PORT, GREEN_PORT, PROXY_CONTAINER,
#   PUBLISH, REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD, REGISTRY_CERT_DIR, STRIPPED, DOCKER_HOST.
# Optional, with defaults below: SLIM_BASE_IMAGE, NETWORKHOLDER_IMAGE, DEV_HOST, HEALTH_PATH,
#   APP_MEMORY, APP_CPUS, APP_PIDS_LIMIT, CI_LOCK_DIR, KEEP_IMAGES, DANGLING_IMAGE_MIN_AGE, PROXY_LIVE_DIR, PROXY_CONF,
#   RELEASE_GRACE and the *_TIMEOUT / DEPLOY_LEASE_TTL bounds.
# Derived: BUILD_ID=${SERVICE}-${BUILD_NUMBER} (replaces Jenkins' own BUILD_ID), GIT_REVISION (read
#   from $WORKSPACE/.ci-platform/revision, written by step 1).

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib.sh is sourced by the pipeline steps, not run" >&2
  exit 64
fi

# --- bounds (seconds) --------------------------------------------------------------------------
: "${GIT_TIMEOUT:=300}"           # git fetch
: "${BUILD_TIMEOUT:=1800}"        # one docker build
: "${TEST_TIMEOUT:=900}"          # one test suite
: "${START_TIMEOUT:=60}"          # networkholder / app listening in step 4
: "${HEALTH_TIMEOUT:=60}"         # deployed container answering its health check
: "${DEPLOY_WAIT_TIMEOUT:=1200}"  # waiting for another build's deploy of the same service
: "${DEPLOY_LEASE_TTL:=900}"      # a deploy lease older than this is abandoned and taken over
: "${PUSH_TIMEOUT:=1800}"         # one skopeo copy
: "${DANGLING_IMAGE_MIN_AGE:=3600}" # dangling images younger than this are left to running builds
: "${HEALTH_PATH:=/health}"
: "${NETWORKHOLDER_IMAGE:=ci-platform/networkholder:1}"
# Shared by every build on the host (not per-user TMPDIR): the deploy leases live here.
: "${CI_LOCK_DIR:=/tmp/ci-platform-locks}"
# Blue-green releases: where the proxy keeps live files and its config (the program's layout),
# how long an old slot keeps running after a switch, and how long a switch may take to show.
: "${PROXY_LIVE_DIR:=/var/lib/release-proxy/live}"
: "${PROXY_CONF:=/etc/ci-platform/release-proxy.conf}"
: "${RELEASE_GRACE:=30}"
: "${SWITCH_TIMEOUT:=15}"
# Image retention after a deploy (step 6): the builds whose images each host keeps per service.
: "${KEEP_IMAGES:=3}"

# The port every application service listens on inside its container.
readonly APP_PORT=5000
# Label prefix of everything the pipeline creates.
readonly LABEL=ci-platform

CI_STEP=pipeline
CI_STEP_STARTED=""
CI_EXIT_HOOKS=()
CI_ERRORS=()

# --- logging -----------------------------------------------------------------------------------

log() {
  printf '%s [%s %s] %s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" "${BUILD_ID:-${SERVICE:-?}}" "$*"
}

warn() {
  printf '%s [%s %s] WARNING: %s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" "${BUILD_ID:-?}" "$*" >&2
}

die() {
  printf '%s [%s %s] ERROR: %s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" "${BUILD_ID:-?}" "$*" >&2
  exit 1
}

# GIT_URL without credentials, for logs.
redact_url() {
  printf '%s' "$1" | sed -E 's#^([a-z+]+://)[^/@]*@#\1***@#'
}

# --- step lifecycle ----------------------------------------------------------------------------

now_us() {
  local t="${EPOCHREALTIME//[!0-9]/}"
  printf '%s' "$t"
}

# ci_step_init <step name>: logging, the EXIT trap running the step's cleanup hooks, timing.
ci_step_init() {
  CI_STEP="$1"
  CI_STEP_STARTED="$(now_us)"
  trap ci_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# on_exit <function>: run <function> when the step exits, whatever the exit status (last first).
on_exit() {
  CI_EXIT_HOOKS+=("$1")
}

ci_on_exit() {
  local rc=$? i
  set +e
  trap - EXIT INT TERM
  for ((i = ${#CI_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
    "${CI_EXIT_HOOKS[i]}" "$rc"
  done
  local elapsed=$(($(now_us) - CI_STEP_STARTED))
  record_timing "$CI_STEP" total "$elapsed"
  if ((rc == 0)); then
    log "step passed in $(seconds "$elapsed") s"
  else
    printf '%s [%s %s] FAILED (exit %s) after %s s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" \
      "${BUILD_ID:-?}" "$rc" "$(seconds "$elapsed")" >&2
  fi
  exit "$rc"
}

# seconds <microseconds>: "12.3"
seconds() {
  printf '%d.%d' "$(($1 / 1000000))" "$((($1 % 1000000) / 100000))"
}

# record_timing <step> <what> <microseconds>: one line of $WORKSPACE/.ci-platform/timings.tsv,
# "<step> <what> <duration us> <end, epoch us>" (tab-separated), read by tools/pipeline-bench.ts.
record_timing() {
  if [[ -n "${STATE_DIR:-}" && -d "$STATE_DIR" ]]; then
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(now_us)" >>"$STATE_DIR/timings.tsv" 2>/dev/null || true
  fi
}

# timed <what> <command...>: runs the command, records how long it took under <what>.
timed() {
  local what="$1" start rc=0
  shift
  start="$(now_us)"
  "$@" || rc=$?
  record_timing "$CI_STEP" "$what" "$(($(now_us) - start))"
  return "$rc"
}

# --- input -------------------------------------------------------------------------------------

# require_env <VAR...>: each must be set and non-empty.
require_env() {
  local v
  for v in "$@"; do
    [[ -n "${!v:-}" ]] || CI_ERRORS+=("$v is not set")
  done
}

is_true() {
  case "${1:-}" in
    true | TRUE | True | 1 | yes) return 0 ;;
    *) return 1 ;;
  esac
}

check_bool() {
  case "${!1:-}" in
    "" | true | TRUE | True | 1 | yes | false | FALSE | False | 0 | no) ;;
    *) CI_ERRORS+=("$1 '${!1}' is not a boolean; use true or false") ;;
  esac
}

check_label() {
  [[ -z "${!1:-}" || "${!1}" =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] ||
    CI_ERRORS+=("$1 '${!1}' is not a lowercase DNS label (a-z, 0-9, '-'); it names images and containers")
}

check_port() {
  local value="$2"
  [[ "$value" =~ ^[0-9]{1,5}$ ]] && ((10#$value >= 1 && 10#$value <= 65535)) ||
    CI_ERRORS+=("$1 '$value' is not a TCP port (1-65535)")
}

# check_inputs: validates what is set, then dies listing every problem found (with require_env's).
check_inputs() {
  local p
  check_label SERVICE
  check_label STACK
  [[ -z "${BUILD_NUMBER:-}" || "$BUILD_NUMBER" =~ ^[0-9]+$ ]] ||
    CI_ERRORS+=("BUILD_NUMBER '$BUILD_NUMBER' is not a number (Jenkins sets it; from a terminal pass e.g. BUILD_NUMBER=1)")
  for p in APP_HOST_PORT BLUE_PORT GREEN_PORT; do
    [[ -z "${!p:-}" ]] || check_port "$p" "${!p}"
  done
  [[ "$RELEASE_GRACE" =~ ^[0-9]+$ ]] ||
    CI_ERRORS+=("RELEASE_GRACE '$RELEASE_GRACE' is not a number of seconds")
  for p in ${DEV_PORTS:-}; do check_port DEV_PORTS "$p"; done
  [[ -z "${RESOLVER_IP:-}" || "$RESOLVER_IP" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] ||
    CI_ERRORS+=("RESOLVER_IP '$RESOLVER_IP' is not an IPv4 address")
  check_bool PUBLISH
  check_bool STRIPPED
  [[ "$KEEP_IMAGES" =~ ^[0-9]+$ ]] && ((10#$KEEP_IMAGES >= 1)) ||
    CI_ERRORS+=("KEEP_IMAGES '$KEEP_IMAGES' is not a whole number of at least 1 (the builds whose images a host keeps)")
  [[ "$DANGLING_IMAGE_MIN_AGE" =~ ^[0-9]+$ ]] ||
    CI_ERRORS+=("DANGLING_IMAGE_MIN_AGE '$DANGLING_IMAGE_MIN_AGE' is not a number of seconds")
  if ((${#CI_ERRORS[@]} > 0)); then
    printf '%s [%s] ERROR: invalid input (%d problem(s)):\n' "$(date -u +%H:%M:%S)" "$CI_STEP" \
      "${#CI_ERRORS[@]}" >&2
    printf '  - %s\n' "${CI_ERRORS[@]}" >&2
    exit 2
  fi
  if [[ -n "${WORKSPACE:-}" ]]; then
    WORKSPACE="$(mkdir -p "$WORKSPACE" && cd "$WORKSPACE" && pwd)"
    STATE_DIR="$WORKSPACE/.ci-platform"
  fi
  if [[ -n "${SERVICE:-}" && -n "${BUILD_NUMBER:-}" ]]; then
    BUILD_ID="${SERVICE}-${BUILD_NUMBER}"
    BUILD_IMAGE="${SERVICE}:${BUILD_NUMBER}"
  fi
}

# require_tools <command...>
require_tools() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "needs ${missing[*]} on PATH"
}

# read_revision: GIT_REVISION from the state step 1 wrote.
read_revision() {
  local f="$STATE_DIR/revision"
  [[ -f "$f" ]] || die "no $f: run 01-checkout.sh for this WORKSPACE first"
  GIT_REVISION="$(<"$f")"
  [[ "$GIT_REVISION" =~ ^[0-9a-f]{40}$ ]] || die "$f holds '$GIT_REVISION', not a git revision"
}

# require_image: the image step 2 built for this build, and that it is this revision's.
require_image() {
  local revision
  revision="$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' \
    "$BUILD_IMAGE" 2>/dev/null)" || die "no image $BUILD_IMAGE: run 02-build.sh for this build first"
  [[ "$revision" == "$GIT_REVISION" ]] ||
    die "image $BUILD_IMAGE is revision '$revision', but this build checked out $GIT_REVISION"
}

# build_image <extra docker build args...>: `docker build` of the revision's committed tree (from
# `git archive`, so nothing untracked or of this pipeline's state reaches the image) with the
# service's Dockerfile, bounded by BUILD_TIMEOUT. Build args: BASE_IMAGE, SLIM_BASE_IMAGE when set.
build_image() {
  local args=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
  if [[ -n "${SLIM_BASE_IMAGE:-}" ]]; then args+=(--build-arg "SLIM_BASE_IMAGE=$SLIM_BASE_IMAGE"); fi
  git -C "$WORKSPACE" archive --format=tar "$GIT_REVISION" |
    timeout "$BUILD_TIMEOUT" docker build --force-rm "${args[@]}" \
      --label "org.opencontainers.image.revision=$GIT_REVISION" \
      --label "$LABEL.service=$SERVICE" \
      "$@" -
}

# --- containers --------------------------------------------------------------------------------

# The name of a container this build starts: <stack>-<service>-<build number>-<role>.
build_container() {
  printf '%s-%s-%s' "$STACK" "$BUILD_ID" "$1"
}

# build_container_args <role>: sets RUN_ARGS to the name, labels and env of a per-build container;
# every such container is removed by remove_build_containers whatever happens.
build_container_args() {
  RUN_ARGS=(
    --name "$(build_container "$1")"
    --label "$LABEL.stack=$STACK"
    --label "$LABEL.service=$SERVICE"
    --label "$LABEL.build-id=$BUILD_ID"
    --label "$LABEL.role=$1"
    --label "$LABEL.ephemeral=true"
    --env "SERVICE=$SERVICE"
    --env "BUILD_NUMBER=$BUILD_NUMBER"
    --env "GIT_REVISION=$GIT_REVISION"
    --env CI=true
  )
}

# Removes every per-build container (and the per-build network) this build started.
remove_build_containers() {
  local ids
  mapfile -t ids < <(timeout 60 docker ps -aq \
    --filter "label=$LABEL.stack=$STACK" \
    --filter "label=$LABEL.build-id=$BUILD_ID" \
    --filter "label=$LABEL.ephemeral=true")
  if ((${#ids[@]} > 0)); then
    log "removing ${#ids[@]} container(s) of this build"
    timeout 60 docker rm --force --volumes "${ids[@]}" >/dev/null || warn "could not remove ${ids[*]}"
  fi
  local net
  net="$(build_container net)"
  if timeout 30 docker network inspect "$net" >/dev/null 2>&1; then
    timeout 60 docker network rm "$net" >/dev/null || warn "could not remove network $net"
  fi
}

container_state() {
  docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null || printf 'missing'
}

# build_of <container>: the build id a container was started by ("?" when unknown).
build_of() {
  docker inspect -f "{{index .Config.Labels \"$LABEL.build-id\"}}" "$1" 2>/dev/null || printf '?'
}

container_exists() {
  docker inspect --type container "$1" >/dev/null 2>&1
}

# show_logs <container>: its last lines in the build log.
show_logs() {
  log "last log lines of $1:"
  timeout 30 docker logs --tail 40 "$1" 2>&1 | sed 's/^/    | /' || true
}

# listening_ports <container>: TCP ports listening in the container's network namespace.
listening_ports() {
  local _ local_address _r state _rest
  { docker exec "$1" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null || true; } |
    while read -r _ local_address _r state _rest; do
      if [[ "$state" == 0A ]]; then printf '%d\n' "$((16#${local_address##*:}))"; fi
    done | sort -un
}

# wait_listening <container whose namespace> <seconds> <port...>; fails early if it stops running.
wait_listening() {
  local container="$1" limit="$2" deadline port missing
  shift 2
  deadline=$((SECONDS + limit))
  while :; do
    [[ "$(container_state "$container")" == running ]] || return 1
    local open
    open="$(listening_ports "$container")"
    missing=()
    for port in "$@"; do
      grep -qx "$port" <<<"$open" || missing+=("$port")
    done
    ((${#missing[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      warn "ports ${missing[*]} not listening after ${limit} s"
      return 1
    fi
    sleep 0.2
  done
}

# http_status <host> <port> <path>: the status code of GET, or nothing (bounded to 5 s).
http_status() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" "$2" "$0" "$1" >&3
    IFS=" " read -r _ code _ <&3 || exit 1
    printf "%s" "$code"
  ' "$1" "$2" "$3" 2>/dev/null || true
}

# wait_healthy <container> <seconds> <port>: GET 127.0.0.1:<port>$HEALTH_PATH answers 200.
wait_healthy() {
  local container="$1" limit="$2" port="$3" deadline code=""
  deadline=$((SECONDS + limit))
  local state restarts
  while :; do
    # A container that exited, even if its restart policy brought it back, has failed.
    read -r state restarts < <(docker inspect -f '{{.State.Status}} {{.RestartCount}}' \
      "$container" 2>/dev/null || echo missing 0)
    if [[ "$state" != running || "$restarts" != 0 ]]; then
      warn "$container stopped: it is $state and was restarted $restarts time(s)"
      return 1
    fi
    code="$(http_status 127.0.0.1 "$port" "$HEALTH_PATH")"
    [[ "$code" == 200 ]] && return 0
    if ((SECONDS >= deadline)); then
      warn "GET http://127.0.0.1:$port$HEALTH_PATH answered '${code:-nothing}' for ${limit} s"
      return 1
    fi
    sleep 0.5
  done
}

# run_suite <role> <docker run args..., image, command...>: one test suite in its own container,
# bounded by TEST_TIMEOUT; the container is removed by remove_build_containers in any case.
run_suite() {
  local role="$1"
  shift
  build_container_args "$role"
  timeout --kill-after=10 "$TEST_TIMEOUT" docker run --rm "${RUN_ARGS[@]}" "$@"
}

# --- the deploy lease -----------------------------------------------------------------------------
#
# Deploys of one service on a host are serialized by a lease, a file guarded by flock, that step 5
# (or release.sh) takes and step 6 releases, so two builds never interleave deploy and live tests.
# A lease older than DEPLOY_LEASE_TTL (a build aborted between steps 5 and 6) is taken over, and
# the switch it left unverified is rolled back first.

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
# components/release/release-render.ts (test/release-render.test.ts checks).
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

# --- image retention -----------------------------------------------------------------------------
#
# Every build leaves ${SERVICE}:${BUILD_NUMBER} and :${GIT_REVISION} on the host (and, with
# STRIPPED=true, :${BUILD_NUMBER}-slim and :${GIT_REVISION}-slim). After each deploy that passed
# its live tests, step 6 keeps the images of the newest KEEP_IMAGES builds (enough to roll back)
# and removes the older ones, by the rule the registry's retention applies to manifests
# (selectRetention in components/registry/retention.ts), an image id standing for a digest:
#   - an image's build number is its highest tag that is a number, or a number and `-slim` (12-slim
#     is build 12's stripped image: a build's images are kept, or removed, together);
#   - kept: every image whose build number is one of the KEEP_IMAGES highest, every pinned image,
#     and every image with no build number (its age is unknown, so it is never guessed old);
#   - removed: the rest.
# test/host-retention.test.ts checks that the two implementations decide alike.

# select_image_retention <keep> [<pinned image id>...]: reads "<tag> <image id>" lines on stdin and
# prints the ids of the images to remove, one per line, sorted. Pure: no docker, no files.
select_image_retention() {
  local keep="${1:-}"
  if ! [[ "$keep" =~ ^[0-9]+$ ]] || ((10#$keep < 1)); then
    printf 'keep must be a whole number of at least 1, got %s\n' "$keep" >&2
    # Read the input anyway: whatever writes it must not die of a broken pipe.
    cat >/dev/null
    return 2
  fi
  shift
  local -A build=() pinned=()
  local tag id number oldest_kept
  for id in "$@"; do pinned["$id"]=1; done
  while read -r tag id _; do
    [[ -n "$id" ]] || continue
    number="${tag%-slim}"
    if [[ "$number" =~ ^[0-9]+$ ]]; then
      number=$((10#$number))
      if [[ -z "${build[$id]:-}" ]] || ((number > ${build[$id]})); then build["$id"]=$number; fi
    fi
  done
  ((${#build[@]} > 0)) || return 0
  # The keep-th highest build number; with fewer builds than that, every image is kept.
  oldest_kept="$(printf '%s\n' "${build[@]}" | sort -nru | sed -n "$((10#$keep))p")"
  [[ -n "$oldest_kept" ]] || return 0
  for id in "${!build[@]}"; do
    if ((${build[$id]} < oldest_kept)) && [[ -z "${pinned[$id]:-}" ]]; then printf '%s\n' "$id"; fi
  done | LC_ALL=C sort
}

# remove_old_images [<image id>...]: image retention for SERVICE on this host, run by step 6 once
# the deploy passed its live tests (the previous container is gone by then). Pinned, so kept besides
# the images of the newest KEEP_IMAGES builds:
#   - the given images: step 6 passes the previous container's, the way back, even when failed
#     builds since outnumber KEEP_IMAGES;
#   - the image of every container on the host, running or stopped: the deployed one, other
#     builds' test containers, other stacks' deployments;
#   - the images of builds newer than this one: still in flight, maybe between two steps, with no
#     container.
# Images are removed by tag, never forced, so Docker itself refuses to remove an image a container
# started meanwhile uses; the build number goes last, so a refused image keeps its rank. Then
# `docker image prune` removes the host's dangling images older than DANGLING_IMAGE_MIN_AGE seconds
# (0: all of them); younger ones may be layers of a build in progress, or the `slim` stage step 7
# is about to tag. Needs SERVICE and BUILD_NUMBER. Never fails the build: whatever goes wrong is
# logged as a warning.
remove_old_images() {
  local listing containers inspected out images tag id image number
  local -a ids=() pins=("$@") doomed=() refs=()
  if ! listing="$(timeout 60 docker image ls --no-trunc --format '{{.Tag}} {{.ID}}' "$SERVICE")"; then
    warn "image retention skipped: could not list the images of $SERVICE"
    return 0
  fi
  listing="$(grep -v '^<none> ' <<<"$listing" || true)"
  if ! containers="$(timeout 60 docker ps --all --quiet --no-trunc)"; then
    warn "image retention skipped: could not list the containers"
    return 0
  fi
  if [[ -n "$containers" ]]; then
    mapfile -t ids <<<"$containers"
    # Fails when a container was removed meanwhile (its image needs no pin any more), still
    # printing the others' images.
    inspected="$(timeout 60 docker inspect --type container -f '{{.Image}}' "${ids[@]}" 2>/dev/null)" ||
      true
    if [[ -z "$inspected" ]]; then
      warn "image retention skipped: could not inspect the containers"
      return 0
    fi
    mapfile -t -O "${#pins[@]}" pins <<<"$inspected"
  fi
  while read -r tag id; do
    number="${tag%-slim}"
    if [[ "$number" =~ ^[0-9]+$ ]] && ((10#$number > 10#$BUILD_NUMBER)); then pins+=("$id"); fi
  done <<<"$listing"

  if ! out="$(select_image_retention "$KEEP_IMAGES" "${pins[@]}" <<<"$listing")"; then
    warn "image retention skipped: KEEP_IMAGES '$KEEP_IMAGES' is not a whole number of at least 1"
    return 0
  fi
  if [[ -n "$out" ]]; then mapfile -t doomed <<<"$out"; fi
  images="$(awk 'NF == 2 { print $2 }' <<<"$listing" | sort -u | grep -c . || true)"
  log "image retention: $images image(s) of $SERVICE; keeping the newest $KEEP_IMAGES build(s)," \
    "the images in use or replaced and those of builds newer than $BUILD_ID; removing ${#doomed[@]}"
  for id in "${doomed[@]}"; do
    # Its names, the build numbers last and the highest at the very end.
    mapfile -t refs < <(
      while read -r tag image; do
        [[ "$image" == "$id" ]] || continue
        number="${tag%-slim}"
        if [[ "$number" =~ ^[0-9]+$ ]]; then
          printf '1 %s %s\n' "$((10#$number))" "$SERVICE:$tag"
        else
          printf '0 0 %s\n' "$SERVICE:$tag"
        fi
      done <<<"$listing" | sort -k1,1n -k2,2n -k3,3 | cut -d' ' -f3
    )
    if out="$(timeout 60 docker rmi "${refs[@]}" 2>&1 >/dev/null)"; then
      log "removed ${refs[*]} (${id:7:12})"
    else
      warn "could not remove ${refs[*]} (${id:7:12}): ${out//$'\n'/ }"
    fi
  done

  local prune=(--force) which="dangling images"
  if ((10#$DANGLING_IMAGE_MIN_AGE > 0)); then
    prune+=(--filter "until=${DANGLING_IMAGE_MIN_AGE}s")
    which+=" older than $DANGLING_IMAGE_MIN_AGE s"
  fi
  if out="$(timeout 300 docker image prune "${prune[@]}" 2>&1)"; then
    log "$which: $(grep -c '^deleted: ' <<<"$out" || true) removed; $(tail -n 1 <<<"$out")"
  else
    warn "docker image prune failed: ${out//$'\n'/ }"
  fi
  return 0
}
