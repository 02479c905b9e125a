#!/usr/bin/env bash
# Step 6 of 7, live tests: `ci-test live` in the build's image on the host network, against the
# container step 5 deployed, through its published port (BASE_URL http://127.0.0.1:APP_HOST_PORT).
# Pass: the kept previous container is removed, then the service's images older than the newest
# KEEP_IMAGES builds, except the previous container's, and dangling images are removed from the
# host (remove_old_images in lib.sh).
# Fail: the deployed one is removed and the previous one restored. Either way the deploy lease step
# 5 took is released.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 06-live-test
require_env SERVICE BUILD_NUMBER WORKSPACE STACK APP_HOST_PORT
check_inputs
require_tools docker timeout flock
read_revision
require_image
deploy_names
on_exit remove_build_containers

with_lock holds_lease_locked || die "this build does not hold the deploy lease of $DEPLOYED: run 05-deploy.sh first"
# Until the live tests have passed or failed, any exit (an aborted build too) rolls back.
outcome=unchecked
on_live_exit() {
  if [[ "$outcome" == testing ]]; then
    warn "stopped before the live tests finished: rolling back"
    restore_previous || warn "rollback failed"
  fi
  release_lease
}
on_exit on_live_exit

deployed_build="$(build_of "$DEPLOYED")"
[[ "$deployed_build" == "$BUILD_ID" ]] ||
  die "$DEPLOYED runs build '$deployed_build', not $BUILD_ID: run 05-deploy.sh first"
outcome=testing

log "live tests: ci-test live against http://127.0.0.1:$APP_HOST_PORT ($DEPLOYED)"
if timed service-live run_suite live --network host \
  --env "BASE_URL=http://127.0.0.1:$APP_HOST_PORT" "$BUILD_IMAGE" ci-test live; then
  outcome=passed
  # The image of the deployment this one replaced: the way back, which retention keeps.
  replaced=()
  if container_exists "$PREVIOUS"; then
    mapfile -t replaced < <(docker inspect -f '{{.Image}}' "$PREVIOUS" 2>/dev/null || true)
    log "removing $PREVIOUS ($(build_of "$PREVIOUS"))"
    timeout 60 docker rm --force "$PREVIOUS" >/dev/null || warn "could not remove $PREVIOUS"
  fi
  log "$DEPLOYED runs $BUILD_ID ($GIT_REVISION)"
  timed image-retention remove_old_images "${replaced[@]}"
else
  outcome=failed
  warn "live tests failed: rolling back"
  restore_previous || die "live tests failed, and so did the rollback: fix $DEPLOYED by hand"
  die "live tests failed; the previous deployment is back"
fi
