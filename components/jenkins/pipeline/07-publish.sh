#!/usr/bin/env bash
# Step 7 of 7, publish (staging host, PUBLISH=true; otherwise a no-op): pushes the build's image to
# REGISTRY as ${REGISTRY}/${SERVICE}:${GIT_REVISION} and :${BUILD_NUMBER} (one manifest, two
# tags). With STRIPPED=true it also builds the Dockerfile's `slim` stage (runtime only, no build
# tools) and pushes it as :${GIT_REVISION}-slim and :${BUILD_NUMBER}-slim.
# skopeo pushes (from `docker save`), trusting the CA in REGISTRY_CERT_DIR (a directory with
# ca.crt; default: the system's trust) and logging in as REGISTRY_USER with REGISTRY_PASSWORD,
# which are written to a private temp auth file, never put on a command line.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_step_init 07-publish
require_env SERVICE BUILD_NUMBER WORKSPACE
if is_true "${PUBLISH:-}"; then
  require_env REGISTRY REGISTRY_USER REGISTRY_PASSWORD
  if is_true "${STRIPPED:-}"; then require_env BASE_IMAGE; fi
  [[ -z "${REGISTRY:-}" || "$REGISTRY" =~ ^[A-Za-z0-9.-]+(:[0-9]{1,5})?$ ]] ||
    CI_ERRORS+=("REGISTRY '$REGISTRY' is not host[:port]")
  [[ -z "${REGISTRY_CERT_DIR:-}" || -d "$REGISTRY_CERT_DIR" ]] ||
    CI_ERRORS+=("REGISTRY_CERT_DIR '$REGISTRY_CERT_DIR' is not a directory")
fi
check_inputs
if ! is_true "${PUBLISH:-}"; then
  log "PUBLISH is not true: nothing to publish (only the staging host publishes)"
  exit 0
fi
require_tools docker skopeo git timeout base64
read_revision
require_image

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ci-publish.XXXXXX")"
remove_tmp() { rm -rf "$tmp"; }
on_exit remove_tmp
(
  umask 077
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" \
    "$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)" >"$tmp/auth.json"
)
side_flags() { # <src-|dest-|"">: how skopeo reaches and logs in to REGISTRY
  printf '%s\n' "--${1}authfile=$tmp/auth.json"
  if [[ -n "${REGISTRY_CERT_DIR:-}" ]]; then printf '%s\n' "--${1}cert-dir=$REGISTRY_CERT_DIR"; fi
}
mapfile -t dest < <(side_flags dest-)
mapfile -t src < <(side_flags src-)
# No signature policy applies to pushing our own image: the host's policy.json is not consulted.
skopeo_copy() { timeout "$PUSH_TIMEOUT" skopeo --insecure-policy copy --quiet --retry-times 2 "$@"; }

# publish <local image> <tag> <second tag>
publish() {
  local image="$1" tag="$2" alias="$3" target="$REGISTRY/$SERVICE"
  log "pushing $image as $target:$tag and :$alias"
  docker save --output "$tmp/image.tar" "$image" || die "docker save $image failed"
  skopeo_copy "${dest[@]}" --digestfile "$tmp/digest" "docker-archive:$tmp/image.tar" \
    "docker://$target:$tag" || die "pushing $target:$tag failed"
  rm -f "$tmp/image.tar"
  # The second tag is the same manifest: a registry-side copy uploads no layers.
  skopeo_copy "${src[@]}" "${dest[@]}" "docker://$target:$tag" "docker://$target:$alias" ||
    die "tagging $target:$alias failed"
  printf '%s:%s %s\n%s:%s %s\n' "$target" "$tag" "$(<"$tmp/digest")" "$target" "$alias" \
    "$(<"$tmp/digest")" >>"$STATE_DIR/published"
  log "pushed $target:$tag = :$alias ($(<"$tmp/digest"))"
}

timed push publish "$BUILD_IMAGE" "$GIT_REVISION" "$BUILD_NUMBER"

if is_true "${STRIPPED:-}"; then
  slim="$SERVICE:$BUILD_NUMBER-slim"
  log "building the stripped image: target 'slim' of the Dockerfile"
  timed service-build-slim build_image --target slim --tag "$SERVICE:$GIT_REVISION-slim" \
    --tag "$slim" || die "docker build --target slim failed (does the Dockerfile have a 'slim' stage?)"
  timed push-slim publish "$slim" "$GIT_REVISION-slim" "$BUILD_NUMBER-slim"
fi
