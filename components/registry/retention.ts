/**
 * Which images retention deletes. A build pushes one manifest under its build number and its git
 * revision, so tags are grouped by manifest digest; a digest is ranked by its highest numeric tag.
 */

export interface TaggedManifest {
  readonly tag: string;
  readonly digest: string;
}

export interface RetentionDecision {
  /** Digests to delete (each removes every tag pointing at it), newest-kept first order. */
  readonly deleteDigests: string[];
  /** Tags that remain. */
  readonly keptTags: string[];
}

const BUILD_NUMBER = /^\d+$/;

/**
 * Keeps the `keep` newest digests by build number, every digest a deployed tag points at, and every
 * digest with no build number (it cannot be ordered, so it is never guessed old). Never empties a
 * repository that has any tag.
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
    if (BUILD_NUMBER.test(m.tag))
      rank.set(m.digest, Math.max(rank.get(m.digest) ?? -1, Number(m.tag)));
    if (deployedTags.has(m.tag)) pinned.add(m.digest);
  }
  const ranked = [...rank.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const keepDigests = new Set([...ranked.slice(0, keep).map(([d]) => d), ...pinned]);
  const deleteDigests = ranked.map(([d]) => d).filter((d) => !keepDigests.has(d));
  const deleted = new Set(deleteDigests);
  const keptTags = manifests
    .filter((m) => !deleted.has(m.digest))
    .map((m) => m.tag)
    .sort();
  return { deleteDigests, keptTags };
}
