/** What one probe's outcome means: up, down (and why), or timeout. Pure: no I/O. */
import type { Endpoint } from "./endpoints";

export type HealthStatus = "up" | "down" | "timeout";

/** What happened to one GET, as the prober saw it. */
export type ProbeOutcome =
  /** An HTTP response arrived (its status line, at least). */
  | {
      readonly kind: "response";
      readonly statusCode: number;
      readonly latencyMs: number;
      /** The release slot that answered, when a release proxy says (`X-Release-Slot`). */
      readonly slot?: string | undefined;
    }
  /** The request failed before a response: refused, reset, DNS, TLS, ... */
  | {
      readonly kind: "error";
      /** Node's error code (`ECONNREFUSED`), or the message when there is none. */
      readonly code: string;
      readonly latencyMs: number;
    }
  /** No response within the probe's timeout. */
  | { readonly kind: "timeout"; readonly timeoutMs: number; readonly latencyMs: number };

/** One endpoint's classified result. */
export interface ProbeResult extends Endpoint {
  readonly status: HealthStatus;
  /** Why: `HTTP 200`, `HTTP 200 from green`, `HTTP 503`, `ECONNREFUSED`, `no answer in 3000 ms`. */
  readonly detail: string;
  /** Milliseconds from sending the request to the outcome, rounded. */
  readonly latencyMs: number;
}

/** up only for a 2xx answer; any other answer or failure is down; no answer in time is timeout. */
export function classify(endpoint: Endpoint, outcome: ProbeOutcome): ProbeResult {
  const [status, detail] = verdict(outcome);
  return {
    service: endpoint.service,
    url: endpoint.url,
    status,
    detail,
    latencyMs: Math.max(0, Math.round(outcome.latencyMs)),
  };
}

function verdict(outcome: ProbeOutcome): [HealthStatus, string] {
  switch (outcome.kind) {
    case "response": {
      const ok = outcome.statusCode >= 200 && outcome.statusCode <= 299;
      const slot = outcome.slot ? ` from ${outcome.slot}` : "";
      return [ok ? "up" : "down", `HTTP ${outcome.statusCode}${slot}`];
    }
    case "error":
      return ["down", outcome.code];
    case "timeout":
      return ["timeout", `no answer in ${outcome.timeoutMs} ms`];
  }
}

export interface HealthSummary {
  readonly up: number;
  readonly down: number;
  readonly timeout: number;
}

export function summarize(results: readonly { readonly status: HealthStatus }[]): HealthSummary {
  const count = (s: HealthStatus): number => results.filter((r) => r.status === s).length;
  return { up: count("up"), down: count("down"), timeout: count("timeout") };
}

/** `24 up, 1 down`: up always, the others when there are any. */
export function summaryText(summary: HealthSummary): string {
  return [
    `${summary.up} up`,
    ...(summary.down > 0 ? [`${summary.down} down`] : []),
    ...(summary.timeout > 0 ? [`${summary.timeout} timeout`] : []),
  ].join(", ");
}

/** The CLI's exit code: 1 when anything is down or timed out (or nothing was probed), else 0. */
export function exitCodeFor(results: readonly { readonly status: HealthStatus }[]): 0 | 1 {
  return results.length > 0 && results.every((r) => r.status === "up") ? 0 : 1;
}
