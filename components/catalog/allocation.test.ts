import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr, parseIpv4 } from "../model/ipv4";
import {
  allocateHostPorts,
  allocateNodeIps,
  allocateSlots,
  dynamicAddressRange,
  nodeCapacity,
  platformNetworkSubnets,
  RESERVED_LEADING_ADDRESSES,
} from "./allocation";

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);
const names = fc.uniqueArray(label, { minLength: 1, maxLength: 60 });
const RANGE = { min: 5001, max: 5999 };

describe("allocateSlots", () => {
  it("fails when there are more names than slots", () => {
    expect(() => allocateSlots(["a", "b", "c"], 2)).toThrow("cannot allocate 3 names into 2 slots");
  });

  it("never hands out a blocked slot", () => {
    const slots = allocateSlots(["a", "b", "c"], 5, new Map(), new Set([0, 1]));
    expect([...slots.values()].sort()).toEqual([2, 3, 4]);
    expect(() => allocateSlots(["a", "b", "c", "d"], 5, new Map(), new Set([0, 1]))).toThrow(
      "cannot allocate 4 names into 5 slots",
    );
  });
});

describe("allocateHostPorts", () => {
  it("gives no two services the same port, all inside the range", () => {
    fc.assert(
      fc.property(names, (services) => {
        const ports = allocateHostPorts(
          services.map((name) => ({ name })),
          RANGE,
        );
        const values = [...ports.values()];
        expect(new Set(values).size).toBe(services.length);
        expect(values.every((p) => p >= RANGE.min && p <= RANGE.max)).toBe(true);
      }),
    );
  });

  it("does not depend on the order services are listed in", () => {
    fc.assert(
      fc.property(names, fc.integer(), (services, seed) => {
        const shuffled = [...services].sort(
          (a, b) => ((a.length * seed) % 7) - ((b.length * seed) % 7),
        );
        const a = allocateHostPorts(
          services.map((name) => ({ name })),
          RANGE,
        );
        const b = allocateHostPorts(
          shuffled.map((name) => ({ name })),
          RANGE,
        );
        expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
      }),
    );
  });

  it("keeps pinned ports and avoids reserved ones", () => {
    fc.assert(
      fc.property(names, (services) => {
        const pinned = services[0]!;
        const reserved = new Set([5432, 5672]);
        const ports = allocateHostPorts(
          services.map((name) => ({ name, ...(name === pinned ? { hostPort: 5060 } : {}) })),
          RANGE,
          reserved,
        );
        expect(ports.get(pinned)).toBe(5060);
        expect([...ports.values()].some((p) => reserved.has(p))).toBe(false);
        expect(new Set(ports.values()).size).toBe(services.length);
      }),
    );
  });

  it("keeps an existing service's port when another service is added", () => {
    const before = allocateHostPorts([{ name: "api" }, { name: "billing" }], RANGE);
    const after = allocateHostPorts(
      [{ name: "api" }, { name: "billing" }, { name: "search" }],
      RANGE,
    );
    expect(after.get("api")).toBe(before.get("api"));
    expect(after.get("billing")).toBe(before.get("billing"));
  });
});

describe("allocateNodeIps", () => {
  const subnets = fc.constantFrom(
    "172.18.0.0/16",
    "172.20.0.0/24",
    "10.5.0.0/20",
    "192.168.10.0/25",
  );

  it("gives every node its own address inside the subnet, after the reserved ones", () => {
    fc.assert(
      fc.property(subnets, names, (subnetText, nodes) => {
        const subnet = parseCidr(subnetText)!;
        fc.pre(nodes.length <= nodeCapacity(subnet));
        const ips = allocateNodeIps(nodes, subnet);
        const addresses = [...ips.values()].map((ip) => parseIpv4(ip)!);
        expect(new Set(addresses).size).toBe(nodes.length);
        for (const address of addresses) {
          expect(cidrContains(subnet, address)).toBe(true);
          expect(address).toBeGreaterThanOrEqual(subnet.network + RESERVED_LEADING_ADDRESSES);
          // The upper half is Docker's to assign.
          expect(address).toBeLessThan(subnet.network + 2 ** (32 - subnet.prefix) / 2);
        }
      }),
    );
  });

  it("is the same whatever order the nodes come in", () => {
    fc.assert(
      fc.property(subnets, names, (subnetText, nodes) => {
        const subnet = parseCidr(subnetText)!;
        fc.pre(nodes.length <= nodeCapacity(subnet));
        const forward = allocateNodeIps(nodes, subnet);
        const backward = allocateNodeIps([...nodes].reverse(), subnet);
        expect(Object.fromEntries(backward)).toEqual(Object.fromEntries(forward));
      }),
    );
  });

  it("never picks an address ending in .0 or .255 in a subnet larger than /24", () => {
    const nodes = Array.from({ length: 1500 }, (_, i) => `node-${i}`);
    const ips = allocateNodeIps(nodes, parseCidr("172.18.0.0/20")!);
    expect([...ips.values()].filter((ip) => /\.(0|255)$/.test(ip))).toEqual([]);
  });

  it("leaves the upper half of the subnet to Docker's own address assignment", () => {
    expect(dynamicAddressRange(parseCidr("172.18.0.0/16")!)).toBe("172.18.128.0/17");
    expect(dynamicAddressRange(parseCidr("192.168.10.0/24")!)).toBe("192.168.10.128/25");
  });

  it("keeps a pinned address", () => {
    const ips = allocateNodeIps(
      ["a", "b"],
      parseCidr("172.18.0.0/16")!,
      new Map([["a", "172.18.3.4"]]),
    );
    expect(ips.get("a")).toBe("172.18.3.4");
    expect(ips.get("b")).not.toBe("172.18.3.4");
  });
});

describe("platformNetworkSubnets", () => {
  it("carves the registry's networks from the platform subnet in a fixed order", () => {
    expect(platformNetworkSubnets(parseCidr("10.222.0.0/24")!)).toEqual({
      "registry-back": "10.222.0.0/27",
      "registry-front": "10.222.0.32/27",
    });
  });

  it("fails when the platform subnet has no room for them", () => {
    expect(() => platformNetworkSubnets(parseCidr("10.222.0.0/27")!)).toThrow(
      "platform subnet 10.222.0.0/27 has no room for 2 /27 networks",
    );
  });
});
