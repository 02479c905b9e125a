#!/usr/bin/env bash
# A blue-green release or rollback of one service on a CI host, outside a build: what
# `npm run release` runs (with the stack's values), and what an operator on the host can run.
#
# ACTION=release (IMAGE required): IMAGE goes into the idle slot; health check and pre-tests
#   (`ci-test live` from IMAGE against the slot directly); switch; post-tests (`ci-test live`
#   through the public port). Pass: the old slot is stopped after RELEASE_GRACE s, kept for a
#   rollback. Fail at any point: the proxy stays on, or switches back to, the old slot, and the new
#   slot is removed.
# ACTION=rollback: the idle slot's container (the previous release, stopped) is started, checked
#   and made live; the slot it replaces is stopped after RELEASE_GRACE s. Fails, leaving the live
#   slot live, when there is no previous release or it does not answer its health check.
# Also: SERVICE, STACK, APP_HOST_PORT, BLUE_PORT, GREEN_PORT, PROXY_CONTAINER, BACKEND_NETWORK,
# RESOLVER_IP, SEARCH_DOMAIN, and the optional settings of lib/inputs.sh. Prints
# `live-slot=<slot>` last.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${IMAGE:=}"
ci_step_init "${ACTION:-release}"
require_env ACTION SERVICE STACK APP_HOST_PORT BLUE_PORT GREEN_PORT PROXY_CONTAINER
case "${ACTION:-}" in
  release) require_env IMAGE BACKEND_NETWORK RESOLVER_IP SEARCH_DOMAIN ;;
  rollback | "") ;;
  *) CI_ERRORS+=("ACTION '$ACTION' is not release or rollback") ;;
esac
check_inputs
require_tools docker timeout flock
deploy_names
# Labels and test containers name the release the way builds name themselves.
BUILD_ID="${SERVICE}-${ACTION}-$(date -u +%Y%m%dT%H%M%S)"
BUILD_NUMBER=0
GIT_REVISION=""
on_exit remove_build_containers

phase=waiting
on_release_exit() {
  local rc="$1"
  if ((rc != 0)); then
    case "$phase" in
      deploying) discard_slot "$IDLE" ;;
      switching | post-testing) abandon_slot "$IDLE" || warn "could not switch back to the $LIVE slot" ;;
      rolling-back)
        if [[ "$(live_slot)" != "$LIVE" ]]; then switch_to "$LIVE" || warn "could not switch back to $LIVE"; fi
        ;;
    esac
  fi
  if [[ "$phase" != waiting ]]; then release_lease; fi
}
on_exit on_release_exit

begin_slot_change
OLD="$(slot_container "$LIVE")"

if [[ "$ACTION" == release ]]; then
  timeout 60 docker image inspect "$IMAGE" >/dev/null 2>&1 ||
    timeout "$PUSH_TIMEOUT" docker pull "$IMAGE" >/dev/null ||
    die "no image $IMAGE on this host, and it could not be pulled"
  GIT_REVISION="$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$IMAGE" 2>/dev/null || true)"
  log "$SERVICE: the $LIVE slot is live; releasing $IMAGE into the $IDLE slot"
  deploy_to_idle_slot "$IMAGE" --label "$LABEL.build-id=$BUILD_ID" --label "$LABEL.image=$IMAGE"
  phase=post-testing
  log "post-tests: ci-test live through the proxy, http://127.0.0.1:$APP_HOST_PORT"
  timed post-tests run_suite post-test --network host --env "BASE_URL=http://127.0.0.1:$APP_HOST_PORT" \
    "$IMAGE" ci-test live || die "the post-tests failed through 127.0.0.1:$APP_HOST_PORT: switching back"
  clear_unverified
  phase=released
  log "released: $IMAGE is live in the $IDLE slot"
else
  container_exists "$NEW" ||
    die "the idle $IDLE slot is empty: no previous release to roll back to; release an earlier version instead"
  previous="$(docker inspect -f '{{index .Config.Labels "ci-platform.image"}}' "$NEW" 2>/dev/null || true)"
  log "$SERVICE: rolling back from the $LIVE slot to the $IDLE slot (${previous:-$(build_of "$NEW")})"
  phase=rolling-back
  port="$(slot_port "$IDLE")"
  if [[ "$(container_state "$NEW")" != running ]]; then
    timeout 60 docker start "$NEW" >/dev/null || die "could not start $NEW"
  fi
  timed health wait_healthy "$NEW" "$HEALTH_TIMEOUT" "$port" ||
    die "$NEW does not answer its health check: $SERVICE stays on the $LIVE slot"
  timed switch switch_to "$IDLE" || die "could not switch the proxy to $NEW"
  phase=rolled-back
  log "rolled back: $NEW is live"
fi
if container_exists "$OLD"; then timed retire retire_slot "$LIVE"; fi
printf 'live-slot=%s\n' "$IDLE"
