# shellcheck shell=bash
# Image retention on a CI host after a deploy. Sourced by lib.sh, never run.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "lib/retention.sh is sourced by the pipeline steps (through lib.sh), not run" >&2
  exit 64
fi

# --- image retention -----------------------------------------------------------------------------
#
# Every build leaves ${SERVICE}:${BUILD_NUMBER} and :${GIT_REVISION} on the host (and, with
# STRIPPED=true, :${BUILD_NUMBER}-slim and :${GIT_REVISION}-slim). After each deploy that passed
# its live tests, step 6 keeps the images of the newest KEEP_IMAGES builds (enough to roll back)
# and removes the older ones, by the rule the registry's retention applies to manifests
# (selectRetention in components/registry/retention.ts), an image id standing for a digest:
#   - an image's build number is its highest tag that is a number, or a number and `-slim` (12-slim
#     is build 12's stripped image: a build's images are kept, or removed, together);
#   - kept: every image whose build number is one of the KEEP_IMAGES highest, every pinned image,
#     and every image with no build number (its age is unknown, so it is never guessed old);
#   - removed: the rest.
# test/host-retention.test.ts checks that the two implementations decide alike.

# select_image_retention <keep> [<pinned image id>...]: reads "<tag> <image id>" lines on stdin and
# prints the ids of the images to remove, one per line, sorted. Pure: no docker, no files.
select_image_retention() {
  local keep="${1:-}"
  if ! [[ "$keep" =~ ^[0-9]+$ ]] || ((10#$keep < 1)); then
    printf 'keep must be a whole number of at least 1, got %s\n' "$keep" >&2
    # Read the input anyway: whatever writes it must not die of a broken pipe.
    cat >/dev/null
    return 2
  fi
  shift
  local -A build=() pinned=()
  local tag id number oldest_kept
  for id in "$@"; do pinned["$id"]=1; done
  while read -r tag id _; do
    [[ -n "$id" ]] || continue
    number="${tag%-slim}"
    if [[ "$number" =~ ^[0-9]+$ ]]; then
      number=$((10#$number))
      if [[ -z "${build[$id]:-}" ]] || ((number > ${build[$id]})); then build["$id"]=$number; fi
    fi
  done
  ((${#build[@]} > 0)) || return 0
  # The keep-th highest build number; with fewer builds than that, every image is kept.
  oldest_kept="$(printf '%s\n' "${build[@]}" | sort -nru | sed -n "$((10#$keep))p")"
  [[ -n "$oldest_kept" ]] || return 0
  for id in "${!build[@]}"; do
    if ((${build[$id]} < oldest_kept)) && [[ -z "${pinned[$id]:-}" ]]; then printf '%s\n' "$id"; fi
  done | LC_ALL=C sort
}

# remove_old_images [<image id>...]: image retention for SERVICE on this host, run by step 6 once
# the deploy passed its live tests (the previous container is gone by then). Pinned, so kept besides
# the images of the newest KEEP_IMAGES builds:
#   - the given images: step 6 passes the previous container's, the way back, even when failed
#     builds since outnumber KEEP_IMAGES;
#   - the image of every container on the host, running or stopped: the deployed one, other
#     builds' test containers, other stacks' deployments;
#   - the images of builds newer than this one: still in flight, maybe between two steps, with no
#     container.
# Images are removed by tag, never forced, so Docker itself refuses to remove an image a container
# started meanwhile uses; the build number goes last, so a refused image keeps its rank. Then
# `docker image prune` removes the host's dangling images older than DANGLING_IMAGE_MIN_AGE seconds
# (0: all of them); younger ones may be layers of a build in progress, or the `slim` stage step 7
# is about to tag. Needs SERVICE and BUILD_NUMBER. Never fails the build: whatever goes wrong is
# logged as a warning.
remove_old_images() {
  local listing containers inspected out images tag id image number
  local -a ids=() pins=("$@") doomed=() refs=()
  if ! listing="$(timeout 60 docker image ls --no-trunc --format '{{.Tag}} {{.ID}}' "$SERVICE")"; then
    warn "image retention skipped: could not list the images of $SERVICE"
    return 0
  fi
  listing="$(grep -v '^<none> ' <<<"$listing" || true)"
  if ! containers="$(timeout 60 docker ps --all --quiet --no-trunc)"; then
    warn "image retention skipped: could not list the containers"
    return 0
  fi
  if [[ -n "$containers" ]]; then
    mapfile -t ids <<<"$containers"
    # Fails when a container was removed meanwhile (its image needs no pin any more), still
    # printing the others' images.
    inspected="$(timeout 60 docker inspect --type container -f '{{.Image}}' "${ids[@]}" 2>/dev/null)" ||
      true
    if [[ -z "$inspected" ]]; then
      warn "image retention skipped: could not inspect the containers"
      return 0
    fi
    mapfile -t -O "${#pins[@]}" pins <<<"$inspected"
  fi
  while read -r tag id; do
    number="${tag%-slim}"
    if [[ "$number" =~ ^[0-9]+$ ]] && ((10#$number > 10#$BUILD_NUMBER)); then pins+=("$id"); fi
  done <<<"$listing"

  if ! out="$(select_image_retention "$KEEP_IMAGES" "${pins[@]}" <<<"$listing")"; then
    warn "image retention skipped: KEEP_IMAGES '$KEEP_IMAGES' is not a whole number of at least 1"
    return 0
  fi
  if [[ -n "$out" ]]; then mapfile -t doomed <<<"$out"; fi
  images="$(awk 'NF == 2 { print $2 }' <<<"$listing" | sort -u | grep -c . || true)"
  log "image retention: $images image(s) of $SERVICE; keeping the newest $KEEP_IMAGES build(s)," \
    "the images in use or replaced and those of builds newer than $BUILD_ID; removing ${#doomed[@]}"
  for id in "${doomed[@]}"; do
    # Its names, the build numbers last and the highest at the very end.
    mapfile -t refs < <(
      while read -r tag image; do
        [[ "$image" == "$id" ]] || continue
        number="${tag%-slim}"
        if [[ "$number" =~ ^[0-9]+$ ]]; then
          printf '1 %s %s\n' "$((10#$number))" "$SERVICE:$tag"
        else
          printf '0 0 %s\n' "$SERVICE:$tag"
        fi
      done <<<"$listing" | sort -k1,1n -k2,2n -k3,3 | cut -d' ' -f3
    )
    if out="$(timeout 60 docker rmi "${refs[@]}" 2>&1 >/dev/null)"; then
      log "removed ${refs[*]} (${id:7:12})"
    else
      warn "could not remove ${refs[*]} (${id:7:12}): ${out//$'\n'/ }"
    fi
  done

  local prune=(--force) which="dangling images"
  if ((10#$DANGLING_IMAGE_MIN_AGE > 0)); then
    prune+=(--filter "until=${DANGLING_IMAGE_MIN_AGE}s")
    which+=" older than $DANGLING_IMAGE_MIN_AGE s"
  fi
  if out="$(timeout 300 docker image prune "${prune[@]}" 2>&1)"; then
    log "$which: $(grep -c '^deleted: ' <<<"$out" || true) removed; $(tail -n 1 <<<"$out")"
  else
    warn "docker image prune failed: ${out//$'\n'/ }"
  fi
  return 0
}
