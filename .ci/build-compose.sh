#!/usr/bin/env bash
# Builds the Docker Compose CLI plugin (github.com/docker/compose/v5, its `cmd` package) at the
# pinned version from Go modules, for the integration test that loads `npm run dev-compose`'s
# file in the real Compose (Debian's docker.io ships no compose plugin).
#
# Output: .cache/tools/docker-compose/docker-compose (a static binary). It works as the docker
# CLI plugin (the tests link it into their private DOCKER_CONFIG's cli-plugins directory) and
# standalone. Go's module and build caches live in .cache/go (about 800 MB), so nothing outside
# the checkout is written. Idempotent: when the binary already reports the pinned version, it
# changes nothing and does not touch the network. Measured on 2 cores: about 2.5 minutes cold
# (empty caches: downloading the modules and compiling), 0.02 s when already built.
#
# Needs Go >= the pinned version's `go` directive (v5.6.0: go 1.26.8) on PATH or in
# /usr/local/go/bin; GOTOOLCHAIN stays local, so no other toolchain is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

# v5.6.0 is the newest release whose go.mod accepts CI's Go 1.26.8 (v5.7.0 needs 1.26.10).
readonly COMPOSE_VERSION=v5.6.0
readonly MODULE=github.com/docker/compose/v5
readonly out_dir=.cache/tools/docker-compose
readonly binary="$out_dir/docker-compose"

installed_version() {
  [ -x "$binary" ] && "$binary" version --short 2>/dev/null
}

if [ "$(installed_version || true)" = "${COMPOSE_VERSION#v}" ]; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  PATH="$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-compose: go not found on PATH or in /usr/local/go/bin" >&2
  exit 1
fi

root=$(pwd)
mkdir -p .cache
work=$(mktemp -d "$root/.cache/build-compose.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "build-compose: building docker compose $COMPOSE_VERSION with $(go env GOVERSION)"
started=$SECONDS
export GOTOOLCHAIN=local GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0
export GOMODCACHE="$root/.cache/go/mod" GOCACHE="$root/.cache/go/build"
# `go install <pkg>@<version>` refuses a module whose go.mod has exclude directives, as compose's
# has; build inside the downloaded module instead, so its go.mod and go.sum apply exactly.
src=$(go mod download -json "$MODULE@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ] || [ ! -f "$src/go.mod" ]; then
  echo "build-compose: go mod download $MODULE@$COMPOSE_VERSION gave no source directory" >&2
  exit 1
fi
(cd "$src" && go build -trimpath -o "$work/docker-compose" \
  -ldflags "-s -w -X $MODULE/internal.Version=$COMPOSE_VERSION" ./cmd)

mkdir -p "$out_dir"
mv -f "$work/docker-compose" "$binary"
got=$(installed_version || true)
if [ "$got" != "${COMPOSE_VERSION#v}" ]; then
  echo "build-compose: built $binary reports version '$got', expected ${COMPOSE_VERSION#v}" >&2
  exit 1
fi
echo "build-compose: $binary ($got) built in $((SECONDS - started)) s"
