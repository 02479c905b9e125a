/**
 * `ci-platform health --stack <s> [--file <endpoints.json>] [--timeout-ms N] [--json]` (`npm run
 * health --`): probes every service's health endpoint once, prints a table (or JSON) and exits 1
 * when any is down or timed out. With `--serve <port>` it keeps probing and serves a dashboard on
 * 127.0.0.1 instead.
 */
import type { Command } from "../cli/command";
import { HEALTH_OPTIONS, parseHealthArgs, USAGE } from "./args";
import { exitCodeFor, summarize, summaryText } from "./classify";
import { probeAll } from "./probe";
import { startDashboard } from "./server";
import { loadEndpoints } from "./source";
import { renderTable } from "./table";
import { sortEndpoints } from "./endpoints";

async function health(argv: readonly string[]): Promise<number> {
  const args = parseHealthArgs(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const source = await loadEndpoints({
    stack: args.stack,
    file: args.file,
    note: (m) => process.stderr.write(`note: ${m}\n`),
  });
  const label = args.stack ?? source.from;

  if (args.serve !== undefined) {
    let lastSummary = "";
    const dashboard = await startDashboard(source.endpoints, {
      stack: label,
      port: args.serve,
      intervalMs: args.intervalMs,
      timeoutMs: args.timeoutMs,
      concurrency: args.concurrency,
      historySize: args.historySize,
      onRound: (results) => {
        // One line when the picture changes, not one per round.
        const summary = summaryText(summarize(results));
        if (summary === lastSummary) return;
        lastSummary = summary;
        process.stdout.write(`${new Date().toISOString()} ${summary}\n`);
      },
    });
    process.stdout.write(
      `health dashboard for ${label}: ${dashboard.url} (${source.endpoints.length} endpoints from ` +
        `${source.from}, every ${args.intervalMs} ms; Ctrl-C stops)\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        dashboard.close().then(resolve, resolve);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  }

  const started = performance.now();
  const results = sortEndpoints(
    await probeAll(source.endpoints, { timeoutMs: args.timeoutMs, concurrency: args.concurrency }),
  );
  const elapsedMs = Math.round(performance.now() - started);
  if (args.json) {
    const doc = {
      stack: args.stack ?? null,
      from: source.from,
      timeoutMs: args.timeoutMs,
      elapsedMs,
      summary: summarize(results),
      results,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(`Health of ${label} (endpoints from ${source.from})\n\n`);
    process.stdout.write(
      renderTable(results, {
        elapsedMs,
        color: process.stdout.isTTY && process.env["NO_COLOR"] === undefined,
      }),
    );
  }
  return exitCodeFor(results);
}

export const healthCommand: Command = {
  path: ["health"],
  summary:
    "probes every service's health endpoint (exit 1 when any is down), or serves a dashboard",
  options: HEALTH_OPTIONS,
  errorPrefix: "health failed",
  run: (argv) => health(argv),
};
