/**
 * `npm run health:screenshot [-- --out <file.png>]`: regenerates the README's dashboard picture
 * (docs/health-dashboard.png). Stub endpoints on 127.0.0.1 stand in for the testing stack's 25
 * services (one refused, one answering 503, one too slow, one flapping), the dashboard probes them
 * until the history strips fill, and headless Chromium (Debian's, driven by playwright-core)
 * photographs the page at 1200x800.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { PNG } from "pngjs";
import { SERVICE_CATALOG } from "../../components/catalog/catalog";
import { sleep, waitFor } from "../../lib/process";
import { withPage } from "./browser";
import { startDashboard } from "./server";
import { startStubs, type StubBehaviour } from "./stubs";

const ROUNDS = 20;

const BEHAVIOURS: Readonly<Record<string, StubBehaviour>> = {
  payments: { kind: "closed" },
  search: { kind: "status", status: 503 },
  media: { kind: "slow", delayMs: 5000 },
  email: { kind: "flapping" },
};

/** The README's picture, where `--out` does not say otherwise. */
export const DEFAULT_SCREENSHOT = resolve(__dirname, "..", "..", "docs", "health-dashboard.png");

/** Photographs the dashboard into `outFile`: the `ci-platform health screenshot` command. */
export async function dashboardScreenshot(outFile: string): Promise<void> {
  const out = resolve(outFile);
  const apps = SERVICE_CATALOG.filter((e) => e.kind === "app").map((e) => e.name);
  const stubs = await startStubs(
    apps.map((service) => ({ service, behaviour: BEHAVIOURS[service] ?? { kind: "up" } })),
  );
  try {
    const dashboard = await startDashboard(stubs.endpoints, {
      stack: "testing (stub endpoints)",
      port: 0,
      intervalMs: 300,
      timeoutMs: 400,
      concurrency: 16,
      historySize: ROUNDS,
    });
    try {
      await waitFor(
        `${ROUNDS} probe rounds`,
        () => Promise.resolve(dashboard.history.snapshot().rounds >= ROUNDS ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      await sleep(50);
      await withPage(dashboard.url, (page) => page.screenshot({ path: out }), {
        viewport: { width: 1200, height: 800 },
        timeoutMs: 60_000,
      });
    } finally {
      await dashboard.close();
    }
  } finally {
    await stubs.close();
  }
  const header = PNG.sync.read(readFileSync(out));
  process.stdout.write(
    `wrote ${out}: ${header.width}x${header.height}, ${Math.round(statSync(out).size / 1024)} KiB\n`,
  );
}
