/** The CLI's text report: one aligned row per endpoint, then the summary line. Pure: no I/O. */
import { summarize, summaryText, type HealthStatus, type ProbeResult } from "./classify";
import { sortEndpoints } from "./endpoints";

export interface TableOptions {
  /** Colour the status column with ANSI escapes (green up, red down/timeout). @default false */
  readonly color?: boolean;
  /** Wall-clock milliseconds the whole round took, shown after the summary. @default not shown */
  readonly elapsedMs?: number;
}

const HEADERS = ["SERVICE", "ENDPOINT", "STATUS", "LATENCY"] as const;
const ANSI: Record<HealthStatus, string> = {
  up: "\x1b[32m",
  down: "\x1b[31m",
  timeout: "\x1b[31m",
};
const RESET = "\x1b[0m";

/** `up (HTTP 200)`, `down (ECONNREFUSED)`, `timeout (no answer in 3000 ms)`. */
export function statusCell(result: Pick<ProbeResult, "status" | "detail">): string {
  return `${result.status} (${result.detail})`;
}

/** The table, sorted by service, and the summary line: `24 up, 1 down (25 endpoints in 41 ms)`. */
export function renderTable(results: readonly ProbeResult[], options: TableOptions = {}): string {
  const rows = sortEndpoints(results).map((r) => ({
    cells: [r.service, r.url, statusCell(r), `${r.latencyMs} ms`],
    status: r.status,
  }));
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: readonly string[], status?: HealthStatus): string =>
    cells
      .map((c, i) => {
        // Latency is right-aligned; the last column carries no trailing padding.
        const padded = i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!);
        return options.color && status && i === 2 ? `${ANSI[status]}${padded}${RESET}` : padded;
      })
      .join("  ");
  const n = results.length;
  const elapsed =
    options.elapsedMs === undefined
      ? ""
      : ` (${n} endpoint${n === 1 ? "" : "s"} in ${Math.round(options.elapsedMs)} ms)`;
  return [
    line(HEADERS),
    ...rows.map((r) => line(r.cells, r.status)),
    "",
    `${summaryText(summarize(results))}${elapsed}`,
    "",
  ].join("\n");
}
