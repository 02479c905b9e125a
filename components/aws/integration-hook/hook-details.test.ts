import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HOOK_HANDLER,
  HOOK_RUNTIME,
  TEST_CONTAINER,
  hookHandlerCode,
  renderHookDetails,
  type HookDetails,
} from "./hook-details";
import { readInvocation } from "./index.mjs";

const PRE: HookDetails = {
  suite: "pre-integration",
  baseUrl: "http://api.us-east-1.example.com:8080",
  cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
  taskDefinition: "prod-api-tests",
  timeoutSeconds: 900,
};

describe("renderHookDetails", () => {
  it("renders the five fields as JSON in a fixed order", () => {
    expect(renderHookDetails(PRE)).toBe(
      '{"suite":"pre-integration","baseUrl":"http://api.us-east-1.example.com:8080","cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/prod","taskDefinition":"prod-api-tests","timeoutSeconds":900}',
    );
  });

  it("gives the same bytes whatever order the fields were written in", () => {
    const reversed = Object.fromEntries(Object.entries(PRE).reverse()) as unknown as HookDetails;
    expect(renderHookDetails(reversed)).toBe(renderHookDetails(PRE));
  });

  it("is what the Lambda reads back, for any valid details", () => {
    const details = fc.record({
      suite: fc.constantFrom("pre-integration" as const, "post-integration" as const),
      baseUrl: fc.webUrl({ validSchemes: ["http", "https"] }),
      cluster: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ""),
      taskDefinition: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ""),
      timeoutSeconds: fc.integer({ min: 1, max: 86_400 }),
    });
    fc.assert(
      fc.property(details, (d) => {
        const rendered = renderHookDetails(d);
        const stage =
          d.suite === "pre-integration"
            ? "POST_TEST_TRAFFIC_SHIFT"
            : "POST_PRODUCTION_TRAFFIC_SHIFT";
        const read = readInvocation({
          lifecycleStage: stage,
          resourceArn: "arn:aws:ecs:us-east-1:1:service-deployment/prod/prod-api/x",
          hookDetails: JSON.parse(rendered) as unknown,
        });
        expect(read.details).toEqual(d);
        expect(Object.keys(JSON.parse(rendered) as object)).toEqual([
          "suite",
          "baseUrl",
          "cluster",
          "taskDefinition",
          "timeoutSeconds",
        ]);
      }),
      { numRuns: 50 },
    );
  });

  it("fails when the details are unusable, naming every bad field", () => {
    expect(() =>
      renderHookDetails({
        suite: "smoke" as HookDetails["suite"],
        baseUrl: "api.example.com",
        cluster: " ",
        taskDefinition: "",
        timeoutSeconds: 1.5,
      }),
    ).toThrow(
      'hook details: suite "smoke" is not one of pre-integration, post-integration; baseUrl "api.example.com" is not an http(s) URL; cluster is empty; taskDefinition is empty; timeoutSeconds 1.5 is not a whole number of seconds >= 1',
    );
  });
});

describe("the Lambda's code and settings", () => {
  it("serves index.mjs as the code, whose handler export HOOK_HANDLER names", () => {
    const code = hookHandlerCode();
    expect(code).toBe(readFileSync(join(__dirname, "index.mjs"), "utf8"));
    expect(HOOK_HANDLER).toBe("index.handler");
    expect(code).toMatch(/^export async function handler\(event\)/m);
    expect(HOOK_RUNTIME).toBe("nodejs22.x");
    expect(TEST_CONTAINER).toBe("tests");
  });
});
