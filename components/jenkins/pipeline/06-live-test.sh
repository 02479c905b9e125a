#!/usr/bin/env bash
# Step 6 of 7, live tests: `ci-test live` in the build's image on the host network, through the
# release proxy's public port (BASE_URL http://127.0.0.1:APP_HOST_PORT), which step 5 switched to
# this build's slot.
# Pass: the other slot is stopped after RELEASE_GRACE seconds (kept for a rollback), then the
# service's images older than the newest KEEP_IMAGES builds, except the stopped slot's, and
# dangling images are removed from the host (remove_old_images in lib/retention.sh).
# Fail: the proxy switches back to the other slot and this build's slot is removed. Either way the
# deploy lease step 5 took is released.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 06-live-test
require_env SERVICE BUILD_NUMBER WORKSPACE STACK APP_HOST_PORT BLUE_PORT GREEN_PORT PROXY_CONTAINER
check_inputs
require_tools docker timeout flock
read_revision
require_image
deploy_names
on_exit remove_build_containers

with_lock holds_lease_locked || die "this build does not hold the deploy lease of $DEPLOY_KEY: run 05-deploy.sh first"
# Until the live tests have passed or failed, any exit (an aborted build too) rolls back.
outcome=unchecked
on_live_exit() {
  if [[ "$outcome" == testing ]]; then
    warn "stopped before the live tests finished: rolling back"
    abandon_slot "$LIVE" || warn "rollback failed"
  fi
  release_lease
}
on_exit on_live_exit

require_proxy
LIVE="$(live_slot)"
NEW="$(slot_container "$LIVE")"
OLD_SLOT="$(other_slot "$LIVE")"
OLD="$(slot_container "$OLD_SLOT")"
deployed_build="$(build_of "$NEW")"
[[ "$deployed_build" == "$BUILD_ID" ]] ||
  die "the live $LIVE slot ($NEW) runs build '$deployed_build', not $BUILD_ID: run 05-deploy.sh first"
outcome=testing

log "live tests: ci-test live through the proxy, http://127.0.0.1:$APP_HOST_PORT ($NEW)"
if timed service-live run_suite live --network host \
  --env "BASE_URL=http://127.0.0.1:$APP_HOST_PORT" "$BUILD_IMAGE" ci-test live; then
  outcome=passed
  clear_unverified
  # The image of the deployment this one replaced: the way back, which retention keeps.
  replaced=()
  if container_exists "$OLD"; then
    mapfile -t replaced < <(docker inspect -f '{{.Image}}' "$OLD" 2>/dev/null || true)
    timed retire retire_slot "$OLD_SLOT"
  fi
  log "$NEW runs $BUILD_ID ($GIT_REVISION), live on 127.0.0.1:$APP_HOST_PORT"
  timed image-retention remove_old_images "${replaced[@]}"
else
  outcome=failed
  warn "live tests failed: switching back"
  abandon_slot "$LIVE" || die "live tests failed, and so did the switch back: fix $SERVICE by hand"
  die "live tests failed; the previous deployment is live again"
fi
