# shellcheck shell=bash
# Logging and the step lifecycle of the pipeline's steps: log/warn/die, the EXIT trap running each
# step's cleanup hooks (on_exit), and timings ($WORKSPACE/.ci-platform/timings.tsv). Sourced by
# lib.sh, never run.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib/log.sh is sourced by the pipeline steps (through lib.sh), not run" >&2
  exit 64
fi

CI_STEP=pipeline
CI_STEP_STARTED=""
CI_EXIT_HOOKS=()

# --- logging -----------------------------------------------------------------------------------

log() {
  printf '%s [%s %s] %s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" "${BUILD_ID:-${SERVICE:-?}}" "$*"
}

warn() {
  printf '%s [%s %s] WARNING: %s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" "${BUILD_ID:-?}" "$*" >&2
}

die() {
  printf '%s [%s %s] ERROR: %s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" "${BUILD_ID:-?}" "$*" >&2
  exit 1
}

# GIT_URL without credentials, for logs.
redact_url() {
  printf '%s' "$1" | sed -E 's#^([a-z+]+://)[^/@]*@#\1***@#'
}

# --- step lifecycle ----------------------------------------------------------------------------

now_us() {
  local t="${EPOCHREALTIME//[!0-9]/}"
  printf '%s' "$t"
}

# ci_step_init <step name>: logging, the EXIT trap running the step's cleanup hooks, timing.
ci_step_init() {
  CI_STEP="$1"
  CI_STEP_STARTED="$(now_us)"
  trap ci_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# on_exit <function>: run <function> when the step exits, whatever the exit status (last first).
on_exit() {
  CI_EXIT_HOOKS+=("$1")
}

ci_on_exit() {
  local rc=$? i
  set +e
  trap - EXIT INT TERM
  for ((i = ${#CI_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
    "${CI_EXIT_HOOKS[i]}" "$rc"
  done
  local elapsed=$(($(now_us) - CI_STEP_STARTED))
  record_timing "$CI_STEP" total "$elapsed"
  if ((rc == 0)); then
    log "step passed in $(seconds "$elapsed") s"
  else
    printf '%s [%s %s] FAILED (exit %s) after %s s\n' "$(date -u +%H:%M:%S)" "$CI_STEP" \
      "${BUILD_ID:-?}" "$rc" "$(seconds "$elapsed")" >&2
  fi
  exit "$rc"
}

# seconds <microseconds>: "12.3"
seconds() {
  printf '%d.%d' "$(($1 / 1000000))" "$((($1 % 1000000) / 100000))"
}

# record_timing <step> <what> <microseconds>: one line of $WORKSPACE/.ci-platform/timings.tsv,
# "<step> <what> <duration us> <end, epoch us>" (tab-separated), read by tools/pipeline-bench.ts.
record_timing() {
  if [[ -n "${STATE_DIR:-}" && -d "$STATE_DIR" ]]; then
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(now_us)" >>"$STATE_DIR/timings.tsv" 2>/dev/null || true
  fi
}

# timed <what> <command...>: runs the command, records how long it took under <what>.
timed() {
  local what="$1" start rc=0
  shift
  start="$(now_us)"
  "$@" || rc=$?
  record_timing "$CI_STEP" "$what" "$(($(now_us) - start))"
  return "$rc"
}
