#!/usr/bin/env bash
# Step 5 of 7, deploy (blue-green, see lib/slots.sh): the build's image goes into the service's idle
# slot, ${STACK}-${SERVICE}-<blue|green>, on BACKEND_NETWORK (resolving through RESOLVER_IP with
# SEARCH_DOMAIN, like production), published on 127.0.0.1 at the slot's port only. It must answer
# GET HEALTH_PATH with 200 within HEALTH_TIMEOUT and pass the pre-tests (`ci-test live` against the
# slot directly); then the release proxy is switched to it, and the live slot serves on until
# step 6's live tests through the public port pass (then it is stopped after RELEASE_GRACE) or fail
# (then the proxy switches back). Any failure before the switch removes the new slot and leaves the
# live one untouched. Deploys of one service are serialized by a lease this step takes and step 6
# releases; a switch another build left untested is rolled back first.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 05-deploy
require_env SERVICE BUILD_NUMBER WORKSPACE STACK BACKEND_NETWORK RESOLVER_IP SEARCH_DOMAIN \
  APP_HOST_PORT BLUE_PORT GREEN_PORT PROXY_CONTAINER
check_inputs
require_tools docker timeout flock
read_revision
require_image
deploy_names
on_exit remove_build_containers

phase=waiting
on_deploy_exit() {
  local rc="$1"
  if ((rc != 0)); then
    case "$phase" in
      deploying) discard_slot "$IDLE" ;;
      switching) abandon_slot "$IDLE" || warn "could not switch back to the $LIVE slot" ;;
    esac
    if [[ "$phase" != waiting ]]; then release_lease; fi
  fi
}
on_exit on_deploy_exit

begin_slot_change
log "$SERVICE: the $LIVE slot is live; deploying into the $IDLE slot"

deploy_to_idle_slot "$BUILD_IMAGE" \
  --label "$LABEL.build-id=$BUILD_ID" \
  --label "$LABEL.git-revision=$GIT_REVISION" \
  --env "BUILD_NUMBER=$BUILD_NUMBER" \
  --env "GIT_REVISION=$GIT_REVISION"
phase=deployed
log "deployed: 127.0.0.1:$APP_HOST_PORT serves $NEW; the lease stays with this build until step 6"
