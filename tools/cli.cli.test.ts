/** The one CLI as a process, the way the npm aliases run it: its exit codes reach the shell. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../lib/process";

const ROOT = resolve(__dirname, "..");
const cli = (...args: string[]) =>
  run(process.execPath, ["--stack-trace-limit=0", "--import", "tsx", "tools/cli.ts", ...args], {
    cwd: ROOT,
    timeoutMs: 60_000,
  });

const scratch = mkdtempSync(join(tmpdir(), "cli-process-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("ci-platform as a process", () => {
  it("exits 0 on --help, printing the usage line", async () => {
    const result = await cli("plan", "--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: ci-platform plan \[options\]\n/);
  });

  it("exits 2 on an unknown command or flag, naming it", async () => {
    const [command, flag] = await Promise.all([cli("plans"), cli("plan", "--stak", "testing")]);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe(
      "ci-platform: unknown command plans; run ci-platform --help for the commands\n",
    );
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^plan failed: unknown argument --stak\n/);
  });

  it("exits 1 on findings: a plan that breaks a policy rule", async () => {
    const file = join(scratch, "privileged.json");
    writeFileSync(
      file,
      JSON.stringify({
        stack: "scratch",
        resources: [
          {
            type: "docker:index/volume:Volume",
            name: "scratch-data",
            parent: null,
            provider: null,
            protect: false,
            retainOnDelete: false,
            deleteBeforeReplace: false,
            inputs: {},
          },
        ],
        outputs: {},
      }),
    );
    const result = await cli("policy", "--plan", file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("policy: stack scratch has 1 violation:");
  });
});
