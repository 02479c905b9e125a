/** A CI host's engine settings (daemon.json) and its preparation script, kept pure so they are tested directly. */
import { CONTAINER_LOG_OPTS } from "../docker/docker-render";

/**
 * The engine's daemon.json: the CIS Docker Benchmark settings that fit a CI host. Keys are written
 * in a fixed order so the same settings give the same bytes.
 *
 * Not set, deliberately: `icc: false` (the production-like set talks container to container),
 * `userns-remap` (Jenkins bind-mounts workspaces into build containers, which remapping breaks).
 */
export function renderDaemonJson(): string {
  const settings = {
    "log-driver": "json-file",
    "log-opts": {
      "max-size": CONTAINER_LOG_OPTS["max-size"],
      "max-file": CONTAINER_LOG_OPTS["max-file"],
    },
    "live-restore": true,
    "userland-proxy": false,
    "no-new-privileges": true,
  };
  return `${JSON.stringify(settings, null, 2)}\n`;
}

/**
 * The script that installs daemon.json (and registry CAs) on a host: atomic writes, and a reload
 * only when a file actually changed, so re-running it is harmless.
 */
export function renderHostPrepScript(): string {
  // The CA is read per connection: only a daemon.json change needs the engine reloaded.
  return `#!/bin/sh
# Rendered by ci-platform: installs the Docker engine's daemon.json on a CI host.
# Inputs (environment): DAEMON_JSON_PATH, DAEMON_JSON (content), RELOAD_COMMAND, and optionally
# REGISTRY_CA_PATH and REGISTRY_CA: the private registry's CA, which the engine reads per pull.
set -eu
changed=0
install_file() {
  target=$1
  content=$2
  mkdir -p "$(dirname "$target")"
  if [ -f "$target" ] && [ "$(cat "$target")" = "$content" ]; then
    return 0
  fi
  printf '%s\\n' "$content" > "$target.tmp"
  chmod 0644 "$target.tmp"
  mv "$target.tmp" "$target"
  changed=1
}
if [ -n "\${REGISTRY_CA_PATH:-}" ]; then
  install_file "$REGISTRY_CA_PATH" "$REGISTRY_CA"
  changed=0
fi
install_file "$DAEMON_JSON_PATH" "$DAEMON_JSON"
if [ "$changed" = 1 ]; then
  echo "daemon.json changed at $DAEMON_JSON_PATH; reloading the engine (log and proxy settings apply at its next restart)"
  sh -c "$RELOAD_COMMAND"
else
  echo "daemon.json at $DAEMON_JSON_PATH is up to date"
fi
`;
}
