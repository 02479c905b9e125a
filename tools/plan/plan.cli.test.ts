import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const ROOT = resolve(__dirname, "..", "..");
const run = promisify(execFile);

async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--stack-trace-limit=0", "--import", "tsx", join(ROOT, "tools/cli.ts"), "plan", ...args],
      { cwd: ROOT, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const scratch = mkdtempSync(join(tmpdir(), "plan-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("npm run plan", () => {
  it.each(["testing", "staging", "production"])(
    "prints the %s stack's tree and resource count",
    async (stack) => {
      const result = await plan("--stack", stack);
      expect(result.stderr).not.toContain("plan failed");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Offline plan of stack ${stack}`);
      expect(result.stdout).toMatch(/pulumi:pulumi:Stack\s+ci-platform-/);
      expect(result.stdout).toMatch(/Resources:\n {4}\+ \d+ to create/);
    },
  );

  it("prints one deterministic JSON document with --json", async () => {
    const first = await plan("--stack", "testing", "--json");
    const second = await plan("--stack", "testing", "--json");
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const doc = JSON.parse(first.stdout) as {
      stack: string;
      resources: Record<string, unknown>[];
      outputs: Record<string, unknown>;
    };
    expect(doc.stack).toBe("testing");
    expect(Object.keys(doc.resources[0]!)).toEqual([
      "type",
      "name",
      "parent",
      "provider",
      "protect",
      "retainOnDelete",
      "deleteBeforeReplace",
      "inputs",
    ]);
    expect(doc.resources.map((r) => r["name"])).toContain(
      "ci-testing-1-prodlike-mongodb-cluster-a-node-1",
    );
    expect(doc.outputs).toHaveProperty("ciHosts");
  });

  it("masks secret settings: a secure value in the stack file never reaches the output", async () => {
    const doc = parse(readFileSync(join(ROOT, "Pulumi.testing.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    doc.config["ci-platform:jenkinsAdminPassword"] = { secure: "v1:c2VjcmV0:cGxhaW4tdGV4dC1sZWFr" };
    const file = join(scratch, "Pulumi.testing.yaml");
    writeFileSync(file, stringify(doc));
    const result = await plan("--stack", "testing", "--json", "--file", file);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("jenkinsAdminPassword is not set");
    expect(result.stdout).not.toContain("cGxhaW4tdGV4dC1sZWFr");
    expect(result.stdout).not.toContain("offline-plan-secret");
  });

  it("fails when two services share a host port, naming both and the port", async () => {
    const doc = parse(readFileSync(join(ROOT, "Pulumi.testing.yaml"), "utf8")) as {
      config: { "ci-platform:services": { apps: Record<string, Record<string, unknown>> } };
    };
    doc.config["ci-platform:services"].apps["billing"] = { hostPort: 5060 };
    const file = join(scratch, "clash.yaml");
    writeFileSync(file, stringify(doc));
    const result = await plan("--stack", "testing", "--file", file);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `plan failed: Stack config of "testing" is invalid (1 problem); fix ${file}, keys under ci-platform:\n` +
        "  - services.apps.billing.hostPort: 5060 is already used by api (services.apps.api.hostPort: the catalog pins api to 5060, not set in this file); pick a free port, such as 5001\n",
    );
  });

  it("refuses a hostile file cleanly: prototype keys, a secret where none is read, deep nesting", async () => {
    const text = readFileSync(join(ROOT, "Pulumi.testing.yaml"), "utf8");
    const hostile = join(scratch, "hostile.yaml");
    writeFileSync(
      hostile,
      `${text}  ci-platform:__proto__:\n    jenkins: {port: 9999}\n  ci-platform:region: {secure: v1:c2VjcmV0}\n`.replace(
        "  ci-platform:region: us-east-1\n",
        "",
      ),
    );
    const result = await plan("--stack", "testing", "--file", hostile);
    // No plan could be made: a tool error (exit 2), by the CLI's exit-code rule.
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain("c2VjcmV0");
    expect(result.stderr).toContain(`fix ${hostile}, keys under ci-platform:`);
    expect(result.stderr).toContain("  - __proto__: is not a known setting of ci-platform;");
    expect(result.stderr).toContain(
      "  - region: holds a value set with --secret, but region is not read as a secret",
    );
    const deep = join(scratch, "deep.yaml");
    writeFileSync(deep, text.replace("example.com", `${"[".repeat(5000)}${"]".repeat(5000)}`));
    const nested = await plan("--stack", "testing", "--file", deep);
    expect(nested.stderr).toBe(
      `plan failed: ${deep}: domain nests values more than 16 levels deep (line 5); no setting is nested that deeply, so check the brackets\n`,
    );
  });

  it("changes only that service's resources when one production version changes", async () => {
    const doc = parse(readFileSync(join(ROOT, "Pulumi.production.yaml"), "utf8")) as {
      config: { "ci-platform:services": { apps: Record<string, Record<string, unknown>> } };
    };
    doc.config["ci-platform:services"].apps["billing"] = { version: "9.9.9" };
    const file = join(scratch, "promote.yaml");
    writeFileSync(file, stringify(doc));
    const [before, after] = await Promise.all([
      plan("--stack", "production", "--json"),
      plan("--stack", "production", "--json", "--file", file),
    ]);
    type Doc = { resources: { type: string; name: string; inputs: unknown }[] };
    const index = (text: string) =>
      new Map(
        (JSON.parse(text) as Doc).resources.map((r) => [
          `${r.type} ${r.name}`,
          JSON.stringify(r.inputs),
        ]),
      );
    const a = index(before.stdout);
    const b = index(after.stdout);
    expect([...b.keys()]).toEqual([...a.keys()]);
    const changed = [...a.keys()].filter((k) => a.get(k) !== b.get(k)).sort();
    // New revisions of the service's and its tests' task definitions, and the service itself.
    expect(changed).toEqual([
      "aws:ecs/service:Service prod-billing-service",
      "aws:ecs/taskDefinition:TaskDefinition prod-billing-task",
      "aws:ecs/taskDefinition:TaskDefinition prod-billing-tests-task",
    ]);
  }, 60_000);

  it("fails with the usage when --stack is missing or the stack is unknown", async () => {
    expect((await plan()).stderr).toContain("--stack is required");
    const unknown = await plan("--stack", "qa");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("no stack file Pulumi.qa.yaml");
  });
});
