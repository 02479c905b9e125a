/**
 * Stub health endpoints on 127.0.0.1 for the integration test, the screenshot and the benchmark:
 * each answers one way (200, a given status, late, alternating), resets, or is a closed port.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Endpoint } from "./endpoints";

export type StubBehaviour =
  /** 200 `ok`. */
  | { readonly kind: "up" }
  /** A closed port: connections are refused. */
  | { readonly kind: "closed" }
  /** Accepts the connection, reads the request, then resets it without an answer. */
  | { readonly kind: "reset" }
  /** Answers this status. */
  | { readonly kind: "status"; readonly status: number }
  /** Answers 200 only after `delayMs` (longer than the probe's timeout). */
  | { readonly kind: "slow"; readonly delayMs: number }
  /** 200 and 503 in turns, starting with 200. */
  | { readonly kind: "flapping" };

export interface StubSpec {
  readonly service: string;
  readonly behaviour: StubBehaviour;
  /** Request path. @default "/health" */
  readonly path?: string;
}

export interface Stubs {
  /** In the specs' order. */
  readonly endpoints: readonly Endpoint[];
  /** Requests each service received. */
  readonly hits: ReadonlyMap<string, number>;
  /** Closes every server and cancels late answers; safe to call twice. */
  close(): Promise<void>;
}

export async function startStubs(specs: readonly StubSpec[]): Promise<Stubs> {
  const servers: http.Server[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const hits = new Map<string, number>();
  const close = async (): Promise<void> => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await Promise.all(
      servers.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  };
  try {
    const endpoints: Endpoint[] = [];
    for (const spec of specs) {
      const server = http.createServer((_req, res) => {
        const n = (hits.get(spec.service) ?? 0) + 1;
        hits.set(spec.service, n);
        answer(spec.behaviour, n, res, timers);
      });
      const port = await listen(server);
      if (spec.behaviour.kind === "closed") {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      } else {
        servers.push(server);
      }
      endpoints.push({
        service: spec.service,
        url: `http://127.0.0.1:${port}${spec.path ?? "/health"}`,
      });
    }
    return { endpoints, hits, close };
  } catch (e) {
    await close();
    throw e;
  }
}

function answer(
  behaviour: StubBehaviour,
  hit: number,
  res: http.ServerResponse,
  timers: Set<NodeJS.Timeout>,
): void {
  const reply = (status: number): void => {
    res.writeHead(status, { "Content-Type": "text/plain", Connection: "close" });
    res.end(status === 200 ? "ok\n" : "unhealthy\n");
  };
  switch (behaviour.kind) {
    case "up":
    case "closed":
      return reply(200);
    case "status":
      return reply(behaviour.status);
    case "reset":
      res.socket?.resetAndDestroy();
      return;
    case "flapping":
      return reply(hit % 2 === 1 ? 200 : 503);
    case "slow": {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) reply(200);
      }, behaviour.delayMs);
      timers.add(t);
      return;
    }
  }
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
