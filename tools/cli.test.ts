/** The one CLI in-process: `--help` everywhere, and the exit-code rule (0 ok, 1 findings, 2 usage). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliHelp, findCommand, runCli } from "./cli";
import { CLI_NAME, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK } from "./cli/command";
import { COMMANDS } from "./cli/commands";

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

const scratch = mkdtempSync(join(tmpdir(), "cli-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A plan file holding one docker volume that is not protected: a policy violation. */
function unprotectedVolumePlan(): string {
  const file = join(scratch, "unprotected.json");
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
          inputs: { name: "scratch-data" },
        },
      ],
      outputs: {},
    }),
  );
  return file;
}

const paths = COMMANDS.map((c) => c.path.join(" "));

describe("the ci-platform CLI", () => {
  it("has every command of the issue, each once", () => {
    expect([...paths].sort()).toEqual(
      [
        "plan",
        "plan diff",
        "plan update",
        "policy",
        "promote",
        "release",
        "registry add-user",
        "registry prune",
        "health",
        "health screenshot",
        "dev-compose",
        "ssh-check",
        "bench plan",
        "bench registry",
        "bench health",
        "bench pipeline",
      ].sort(),
    );
  });

  it("answers --help with every command and its summary, exit 0", async () => {
    const result = await cli("--help");
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toBe(cliHelp());
    expect(result.stdout).toMatch(new RegExp(`^usage: ${CLI_NAME} <command>`));
    for (const c of COMMANDS) expect(result.stdout).toContain(`  ${c.path.join(" ")} `);
    expect(result.stdout).toContain("exit codes: 0 ok, 1 findings");
  });

  it("prints the commands on stderr and exits 2 when given none", async () => {
    const result = await cli();
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stderr).toBe(cliHelp());
  });

  it.each(paths)("answers %s --help with its usage line and options, exit 0", async (path) => {
    const command = COMMANDS.find((c) => c.path.join(" ") === path)!;
    const result = await cli(...command.path, "--help");
    expect(result.code).toBe(EXIT_OK);
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^usage: ${CLI_NAME} ${path}( |$)`));
    expect(lines[2]).toBe(command.summary);
    for (const name of Object.keys(command.options)) expect(result.stdout).toContain(`--${name}`);
    expect(result.stdout).toContain("-h, --help");
    expect((await cli(...command.path, "-h")).stdout).toBe(result.stdout);
  });

  it("finds the longest command that matches", () => {
    expect(findCommand(["plan", "--stack", "testing"])?.command.path).toEqual(["plan"]);
    expect(findCommand(["plan", "diff", "--stack", "x"])?.rest).toEqual(["--stack", "x"]);
    expect(findCommand(["bench", "registry"])?.command.path).toEqual(["bench", "registry"]);
    expect(findCommand(["nope"])).toBeUndefined();
  });

  it("fails with exit 2 naming an unknown command", async () => {
    const result = await cli("deploy", "--stack", "testing");
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `${CLI_NAME}: unknown command deploy; run ${CLI_NAME} --help for the commands\n`,
    );
  });

  it("fails with exit 2 naming an unknown subcommand and the ones there are", async () => {
    const result = await cli("bench", "disk");
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stderr).toBe(
      `${CLI_NAME}: unknown command bench disk; use one of bench plan, bench registry, bench health, bench pipeline\n`,
    );
  });

  it.each(paths)("fails %s --no-such-flag with exit 2, naming the flag", async (path) => {
    const command = COMMANDS.find((c) => c.path.join(" ") === path)!;
    const result = await cli(...command.path, "--no-such-flag");
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stdout).toBe("");
    const prefix = command.errorPrefix ?? path;
    expect(result.stderr).toMatch(new RegExp(`^${prefix && `${prefix}: `}[^\\n]*--no-such-flag`));
  });

  it("fails with exit 2 when an option misses its value", async () => {
    const result = await cli("plan", "diff", "--stack");
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stderr).toMatch(/^plan:diff failed: --stack needs a value\nusage: /);
  });

  it("exits 1 for findings: a policy violation, listed on stdout", async () => {
    const result = await cli("policy", "--plan", unprotectedVolumePlan());
    expect(result.code).toBe(EXIT_FINDINGS);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^policy: stack scratch has 1 violation:\n/);
    expect(result.stdout).toContain("stateful-resources-protected");
  });

  it("exits 0 when the policy finds nothing, and 2 when a plan cannot be read", async () => {
    const clean = join(scratch, "clean.json");
    writeFileSync(clean, JSON.stringify({ stack: "empty", resources: [], outputs: {} }));
    expect(await cli("policy", "--plan", clean)).toEqual({
      code: EXIT_OK,
      stdout: "policy: stack empty passes (0 resources)\n",
      stderr: "",
    });
    const missing = await cli("policy", "--plan", join(scratch, "none.json"));
    expect(missing.code).toBe(EXIT_ERROR);
    expect(missing.stderr).toMatch(/^policy failed: ENOENT/);
  });
});
