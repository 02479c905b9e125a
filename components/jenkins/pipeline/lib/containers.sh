# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here (RUN_ARGS) are the steps'
# Images and containers of a build: the build's image, the per-build containers (named and
# labelled by build, removed whatever happens), their logs and ports, health checks and test
# suites. Sourced by lib.sh, never run.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib/containers.sh is sourced by the pipeline steps (through lib.sh), not run" >&2
  exit 64
fi

# The port every application service listens on inside its container.
readonly APP_PORT=5000
# Label prefix of everything the pipeline creates.
readonly LABEL=ci-platform

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
