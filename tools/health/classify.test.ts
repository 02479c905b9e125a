import { describe, expect, it } from "vitest";
import {
  classify,
  exitCodeFor,
  summarize,
  summaryText,
  type HealthStatus,
  type ProbeOutcome,
} from "./classify";

const endpoint = { service: "api", url: "http://127.0.0.1:5060/health" };

describe("classify", () => {
  it.each<[string, ProbeOutcome, HealthStatus, string, number]>([
    ["200 is up", { kind: "response", statusCode: 200, latencyMs: 4.4 }, "up", "HTTP 200", 4],
    ["204 is up", { kind: "response", statusCode: 204, latencyMs: 1 }, "up", "HTTP 204", 1],
    ["299 is up", { kind: "response", statusCode: 299, latencyMs: 1 }, "up", "HTTP 299", 1],
    ["199 is down", { kind: "response", statusCode: 199, latencyMs: 1 }, "down", "HTTP 199", 1],
    [
      "a redirect is down",
      { kind: "response", statusCode: 301, latencyMs: 2 },
      "down",
      "HTTP 301",
      2,
    ],
    ["404 is down", { kind: "response", statusCode: 404, latencyMs: 2 }, "down", "HTTP 404", 2],
    ["503 is down", { kind: "response", statusCode: 503, latencyMs: 2.6 }, "down", "HTTP 503", 3],
    [
      "a release proxy's answer names the live slot",
      { kind: "response", statusCode: 200, latencyMs: 2, slot: "green" },
      "up",
      "HTTP 200 from green",
      2,
    ],
    [
      "a release proxy with no slot running is down, naming the slot it tried",
      { kind: "response", statusCode: 502, latencyMs: 1, slot: "blue" },
      "down",
      "HTTP 502 from blue",
      1,
    ],
    [
      "a refused connection is down",
      { kind: "error", code: "ECONNREFUSED", latencyMs: 0.4 },
      "down",
      "ECONNREFUSED",
      0,
    ],
    [
      "a reset connection is down",
      { kind: "error", code: "ECONNRESET", latencyMs: 3 },
      "down",
      "ECONNRESET",
      3,
    ],
    [
      "an unknown name is down",
      { kind: "error", code: "ENOTFOUND", latencyMs: 12 },
      "down",
      "ENOTFOUND",
      12,
    ],
    [
      "no answer in time is timeout",
      { kind: "timeout", timeoutMs: 3000, latencyMs: 3000.7 },
      "timeout",
      "no answer in 3000 ms",
      3001,
    ],
  ])("%s", (_name, outcome, status, detail, latencyMs) => {
    expect(classify(endpoint, outcome)).toEqual({ ...endpoint, status, detail, latencyMs });
  });
});

describe("summaries and the exit code", () => {
  const of = (...statuses: HealthStatus[]) => statuses.map((status) => ({ status }));

  it.each<[string, HealthStatus[], string, 0 | 1]>([
    ["all up", ["up", "up"], "2 up", 0],
    ["one down", ["up", "down", "up"], "2 up, 1 down", 1],
    ["one timeout", ["up", "timeout"], "1 up, 1 timeout", 1],
    ["everything wrong", ["down", "timeout", "down"], "0 up, 2 down, 1 timeout", 1],
    ["nothing probed", [], "0 up", 1],
  ])("%s: %s, exit %s", (_name, statuses, text, code) => {
    expect(summaryText(summarize(of(...statuses)))).toBe(text);
    expect(exitCodeFor(of(...statuses))).toBe(code);
  });
});
