/** Names and settings of a CI host's containers, kept pure so they are tested directly. */

/** Container names carry the stack, so two stacks can share one Docker engine. */
export function containerName(stack: string, role: string): string {
  return `${stack}-${role}`;
}

/** Docker memory limits are bytes. */
export function mebibytes(mb: number): number {
  return mb * 1024 * 1024;
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
