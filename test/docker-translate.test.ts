import { describe, expect, it } from "vitest";
import { containerPlan, networkCreateArgs, volumeCreateArgs } from "./harness/docker-translate";

describe("docker-translate", () => {
  it("translates a backend node container field by field", () => {
    const plan = containerPlan({
      name: "testing-redis-cluster-a-node-1",
      image: "redis:7.2",
      hostname: "redis-cluster-a-node-1",
      restart: "unless-stopped",
      memory: 256,
      memorySwap: 256,
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      privileged: false,
      securityOpts: ["no-new-privileges:true"],
      networksAdvanced: [
        { name: "testing-backend", ipv4Address: "172.18.3.7", aliases: ["redis-cluster-a-node-1"] },
      ],
      dns: ["172.18.0.2"],
      dnsSearches: ["us-east-1.example.com"],
      volumes: [{ volumeName: "testing-redis-cluster-a-node-1-data", containerPath: "/data" }],
      healthcheck: { tests: ["CMD", "redis-cli", "ping"], interval: "10s", retries: 5 },
      mustRun: true,
    });
    expect(plan.create).toEqual([
      "create",
      "--name",
      "testing-redis-cluster-a-node-1",
      "--hostname",
      "redis-cluster-a-node-1",
      "--restart",
      "unless-stopped",
      "--memory",
      "256m",
      "--memory-swap",
      "256m",
      "--log-driver",
      "json-file",
      "--log-opt",
      "max-file=3",
      "--log-opt",
      "max-size=10m",
      "--security-opt",
      "no-new-privileges:true",
      "--dns",
      "172.18.0.2",
      "--dns-search",
      "us-east-1.example.com",
      "--volume",
      "testing-redis-cluster-a-node-1-data:/data",
      "--health-cmd",
      "redis-cli ping",
      "--health-interval",
      "10s",
      "--health-retries",
      "5",
      "--network",
      "testing-backend",
      "--ip",
      "172.18.3.7",
      "--network-alias",
      "redis-cluster-a-node-1",
      "redis:7.2",
    ]);
    expect(plan.connect).toEqual([]);
  });

  it("translates the CPU limit, the read-only rootfs and its tmpfs mounts, sorted", () => {
    const plan = containerPlan({
      name: "testing-dev-mongodb",
      image: "mongo:7.0",
      cpus: "1.0",
      readOnly: true,
      tmpfs: { "/var/run/x": "", "/tmp": "size=64m" },
    });
    expect(plan.create).toEqual([
      "create",
      "--name",
      "testing-dev-mongodb",
      "--cpus",
      "1.0",
      "--read-only",
      "--tmpfs",
      "/tmp:size=64m",
      "--tmpfs",
      "/var/run/x",
      "mongo:7.0",
    ]);
  });

  it("fails on a container input it does not know, rather than dropping it", () => {
    expect(() => containerPlan({ name: "x", image: "busybox", gpus: "all" })).toThrow(
      "the harness cannot translate container input(s) gpus; teach test/harness/docker-translate.ts",
    );
  });

  it("translates networks and volumes", () => {
    expect(
      networkCreateArgs({
        name: "n",
        driver: "bridge",
        ipamConfigs: [{ subnet: "172.18.0.0/16", gateway: "172.18.0.1" }],
      }),
    ).toEqual([
      "network",
      "create",
      "--driver",
      "bridge",
      "--subnet",
      "172.18.0.0/16",
      "--gateway",
      "172.18.0.1",
      "n",
    ]);
    expect(volumeCreateArgs({ name: "v", labels: [{ label: "a", value: "b" }] })).toEqual([
      "volume",
      "create",
      "--label",
      "a=b",
      "v",
    ]);
  });
});
