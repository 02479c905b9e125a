/**
 * The CI hosts' image retention (`select_image_retention` in the pipeline's `lib/retention.sh`,
 * shell because a CI host need not have Node.js) decides exactly as the registry's
 * (`selectRetention`), an image id standing for a manifest digest and the images of containers for
 * the deployed tags.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { selectRetention, type TaggedManifest } from "../components/registry/retention";

const LIB = path.resolve(__dirname, "../components/jenkins/pipeline/lib.sh");

interface ShellResult {
  readonly deleted: string[];
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs the shell function on `tag id` lines, as the pipeline does (lib.sh sourced, strict mode). */
function selectOnHost(
  images: readonly TaggedManifest[],
  keep: string,
  pinned: readonly string[],
): ShellResult {
  const r = spawnSync(
    "bash",
    [
      // No ~/.bashrc: bash reads it when stdin is a socket, as Node's pipes are.
      "--norc",
      "-c",
      'set -euo pipefail; source "$1"; shift; select_image_retention "$@"',
      "bash",
      LIB,
      keep,
      ...pinned,
    ],
    {
      input: images.map((m) => `${m.tag} ${m.digest}\n`).join(""),
      encoding: "utf8",
      timeout: 10_000,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    },
  );
  if (r.error) throw r.error;
  return {
    deleted: r.stdout.split("\n").filter((l) => l !== ""),
    code: r.status,
    stderr: r.stderr,
  };
}

/** What the registry's rule decides when the images of `pinned` are deployed (by any of their tags). */
function selectInRegistry(
  images: readonly TaggedManifest[],
  keep: number,
  pinned: readonly string[],
): string[] {
  const deployed = new Set(images.filter((m) => pinned.includes(m.digest)).map((m) => m.tag));
  return [...selectRetention(images, keep, deployed).deleteDigests].sort();
}

const imageId = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;
const revision = (n: number): string => n.toString(16).padStart(40, "a");

describe("select_image_retention", () => {
  it.each([
    { name: "keeps the newest 3 of 5 builds", builds: [1, 2, 3, 4, 5], pinned: [], gone: [1, 2] },
    {
      name: "keeps the running image of build 2 too",
      builds: [1, 2, 3, 4, 5],
      pinned: [2],
      gone: [1],
    },
    { name: "keeps everything with 3 builds or fewer", builds: [8, 9], pinned: [], gone: [] },
    { name: "orders by number, not text", builds: [9, 10, 11, 100], pinned: [], gone: [9] },
  ])("$name", ({ builds, pinned, gone }) => {
    const images = builds.flatMap((n) => [
      { tag: String(n), digest: imageId(n) },
      { tag: revision(n), digest: imageId(n) },
    ]);
    const result = selectOnHost(images, "3", pinned.map(imageId));
    expect(result).toEqual({ deleted: gone.map(imageId).sort(), code: 0, stderr: "" });
  });

  it("removes a build's -slim image with the build and keeps it with it", () => {
    const images = [1, 2, 3, 4].flatMap((n) => [
      { tag: String(n), digest: imageId(n) },
      { tag: `${n}-slim`, digest: imageId(100 + n) },
      { tag: `${revision(n)}-slim`, digest: imageId(100 + n) },
    ]);
    expect(selectOnHost(images, "3", []).deleted).toEqual([imageId(1), imageId(101)]);
  });

  it.each(["0", "", "three", "-1"])("fails when asked to keep '%s' images", (keep) => {
    expect(selectOnHost([{ tag: "1", digest: imageId(1) }], keep, [])).toEqual({
      deleted: [],
      code: 2,
      stderr: `keep must be a whole number of at least 1, got ${keep}\n`,
    });
  });

  /**
   * A host's images of one service: builds (a number and a revision tag on one image id, several
   * builds sharing an id when an unchanged revision is rebuilt), their -slim siblings on ids of
   * their own, and stray tags, some of which only look like build numbers. Each tag names one id.
   */
  const hostImages = fc
    .array(
      fc.record({
        build: fc.integer({ min: 0, max: 60 }),
        id: fc.integer({ min: 1, max: 25 }),
        slimId: fc.option(fc.integer({ min: 26, max: 40 }), { nil: undefined }),
        stray: fc.option(
          fc.constantFrom(
            "latest",
            "007",
            "12-slim-slim",
            "slim",
            "-slim",
            "3a",
            "v4",
            "5-slimmer",
          ),
          { nil: undefined },
        ),
      }),
      { maxLength: 14 },
    )
    .map((builds) => {
      const byTag = new Map<string, string>();
      for (const b of builds) {
        const id = imageId(b.id);
        for (const tag of [String(b.build), revision(b.id)])
          if (!byTag.has(tag)) byTag.set(tag, id);
        if (b.slimId !== undefined) {
          const slim = imageId(b.slimId);
          for (const tag of [`${b.build}-slim`, `${revision(b.id)}-slim`])
            if (!byTag.has(tag)) byTag.set(tag, slim);
        }
        if (b.stray !== undefined && !byTag.has(b.stray)) byTag.set(b.stray, id);
      }
      return [...byTag].map(([tag, digest]): TaggedManifest => ({ tag, digest }));
    });

  it("decides as the registry's selectRetention for any images, keep and pins", () => {
    fc.assert(
      fc.property(
        hostImages,
        fc.integer({ min: 1, max: 5 }),
        // Pinned: images of containers, some of another service (ids 41-45 are in no listing).
        fc.uniqueArray(fc.integer({ min: 1, max: 45 }), { maxLength: 4 }),
        (images, keep, pins) => {
          const pinned = pins.map(imageId);
          const result = selectOnHost(images, String(keep), pinned);
          expect(result.code, result.stderr).toBe(0);
          expect(result.deleted).toEqual(selectInRegistry(images, keep, pinned));
        },
      ),
      { numRuns: 60 },
    );
  });
});
