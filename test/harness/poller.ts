/**
 * A client that keeps requesting one URL from several connections at once, each request on a new
 * connection (as most clients behind a proxy do), and counts what failed: for proving that a
 * switch drops nothing. Bounded: it stops by itself after `maxMs`.
 */
import { request } from "node:http";

export interface PollReport {
  readonly requests: number;
  /** Requests that did not answer 200: refused, reset, timed out or another status. */
  readonly failed: number;
  /** The first few failures, for the test's message. */
  readonly failures: readonly string[];
  /** What the responses' bodies said, in order of first appearance (`revision` of /health). */
  readonly revisions: readonly string[];
  /** When each revision was first answered, epoch ms. */
  readonly firstSeenAt: Readonly<Record<string, number>>;
  readonly seconds: number;
}

export interface Poller {
  stop(): Promise<PollReport>;
}

function getOnce(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

export function startPoller(
  url: string,
  options: { concurrency?: number; maxMs?: number; timeoutMs?: number } = {},
): Poller {
  const concurrency = options.concurrency ?? 4;
  const deadline = Date.now() + (options.maxMs ?? 180_000);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const started = Date.now();
  let stopped = false;
  let requests = 0;
  let failed = 0;
  const failures: string[] = [];
  const revisions: string[] = [];
  const firstSeenAt: Record<string, number> = {};
  const worker = async (): Promise<void> => {
    while (!stopped && Date.now() < deadline) {
      requests++;
      try {
        const { status, body } = await getOnce(url, timeoutMs);
        if (status !== 200) throw new Error(`HTTP ${status}: ${body.slice(0, 80)}`);
        const revision = String((JSON.parse(body) as { revision?: unknown }).revision);
        if (!revisions.includes(revision)) {
          revisions.push(revision);
          firstSeenAt[revision] = Date.now();
        }
      } catch (e) {
        failed++;
        if (failures.length < 5) failures.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return {
        requests,
        failed,
        failures,
        revisions,
        firstSeenAt,
        seconds: (Date.now() - started) / 1000,
      };
    },
  };
}
