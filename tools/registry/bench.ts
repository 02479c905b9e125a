/**
 * `ci-platform bench registry [--mb 128] [--layers 4] [--rounds 2]` (`npm run bench:registry --`):
 * what nginx in front of the registry costs. Starts the registry stack the integration tests use
 * (rendered configs, real daemons on 127.0.0.1, see test/harness/registry.ts), then times skopeo
 * pushing and pulling a fresh random image through nginx (TLS, basic auth) and straight to the
 * registry (plain HTTP). Each round uses new images (no blob is ever already there) and alternates
 * which route goes first. Prints MB/s (10^6 bytes) per run, the median per route, and the ratio
 * nginx/direct.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { startRegistryStack, type RegistryStack } from "../../test/harness/registry";
import {
  expectOk,
  inspectDigest,
  makeOciImage,
  ociManifestDigest,
  pullImage,
  pushImage,
  type Route,
} from "../../test/harness/registry-images";

import { stringValue, UsageError, type ParsedLine } from "../cli/command";

const USAGE = "usage: npm run bench:registry -- [--mb 128] [--layers 4] [--rounds 2]";

interface Sample {
  readonly round: number;
  readonly route: Route;
  readonly bytes: number;
  readonly pushSeconds: number;
  readonly pullSeconds: number;
}

function intFlag(line: ParsedLine, flag: string, fallback: number, min: number): number {
  const raw = stringValue(line, flag.slice(2));
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new UsageError(`${flag} ${raw} must be an integer >= ${min}\n${USAGE}`);
  return value;
}

async function timed(what: string, action: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  try {
    await action();
  } catch (e) {
    throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function measure(
  stack: RegistryStack,
  round: number,
  route: Route,
  sizeBytes: number,
  layers: number,
): Promise<Sample> {
  const work = path.join(stack.dir, "work", `r${round}-${route}`);
  const img = await makeOciImage(path.join(work, "image"), { sizeBytes, layers });
  const target = { repo: `bench/${route}-${round}`, tag: "v1", route };
  const pushSeconds = await timed(`push ${route}`, async () => {
    expectOk(await pushImage(stack, img, target), `push ${route}`);
  });
  const pulled = path.join(work, "pulled");
  const pullSeconds = await timed(`pull ${route}`, async () => {
    expectOk(await pullImage(stack, target, pulled), `pull ${route}`);
  });
  // Untimed: the registry holds the image we made, and the pull got exactly it back.
  const served = await inspectDigest(stack, target);
  const back = await ociManifestDigest(pulled, "v1");
  if (served !== img.manifestDigest || back !== img.manifestDigest) {
    throw new Error(`${route}: pushed ${img.manifestDigest}, served ${served}, pulled ${back}`);
  }
  await fs.rm(work, { recursive: true, force: true });
  return { round, route, bytes: img.totalBytes, pushSeconds, pullSeconds };
}

const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** Runs the benchmark with the options of `ci-platform bench registry` (tools/cli/commands.ts). */
export async function benchRegistry(
  line: ParsedLine,
  write: (text: string) => void,
): Promise<void> {
  const mb = intFlag(line, "--mb", 128, 1);
  const layers = intFlag(line, "--layers", 4, 1);
  const rounds = intFlag(line, "--rounds", 2, 1);
  const sizeBytes = mb * 1_000_000;

  const stack = await startRegistryStack();
  const stopOnSignal = (): void => {
    void stack.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  const out = (text: string): void => write(`${text}\n`);
  try {
    out(`nginx ${stack.url} -> registry http://${stack.registryAddr}`);
    out(`image: ${mb} MB of random data in ${layers} layer(s), stored gzip; ${rounds} round(s)`);
    const samples: Sample[] = [];
    for (let round = 1; round <= rounds; round++) {
      const order: Route[] = round % 2 === 1 ? ["nginx", "direct"] : ["direct", "nginx"];
      for (const route of order) {
        const s = await measure(stack, round, route, sizeBytes, layers);
        samples.push(s);
        out(
          `round ${round} ${route.padEnd(6)} push ${s.pushSeconds.toFixed(2)} s ` +
            `(${mbps(s.bytes, s.pushSeconds).toFixed(1)} MB/s), pull ${s.pullSeconds.toFixed(2)} s ` +
            `(${mbps(s.bytes, s.pullSeconds).toFixed(1)} MB/s)`,
        );
      }
    }
    const rate = (route: Route, op: "pushSeconds" | "pullSeconds"): number =>
      median(samples.filter((s) => s.route === route).map((s) => mbps(s.bytes, s[op])));
    out("median MB/s      nginx   direct   nginx/direct");
    for (const [label, op] of [
      ["push", "pushSeconds"],
      ["pull", "pullSeconds"],
    ] as const) {
      const viaNginx = rate("nginx", op);
      const direct = rate("direct", op);
      out(
        `${label.padEnd(12)} ${viaNginx.toFixed(1).padStart(8)} ${direct.toFixed(1).padStart(8)} ` +
          `${(viaNginx / direct).toFixed(2).padStart(14)}`,
      );
    }
    const errorLog = await fs.readFile(stack.errorLog, "utf8").catch(() => "");
    const buffered = errorLog.split("\n").filter((l) => l.includes("buffered to a temporary file"));
    out(`nginx buffered ${buffered.length} request bod(ies) to temp files during the run`);
  } finally {
    process.removeListener("SIGINT", stopOnSignal);
    process.removeListener("SIGTERM", stopOnSignal);
    await stack.stop();
  }
}
