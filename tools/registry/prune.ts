/**
 * Registry retention: deletes all but the newest tags of each repository through the API, then
 * garbage-collects blobs in read-only maintenance mode, never while a push is in flight.
 */
import { selectRetention, type TaggedManifest } from "../../components/registry/retention";
import type { RegistryApi } from "./registry-api";

/** What garbage collection needs from wherever the registry runs (containers, or test daemons). */
export interface RegistryMaintenance {
  /** While on, nginx answers writes with 405 and pulls keep working. */
  setReadOnly(on: boolean): Promise<void>;
  /** Uploads started recently and not finished. */
  uploadsInFlight(): Promise<number>;
  /** Runs the registry's garbage collection; resolves to its output. */
  garbageCollect(): Promise<string>;
}

export interface PruneOptions {
  readonly api: RegistryApi;
  readonly maintenance: RegistryMaintenance;
  /** Tags kept per repository. */
  readonly keep: number;
  /** Repository -> tags a stack config deploys: never deleted. */
  readonly deployed: ReadonlyMap<string, ReadonlySet<string>>;
  /** Only report what would be deleted. */
  readonly dryRun: boolean;
  /** How long to wait for in-flight pushes before giving up. @default 300_000 */
  readonly quietTimeoutMs?: number;
  readonly log: (line: string) => void;
}

export interface PruneReport {
  /** Repository -> digests deleted (or that would be). */
  readonly deleted: Record<string, string[]>;
  readonly garbageCollected: boolean;
}

async function waitForQuiet(
  maintenance: RegistryMaintenance,
  timeoutMs: number,
  log: (l: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const inFlight = await maintenance.uploadsInFlight();
    if (inFlight === 0) return;
    if (Date.now() >= deadline)
      throw new Error(
        `${inFlight} push(es) still in flight after ${timeoutMs} ms; garbage collection not started, try again later`,
      );
    log(`waiting: ${inFlight} push(es) in flight`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

export async function pruneRegistry(options: PruneOptions): Promise<PruneReport> {
  const { api, maintenance, log } = options;
  const deleted: Record<string, string[]> = {};
  for (const repository of (await api.repositories()).sort()) {
    const manifests: TaggedManifest[] = [];
    for (const tag of await api.tags(repository))
      manifests.push({ tag, digest: await api.digest(repository, tag) });
    const decision = selectRetention(
      manifests,
      options.keep,
      options.deployed.get(repository) ?? new Set(),
    );
    if (decision.deleteDigests.length === 0) continue;
    deleted[repository] = decision.deleteDigests;
    log(
      `${repository}: ${options.dryRun ? "would delete" : "deleting"} ${decision.deleteDigests.length} image(s); keeping tags ${decision.keptTags.join(", ")}`,
    );
    if (!options.dryRun) {
      for (const digest of decision.deleteDigests) await api.deleteManifest(repository, digest);
    }
  }
  if (options.dryRun || Object.keys(deleted).length === 0)
    return { deleted, garbageCollected: false };

  const quietTimeoutMs = options.quietTimeoutMs ?? 300_000;
  await waitForQuiet(maintenance, quietTimeoutMs, log);
  await maintenance.setReadOnly(true);
  try {
    // A push that started between the check and the switch would be cut off: check once more.
    if ((await maintenance.uploadsInFlight()) > 0) {
      throw new Error(
        "a push started as maintenance began; garbage collection not started, try again later",
      );
    }
    log("read-only: garbage-collecting unreferenced blobs");
    const output = await maintenance.garbageCollect();
    log(output.trim().split("\n").slice(-3).join("\n"));
  } finally {
    await maintenance.setReadOnly(false);
    log("read-write again");
  }
  return { deleted, garbageCollected: true };
}
