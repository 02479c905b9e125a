import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProbeResult } from "./classify";
import { HealthHistory, RingBuffer } from "./history";

describe("RingBuffer", () => {
  it.each<[number, number[], number[]]>([
    [3, [], []],
    [3, [1, 2], [1, 2]],
    [3, [1, 2, 3], [1, 2, 3]],
    [3, [1, 2, 3, 4], [2, 3, 4]],
    [3, [1, 2, 3, 4, 5, 6, 7], [5, 6, 7]],
    [1, [1, 2], [2]],
  ])("capacity %s after pushing %j holds %j, oldest first", (capacity, pushed, held) => {
    const buffer = new RingBuffer<number>(capacity);
    pushed.forEach((n) => buffer.push(n));
    expect(buffer.toArray()).toEqual(held);
    expect(buffer.size).toBe(held.length);
    expect(buffer.last()).toBe(held[held.length - 1]);
  });

  it("always holds exactly the last `capacity` items pushed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer(), { maxLength: 200 }),
        (capacity, pushed) => {
          const buffer = new RingBuffer<number>(capacity);
          pushed.forEach((n) => buffer.push(n));
          expect(buffer.toArray()).toEqual(pushed.slice(-capacity));
        },
      ),
    );
  });

  it.each([0, -1, 1.5])("fails when the capacity is %s", (capacity) => {
    expect(() => new RingBuffer(capacity)).toThrow(
      `ring buffer capacity ${capacity} is not a whole number of at least 1`,
    );
  });
});

describe("HealthHistory", () => {
  const endpoints = [
    { service: "b", url: "http://127.0.0.1:2/health" },
    { service: "a", url: "http://127.0.0.1:1/health" },
  ];
  const settings = { stack: "testing", intervalMs: 5000, timeoutMs: 3000, historySize: 2 };
  const result = (
    service: string,
    status: ProbeResult["status"],
    latencyMs: number,
  ): ProbeResult => ({
    service,
    url: endpoints.find((e) => e.service === service)!.url,
    status,
    detail: status === "up" ? "HTTP 200" : "ECONNREFUSED",
    latencyMs,
  });

  it("shows every endpoint as not yet probed before the first round", () => {
    const doc = new HealthHistory(endpoints, settings).snapshot();
    expect(doc).toEqual({
      stack: "testing",
      rounds: 0,
      updatedAt: null,
      lastRoundMs: null,
      intervalMs: 5000,
      timeoutMs: 3000,
      historySize: 2,
      summary: { up: 0, down: 0, timeout: 0 },
      services: [
        { service: "a", url: "http://127.0.0.1:1/health", current: null, history: [] },
        { service: "b", url: "http://127.0.0.1:2/health", current: null, history: [] },
      ],
    });
  });

  it("keeps the last historySize rounds per endpoint and summarizes the newest", () => {
    const history = new HealthHistory(endpoints, settings);
    history.record(
      [result("a", "up", 1), result("b", "up", 2)],
      new Date("2026-11-25T10:00:00Z"),
      3,
    );
    history.record(
      [result("a", "up", 4), result("b", "down", 5)],
      new Date("2026-11-25T10:00:05Z"),
      6,
    );
    history.record(
      [result("a", "down", 7), result("b", "down", 8)],
      new Date("2026-11-25T10:00:10Z"),
      9.4,
    );
    const doc = history.snapshot();
    expect(doc.rounds).toBe(3);
    expect(doc.updatedAt).toBe("2026-11-25T10:00:10.000Z");
    expect(doc.lastRoundMs).toBe(9);
    expect(doc.summary).toEqual({ up: 0, down: 2, timeout: 0 });
    expect(doc.services[0]!.history.map((h) => [h.status, h.latencyMs, h.at])).toEqual([
      ["up", 4, "2026-11-25T10:00:05.000Z"],
      ["down", 7, "2026-11-25T10:00:10.000Z"],
    ]);
    expect(doc.services[1]!.current).toEqual({
      status: "down",
      detail: "ECONNREFUSED",
      latencyMs: 8,
      at: "2026-11-25T10:00:10.000Z",
    });
  });

  it("ignores results for endpoints it was not built with", () => {
    const history = new HealthHistory(endpoints, settings);
    history.record([{ ...result("a", "up", 1), service: "zzz" }], new Date(0), 1);
    expect(history.snapshot().services.map((s) => s.history.length)).toEqual([0, 0]);
  });
});
