/**
 * `--serve`: re-probes every endpoint on an interval and serves, on 127.0.0.1 only, the dashboard
 * page (`/`) and its data (`/api/status`). Memory is bounded: a fixed ring buffer per endpoint.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { ProbeResult } from "./classify";
import type { Endpoint } from "./endpoints";
import { HealthHistory } from "./history";
import { renderDashboard } from "./html";
import { probeAll } from "./probe";

export interface DashboardSettings {
  /** Label shown on the page. */
  readonly stack: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Pause between the start of one probe round and the next (rounds never overlap). */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  /** Probes kept per endpoint. */
  readonly historySize: number;
  /** Called after each round. @default nothing */
  readonly onRound?: (results: readonly ProbeResult[], roundMs: number) => void;
}

export interface Dashboard {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  readonly history: HealthHistory;
  /** Stops probing and serving; closes open connections. */
  close(): Promise<void>;
}

const API_PATH = "/api/status";

export async function startDashboard(
  endpoints: readonly Endpoint[],
  settings: DashboardSettings,
): Promise<Dashboard> {
  const history = new HealthHistory(endpoints, settings);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const round = async (): Promise<void> => {
    const started = performance.now();
    const results = await probeAll(endpoints, settings);
    if (stopped) return;
    const roundMs = performance.now() - started;
    history.record(results, new Date(), roundMs);
    settings.onRound?.(results, roundMs);
    timer = setTimeout(loop, Math.max(0, settings.intervalMs - roundMs));
  };
  const loop = (): void => {
    round().catch((e: unknown) => {
      // probeAll does not reject; should it, keep the dashboard alive and try again next interval.
      process.stderr.write(`health: probe round failed: ${String(e)}\n`);
      if (!stopped) timer = setTimeout(loop, settings.intervalMs);
    });
  };

  const server = http.createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    // Only this machine's names: a page on another site cannot read the status by rebinding DNS.
    const host = req.headers.host ?? "";
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      send(res, 403, "text/plain; charset=utf-8", `host ${host} is not served\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      send(res, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/") {
      send(
        res,
        200,
        "text/html; charset=utf-8",
        renderDashboard(history.snapshot(), { apiPath: API_PATH }),
      );
    } else if (path === API_PATH) {
      send(res, 200, "application/json", `${JSON.stringify(history.snapshot(), null, 2)}\n`);
    } else {
      send(res, 404, "text/plain; charset=utf-8", "not found: try / or /api/status\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  loop();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    history,
    close: async () => {
      stopped = true;
      clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    // Self-contained: no scripts, no external loads, inline styles only.
    "Content-Security-Policy":
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
