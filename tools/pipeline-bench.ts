/**
 * `ci-platform bench pipeline [--runs 3] [--no-publish]` (`npm run cli -- bench pipeline`): what
 * each step of the Jenkins pipeline costs for the sample service, and how much of it is the
 * pipeline's own overhead.
 *
 * Sets up what the integration test uses (a private dockerd with the testing stack's CI host, a
 * local git repository of examples/sample-service, the registry behind nginx; see
 * test/harness/pipeline.ts), then runs `run-all.sh` once cold (empty build cache) and `--runs`
 * times warm, each on a new commit (a source change, so the build re-runs from `COPY src`), with
 * PUBLISH=true and STRIPPED=true unless `--no-publish`.
 *
 * The steps record their timings in $WORKSPACE/.ci-platform/timings.tsv. "service" is the time in
 * the service's own build and test commands (`docker build` of its Dockerfile, the `docker run` of
 * each `ci-test` suite); "overhead" is everything else: git, image checks, networkholder and app
 * containers, waiting for the app to listen and answer, swapping the deployed container, cleanup,
 * saving and pushing images. A bare `docker run --rm <image> true` is timed too: each suite's
 * "service" time includes one such container round trip.
 */
import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startDockerd, type PrivateDockerd } from "../test/harness/dockerd";
import {
  buildEnv,
  createServiceRepo,
  editFile,
  freeSamplePorts,
  NODE_BASE_IMAGE,
  readTimings,
  runScript,
  setUpPipelineEstate,
  type Timing,
} from "../test/harness/pipeline";
import { startRegistryStack, type RegistryStack } from "../test/harness/registry";

import { flagValue, stringValue, UsageError, type ParsedLine } from "./cli/command";

const USAGE = "usage: npm run cli -- bench pipeline [--runs 3] [--no-publish]";
const STEPS = [
  "01-checkout",
  "02-build",
  "03-unit-test",
  "04-integration-test",
  "05-deploy",
  "06-live-test",
  "07-publish",
] as const;
/** Timings that are the service's own commands rather than the pipeline's. */
const SERVICE_COMMANDS = new Set([
  "service-build",
  "service-build-slim",
  "service-unit",
  "service-integration",
  "service-pre-live",
  "service-live",
]);
/** Timings of waiting for the service to come up (part of the overhead, shown apart). */
const SERVICE_STARTUP = new Set(["service-start", "health"]);

interface StepCost {
  readonly total: number;
  readonly service: number;
  readonly startup: number;
}
type RunCost = Record<(typeof STEPS)[number], StepCost>;

function parseArgs(line: ParsedLine): { runs: number; publish: boolean } {
  const raw = stringValue(line, "runs");
  const runs = raw === undefined ? 3 : Number(raw);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs ${raw ?? "(missing)"} must be an integer >= 1\n${USAGE}`);
  return { runs, publish: !flagValue(line, "no-publish") };
}

function costs(timings: readonly Timing[]): RunCost {
  const result = {} as Record<string, StepCost>;
  for (const step of STEPS) {
    const mine = timings.filter((t) => t.step === step);
    const total = mine.find((t) => t.what === "total");
    if (!total) throw new Error(`no timing for step ${step}`);
    const sum = (names: ReadonlySet<string>): number =>
      mine.filter((t) => names.has(t.what)).reduce((s, t) => s + t.seconds, 0);
    result[step] = {
      total: total.seconds,
      service: sum(SERVICE_COMMANDS),
      startup: sum(SERVICE_STARTUP),
    };
  }
  return result as RunCost;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function table(title: string, runs: readonly RunCost[]): string {
  const pick = (step: (typeof STEPS)[number], key: keyof StepCost): number =>
    median(runs.map((r) => r[step][key]));
  const f = (n: number): string => n.toFixed(2).padStart(8);
  const lines = [
    `${title}`,
    `  ${"step".padEnd(22)}${"total s".padStart(8)}${"service".padStart(9)}${"overhead".padStart(9)}  (of which startup)`,
  ];
  let total = 0;
  let service = 0;
  let startup = 0;
  for (const step of STEPS) {
    const t = pick(step, "total");
    const s = pick(step, "service");
    const u = pick(step, "startup");
    total += t;
    service += s;
    startup += u;
    lines.push(`  ${step.padEnd(22)}${f(t)} ${f(s)} ${f(t - s)}  ${u > 0 ? f(u) : ""}`);
  }
  lines.push(
    `  ${"all steps".padEnd(22)}${f(total)} ${f(service)} ${f(total - service)}  ${f(startup)}`,
  );
  return lines.join("\n");
}

async function containerRoundTrip(dockerd: PrivateDockerd, rounds = 5): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = Date.now();
    await dockerd.dockerOk(["run", "--rm", "--network", "none", NODE_BASE_IMAGE, "true"]);
    samples.push((Date.now() - started) / 1000);
  }
  return median(samples);
}

/** Runs the benchmark with the options of `ci-platform bench pipeline` (tools/cli/commands.ts). */
export async function benchPipeline(line: ParsedLine): Promise<void> {
  const { runs, publish } = parseArgs(line);
  const scratch = await fs.realpath(await fs.mkdtemp(path.join(tmpdir(), "pipeline-bench-")));
  let dockerd: PrivateDockerd | undefined;
  let registry: RegistryStack | undefined;
  try {
    const setupStarted = Date.now();
    dockerd = await startDockerd();
    const engine = dockerd;
    const ports = await freeSamplePorts();
    const [estate, repo, stack] = await Promise.all([
      setUpPipelineEstate(engine, ports),
      createServiceRepo(scratch),
      publish ? startRegistryStack() : Promise.resolve(undefined),
    ]);
    registry = stack;
    process.stdout.write(
      `setup: ${((Date.now() - setupStarted) / 1000).toFixed(1)} s (dockerd ${(engine.startupMs / 1000).toFixed(1)} s, ` +
        `images ${estate.seconds.images.toFixed(1)} s, testing stack ${estate.seconds.plan.toFixed(1)} s)\n`,
    );

    const runCosts: RunCost[] = [];
    const walls: number[] = [];
    for (let n = 1; n <= runs + 1; n++) {
      if (n > 1) {
        await repo.commit(`Bench change ${n}`, (tree) =>
          editFile(
            tree,
            "src/greeting.mjs",
            "/** The service's logic",
            `// change ${n}\n/** The service's logic`,
          ),
        );
      }
      const workspace = path.join(scratch, `ws-${n}`);
      const result = await runScript(
        "run-all.sh",
        buildEnv({
          dockerd: engine,
          repo,
          buildNumber: n,
          workspace,
          ports,
          lockDir: path.join(scratch, "locks"),
          extra: registry
            ? {
                PUBLISH: "true",
                STRIPPED: "true",
                REGISTRY: registry.host,
                REGISTRY_USER: registry.user,
                REGISTRY_PASSWORD: registry.password,
                REGISTRY_CERT_DIR: registry.caDir,
              }
            : {},
        }),
        600_000,
      );
      if (result.code !== 0) {
        throw new Error(`build ${n} failed (exit ${result.code}):\n${result.output}`);
      }
      runCosts.push(costs(await readTimings(workspace)));
      walls.push(result.seconds);
      process.stdout.write(
        `build ${n} (${n === 1 ? "cold" : "warm"}): ${result.seconds.toFixed(1)} s wall\n`,
      );
    }

    process.stdout.write(`\n${table("cold build (empty build cache)", runCosts.slice(0, 1))}\n`);
    process.stdout.write(
      `\n${table(`warm builds (median of ${runs}, a source change each)`, runCosts.slice(1))}\n`,
    );
    process.stdout.write(
      `\nrun-all.sh wall time: cold ${walls[0]!.toFixed(1)} s, warm median ${median(walls.slice(1)).toFixed(1)} s` +
        ` (includes bash and the run-all loop itself)\n` +
        `container round trip (docker run --rm ${NODE_BASE_IMAGE} true): ${(await containerRoundTrip(engine)).toFixed(2)} s;` +
        ` each suite's "service" time includes one\n`,
    );
  } finally {
    await registry?.stop().catch((e: unknown) => process.stderr.write(`${String(e)}\n`));
    await dockerd?.stop().catch((e: unknown) => process.stderr.write(`${String(e)}\n`));
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
