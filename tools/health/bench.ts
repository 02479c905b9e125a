/**
 * `ci-platform bench health` (`npm run bench:health`): how long one probe round of a whole stack
 * takes. Stub endpoints on 127.0.0.1 stand in for a stack's 25 services; each case runs `RUNS`
 * rounds in this process and reports the median and the slowest. The last case adds one endpoint
 * that never answers in time: the round is bounded by the per-probe timeout, not by the number of
 * services.
 */
import { SERVICE_CATALOG } from "../../components/catalog/catalog";
import type { Endpoint } from "./endpoints";
import { probeAll } from "./probe";
import { startStubs, type StubSpec } from "./stubs";

const RUNS = 20;

const apps = SERVICE_CATALOG.filter((e) => e.kind === "app").map((e) => e.name);

async function timeRounds(
  endpoints: readonly Endpoint[],
  concurrency: number,
  timeoutMs: number,
): Promise<{ medianMs: number; maxMs: number }> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await probeAll(endpoints, { concurrency, timeoutMs });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, maxMs: times[times.length - 1]! };
}

export async function benchHealth(write: (text: string) => void): Promise<void> {
  const cases: { name: string; specs: StubSpec[]; concurrency: number; timeoutMs: number }[] = [
    {
      name: `${apps.length} up, concurrency 16`,
      specs: apps.map((service) => ({ service, behaviour: { kind: "up" } })),
      concurrency: 16,
      timeoutMs: 3000,
    },
    {
      name: `${apps.length} up, concurrency 1`,
      specs: apps.map((service) => ({ service, behaviour: { kind: "up" } })),
      concurrency: 1,
      timeoutMs: 3000,
    },
    {
      name: `${apps.length - 1} up + 1 slow, timeout 500 ms`,
      specs: apps.map((service, i) => ({
        service,
        behaviour: i === 0 ? { kind: "slow", delayMs: 5000 } : { kind: "up" },
      })),
      concurrency: 16,
      timeoutMs: 500,
    },
  ];
  write(`probe rounds of ${apps.length} stub endpoints, ${RUNS} runs each\n`);
  for (const c of cases) {
    const stubs = await startStubs(c.specs);
    try {
      await probeAll(stubs.endpoints, { concurrency: c.concurrency, timeoutMs: c.timeoutMs }); // warm-up
      const t = await timeRounds(stubs.endpoints, c.concurrency, c.timeoutMs);
      write(
        `  ${c.name.padEnd(40)} median ${t.medianMs.toFixed(1).padStart(6)} ms, max ${t.maxMs.toFixed(1).padStart(6)} ms\n`,
      );
    } finally {
      await stubs.close();
    }
  }
}
