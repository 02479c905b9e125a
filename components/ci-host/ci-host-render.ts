/** Names and settings of a CI host's containers, kept pure so they are tested directly. */

/** Container names carry the stack, so two stacks can share one Docker engine. */
export function containerName(stack: string, role: string): string {
  return `${stack}-${role}`;
}

/**
 * The docker provider's `memory` and `memorySwap` are in MB (it multiplies by 1024 * 1024 before
 * calling Docker and divides on read-back), so a catalog's MiB pass through unchanged. Swap is
 * off: `memorySwap` equal to `memory` is Docker's "no swap" and reads back as written, where an
 * unset one reads back as twice the memory (a diff on every preview).
 */
export function memoryLimits(memoryMb: number): { memory: number; memorySwap: number } {
  if (!Number.isInteger(memoryMb) || memoryMb < MIN_CONTAINER_MEMORY_MB) {
    throw new Error(
      `memory limit ${memoryMb} MB is not a whole number of at least ${MIN_CONTAINER_MEMORY_MB} MB (Docker's minimum)`,
    );
  }
  return { memory: memoryMb, memorySwap: memoryMb };
}

/** Docker refuses a memory limit below 6 MB. */
export const MIN_CONTAINER_MEMORY_MB = 6;

/**
 * Drop every capability and add back only `adds`, written as Docker stores and reports them
 * (`CAP_`-prefixed, upper case, sorted): the provider reads them back from the engine and a
 * capability change replaces the container, so any other spelling replaces it on every refresh.
 */
export function onlyCapabilities(adds: readonly string[]): { drops: string[]; adds: string[] } {
  const names = adds.map((cap) => {
    const upper = cap.toUpperCase();
    return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  });
  return { drops: ["ALL"], adds: [...new Set(names)].sort() };
}

/** Log rotation for every container the platform starts, so no container can fill the disk. */
export const CONTAINER_LOG_OPTS: Readonly<Record<string, string>> = {
  "max-size": "10m",
  "max-file": "3",
};

/** Restart policy for long-running platform containers. */
export const RESTART_POLICY = "unless-stopped";

/** A resource-name-safe form of an image reference: `mongo:7.0` -> `mongo-7-0`. */
export function imageSlug(image: string): string {
  return image
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Images of the platform's own infrastructure containers. */
export const PLATFORM_IMAGES = {
  /** Any image with `dnsmasq` on its PATH; the program passes the command and the config. */
  dnsmasq: "dockurr/dnsmasq:2.91",
} as const;

/** Where the rendered dnsmasq configuration is placed inside the resolver container. */
export const DNSMASQ_CONF_PATH = "/etc/ci-platform/dnsmasq.conf";

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
