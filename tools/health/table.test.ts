import { describe, expect, it } from "vitest";
import type { ProbeResult } from "./classify";
import { renderTable, statusCell } from "./table";

const results: ProbeResult[] = [
  {
    service: "search",
    url: "http://127.0.0.1:5383/health",
    status: "timeout",
    detail: "no answer in 3000 ms",
    latencyMs: 3001,
  },
  {
    service: "api",
    url: "http://127.0.0.1:5060/health",
    status: "up",
    detail: "HTTP 200",
    latencyMs: 4,
  },
  {
    service: "billing",
    url: "http://127.0.0.1:5251/health",
    status: "down",
    detail: "HTTP 503",
    latencyMs: 12,
  },
  {
    service: "auth",
    url: "http://127.0.0.1:5523/health",
    status: "down",
    detail: "ECONNREFUSED",
    latencyMs: 1,
  },
];

describe("renderTable", () => {
  it("aligns one row per endpoint, sorted by service, then the summary and the round's time", () => {
    expect(renderTable(results, { elapsedMs: 3004.4 })).toMatchInlineSnapshot(`
      "SERVICE  ENDPOINT                      STATUS                          LATENCY
      api      http://127.0.0.1:5060/health  up (HTTP 200)                      4 ms
      auth     http://127.0.0.1:5523/health  down (ECONNREFUSED)                1 ms
      billing  http://127.0.0.1:5251/health  down (HTTP 503)                   12 ms
      search   http://127.0.0.1:5383/health  timeout (no answer in 3000 ms)  3001 ms

      1 up, 2 down, 1 timeout (4 endpoints in 3004 ms)
      "
    `);
  });

  it("renders the same bytes whatever order the results come in", () => {
    expect(renderTable([...results].reverse())).toBe(renderTable(results));
  });

  it("colours only the status column when asked: green up, red down and timeout", () => {
    const lines = renderTable(results, { color: true }).split("\n");
    expect(lines[1]).toContain("\x1b[32mup (HTTP 200)");
    expect(lines[2]).toContain("\x1b[31mdown (ECONNREFUSED)");
    expect(lines[4]).toContain("\x1b[31mtimeout");
    expect(lines[0]).not.toContain("\x1b[");
    expect(renderTable(results)).not.toContain("\x1b[");
  });

  it("says so when there is one endpoint", () => {
    expect(renderTable(results.slice(1, 2), { elapsedMs: 4 })).toContain(
      "1 up (1 endpoint in 4 ms)",
    );
  });
});

describe("statusCell", () => {
  it("shows the status and why", () => {
    expect(statusCell({ status: "down", detail: "HTTP 503" })).toBe("down (HTTP 503)");
  });
});
