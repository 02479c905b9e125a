#!/usr/bin/env bash
# Runs every test of ci-platform on a Debian machine, installing what the tests need first:
# Debian packages (Docker engine, dnsmasq, nginx, registry, Groovy, ...), Node.js 22 when the
# machine's is older, npm packages, and Docker Compose built from Go modules. Ends with one summary
# line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh
# shellcheck source=.ci/use-node.sh
source .ci/use-node.sh
bash .ci/build-compose.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check

mkdir -p .cache
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.cache/vitest-results.json || status=$?
node test/summary.mjs .cache/vitest-results.json || status=1
exit "$status"
