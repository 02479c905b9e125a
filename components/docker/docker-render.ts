/** Names and settings every platform container shares, kept pure so they are tested directly. */

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

/** The proxy's container name on a host of `stack`; the pipeline and `npm run release` use it. */
export function releaseProxyContainerName(stack: string): string {
  return containerName(stack, "release-proxy");
}
