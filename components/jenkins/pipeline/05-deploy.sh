#!/usr/bin/env bash
# Step 5 of 7, deploy: the build's image replaces ${STACK}-${SERVICE}, the one long-lived container
# of the service, on BACKEND_NETWORK (resolving through RESOLVER_IP with SEARCH_DOMAIN, like
# production), published on 127.0.0.1:APP_HOST_PORT only.
#
# The container it replaces is renamed ${STACK}-${SERVICE}-previous and stopped (only one container
# can hold the host port), not removed: if the new one does not answer GET HEALTH_PATH with 200
# within HEALTH_TIMEOUT, it is removed and the previous one restarted; otherwise the previous one is
# kept until step 6 passes. Deploys of one service are serialized by a lease this step takes and
# step 6 releases (see lib.sh); a deploy another build left unverified is rolled back first.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 05-deploy
require_env SERVICE BUILD_NUMBER WORKSPACE STACK BACKEND_NETWORK RESOLVER_IP SEARCH_DOMAIN APP_HOST_PORT
check_inputs
require_tools docker timeout flock
read_revision
require_image
deploy_names

# Until the new container passes its health check, any failure puts the previous one back.
phase=waiting
on_deploy_exit() {
  local rc="$1"
  if ((rc != 0)); then
    if [[ "$phase" == replacing ]]; then restore_previous || true; fi
    if [[ "$phase" != waiting ]]; then release_lease; fi
  fi
}
on_exit on_deploy_exit

acquire_lease
phase=leased
if container_exists "$PREVIOUS"; then
  # Only a build that stopped between deploy and live tests leaves one: its deploy is unverified.
  warn "$PREVIOUS exists: the deploy of $(build_of "$DEPLOYED") was never live-tested; rolling it back first"
  restore_previous || die "could not restore $PREVIOUS"
fi

phase=replacing
if container_exists "$DEPLOYED"; then
  log "keeping $DEPLOYED ($(build_of "$DEPLOYED")) as $PREVIOUS, stopped"
  docker rename "$DEPLOYED" "$PREVIOUS"
  timeout 60 docker stop --time 10 "$PREVIOUS" >/dev/null
else
  log "no $DEPLOYED yet: first deploy"
fi

run_args=(
  --detach
  --name "$DEPLOYED"
  --label "$LABEL.stack=$STACK"
  --label "$LABEL.service=$SERVICE"
  --label "$LABEL.build-id=$BUILD_ID"
  --label "$LABEL.git-revision=$GIT_REVISION"
  --label "$LABEL.role=deployed"
  --env "APP_ENV=$STACK"
  --env "SERVICE=$SERVICE"
  --env "BUILD_NUMBER=$BUILD_NUMBER"
  --env "GIT_REVISION=$GIT_REVISION"
  --network "$BACKEND_NETWORK"
  --network-alias "$SERVICE"
  --dns "$RESOLVER_IP"
  --dns-search "$SEARCH_DOMAIN"
  --publish "127.0.0.1:$APP_HOST_PORT:$APP_PORT"
  --restart unless-stopped
  --log-driver json-file --log-opt max-size=10m --log-opt max-file=3
  --security-opt no-new-privileges:true
)
if [[ -n "${APP_MEMORY:-}" ]]; then run_args+=(--memory "$APP_MEMORY"); fi
log "starting $DEPLOYED from $BUILD_IMAGE on $BACKEND_NETWORK, 127.0.0.1:$APP_HOST_PORT -> $APP_PORT"
docker run "${run_args[@]}" "$BUILD_IMAGE" >/dev/null
if ! timed health wait_healthy "$DEPLOYED" "$HEALTH_TIMEOUT"; then
  die "$DEPLOYED failed its health check (GET $HEALTH_PATH on 127.0.0.1:$APP_HOST_PORT, up to $HEALTH_TIMEOUT s)"
fi
phase=deployed
log "deployed: $DEPLOYED answers on 127.0.0.1:$APP_HOST_PORT$HEALTH_PATH; the lease stays with this build until step 6"
