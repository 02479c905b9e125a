#!/usr/bin/env bash
# Step 4 of 7, integration tests, in one network namespace per build:
#   networkholder  NETWORKHOLDER_IMAGE (sh + redir) on a per-build bridge network; redir forwards
#                  each of DEV_PORTS from the namespace's 127.0.0.1 to the same port on DEV_HOST
#                  (default: that network's gateway, an address of the docker host);
#   devbridge      unless DEV_HOST is set: the same image on the host network, forwarding each of
#                  DEV_PORTS from the gateway address to the host's 127.0.0.1, where dev-minimal
#                  listens (it listens on loopback only, so no other host can reach it);
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
bridge="$(build_container devbridge)"
app="$(build_container app)"
read -r -a ports <<<"${DEV_PORTS:-}"

docker network create \
  --label "$LABEL.stack=$STACK" --label "$LABEL.build-id=$BUILD_ID" --label "$LABEL.ephemeral=true" \
  "$network" >/dev/null
gateway="$(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$network")"
dev_host="${DEV_HOST:-$gateway}"
[[ -n "$dev_host" ]] || die "network $network has no gateway; set DEV_HOST to where dev-minimal listens"

if [[ -z "${DEV_HOST:-}" && ${#ports[@]} -gt 0 ]]; then
  # Listens on this build's gateway address only, so only this build's containers reach it.
  relay=""
  for port in "${ports[@]}"; do
    relay+="redir -n $gateway:$port 127.0.0.1:$port & "
  done
  log "devbridge: forwarding ${ports[*]} from $gateway to the host's 127.0.0.1"
  build_container_args devbridge
  docker run --detach "${RUN_ARGS[@]}" --network host "$NETWORKHOLDER_IMAGE" \
    sh -c "${relay}wait" >/dev/null
  # The host's own table already lists dev-minimal's ports, so connect through the relay instead.
  deadline=$((SECONDS + START_TIMEOUT))
  for port in "${ports[@]}"; do
    # shellcheck disable=SC2016 # expanded by the inner bash
    until timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$gateway" "$port" 2>/dev/null; do
      if [[ "$(container_state "$bridge")" != running ]] || ((SECONDS >= deadline)); then
        show_logs "$bridge"
        die "the devbridge did not forward $gateway:$port to dev-minimal within $START_TIMEOUT s"
      fi
      sleep 0.2
    done
  done
fi

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
