/** `npm run release` on an aws stack: reviewed stack-file edits, on a copy of the project's files. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { run } from "../process";

const ROOT = resolve(__dirname, "..", "..");
const CLI = join(ROOT, "tools/release/cli.ts");

describe("npm run release on the production stack", () => {
  let root = "";
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "release-cli-"));
    for (const f of ["Pulumi.yaml", "Pulumi.production.yaml"])
      copyFileSync(join(ROOT, f), join(root, f));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const release = (...argv: string[]) =>
    run("npx", ["tsx", CLI, ...argv, "--stack", "production", "--root", root], {
      cwd: ROOT,
      timeoutMs: 60_000,
    });
  const file = () => readFileSync(join(root, "Pulumi.production.yaml"), "utf8");
  const api = () => /\n {6}api:\n((?: {8}.*\n)+)/.exec(file())?.[1];

  it("stages, switches, rolls back and finishes, each step a reviewed edit", async () => {
    const staged = await release("api", "1.5.0");
    expect(staged.code, staged.stderr).toBe(0);
    expect(staged.stdout).toContain(
      "api 1.5.0 staged in the idle green slot (port 7060 on every host); 1.4.2 stays live",
    );
    expect(api()).toBe('        version: "1.4.2"\n        idleVersion: "1.5.0"\n');

    const switched = await release("api", "--switch");
    expect(switched.code, switched.stderr).toBe(0);
    expect(switched.stdout).toContain("the load balancer moves to the green slot (1.5.0)");
    expect(api()).toBe(
      '        version: "1.5.0"\n        idleVersion: "1.4.2"\n        liveSlot: green\n',
    );

    const rolledBack = await release("api", "--rollback");
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.stdout).toContain("rolled back to 1.4.2 in the blue slot");
    expect(api()).toBe(
      '        version: "1.4.2"\n        idleVersion: "1.5.0"\n        liveSlot: blue\n',
    );

    const finished = await release("api", "--finish");
    expect(finished.code, finished.stderr).toBe(0);
    expect(api()).toBe('        version: "1.4.2"\n        liveSlot: blue\n');
  }, 120_000);

  it("refuses a version that is not an image tag and leaves the file as it was", async () => {
    const before = file();
    const result = await release("api", "1.5.0 beta");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("release refused: Pulumi.production.yaml would be invalid");
    expect(result.stderr).toContain(
      'services.apps.api.idleVersion: "1.5.0 beta" is not a valid image tag',
    );
    expect(file()).toBe(before);
  }, 60_000);
});
