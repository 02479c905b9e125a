#!/usr/bin/env bash
# Step 1 of 7, checkout: the head of GIT_BRANCH of GIT_URL into WORKSPACE, cleaned of anything
# untracked, and its full revision into $WORKSPACE/.ci-platform/revision for the later steps.
# WORKSPACE may be empty, missing, or an earlier checkout (Jenkins' own git step included).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 01-checkout
require_env SERVICE BUILD_NUMBER WORKSPACE GIT_URL GIT_BRANCH
check_inputs
require_tools git timeout

if [[ ! -d "$WORKSPACE/.git" ]]; then
  if [[ -n "$(ls -A "$WORKSPACE")" ]]; then
    die "WORKSPACE $WORKSPACE is neither empty nor a git checkout; use an empty directory"
  fi
  git -C "$WORKSPACE" init --quiet
fi
repo=(git -C "$WORKSPACE" -c advice.detachedHead=false)
# This build's state starts empty: nothing of an earlier build in the same WORKSPACE carries over.
rm -rf "$STATE_DIR"
mkdir -p "$STATE_DIR"
grep -qx '/.ci-platform/' "$WORKSPACE/.git/info/exclude" 2>/dev/null ||
  echo '/.ci-platform/' >>"$WORKSPACE/.git/info/exclude"

if "${repo[@]}" remote get-url origin >/dev/null 2>&1; then
  "${repo[@]}" remote set-url origin "$GIT_URL"
else
  "${repo[@]}" remote add origin "$GIT_URL"
fi
log "fetching $GIT_BRANCH of $(redact_url "$GIT_URL")"
timed fetch timeout "$GIT_TIMEOUT" "${repo[@]}" fetch --quiet --no-tags --prune origin \
  "+refs/heads/$GIT_BRANCH:refs/remotes/origin/$GIT_BRANCH" ||
  die "git fetch of $GIT_BRANCH from $(redact_url "$GIT_URL") failed or took over $GIT_TIMEOUT s"
"${repo[@]}" checkout --quiet --force --detach "refs/remotes/origin/$GIT_BRANCH"
# Everything untracked goes, except this build's state.
"${repo[@]}" clean -ffdxq --exclude=/.ci-platform/

GIT_REVISION="$("${repo[@]}" rev-parse HEAD)"
printf '%s\n' "$GIT_REVISION" >"$STATE_DIR/revision"
log "revision $GIT_REVISION: $("${repo[@]}" log -1 --format='%s (%an, %cI)')"
