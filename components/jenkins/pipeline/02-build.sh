#!/usr/bin/env bash
# Step 2 of 7, build: `docker build` of the checked-out revision, tagged ${SERVICE}:${GIT_REVISION}
# (one commit, one image) and ${SERVICE}:${BUILD_NUMBER} (the tag later steps use). The build
# context is `git archive` of the revision, so only committed files reach the image, never this
# pipeline's state or anything untracked. Build args: BASE_IMAGE, and SLIM_BASE_IMAGE when set.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 02-build
require_env SERVICE BUILD_NUMBER WORKSPACE BASE_IMAGE
check_inputs
require_tools git docker timeout
read_revision

log "building $SERVICE at $GIT_REVISION on $BASE_IMAGE"
timed service-build build_image --tag "$SERVICE:$GIT_REVISION" --tag "$BUILD_IMAGE" ||
  die "docker build failed (or took over $BUILD_TIMEOUT s)"
docker image inspect -f '{{.Id}}' "$BUILD_IMAGE" >"$STATE_DIR/image-id"
log "built $BUILD_IMAGE = $SERVICE:$GIT_REVISION ($(<"$STATE_DIR/image-id"))"
