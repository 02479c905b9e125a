/**
 * `ci-platform bench plan` (`npm run bench:plan`): how the program's evaluation scales. In one run,
 * each case in its own process (the Pulumi runtime is global): (a) calibration, plain resources
 * registered in a loop under the same mocks; (b) the production program at 25, 50 and 100 services.
 */
import { execFileSync } from "node:child_process";
import { resourceUsage } from "node:process";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import { SERVICE_CATALOG, type AppEntry, type CatalogEntry } from "../components/catalog/catalog";
import { validateStackConfig } from "../components/config/validate";
import { buildPlatform } from "../components/platform";
import { evaluateProgram } from "../lib/evaluate";
import { readStackFile } from "../lib/stack-file";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";

interface CaseResult {
  readonly name: string;
  readonly resources: number;
  readonly ms: number;
  readonly maxRssMb: number;
}

const ROOT = resolve(__dirname, "..");

/** The production stack's config with `count` apps: the catalog's, then generated ones. */
function productionWith(count: number): {
  catalog: CatalogEntry[];
  values: Record<string, unknown>;
} {
  const file = readStackFile(ROOT, "production");
  const values = Object.fromEntries(
    Object.entries(file.config)
      .filter(([k]) => k.startsWith("ci-platform:"))
      .map(([k, v]) => [
        k.slice("ci-platform:".length),
        /^[[{]/.test(v) ? (JSON.parse(v) as unknown) : v,
      ]),
  );
  const base = SERVICE_CATALOG.filter((e): e is AppEntry => e.kind === "app");
  const apps: AppEntry[] = Array.from({ length: count }, (_, i) =>
    i < base.length
      ? base[i]!
      : { ...base[i % base.length]!, name: `svc-${i}`, hostPort: undefined },
  ).map(({ hostPort, ...rest }) => (hostPort === undefined ? rest : { ...rest, hostPort }));
  const catalog = [...SERVICE_CATALOG.filter((e) => e.kind === "datastore"), ...apps];
  const services = values["services"] as { apps: Record<string, unknown> };
  services.apps = Object.fromEntries(apps.map((a) => [a.name, { version: "1.0.0" }]));
  const aws = values["aws"] as { hostClasses: Record<string, { services: string[] }> };
  aws.hostClasses["app"]!.services = apps.map((a) => a.name);
  return { catalog, values };
}

async function runCase(name: string): Promise<CaseResult> {
  const file = readStackFile(ROOT, "production");
  // The SDKs load their modules lazily; load them before the clock starts, so the figures are
  // the cost of resources, not of the first `require` of each AWS service module.
  const lazyModules: unknown[] = [
    aws.ec2,
    aws.lb,
    aws.route53,
    aws.s3,
    aws.iam,
    aws.cloudwatch,
    aws.vpc,
    aws.ecs,
    aws.autoscaling,
    aws.appautoscaling,
    aws.lambda,
    aws.secretsmanager,
  ];
  if (lazyModules.includes(undefined)) throw new Error("an AWS module did not load");
  const started = process.hrtime.bigint();
  let evaluation;
  if (name.startsWith("calibration")) {
    const count = Number(name.split("=")[1]);
    evaluation = await evaluateProgram(file, "production", () => {
      const provider = new docker.Provider("engine", { host: "unix:///var/run/docker.sock" });
      for (let i = 0; i < count; i++) new docker.Volume(`v${i}`, { name: `v${i}` }, { provider });
      return Promise.resolve({});
    });
  } else {
    const count = Number(name.split("=")[1]);
    const { catalog, values } = productionWith(count);
    evaluation = await evaluateProgram(file, "production", () => {
      const result = validateStackConfig(
        {
          project: "ci-platform",
          stack: "production",
          values,
          secretKeys: new Set(["registryPullPassword"]),
        },
        catalog,
      );
      if (!result.ok) throw new Error(result.issues.map((i) => i.message).join("\n"));
      const secret = pulumi.secret("bench");
      buildPlatform({
        config: result.config,
        secrets: {
          jenkinsAdminPassword: undefined,
          registryHtpasswd: undefined,
          registryTlsKey: undefined,
          registryHttpSecret: undefined,
          jenkinsRegistryPassword: undefined,
          registryPullPassword: secret,
          datastorePassword: undefined,
        },
      });
      return Promise.resolve({});
    });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    name,
    resources: evaluation.resources.length,
    ms,
    maxRssMb: resourceUsage().maxRSS / 1024,
  };
}

/** Runs every case, each in a child process of this file (`--case <case>`); prints the table. */
export function benchPlan(write: (text: string) => void): Promise<void> {
  const stackTraceLimit = process.env["BENCH_STACK_TRACE_LIMIT"] ?? "0";
  const cases = ["calibration=750", "services=25", "services=50", "services=100"];
  const results = cases.map((c) => {
    const out = execFileSync(
      process.execPath,
      [`--stack-trace-limit=${stackTraceLimit}`, "--import", "tsx", __filename, "--case", c],
      {
        encoding: "utf8",
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return JSON.parse(out.trim().split("\n").pop()!) as CaseResult;
  });
  const perResource = (r: CaseResult): number => r.ms / r.resources;
  const calibration = results[0]!;
  write(`stack-trace-limit ${stackTraceLimit}\n`);
  write("case              resources   time (s)   ms/resource   vs calibration   max RSS (MB)\n");
  for (const r of results) {
    write(
      `${r.name.padEnd(16)}  ${String(r.resources).padStart(9)}   ${(r.ms / 1000).toFixed(2).padStart(8)}   ${perResource(r).toFixed(2).padStart(11)}   ${(perResource(r) / perResource(calibration)).toFixed(2).padStart(14)}   ${r.maxRssMb.toFixed(0).padStart(12)}\n`,
    );
  }
  const t25 = results[1]!.ms;
  const t100 = results[3]!.ms;
  write(
    `t(100)/t(25) = ${(t100 / t25).toFixed(2)} (linear: ${(results[3]!.resources / results[1]!.resources).toFixed(2)} by resource count; target <= 4.8)\n`,
  );
  return Promise.resolve();
}

// One case, in its own process: `node --import tsx tools/bench-plan.ts --case <case>`.
if (require.main === module) {
  const child = process.argv.indexOf("--case");
  runCase(process.argv[child + 1] ?? "")
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exit(1);
    });
}
