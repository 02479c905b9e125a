# shellcheck shell=bash
# The shared functions of the pipeline steps (01-checkout.sh ... 07-publish.sh, run-all.sh,
# release.sh), one file per concern under lib/, sourced here in order. Sourced by the steps, never
# run. Every step takes all its input from the environment (lib/inputs.sh lists it;
# components/jenkins/pipeline-env.ts builds it).
#   lib/log.sh         logging, the step lifecycle (exit hooks) and timings
#   lib/inputs.sh      the inputs, their defaults and checks
#   lib/containers.sh  the build's image, per-build containers, health checks, test suites
#   lib/lock.sh        the per-service deploy lease
#   lib/slots.sh       blue-green release slots and the release proxy
#   lib/retention.sh   image retention after a deploy

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib.sh is sourced by the pipeline steps, not run" >&2
  exit 64
fi

# shellcheck source=lib/log.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/log.sh"
# shellcheck source=lib/inputs.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/inputs.sh"
# shellcheck source=lib/containers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/containers.sh"
# shellcheck source=lib/lock.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/lock.sh"
# shellcheck source=lib/slots.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/slots.sh"
# shellcheck source=lib/retention.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/retention.sh"
