import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SLOTS, otherSlot } from "../release/slots";
import { planZoneSubnets, slotVersions, type SlotRelease } from "./aws-render";

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

describe("slotVersions", () => {
  const app = (release: Omit<SlotRelease, "name">): SlotRelease => ({ name: "api", ...release });

  it.each<[string, Omit<SlotRelease, "name">, ReturnType<typeof slotVersions>]>([
    [
      "only the live blue slot without an idle version",
      { version: "1.4.2", liveSlot: "blue", idleVersion: undefined },
      [{ slot: "blue", version: "1.4.2" }],
    ],
    [
      "only the live green slot without an idle version",
      { version: "1.4.2", liveSlot: "green", idleVersion: undefined },
      [{ slot: "green", version: "1.4.2" }],
    ],
    [
      "blue live and green idle",
      { version: "1.4.2", liveSlot: "blue", idleVersion: "1.5.0" },
      [
        { slot: "blue", version: "1.4.2" },
        { slot: "green", version: "1.5.0" },
      ],
    ],
    [
      "green live and blue idle, still blue first",
      { version: "1.5.0", liveSlot: "green", idleVersion: "1.4.2" },
      [
        { slot: "blue", version: "1.4.2" },
        { slot: "green", version: "1.5.0" },
      ],
    ],
    [
      "both slots at one version",
      { version: "1.4.2", liveSlot: "blue", idleVersion: "1.4.2" },
      [
        { slot: "blue", version: "1.4.2" },
        { slot: "green", version: "1.4.2" },
      ],
    ],
  ])("runs %s", (_, release, expected) => {
    expect(slotVersions(app(release))).toEqual(expected);
  });

  it("keeps every slot's version across a switch: live slot flipped, versions swapped", () => {
    const tag = fc.stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}$/);
    fc.assert(
      fc.property(fc.constantFrom(...SLOTS), tag, tag, (liveSlot, version, idleVersion) => {
        const before = app({ version, liveSlot, idleVersion });
        const after = app({
          version: idleVersion,
          liveSlot: otherSlot(liveSlot),
          idleVersion: version,
        });
        expect(slotVersions(after)).toEqual(slotVersions(before));
      }),
    );
  });

  it("runs the live slot at version and the idle slot at idleVersion, whatever is set", () => {
    const tag = fc.option(fc.stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}$/), { nil: undefined });
    fc.assert(
      fc.property(fc.constantFrom(...SLOTS), tag, tag, (liveSlot, version, idleVersion) => {
        fc.pre(version !== undefined);
        const slots = slotVersions(app({ version, liveSlot, idleVersion }));
        expect(slots.find((s) => s.slot === liveSlot)?.version).toBe(version);
        expect(slots.find((s) => s.slot === otherSlot(liveSlot))?.version).toBe(idleVersion);
        expect(slots).toHaveLength(idleVersion === undefined ? 1 : 2);
      }),
    );
  });

  it("fails when the live slot has no version", () => {
    expect(() =>
      slotVersions(app({ version: undefined, liveSlot: "green", idleVersion: "1.4.2" })),
    ).toThrow(
      "services.apps.api.version is not set; the live green slot needs an image version, such as 1.4.2",
    );
  });
});
