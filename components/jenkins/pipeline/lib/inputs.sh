# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here (BUILD_IMAGE, GIT_REVISION, ...) are the steps'
# The pipeline's inputs: every step takes all of them from the environment, so it runs the same
# from Jenkins, a terminal and the tests. components/jenkins/pipeline-env.ts builds them (for
# Jenkins, `npm run release` and the tests alike) and checks that it provides what each script's
# require_env lines ask for; examples/sample-service/README.md documents them. Sourced by lib.sh.
#
# Inputs (which step needs which is checked by each step, all problems reported at once):
#   SERVICE, BUILD_NUMBER, WORKSPACE (the service's checkout dir), GIT_URL, GIT_BRANCH,
#   BASE_IMAGE, DEV_PORTS, STACK, BACKEND_NETWORK, RESOLVER_IP, SEARCH_DOMAIN, APP_HOST_PORT,
#   BLUE_PORT, GREEN_PORT, PROXY_CONTAINER,
#   PUBLISH, REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD, REGISTRY_CERT_DIR, STRIPPED, DOCKER_HOST.
# Optional, with defaults below: SLIM_BASE_IMAGE, NETWORKHOLDER_IMAGE, DEV_HOST, HEALTH_PATH,
#   APP_MEMORY, APP_CPUS, APP_PIDS_LIMIT, CI_LOCK_DIR, KEEP_IMAGES, DANGLING_IMAGE_MIN_AGE, PROXY_LIVE_DIR, PROXY_CONF,
#   RELEASE_GRACE and the *_TIMEOUT / DEPLOY_LEASE_TTL bounds.
# Derived: BUILD_ID=${SERVICE}-${BUILD_NUMBER} (replaces Jenkins' own BUILD_ID), GIT_REVISION (read
#   from $WORKSPACE/.ci-platform/revision, written by step 1).

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib/inputs.sh is sourced by the pipeline steps (through lib.sh), not run" >&2
  exit 64
fi

# --- bounds (seconds) --------------------------------------------------------------------------
: "${GIT_TIMEOUT:=300}"           # git fetch
: "${BUILD_TIMEOUT:=1800}"        # one docker build
: "${TEST_TIMEOUT:=900}"          # one test suite
: "${START_TIMEOUT:=60}"          # networkholder / app listening in step 4
: "${HEALTH_TIMEOUT:=60}"         # deployed container answering its health check
: "${DEPLOY_WAIT_TIMEOUT:=1200}"  # waiting for another build's deploy of the same service
: "${DEPLOY_LEASE_TTL:=900}"      # a deploy lease older than this is abandoned and taken over
: "${PUSH_TIMEOUT:=1800}"         # one skopeo copy
: "${DANGLING_IMAGE_MIN_AGE:=3600}" # dangling images younger than this are left to running builds
: "${HEALTH_PATH:=/health}"
: "${NETWORKHOLDER_IMAGE:=ci-platform/networkholder:1}"
# Shared by every build on the host (not per-user TMPDIR): the deploy leases live here.
: "${CI_LOCK_DIR:=/tmp/ci-platform-locks}"
# Blue-green releases: where the proxy keeps live files and its config (the program's layout),
# how long an old slot keeps running after a switch, and how long a switch may take to show.
: "${PROXY_LIVE_DIR:=/var/lib/release-proxy/live}"
: "${PROXY_CONF:=/etc/ci-platform/release-proxy.conf}"
: "${RELEASE_GRACE:=30}"
: "${SWITCH_TIMEOUT:=15}"
# Image retention after a deploy (step 6): the builds whose images each host keeps per service.
: "${KEEP_IMAGES:=3}"

# Problems require_env and the checks found, reported at once by check_inputs.
CI_ERRORS=()

# --- input -------------------------------------------------------------------------------------

# require_env <VAR...>: each must be set and non-empty.
require_env() {
  local v
  for v in "$@"; do
    [[ -n "${!v:-}" ]] || CI_ERRORS+=("$v is not set")
  done
}

is_true() {
  case "${1:-}" in
    true | TRUE | True | 1 | yes) return 0 ;;
    *) return 1 ;;
  esac
}

check_bool() {
  case "${!1:-}" in
    "" | true | TRUE | True | 1 | yes | false | FALSE | False | 0 | no) ;;
    *) CI_ERRORS+=("$1 '${!1}' is not a boolean; use true or false") ;;
  esac
}

check_label() {
  [[ -z "${!1:-}" || "${!1}" =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] ||
    CI_ERRORS+=("$1 '${!1}' is not a lowercase DNS label (a-z, 0-9, '-'); it names images and containers")
}

check_port() {
  local value="$2"
  [[ "$value" =~ ^[0-9]{1,5}$ ]] && ((10#$value >= 1 && 10#$value <= 65535)) ||
    CI_ERRORS+=("$1 '$value' is not a TCP port (1-65535)")
}

# check_inputs: validates what is set, then dies listing every problem found (with require_env's).
check_inputs() {
  local p
  check_label SERVICE
  check_label STACK
  [[ -z "${BUILD_NUMBER:-}" || "$BUILD_NUMBER" =~ ^[0-9]+$ ]] ||
    CI_ERRORS+=("BUILD_NUMBER '$BUILD_NUMBER' is not a number (Jenkins sets it; from a terminal pass e.g. BUILD_NUMBER=1)")
  for p in APP_HOST_PORT BLUE_PORT GREEN_PORT; do
    [[ -z "${!p:-}" ]] || check_port "$p" "${!p}"
  done
  [[ "$RELEASE_GRACE" =~ ^[0-9]+$ ]] ||
    CI_ERRORS+=("RELEASE_GRACE '$RELEASE_GRACE' is not a number of seconds")
  for p in ${DEV_PORTS:-}; do check_port DEV_PORTS "$p"; done
  [[ -z "${RESOLVER_IP:-}" || "$RESOLVER_IP" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] ||
    CI_ERRORS+=("RESOLVER_IP '$RESOLVER_IP' is not an IPv4 address")
  check_bool PUBLISH
  check_bool STRIPPED
  [[ "$KEEP_IMAGES" =~ ^[0-9]+$ ]] && ((10#$KEEP_IMAGES >= 1)) ||
    CI_ERRORS+=("KEEP_IMAGES '$KEEP_IMAGES' is not a whole number of at least 1 (the builds whose images a host keeps)")
  [[ "$DANGLING_IMAGE_MIN_AGE" =~ ^[0-9]+$ ]] ||
    CI_ERRORS+=("DANGLING_IMAGE_MIN_AGE '$DANGLING_IMAGE_MIN_AGE' is not a number of seconds")
  if ((${#CI_ERRORS[@]} > 0)); then
    printf '%s [%s] ERROR: invalid input (%d problem(s)):\n' "$(date -u +%H:%M:%S)" "$CI_STEP" \
      "${#CI_ERRORS[@]}" >&2
    printf '  - %s\n' "${CI_ERRORS[@]}" >&2
    exit 2
  fi
  if [[ -n "${WORKSPACE:-}" ]]; then
    WORKSPACE="$(mkdir -p "$WORKSPACE" && cd "$WORKSPACE" && pwd)"
    STATE_DIR="$WORKSPACE/.ci-platform"
  fi
  if [[ -n "${SERVICE:-}" && -n "${BUILD_NUMBER:-}" ]]; then
    BUILD_ID="${SERVICE}-${BUILD_NUMBER}"
    BUILD_IMAGE="${SERVICE}:${BUILD_NUMBER}"
  fi
}

# require_tools <command...>
require_tools() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "needs ${missing[*]} on PATH"
}

# read_revision: GIT_REVISION from the state step 1 wrote.
read_revision() {
  local f="$STATE_DIR/revision"
  [[ -f "$f" ]] || die "no $f: run 01-checkout.sh for this WORKSPACE first"
  GIT_REVISION="$(<"$f")"
  [[ "$GIT_REVISION" =~ ^[0-9a-f]{40}$ ]] || die "$f holds '$GIT_REVISION', not a git revision"
}
