/** `npm run release` on an aws stack: one reviewed stack-file edit, on a small copy of a project. */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { run } from "../../lib/process";
import { SMALL_PRODUCTION, smallProject, stackFile } from "./small-stack.fixture";

const ROOT = resolve(__dirname, "..", "..");
const CLI = join(ROOT, "tools/cli.ts");

const NEXT = [
  "next: review the plan diff (npm run plan:diff -- --stack production); it should show only api's task definitions and ECS service changing",
];
const apply = (old: string) =>
  `then apply it: pulumi up --stack production (or merge it for the deploy workflow); ECS tests the new revision on the test listener, moves traffic, runs the post-integration tests and retires ${old} after the bake time, rolling back by itself if anything fails`;

describe("npm run release on an aws stack", () => {
  let root = "";
  beforeEach(() => {
    root = smallProject();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const release = (...argv: string[]) =>
    run("npx", ["tsx", CLI, "release", ...argv, "--stack", "production", "--root", root], {
      cwd: ROOT,
      timeoutMs: 60_000,
    });
  const api = () => /\n {6}api:\n((?: {8}.*\n)+)/.exec(stackFile(root))?.[1];

  it("releases in one edit, then rolls back in one edit, printing what to do next", async () => {
    const released = await release("api", "1.5.0");
    expect(released.code, released.stderr).toBe(0);
    expect(stackFile(root)).toBe(
      SMALL_PRODUCTION.replace(
        '        version: "1.4.2" # released 2026-11-20\n',
        '        version: "1.5.0" # released 2026-11-20\n        previousVersion: "1.4.2"\n        liveSlot: green\n',
      ),
    );
    expect(released.stdout.trimEnd().split("\n")).toEqual([
      'api: 1.4.2 → 1.5.0 in Pulumi.production.yaml: version "1.5.0", previousVersion "1.4.2", liveSlot green (the new revision publishes on host port 7060, beside 1.4.2 on 6060)',
      ...NEXT,
      apply("1.4.2"),
      "roll back a release that passed its tests with: npm run release -- api --rollback --stack production",
    ]);

    const rolledBack = await release("api", "--rollback");
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(api()).toBe(
      '        version: "1.4.2" # released 2026-11-20\n        previousVersion: "1.5.0"\n        liveSlot: blue\n',
    );
    expect(rolledBack.stdout.trimEnd().split("\n")).toEqual([
      'api: rolled back 1.5.0 → 1.4.2 in Pulumi.production.yaml: version "1.4.2", previousVersion "1.5.0", liveSlot blue (the new revision publishes on host port 6060, beside 1.5.0 on 7060)',
      "ECS already rolls back a failed deployment automatically (a failed pre- or post-integration test, the circuit breaker, or an alarm during the bake time); --rollback is for rolling back a release that passed its tests",
      ...NEXT,
      apply("1.5.0"),
      "undo this rollback with: npm run release -- api --rollback --stack production",
    ]);
  }, 120_000);

  it.each<[string[], string]>([
    [
      ["api", "--rollback"],
      "services.apps.api.previousVersion is not set, so there is no earlier release to roll back to; to run an older version, release it: npm run release -- api <version> --stack <stack>",
    ],
    [["api", "1.4.2"], "api 1.4.2 is already live (on the blue slot's port); nothing to release"],
    ...["--switch", "--finish"].map((flag): [string[], string] => [
      ["api", flag],
      `${flag} is gone on aws stacks: ECS's blue/green deployment now switches traffic to the new revision and retires the old revision itself after the bake time (aws.release.bakeMinutes); a release is one edit: npm run release -- api <version> --stack production`,
    ]),
  ])(
    "refuses %j, leaving the file as it was",
    async (argv, message) => {
      const result = await release(...argv);
      expect(result.code).toBe(2); // a refusal: exit 2 by the CLI's exit-code rule
      expect(result.stderr).toBe(`release refused: ${message}\n`);
      expect(stackFile(root)).toBe(SMALL_PRODUCTION);
    },
    60_000,
  );

  it("refuses a version that is not an image tag and leaves the file as it was", async () => {
    const result = await release("api", "1.5.0 beta");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "release refused: Pulumi.production.yaml would be invalid with api 1.5.0 beta, so it is left as it was:",
    );
    expect(result.stderr).toContain(
      'services.apps.api.version: "1.5.0 beta" is not a valid image tag',
    );
    expect(stackFile(root)).toBe(SMALL_PRODUCTION);
  }, 60_000);
});
