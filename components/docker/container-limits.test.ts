import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SERVICE_CATALOG } from "../catalog/catalog";
import {
  cpuAndPidsLimits,
  nanoCpus,
  PLATFORM_LIMITS,
  pidsLimitCommand,
  readBackCpus,
  readOnlyRootfs,
} from "./container-limits";

describe("CPU limits in the docker provider's units", () => {
  it.each([
    ["1", 1e9],
    ["1.0", 1e9],
    ["0.5", 5e8],
    ["0.25", 2.5e8],
    ["1.5", 1.5e9],
    ["0.000000001", 1],
    ["2.500000000000", 2.5e9],
  ])("docker/cli parses --cpus %s as %d NanoCPUs", (text, nano) =>
    expect(nanoCpus(text)).toBe(nano),
  );

  it.each(["", "1.", ".5", "-1", "1e9", "0.0000000001", "1/2", " 1"])(
    "refuses %j, which is not a plain decimal of at most nine places",
    (text) => expect(nanoCpus(text)).toBeUndefined(),
  );

  it.each([
    // nanoInt64ToDecimalString: nine decimals; exactly nine zeros -> one decimal, else trimmed.
    [1e9, "1.0"],
    [2e9, "2.0"],
    [5e8, "0.5"],
    [1e8, "0.1"],
    [2.5e8, "0.25"],
    [1.5e9, "1.5"],
    [1.25e9, "1.25"],
    [5e7, "0.1"], // 0.050000000 has nine zeros: rounded to one decimal
    [1e10, "10."], // ten zeros: trimmed down to the point
    [0, "0"],
  ])("the provider reads back %d NanoCPUs as %j", (nano, text) =>
    expect(readBackCpus(nano)).toBe(text),
  );

  it("accepts exactly the values that read back as written", () => {
    expect(cpuAndPidsLimits({ memoryMb: 64, cpus: "0.5", pidsLimit: 64 })).toEqual({
      cpus: "0.5",
      pidsLabel: { label: "ci-platform.pids-limit", value: "64" },
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64_000 }), (milli) => {
        const nano = milli * 1e6;
        const text = readBackCpus(nano);
        if (nanoCpus(text) !== nano) return; // a value the provider cannot round-trip
        expect(cpuAndPidsLimits({ memoryMb: 64, cpus: text, pidsLimit: 1 }).cpus).toBe(text);
      }),
    );
  });

  it.each([
    [
      "1",
      'cpus "1" reads back from the docker provider as "1.0", a diff (and a replacement) on every preview; write "1.0"',
    ],
    [
      "0.50",
      'cpus "0.50" reads back from the docker provider as "0.5", a diff (and a replacement) on every preview; write "0.5"',
    ],
    [
      "0.05",
      'cpus "0.05" reads back from the docker provider as "0.1", a diff (and a replacement) on every preview; pick a value that reads back as written, such as 0.25, 0.5 or 1.0',
    ],
    [
      "10",
      'cpus "10" reads back from the docker provider as "10.", a diff (and a replacement) on every preview; pick a value that reads back as written, such as 0.25, 0.5 or 1.0',
    ],
    ["0", 'cpus "0" is not a decimal number of CPUs above 0 and at most 64'],
    ["65.0", 'cpus "65.0" is not a decimal number of CPUs above 0 and at most 64'],
    ["half", 'cpus "half" is not a decimal number of CPUs above 0 and at most 64'],
  ])("fails when cpus is %j", (cpus, message) =>
    expect(() => cpuAndPidsLimits({ memoryMb: 64, cpus, pidsLimit: 64 })).toThrow(message),
  );

  it.each([
    [0, "pidsLimit 0 is not a whole number of at least 1"],
    [1.5, "pidsLimit 1.5 is not a whole number of at least 1"],
    [
      40_000,
      "pidsLimit 40000 is over 32768; a container that needs more has no limit worth the name",
    ],
  ])("fails when pidsLimit is %d", (pidsLimit, message) =>
    expect(() => cpuAndPidsLimits({ memoryMb: 64, cpus: "0.5", pidsLimit })).toThrow(message),
  );

  it("gives every catalog entry and platform container limits that read back as written", () => {
    for (const limits of [...SERVICE_CATALOG, ...Object.values(PLATFORM_LIMITS)]) {
      expect(() => cpuAndPidsLimits(limits)).not.toThrow();
    }
  });
});

describe("PIDs limit command and read-only rootfs", () => {
  it("applies the PIDs limit, then checks Docker holds it", () => {
    expect(pidsLimitCommand("testing-dnsmasq", 64)).toBe(
      "docker update --pids-limit 64 testing-dnsmasq >/dev/null && " +
        `test "$(docker inspect --format '{{.HostConfig.PidsLimit}}' testing-dnsmasq)" = 64`,
    );
  });

  it("sorts tmpfs paths, so the same paths give the same inputs", () => {
    expect(readOnlyRootfs({ "/var/run/x": "size=1m", "/tmp": "size=64m" })).toEqual({
      readOnly: true,
      tmpfs: { "/tmp": "size=64m", "/var/run/x": "size=1m" },
    });
    expect(Object.keys(readOnlyRootfs({ "/b": "", "/a": "" }).tmpfs!)).toEqual(["/a", "/b"]);
    expect(readOnlyRootfs({})).toEqual({ readOnly: true });
  });

  it.each(["tmp", "/"])("fails when a tmpfs path is %j", (p) =>
    expect(() => readOnlyRootfs({ [p]: "" })).toThrow(
      `tmpfs path ${JSON.stringify(p)} is not an absolute path below /`,
    ),
  );
});
