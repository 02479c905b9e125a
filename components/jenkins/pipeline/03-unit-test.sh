#!/usr/bin/env bash
# Step 3 of 7, unit tests: `ci-test unit` in the build's image, on the host network, where the
# dev-minimal datastores listen on their default ports (mongodb 27017, postgres 5432, redis 6379).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 03-unit-test
require_env SERVICE BUILD_NUMBER WORKSPACE STACK
check_inputs
require_tools docker timeout
read_revision
require_image
on_exit remove_build_containers

log "unit tests: ci-test unit in $BUILD_IMAGE (host network)"
timed service-unit run_suite unit --network host "$BUILD_IMAGE" ci-test unit ||
  die "unit tests failed"
