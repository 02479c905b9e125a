/** The policy adapter directly, with the arguments the SDK hands a policy. */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { POLICIES, toPolicy } from "./pack";
import { RULES, T } from "./rules";

describe("policies", () => {
  it("adapts every rule the engine can run, as mandatory", () => {
    expect(POLICIES.map((p) => p.name)).toEqual(
      RULES.filter((r) => r.name !== "secrets-not-plain").map((r) => r.name),
    );
    expect(POLICIES.every((p) => p.enforcementLevel === "mandatory")).toBe(true);
  });

  it("reports each of a rule's messages for a resource of its types only", () => {
    const rule = RULES.find((r) => r.name === "containers-restart-memory-log-rotation")!;
    const validate = toPolicy(rule).validateResource as (
      args: ResourceValidationArgs,
      report: (message: string) => void,
    ) => void;
    const reported: string[] = [];
    const args = (type: string, props: Record<string, unknown>) =>
      ({ type, name: "x", props, opts: { protect: false } }) as unknown as ResourceValidationArgs;
    validate(args(T.container, { image: "a:1" }), (m) => reported.push(m));
    validate(args(T.dockerVolume, { image: "a:1" }), (m) => reported.push(m));
    expect(reported).toEqual([
      'restart is not set; set it to "unless-stopped"',
      "memory is not set; set a limit in MB (the docker provider's unit)",
      'logOpts has no max-size or max-file; rotate logs with logOpts {"max-size": "10m", "max-file": "3"}',
    ]);
  });
});
