import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { selectRetention, type TaggedManifest } from "./retention";

/** One build: a numeric tag and a git revision tag on the same digest. */
const build = (n: number, rev = `rev${n}`): TaggedManifest[] => [
  { tag: String(n), digest: `sha256:${n}` },
  { tag: rev, digest: `sha256:${n}` },
];

describe("selectRetention", () => {
  it.each([
    { builds: [1, 2, 3, 4, 5], keep: 3, deleted: ["sha256:2", "sha256:1"] },
    { builds: [9, 10, 11], keep: 3, deleted: [] },
    // Numeric order, not text order: 10 is newer than 9.
    { builds: [8, 9, 10, 100], keep: 2, deleted: ["sha256:9", "sha256:8"] },
    { builds: [7], keep: 1, deleted: [] },
  ])("keeps the newest $keep of $builds", ({ builds, keep, deleted }) => {
    expect(
      selectRetention(
        builds.flatMap((n) => build(n)),
        keep,
      ).deleteDigests,
    ).toEqual(deleted);
  });

  it("never deletes an image a stack deploys, by either of its tags", () => {
    const manifests = [1, 2, 3, 4, 5].flatMap((n) => build(n));
    expect(selectRetention(manifests, 2, new Set(["1"])).deleteDigests).toEqual([
      "sha256:3",
      "sha256:2",
    ]);
    expect(selectRetention(manifests, 2, new Set(["rev2"])).deleteDigests).toEqual([
      "sha256:3",
      "sha256:1",
    ]);
  });

  it("keeps images that have no build number, since their age is unknown", () => {
    const manifests = [
      ...[1, 2, 3, 4].flatMap((n) => build(n)),
      { tag: "latest-experiment", digest: "sha256:x" },
    ];
    const decision = selectRetention(manifests, 1);
    expect(decision.deleteDigests).toEqual(["sha256:3", "sha256:2", "sha256:1"]);
    expect(decision.keptTags).toEqual(["4", "latest-experiment", "rev4"]);
  });

  it("keeps and deletes a build's stripped image with the build, counting the two as one", () => {
    // Step 7 publishes :<n>-slim and :<rev>-slim, one manifest apart from :<n> and :<rev>.
    const slim = (n: number): TaggedManifest[] => [
      { tag: `${n}-slim`, digest: `sha256:${n}s` },
      { tag: `rev${n}-slim`, digest: `sha256:${n}s` },
    ];
    const manifests = [1, 2, 3, 4].flatMap((n) => [...build(n), ...slim(n)]);
    const decision = selectRetention(manifests, 2);
    expect(decision.deleteDigests).toEqual(["sha256:2", "sha256:2s", "sha256:1", "sha256:1s"]);
    expect(decision.keptTags).toEqual([
      "3",
      "3-slim",
      "4",
      "4-slim",
      "rev3",
      "rev3-slim",
      "rev4",
      "rev4-slim",
    ]);
  });

  it.each(["12-slim-slim", "slim", "-slim", "12-slimmer", "v12", "12a"])(
    "does not read a build number in %s, so its image is kept",
    (tag) => {
      const manifests = [...[1, 2].flatMap((n) => build(n)), { tag, digest: "sha256:x" }];
      expect(selectRetention(manifests, 1).deleteDigests).toEqual(["sha256:1"]);
    },
  );

  it("counts an image rebuilt under two build numbers once, by the newer", () => {
    // An unchanged revision built again reuses the image: one digest, two build numbers.
    const manifests = [
      ...[1, 2, 3].flatMap((n) => build(n)),
      { tag: "4", digest: "sha256:3" },
      ...build(5),
    ];
    expect(selectRetention(manifests, 2).deleteDigests).toEqual(["sha256:2", "sha256:1"]);
  });

  it("fails when asked to keep fewer than one", () => {
    expect(() => selectRetention(build(1), 0)).toThrow(
      "keep must be a whole number of at least 1, got 0",
    );
  });

  const repository = fc
    .uniqueArray(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 })
    .map((numbers) => numbers.flatMap((n) => build(n)));

  it("never empties a repository and keeps exactly the newest builds", () => {
    fc.assert(
      fc.property(repository, fc.integer({ min: 1, max: 10 }), (manifests, keep) => {
        const decision = selectRetention(manifests, keep);
        expect(decision.keptTags.length).toBeGreaterThan(0);
        const numbers = manifests.filter((m) => /^\d+$/.test(m.tag)).map((m) => Number(m.tag));
        const newest = [...numbers].sort((a, b) => b - a).slice(0, keep);
        const keptNumbers = decision.keptTags
          .filter((t) => /^\d+$/.test(t))
          .map(Number)
          .sort((a, b) => b - a);
        expect(keptNumbers).toEqual(newest);
      }),
    );
  });

  it("never deletes a deployed tag, whatever is deployed", () => {
    fc.assert(
      fc.property(
        repository,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (manifests, keep, pick) => {
          const deployed = manifests[pick % manifests.length]!.tag;
          const decision = selectRetention(manifests, keep, new Set([deployed]));
          expect(decision.keptTags).toContain(deployed);
        },
      ),
    );
  });
});
