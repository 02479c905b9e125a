import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../lib/process";
import { parsePlanDiffArgs } from "./plan-diff-cli";

const ROOT = resolve(__dirname, "..", "..");

function planDiff(...args: string[]) {
  return run(process.execPath, ["--import", "tsx", "tools/cli.ts", "plan", "diff", ...args], {
    cwd: ROOT,
    timeoutMs: 120_000,
  });
}

describe("npm run plan:diff", () => {
  it("reads the stack, the revisions and the format", () => {
    expect(parsePlanDiffArgs(["--stack", "staging"])).toEqual({
      stack: "staging",
      base: undefined,
      head: undefined,
      markdown: false,
    });
    expect(
      parsePlanDiffArgs(["--stack", "production", "--base", "v1", "--head", "HEAD", "--markdown"]),
    ).toEqual({ stack: "production", base: "v1", head: "HEAD", markdown: true });
  });

  it.each([
    [[], "--stack is required"],
    [["--stack"], "--stack needs a value"],
    [["--stack", "x", "--base"], "--base needs a value"],
    [["--stack", "x", "--json"], "unknown argument --json"],
  ])("fails with the usage for %j", (argv, message) => {
    expect(() => parsePlanDiffArgs(argv)).toThrow(message);
  });

  it("plans both revisions in throw-away checkouts and prints no change between equal ones", async () => {
    const result = await planDiff("--stack", "testing", "--base", "HEAD", "--head", "HEAD");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("Plan diff of stack testing: +0 ~0 ±0 -0\n\nNo changes.\n");
  }, 120_000);

  it("plans a stack that has no stack file as empty instead of failing", async () => {
    const result = await planDiff("--stack", "no-such-stack", "--base", "HEAD", "--head", "HEAD");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("Plan diff of stack no-such-stack: +0 ~0 ±0 -0\n\nNo changes.\n");
  }, 120_000);

  it("fails naming a ref that is not a commit", async () => {
    const result = await planDiff("--stack", "production", "--base", "no-such-ref-xyz");
    expect(result.code).toBe(2); // a tool error, by the CLI's exit-code rule
    expect(result.stderr).toBe(
      "plan:diff failed: no-such-ref-xyz is not a commit of this repository\n",
    );
  }, 60_000);
});
