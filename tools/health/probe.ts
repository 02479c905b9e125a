/** Sends the health checks: one GET per endpoint, bounded in time and in concurrency. */
import * as http from "node:http";
import * as https from "node:https";
import { classify, type ProbeOutcome, type ProbeResult } from "./classify";
import type { Endpoint } from "./endpoints";

export interface ProbeOptions {
  /** Give up on one endpoint after this long. @default 3000 */
  readonly timeoutMs?: number;
  /** Requests in flight at once. @default 16 */
  readonly concurrency?: number;
}

export const DEFAULT_TIMEOUT_MS = 3000;
export const DEFAULT_CONCURRENCY = 16;

/**
 * One GET on a fresh connection (no keep-alive: each probe measures connect + answer, and nothing
 * is left open). Settles on the response's status line; never rejects.
 */
export function probeOnce(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    let req: http.ClientRequest;
    try {
      const client = url.startsWith("https:") ? https : http;
      req = client.get(url, {
        agent: false,
        headers: { Connection: "close", "User-Agent": "ci-platform-health" },
      });
    } catch (e) {
      resolve({ kind: "error", code: errorCode(e), latencyMs: elapsed() });
      return;
    }
    const timer = setTimeout(
      () => settle({ kind: "timeout", timeoutMs, latencyMs: elapsed() }),
      timeoutMs,
    );
    req.on("response", (res) => {
      res.resume(); // the body is not needed; discard it
      const slot = res.headers["x-release-slot"];
      settle({
        kind: "response",
        statusCode: res.statusCode ?? 0,
        latencyMs: elapsed(),
        slot: typeof slot === "string" ? slot : undefined,
      });
    });
    req.on("error", (e) => settle({ kind: "error", code: errorCode(e), latencyMs: elapsed() }));
  });
}

function errorCode(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return typeof code === "string" && code !== "" ? code : e.message;
  }
  return String(e);
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/** Probes every endpoint and classifies the outcomes (in the endpoints' order). */
export function probeAll(
  endpoints: readonly Endpoint[],
  options: ProbeOptions = {},
): Promise<ProbeResult[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return mapBounded(endpoints, options.concurrency ?? DEFAULT_CONCURRENCY, async (e) =>
    classify(e, await probeOnce(e.url, timeoutMs)),
  );
}
