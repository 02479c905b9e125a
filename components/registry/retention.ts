/**
 * Which images retention deletes. A build pushes one manifest under its build number and its git
 * revision, so tags are grouped by manifest digest; a digest is ranked by its highest build number.
 *
 * The CI hosts apply the same rule to their local images after each deploy, an image id standing
 * for a digest: `select_image_retention` in `components/jenkins/pipeline/lib/retention.sh` (shell,
 * since a CI host need not have Node.js). `test/host-retention.test.ts` checks that the two decide
 * alike.
 */

export interface TaggedManifest {
  readonly tag: string;
  readonly digest: string;
}

export interface RetentionDecision {
  /** Digests to delete (each removes every tag pointing at it), newest first. */
  readonly deleteDigests: string[];
  /** Tags that remain. */
  readonly keptTags: string[];
}

/**
 * A tag naming a build: its number, or its number and `-slim` for the stripped image step 7
 * publishes beside it (`12-slim` belongs to build 12, so it is kept and deleted with `12`).
 */
const BUILD_TAG = /^(\d+)(?:-slim)?$/;

/**
 * Keeps the digests of the `keep` newest builds (a build's image and its `-slim` sibling count as
 * one build), every digest a deployed tag points at, and every digest with no build number (it
 * cannot be ordered, so it is never guessed old). Never empties a repository that has any tag.
 */
export function selectRetention(
  manifests: readonly TaggedManifest[],
  keep: number,
  deployedTags: ReadonlySet<string> = new Set(),
): RetentionDecision {
  if (!Number.isInteger(keep) || keep < 1)
    throw new Error(`keep must be a whole number of at least 1, got ${keep}`);
  const rank = new Map<string, number>();
  const pinned = new Set<string>();
  for (const m of manifests) {
    const build = BUILD_TAG.exec(m.tag)?.[1];
    if (build !== undefined) rank.set(m.digest, Math.max(rank.get(m.digest) ?? -1, Number(build)));
    if (deployedTags.has(m.tag)) pinned.add(m.digest);
  }
  const ranked = [...rank.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  // The oldest build kept; with fewer builds than `keep`, every digest is kept.
  const oldestKept = [...new Set(rank.values())].sort((a, b) => b - a)[keep - 1] ?? -Infinity;
  const deleteDigests = ranked
    .filter(([digest, build]) => build < oldestKept && !pinned.has(digest))
    .map(([digest]) => digest);
  const deleted = new Set(deleteDigests);
  const keptTags = manifests
    .filter((m) => !deleted.has(m.digest))
    .map((m) => m.tag)
    .sort();
  return { deleteDigests, keptTags };
}
