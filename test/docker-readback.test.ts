import { describe, expect, it } from "vitest";
import { containerDrift, goDuration, type ContainerInspect } from "./harness/docker-readback";

/** What Docker 20.10 reports for `--memory 256m --cap-drop ALL --cap-add NET_BIND_SERVICE` with no `--memory-swap`. */
const inspected = (host: Partial<ContainerInspect["HostConfig"]> = {}): ContainerInspect => ({
  Name: "/testing-dnsmasq",
  Config: {
    Hostname: "d1f0",
    Entrypoint: ["dnsmasq"],
    Cmd: ["--keep-in-foreground"],
    Healthcheck: {
      Test: ["CMD-SHELL", "true"],
      Interval: 30e9,
      Timeout: 5e9,
      StartPeriod: 5e9,
      Retries: 3,
    },
  },
  HostConfig: {
    Memory: 256 * 1024 * 1024,
    MemorySwap: 512 * 1024 * 1024,
    CapAdd: ["CAP_NET_BIND_SERVICE"],
    CapDrop: ["ALL"],
    RestartPolicy: { Name: "unless-stopped" },
    Privileged: false,
    Dns: [],
    DnsSearch: [],
    SecurityOpt: ["no-new-privileges:true"],
    LogConfig: { Type: "json-file", Config: { "max-file": "3", "max-size": "10m" } },
    NetworkMode: "testing-backend",
    ...host,
  },
});

const declared = {
  name: "testing-dnsmasq",
  restart: "unless-stopped",
  memory: 256,
  memorySwap: 256,
  logDriver: "json-file",
  logOpts: { "max-size": "10m", "max-file": "3" },
  privileged: false,
  securityOpts: ["no-new-privileges:true"],
  capabilities: { drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE"] },
  entrypoints: ["dnsmasq"],
  command: ["--keep-in-foreground"],
  healthcheck: {
    tests: ["CMD-SHELL", "true"],
    interval: "30s",
    timeout: "5s",
    retries: 3,
    startPeriod: "5s",
  },
};

describe("docker provider read-back", () => {
  it("reads back exactly what a faithful declaration wrote: no diff", () => {
    expect(containerDrift(declared, inspected({ MemorySwap: 256 * 1024 * 1024 }))).toEqual([]);
  });

  it("shows the diff of an unset memorySwap, which Docker doubles", () => {
    expect(containerDrift({ ...declared, memorySwap: undefined }, inspected())).toEqual([
      "memorySwap: declared 0, reads back 512",
    ]);
  });

  it("shows memory given in bytes to the provider's MB field", () => {
    const drift = containerDrift(
      { ...declared, memory: 268435456, memorySwap: 268435456 },
      inspected({ MemorySwap: 256 * 1024 * 1024 }),
    );
    expect(drift).toEqual([
      "memory: declared 268435456, reads back 256",
      "memorySwap: declared 268435456, reads back 256",
    ]);
  });

  it("shows capabilities written without the CAP_ prefix Docker stores", () => {
    expect(
      containerDrift(
        { ...declared, capabilities: { drops: ["ALL"], adds: ["NET_BIND_SERVICE"] } },
        inspected({ MemorySwap: 256 * 1024 * 1024 }),
      ),
    ).toEqual([
      'capabilities: declared {"adds":["NET_BIND_SERVICE"],"drops":["ALL"]}, reads back {"adds":["CAP_NET_BIND_SERVICE"],"drops":["ALL"]}',
    ]);
  });

  it("reads back the CPU limit, read-only rootfs and tmpfs as a faithful declaration wrote them", () => {
    const limited = {
      ...declared,
      cpus: "0.5",
      readOnly: true,
      tmpfs: { "/tmp": "size=64m", "/run/x": "" },
    };
    const engine = inspected({
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 5e8,
      ReadonlyRootfs: true,
      Tmpfs: { "/run/x": "", "/tmp": "size=64m" },
      PidsLimit: 64,
    });
    expect(containerDrift(limited, engine)).toEqual([]);
  });

  it("shows cpus written in a form the provider reads back differently, and an undeclared tmpfs", () => {
    const engine = inspected({
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 1e9,
      ReadonlyRootfs: true,
      Tmpfs: { "/tmp": "" },
    });
    expect(containerDrift({ ...declared, cpus: "1", readOnly: true }, engine)).toEqual([
      'cpus: declared "1", reads back "1.0"',
      'tmpfs: declared [], reads back [["/tmp",""]]',
    ]);
    expect(containerDrift({ ...declared, cpus: "1.0", tmpfs: { "/tmp": "" } }, engine)).toEqual([
      "readOnly: declared false, reads back true",
    ]);
  });

  it.each([
    [0, "0s"],
    [5e9, "5s"],
    [30e9, "30s"],
    [60e9, "1m0s"],
    [90e9, "1m30s"],
    [3600e9, "1h0m0s"],
    [1.5e9, "1.5s"],
  ])("formats %d ns as Go does: %s", (ns, text) => expect(goDuration(ns)).toBe(text));

  it("shows a health check interval Go prints differently", () => {
    expect(
      containerDrift(
        { ...declared, healthcheck: { ...declared.healthcheck, interval: "60s" } },
        inspected({ MemorySwap: 256 * 1024 * 1024 }),
      ).map((d) => d.split(":")[0]),
    ).toEqual(["healthcheck"]);
  });
});
