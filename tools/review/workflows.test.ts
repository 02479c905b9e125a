/**
 * The GitHub Actions workflows: valid for GitHub (schema and job references, checked by
 * action-validator, whose wasm build ships in its npm package and runs offline) and doing what
 * the review and delivery process needs: checks and previews on pull requests, an approval-gated
 * testing → staging → production deploy, a daily drift check.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { validateWorkflow, type ValidationError } from "@action-validator/core";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { stackNames } from "../../lib/stack-config";

const ROOT = resolve(__dirname, "..", "..");
const DIR = join(ROOT, ".github", "workflows");

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly needs?: string | string[];
  readonly if?: string;
  readonly environment?: string | { name: string };
  readonly "runs-on"?: unknown;
  readonly strategy?: { matrix?: { stack?: string[]; include?: { stack: string }[] } };
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

const read = (file: string): string => readFileSync(join(DIR, file), "utf8");
const workflow = (file: string): Workflow => parse(read(file)) as Workflow;
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));

/** The validator's findings, one line each (nested one-of alternatives too): `code path: detail`. */
function problems(text: string): string[] {
  const flatten = (errors: readonly ValidationError[]): string[] =>
    errors.flatMap((e) => [
      `${e.code} ${"path" in e ? e.path : ""}: ${e.detail ?? e.title}`,
      ...flatten(("states" in e ? (e.states ?? []) : []).flatMap((s) => s.errors)),
    ]);
  return flatten(validateWorkflow(text).errors);
}

const steps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((j) => j.steps);
const pulumiSteps = (job: Job): Step[] =>
  job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
const matrixStacks = (job: Job): string[] =>
  job.strategy?.matrix?.stack ?? (job.strategy?.matrix?.include ?? []).map((i) => i.stack);

describe("workflows", () => {
  it("are the three of the delivery process", () => {
    expect(files.sort()).toEqual(["deploy.yml", "drift.yml", "pull-request.yml"]);
  });

  it.each(files)("%s passes action-validator", (file) => {
    expect(problems(read(file))).toEqual([]);
  });

  it.each([
    [
      "a job without runs-on",
      "    runs-on: ubuntu-latest\n",
      "",
      /required \/jobs\/checks\/runs-on/,
    ],
    ["a needs naming no job", "    needs: testing\n", "    needs: tseting\n", /unresolved_job/],
    ["a misspelt key", "    timeout-minutes: 60\n", "    timeout-minute: 60\n", /timeout-minute/],
  ])("a copy of deploy.yml with %s fails action-validator", (_, from, to, expected) => {
    const text = read("deploy.yml");
    expect(text).toContain(from);
    const broken = problems(text.replace(from, to));
    expect(broken.join("\n")).toMatch(expected);
  });

  it.each(files)("%s pins every action to a major version or a commit", (file) => {
    const unpinned = steps(workflow(file))
      .map((s) => s.uses)
      .filter((u): u is string => u !== undefined && !u.startsWith("./"))
      .filter((u) => !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(u));
    expect(unpinned).toEqual([]);
  });

  it.each(files)("%s runs only npm scripts that package.json defines", (file) => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: object }).scripts,
    );
    const used = steps(workflow(file)).flatMap((s) =>
      [...(s.run ?? "").matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]!),
    );
    expect(used.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it.each(files)("%s gives production no SSH key: ECS needs AWS credentials only", (file) => {
    const text = readFileSync(join(ROOT, ".github", "workflows", file), "utf8");
    expect(text).not.toContain("PRODUCTION_SSH_PRIVATE_KEY");
    const wf = workflow(file);
    const production = wf.jobs["production"];
    for (const step of production ? steps({ ...wf, jobs: { production } }) : [])
      expect(step.run ?? "", step.name).not.toContain("ssh-add");
  });

  it.each(files)("%s logs in to AWS in the production stack's region", (file) => {
    const region = (
      parse(readFileSync(join(ROOT, "Pulumi.production.yaml"), "utf8")) as {
        config: Record<string, unknown>;
      }
    ).config["aws:region"];
    const regions = steps(workflow(file))
      .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))
      .map((s) => s.with?.["aws-region"]);
    expect(regions.every((r) => r === region)).toBe(true);
  });
});

describe("pull-request.yml", () => {
  const wf = workflow("pull-request.yml");

  it("runs on pull requests: npm ci, typecheck, lint, tests and the policy", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(wf.jobs["checks"]!.steps.map((s) => s.run).filter(Boolean)).toEqual([
      "npm ci",
      "npm run typecheck",
      "npm run lint",
      "npm run format:check",
      "npm test",
      "npm run test:cli",
      "npm run policy",
    ]);
  });

  it("previews every stack with the pulumi action, commenting on the PR, when a backend exists", () => {
    const preview = wf.jobs["preview"]!;
    expect(preview.if).toBe("needs.backend.outputs.configured == 'true'");
    expect(matrixStacks(preview).sort()).toEqual(stackNames(ROOT));
    expect(pulumiSteps(preview).map((s) => s.with)).toEqual([
      {
        command: "preview",
        "stack-name": "${{ matrix.stack }}",
        "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
        diff: true,
        policyPacks: "policy",
        "comment-on-pr": true,
        "edit-pr-comment": true,
        "always-include-summary": true,
      },
    ]);
  });

  it("writes the offline plan diff to the job summary otherwise", () => {
    const offline = wf.jobs["offline-diff"]!;
    expect(offline.if).toBe("needs.backend.outputs.configured != 'true'");
    expect(matrixStacks(offline).sort()).toEqual(stackNames(ROOT));
    expect(offline.steps.map((s) => s.run).filter(Boolean)).toContain(
      'npm run --silent plan:diff -- --stack "$STACK" --base "$BASE" --markdown >> "$GITHUB_STEP_SUMMARY"',
    );
  });

  it("decides on the backend from the secrets", () => {
    const detect = wf.jobs["backend"]!.steps[0]!;
    expect(detect.env).toEqual({
      PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
      PULUMI_BACKEND_URL: "${{ secrets.PULUMI_BACKEND_URL }}",
    });
  });
});

describe("deploy.yml", () => {
  const wf = workflow("deploy.yml");

  it("runs on pushes to main", () => {
    expect(wf.on["push"]).toEqual({ branches: ["main"] });
  });

  it("runs pulumi up on testing, then staging, then production, each needing the one before", () => {
    expect(wf.jobs["testing"]!.needs).toBe("checks");
    expect(wf.jobs["staging"]!.needs).toBe("testing");
    expect(wf.jobs["production"]!.needs).toBe("staging");
    for (const stack of ["testing", "staging", "production"]) {
      expect(
        pulumiSteps(wf.jobs[stack]!).map((s) => [s.with?.["command"], s.with?.["stack-name"]]),
      ).toEqual([["up", stack]]);
    }
  });

  it("deploys production only in the approval-gated production environment", () => {
    expect(wf.jobs["production"]!.environment).toBe("production");
  });
});

describe("drift.yml", () => {
  const wf = workflow("drift.yml");

  it("runs daily and on demand", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.on["schedule"]).toEqual([{ cron: "17 5 * * *" }]);
  });

  it("previews every stack with a refresh and fails on any change", () => {
    const drift = wf.jobs["drift"]!;
    expect(matrixStacks(drift).sort()).toEqual(stackNames(ROOT));
    expect(pulumiSteps(drift).map((s) => s.with)).toEqual([
      {
        command: "preview",
        "stack-name": "${{ matrix.stack }}",
        "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
        refresh: true,
        "expect-no-changes": true,
        diff: true,
      },
    ]);
  });
});
