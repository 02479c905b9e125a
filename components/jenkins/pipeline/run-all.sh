#!/usr/bin/env bash
# Runs the seven steps in order, as the Jenkinsfile does, stopping at the first failure (whose exit
# status it returns). Same environment as the steps; step 7 is a no-op unless PUBLISH=true.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
steps=(01-checkout 02-build 03-unit-test 04-integration-test 05-deploy 06-live-test 07-publish)

started=$SECONDS
for step in "${steps[@]}"; do
  echo "==> ${step} (${SERVICE:-?} build ${BUILD_NUMBER:-?})"
  rc=0
  "$here/$step.sh" || rc=$?
  if ((rc != 0)); then
    echo "==> ${step} FAILED (exit $rc): the chain stops here after $((SECONDS - started)) s" >&2
    exit "$rc"
  fi
done
echo "==> all ${#steps[@]} steps passed in $((SECONDS - started)) s"
