#!/usr/bin/env bash
# Step 4 of 7, integration tests, in one network namespace per build:
#   networkholder  NETWORKHOLDER_IMAGE (sh + redir) on a per-build bridge network; redir forwards
#                  each of DEV_PORTS from the namespace's 127.0.0.1 to the same port on DEV_HOST
#                  (default: that network's gateway, the docker host, where dev-minimal listens);
#   app            the build's image, default command, `--net=container:<networkholder>`, serving
#                  on 5000;
#   integration    the build's image, `ci-test integration`, same namespace, BASE_URL
#                  http://127.0.0.1:5000.
# All three and the network carry the build id and are removed when the step ends, pass or fail.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 04-integration-test
require_env SERVICE BUILD_NUMBER WORKSPACE STACK
check_inputs
require_tools docker timeout
read_revision
require_image
on_exit remove_build_containers

network="$(build_container net)"
holder="$(build_container networkholder)"
app="$(build_container app)"
read -r -a ports <<<"${DEV_PORTS:-}"

docker network create \
  --label "$LABEL.stack=$STACK" --label "$LABEL.build-id=$BUILD_ID" --label "$LABEL.ephemeral=true" \
  "$network" >/dev/null
gateway="$(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$network")"
dev_host="${DEV_HOST:-$gateway}"
[[ -n "$dev_host" ]] || die "network $network has no gateway; set DEV_HOST to where dev-minimal listens"

# One redir per port, in the foreground; the holder lives as long as they do (or forever, if none).
forward=""
for port in "${ports[@]}"; do
  forward+="redir -n :$port $dev_host:$port & "
done
log "networkholder: forwarding ${ports[*]:-no ports} from its 127.0.0.1 to $dev_host ($NETWORKHOLDER_IMAGE)"
build_container_args networkholder
docker run --detach "${RUN_ARGS[@]}" --network "$network" "$NETWORKHOLDER_IMAGE" \
  sh -c "${forward}while :; do sleep 3600; done" >/dev/null
wait_listening "$holder" "$START_TIMEOUT" "${ports[@]}" || {
  show_logs "$holder"
  die "the networkholder did not forward ${ports[*]} within $START_TIMEOUT s"
}

log "app: $BUILD_IMAGE in the networkholder's namespace"
build_container_args app
docker run --detach "${RUN_ARGS[@]}" --net "container:$holder" "$BUILD_IMAGE" >/dev/null
timed service-start wait_listening "$holder" "$START_TIMEOUT" "$APP_PORT" || {
  show_logs "$app"
  die "$SERVICE did not listen on $APP_PORT within $START_TIMEOUT s ($app is $(container_state "$app"))"
}

log "integration tests: ci-test integration against http://127.0.0.1:$APP_PORT"
timed service-integration run_suite integration --net "container:$holder" \
  --env "BASE_URL=http://127.0.0.1:$APP_PORT" "$BUILD_IMAGE" ci-test integration || {
  show_logs "$app"
  die "integration tests failed"
}
