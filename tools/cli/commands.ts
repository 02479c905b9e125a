/**
 * Every command of the one CLI, in the order `--help` lists them. A command whose work loads
 * heavy modules (the Pulumi program, the test harness, a browser) loads them when it runs, so
 * `--help` and the other commands stay quick.
 */
import { addUserCommand } from "../registry/add-user";
import { devComposeCommand } from "../dev-compose";
import { healthCommand } from "../health/cli";
import { planDiffCommand } from "../review/plan-diff-cli";
import { planUpdateCommand } from "../review/plan-update";
import { policyCommand } from "../review/policy-cli";
import { promoteCommand } from "../review/promote";
import { pruneCommand } from "../registry/prune-cli";
import { releaseCliCommand } from "../release/cli";
import { sshCheckCommand } from "../ssh/check-cli";
import { parsePlanArgs, PLAN_OPTIONS } from "../plan/cli-args";
import { parseCommandLine, type Command, type OptionSpecs } from "./command";

/** The plan module, once loaded: its errors name the stack file it read. */
let planModule: typeof import("../plan/cli") | undefined;

const planCommand: Command = {
  path: ["plan"],
  summary: "the offline plan of one stack: its resources and outputs, under Pulumi mocks",
  options: PLAN_OPTIONS,
  errorPrefix: "plan failed",
  formatError: (err) =>
    planModule ? planModule.messageOf(err) : err instanceof Error ? err.message : String(err),
  run: async (argv, io) => {
    const args = parsePlanArgs(argv);
    planModule = await import("../plan/cli");
    await planModule.plan(args, io.stdout);
    return 0;
  },
};

const SCREENSHOT_OPTIONS: OptionSpecs = {
  out: {
    type: "string",
    value: "file.png",
    description: "where to write the picture (default docs/health-dashboard.png)",
  },
};

const screenshotCommand: Command = {
  path: ["health", "screenshot"],
  summary: "regenerates the README's dashboard picture with headless Chromium over stubs",
  options: SCREENSHOT_OPTIONS,
  errorPrefix: "screenshot failed",
  run: async (argv) => {
    const line = parseCommandLine(
      argv,
      SCREENSHOT_OPTIONS,
      "usage: npm run health:screenshot -- [--out <file.png>]",
    );
    const { dashboardScreenshot, DEFAULT_SCREENSHOT } = await import("../health/screenshot");
    const out = line.values["out"];
    await dashboardScreenshot(typeof out === "string" ? out : DEFAULT_SCREENSHOT);
    return 0;
  },
};

const benchPlanCommand: Command = {
  path: ["bench", "plan"],
  summary: "how the program's evaluation scales with 25, 50 and 100 services",
  options: {},
  notes: "BENCH_STACK_TRACE_LIMIT sets the cases' --stack-trace-limit (default 0).",
  errorPrefix: "bench failed",
  run: async (argv, io) => {
    parseCommandLine(argv, {}, "usage: npm run bench:plan");
    await (await import("../bench-plan")).benchPlan(io.stdout);
    return 0;
  },
};

const BENCH_REGISTRY_OPTIONS: OptionSpecs = {
  mb: {
    type: "string",
    value: "N",
    description: "megabytes of random data per image (default 128)",
  },
  layers: { type: "string", value: "N", description: "layers per image (default 4)" },
  rounds: { type: "string", value: "N", description: "rounds, each with new images (default 2)" },
};

const benchRegistryCommand: Command = {
  path: ["bench", "registry"],
  summary: "push and pull through nginx versus straight to the registry, in MB/s",
  options: BENCH_REGISTRY_OPTIONS,
  errorPrefix: "registry bench",
  run: async (argv, io) => {
    const usage = "usage: npm run bench:registry -- [--mb 128] [--layers 4] [--rounds 2]";
    const line = parseCommandLine(argv, BENCH_REGISTRY_OPTIONS, usage);
    await (await import("../registry/bench")).benchRegistry(line, io.stdout);
    return 0;
  },
};

const benchHealthCommand: Command = {
  path: ["bench", "health"],
  summary: "how long one probe round of a whole stack takes, over stub endpoints",
  options: {},
  errorPrefix: "bench failed",
  run: async (argv, io) => {
    parseCommandLine(argv, {}, "usage: npm run bench:health");
    await (await import("../health/bench")).benchHealth(io.stdout);
    return 0;
  },
};

const BENCH_PIPELINE_OPTIONS: OptionSpecs = {
  runs: { type: "string", value: "N", description: "warm runs after the cold one (default 3)" },
  "no-publish": { type: "boolean", description: "run without PUBLISH and STRIPPED" },
};

const benchPipelineCommand: Command = {
  path: ["bench", "pipeline"],
  summary: "what each step of the Jenkins pipeline costs, and the pipeline's own overhead",
  options: BENCH_PIPELINE_OPTIONS,
  errorPrefix: "pipeline bench",
  run: async (argv) => {
    const usage = "usage: npm run cli -- bench pipeline [--runs 3] [--no-publish]";
    const line = parseCommandLine(argv, BENCH_PIPELINE_OPTIONS, usage);
    await (await import("../pipeline-bench")).benchPipeline(line);
    return 0;
  },
};

export const COMMANDS: readonly Command[] = [
  planCommand,
  planDiffCommand,
  planUpdateCommand,
  policyCommand,
  promoteCommand,
  releaseCliCommand,
  addUserCommand,
  pruneCommand,
  healthCommand,
  screenshotCommand,
  devComposeCommand,
  sshCheckCommand,
  benchPlanCommand,
  benchRegistryCommand,
  benchHealthCommand,
  benchPipelineCommand,
];
