import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../lib/evaluate";
import { evaluateStack, findResource, resourceList } from "./mocks";

const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";
const NODES = [
  "mongodb-cluster-a-node-1",
  "mongodb-cluster-a-node-2",
  "mongodb-cluster-a-node-3",
  "postgres-cluster-a-node-1",
  "postgres-cluster-a-node-2",
  "redis-cluster-a-node-1",
  "redis-cluster-a-node-2",
  "redis-cluster-a-node-3",
];

describe("testing stack under mocks, with Pulumi.testing.yaml", () => {
  let plan: Evaluation;
  beforeAll(async () => {
    plan = await evaluateStack("testing");
  });

  it("declares exactly the CI host, its dev-minimal and production-like sets and the resolver", () => {
    const host = "ci-testing-1";
    expect(resourceList(plan)).toEqual(
      [
        `ciplatform:ci-host:CiHost ${host}`,
        `pulumi:providers:docker ${host}-docker`,
        `ciplatform:ci-host:HostPreparation ${host}-prep`,
        `ciplatform:jenkins:JenkinsHost ${host}-jenkins`,
        `command:local:Command ${host}-jenkins-install`,
        `docker:index/image:Image ${host}-jenkins-networkholder`,
        `command:local:Command ${host}-jenkins-secrets`,
        `command:local:Command ${host}-prep-daemon-json`,
        `ciplatform:ci-host:HostImages ${host}-images`,
        ...[
          "mongo-7-0",
          "postgres-16",
          "redis-7-2",
          "dockurr-dnsmasq-2-91",
          "nginx-1-27-alpine",
        ].map((slug) => `docker:index/remoteImage:RemoteImage ${host}-images-${slug}`),
        `ciplatform:services:DevServices ${host}-dev`,
        ...["mongodb", "postgres", "redis"].map((d) => `${CONTAINER} ${host}-dev-${d}`),
        // Each container's PIDs limit, which the docker provider has no input for.
        ...["mongodb", "postgres", "redis"].map((d) => `${COMMAND} ${host}-dev-${d}-pids`),
        `ciplatform:services:ProductionLikeServices ${host}-prodlike`,
        `docker:index/network:Network ${host}-prodlike-network`,
        `ciplatform:dns:ServiceDns ${host}-prodlike-dns`,
        `${CONTAINER} ${host}-prodlike-dns-dnsmasq`,
        `${COMMAND} ${host}-prodlike-dns-dnsmasq-pids`,
        ...NODES.map((n) => `${CONTAINER} ${host}-prodlike-${n}`),
        ...NODES.map((n) => `${COMMAND} ${host}-prodlike-${n}-pids`),
        ...NODES.map((n) => `docker:index/volume:Volume ${host}-prodlike-${n}-data`),
        ...NODES.filter((n) => !n.startsWith("redis")).map(
          (n) => `command:local:Command ${host}-prodlike-${n}-refresh`,
        ),
        `ciplatform:release:ReleaseProxy ${host}-release`,
        `docker:index/volume:Volume ${host}-release-live`,
        `${CONTAINER} ${host}-release-nginx`,
        `${COMMAND} ${host}-release-nginx-pids`,
        `command:local:Command ${host}-release-servers`,
        ...Object.keys(plan.outputs["services"] as object).map(
          (app) => `command:local:Command ${host}-release-live-${app}`,
        ),
      ].sort(),
    );
  });

  it("keeps every command line under Linux's 128 KiB limit for one argument", () => {
    const commands = plan.resources.filter((r) => r.type.startsWith("command:"));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      expect(String(command.inputs["create"]).length, command.name).toBeLessThan(128 * 1024);
    }
    // The Jenkins install script, larger than that, goes on stdin.
    const install = findResource(plan, "command:local:Command", "ci-testing-1-jenkins-install");
    expect(String(install.inputs["stdin"])).toContain("#!/usr/bin/env bash");
  });

  it("points the docker provider at the local engine", () => {
    expect(
      findResource(plan, "pulumi:providers:docker", "ci-testing-1-docker").inputs["host"],
    ).toBe("unix:///var/run/docker.sock");
  });

  it("runs dev-minimal datastores on the host network with hardening", () => {
    const redis = findResource(plan, CONTAINER, "ci-testing-1-dev-redis");
    expect(redis.inputs).toMatchObject({
      name: "testing-dev-redis",
      networkMode: "host",
      command: ["redis-server", "--bind", "127.0.0.1"],
      restart: "unless-stopped",
      // The provider's unit is MB: 256 is a 256 MiB limit; swap is off.
      memory: 256,
      memorySwap: 256,
      logOpts: { "max-file": "3", "max-size": "10m" },
      privileged: false,
      healthcheck: { tests: ["CMD", "redis-cli", "ping"] },
    });
    expect(redis.inputs["ports"]).toBeUndefined();
    expect(redis.deleteBeforeReplace).toBe(true);
    expect(redis.provider).toBe("ci-testing-1-docker");
  });

  it.each([
    // [resource, cpus, PIDs limit, read-only rootfs, tmpfs]
    ["ci-testing-1-dev-mongodb", "1.0", 512, true, { "/tmp": "size=64m" }],
    ["ci-testing-1-dev-redis", "0.5", 64, true, undefined],
    [
      "ci-testing-1-prodlike-postgres-cluster-a-node-1",
      "1.0",
      256,
      true,
      { "/var/run/postgresql": "size=1m" },
    ],
    ["ci-testing-1-prodlike-redis-cluster-a-node-3", "0.5", 64, true, undefined],
    // Uploaded config: Docker refuses the copy into a read-only rootfs.
    ["ci-testing-1-prodlike-dns-dnsmasq", "0.25", 64, undefined, undefined],
    ["ci-testing-1-release-nginx", "0.5", 32, undefined, undefined],
  ])(
    "limits %s to %s CPUs and %d PIDs, read-only rootfs %s",
    (name, cpus, pids, readOnly, tmpfs) => {
      const container = findResource(plan, CONTAINER, name);
      expect(container.inputs["cpus"]).toBe(cpus);
      expect(container.inputs["readOnly"]).toBe(readOnly);
      expect(container.inputs["tmpfs"]).toEqual(tmpfs);
      expect(container.inputs["labels"]).toContainEqual({
        label: "ci-platform.pids-limit",
        value: String(pids),
      });
      // The PIDs limit is applied on the host after each creation of the container.
      const dockerName = String(container.inputs["name"]);
      const command = findResource(plan, COMMAND, `${name}-pids`);
      expect(command.inputs["create"]).toBe(
        "DOCKER_HOST='unix:///var/run/docker.sock' sh -c " +
          `'docker update --pids-limit ${pids} ${dockerName} >/dev/null && ` +
          `test "$(docker inspect --format '\\''{{.HostConfig.PidsLimit}}'\\'' ${dockerName})" = ${pids}'`,
      );
      expect(command.inputs["triggers"]).toEqual([`${name}-id`, String(pids)]);
    },
  );

  it("keeps host networking to dev-minimal and the release proxy, each labelled with its role", () => {
    const hostNetworked = plan.resources
      .filter((r) => r.type === CONTAINER && r.inputs["networkMode"] === "host")
      .map((r) => [
        r.name,
        (r.inputs["labels"] as { label: string; value: string }[]).find(
          (l) => l.label === "ci-platform.role",
        )?.value,
      ]);
    expect(hostNetworked).toEqual([
      ["ci-testing-1-dev-mongodb", "dev-datastore"],
      ["ci-testing-1-dev-postgres", "dev-datastore"],
      ["ci-testing-1-dev-redis", "dev-datastore"],
      ["ci-testing-1-release-nginx", "release-proxy"],
    ]);
  });

  it("gives every production-like node its own IP on the backend network, resolving through dnsmasq", () => {
    const network = findResource(
      plan,
      "docker:index/network:Network",
      "ci-testing-1-prodlike-network",
    );
    expect(network.inputs).toMatchObject({
      name: "testing-backend",
      driver: "bridge",
      ipamConfigs: [{ subnet: "172.18.0.0/16", gateway: "172.18.0.1", ipRange: "172.18.128.0/17" }],
    });
    const ips = NODES.map((node) => {
      const container = findResource(plan, CONTAINER, `ci-testing-1-prodlike-${node}`);
      expect(container.inputs).toMatchObject({
        name: `testing-${node}`,
        hostname: node,
        dns: ["172.18.0.2"],
        dnsSearches: ["us-east-1.example.com"],
      });
      const [attachment] = container.inputs["networksAdvanced"] as {
        name: string;
        ipv4Address: string;
      }[];
      expect(attachment?.name).toBe("testing-backend");
      return attachment!.ipv4Address;
    });
    expect(new Set(ips).size).toBe(NODES.length);
    expect(ips.every((ip) => ip.startsWith("172.18."))).toBe(true);

    const dnsmasq = findResource(plan, CONTAINER, "ci-testing-1-prodlike-dns-dnsmasq");
    const [upload] = dnsmasq.inputs["uploads"] as { file: string; content: string }[];
    expect(upload?.file).toBe("/etc/ci-platform/dnsmasq.conf");
    NODES.forEach((node, i) => {
      expect(upload?.content).toContain(
        `host-record=${node},${node}.us-east-1.example.com,${ips[i]}\n`,
      );
    });
    expect(dnsmasq.inputs["networksAdvanced"]).toEqual([
      { ipv4Address: "172.18.0.2", name: "testing-backend" },
    ]);
  });

  it("keeps every node's data on a protected volume that outlives its container", () => {
    for (const node of NODES) {
      const volume = findResource(
        plan,
        "docker:index/volume:Volume",
        `ci-testing-1-prodlike-${node}-data`,
      );
      expect(volume).toMatchObject({
        protect: true,
        retainOnDelete: true,
        inputs: { name: `testing-${node}-data` },
      });
      const container = findResource(plan, CONTAINER, `ci-testing-1-prodlike-${node}`);
      expect(container.inputs["volumes"]).toEqual([
        {
          containerPath: node.startsWith("mongodb")
            ? "/data/db"
            : node.startsWith("redis")
              ? "/data"
              : "/var/lib/postgresql/data",
          volumeName: `testing-${node}-data`,
        },
      ]);
      expect(container.protect).toBe(false);
    }
  });

  it("refreshes a node's data when its snapshot id changes, against the host's own engine", () => {
    const refresh = findResource(
      plan,
      "command:local:Command",
      "ci-testing-1-prodlike-mongodb-cluster-a-node-2-refresh",
    );
    expect(refresh.inputs["triggers"]).toEqual(["2026-11-24"]);
    expect(refresh.inputs["create"]).toBe(
      "CONTAINER_NAME='testing-mongodb-cluster-a-node-2' DATASTORE='mongodb' DOCKER_HOST='unix:///var/run/docker.sock' " +
        "NODE_NAME='mongodb-cluster-a-node-2' SNAPSHOT_ID='2026-11-24' sh -c " +
        `'docker exec -i "$CONTAINER_NAME" mongorestore --drop --archive < "/srv/backups/mongodb/$SNAPSHOT_ID.archive"'`,
    );
  });

  it("installs the hardened daemon.json on the host, re-running only when it changes", () => {
    const prep = findResource(plan, "command:local:Command", "ci-testing-1-prep-daemon-json");
    const [daemonJson, path] = prep.inputs["triggers"] as string[];
    expect(JSON.parse(daemonJson!)).toEqual({
      "log-driver": "json-file",
      "log-opts": { "max-size": "10m", "max-file": "3" },
      "live-restore": true,
      "userland-proxy": false,
      "no-new-privileges": true,
    });
    expect(path).toBe("/etc/docker/daemon.json");
    expect(prep.inputs["create"]).toContain("RELOAD_COMMAND='systemctl reload docker'");
  });

  it("exports the CI host's engine, resolver and endpoints, and each service's port", () => {
    const hosts = plan.outputs["ciHosts"] as Record<string, Record<string, unknown>>;
    expect(hosts["ci-testing-1"]).toMatchObject({
      dockerHost: "unix:///var/run/docker.sock",
      resolverIp: "172.18.0.2",
      backendNetwork: "testing-backend",
      devEndpoints: {
        mongodb: "127.0.0.1:27017",
        postgres: "127.0.0.1:5432",
        redis: "127.0.0.1:6379",
      },
    });
    expect(Object.keys(hosts["ci-testing-1"]!["nodeEndpoints"] as object)).toEqual(NODES);
    const services = plan.outputs["services"] as Record<string, { hostPort: number }>;
    expect(services["api"]).toEqual({
      hostPort: 5060,
      dnsName: "api.us-east-1.example.com",
      liveSlot: "blue",
    });
    expect(hosts["ci-testing-1"]!["releaseProxy"]).toBe("testing-release-proxy");
    expect(new Set(Object.values(services).map((s) => s.hostPort)).size).toBe(25);
  });
});
