import { describe, expect, it } from "vitest";
import { mapBounded } from "./probe";

describe("mapBounded", () => {
  it.each([1, 3, 16])(
    "never has more than %s calls in flight, and keeps the input order",
    async (limit) => {
      let inFlight = 0;
      let peak = 0;
      const items = Array.from({ length: 25 }, (_, i) => i);
      const results = await mapBounded(items, limit, async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        // Finish out of order: later items faster.
        await new Promise((resolve) => setTimeout(resolve, 25 - i));
        inFlight--;
        return i * 2;
      });
      expect(results).toEqual(items.map((i) => i * 2));
      expect(peak).toBe(Math.min(limit, items.length));
    },
  );

  it("returns nothing for nothing", async () => {
    expect(await mapBounded([], 16, () => Promise.resolve(1))).toEqual([]);
  });
});
