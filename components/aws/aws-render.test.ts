import { describe, expect, it } from "vitest";
import { planZoneSubnets } from "./aws-render";

describe("planZoneSubnets", () => {
  it.each([
    ["10.0.0.0/16", ["10.0.0.0/20", "10.0.128.0/20"], ["10.0.32.0/20", "10.0.160.0/20"]],
    ["10.8.0.0/20", ["10.8.0.0/24", "10.8.8.0/24"], ["10.8.2.0/24", "10.8.10.0/24"]],
  ])("splits %s into public and private subnets per zone", (vpc, firstZone, thirdZone) => {
    const plan = planZoneSubnets(vpc, ["z-a", "z-b", "z-c"]);
    expect([plan[0]!.publicCidr, plan[0]!.privateCidr]).toEqual(firstZone);
    expect([plan[2]!.publicCidr, plan[2]!.privateCidr]).toEqual(thirdZone);
    const all = plan.flatMap((p) => [p.publicCidr, p.privateCidr]);
    expect(new Set(all).size).toBe(6);
  });

  it("fails when the VPC range is not a network address", () => {
    expect(() => planZoneSubnets("10.0.0.1/16", ["a"])).toThrow(
      "vpcCidr 10.0.0.1/16 is not a CIDR network address",
    );
  });
});
