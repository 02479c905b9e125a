/**
 * The testing stack's CI host on a real Docker engine: what the program declares (captured under
 * mocks from the real Pulumi.testing.yaml, pointed at a private dockerd) is applied through the
 * docker CLI, then checked the way a developer would use it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../../lib/evaluate";
import {
  applyContainer,
  applyPlan,
  declaredNodes,
  descendsFrom,
  type DeclaredNode,
  rerunCommand,
  type AppliedPlan,
} from "../harness/apply-plan";
import { SERVICE_CATALOG, type DatastoreEntry } from "../../components/catalog/catalog";
import { buildDatastoreStandIn, standInBody } from "../harness/datastore-images";
import { containerDrift, type ContainerInspect } from "../harness/docker-readback";
import { containerPlan } from "../harness/docker-translate";
import { buildDnsmasqImage, buildNginxImage } from "../harness/images";
import { httpGet } from "../harness/registry";
import { waitFor } from "../harness/process";
import { useDockerd } from "../harness/use-dockerd";
import { editedStackConfig, evaluateStack, findResource, withSecrets } from "../mocks";
import { backendClientArgs } from "../harness/net";

const HOST = "ci-testing-1";
const DOMAIN = "us-east-1.example.com";
const DATASTORES = SERVICE_CATALOG.filter((e): e is DatastoreEntry => e.kind === "datastore");
const dataPath = (datastore: string): string =>
  DATASTORES.find((d) => d.name === datastore)!.dataPath;

describe("testing CI host on a real Docker engine", { timeout: 120_000 }, () => {
  const dockerd = useDockerd();
  const scratch = mkdtempSync(join(tmpdir(), "ci-host-"));
  const daemonJsonPath = join(scratch, "etc/docker/daemon.json");
  const reloadLog = join(scratch, "reloads");
  let plan: Evaluation;
  let applied: AppliedPlan;
  let nodes: DeclaredNode[];

  beforeAll(async () => {
    const engine = dockerd();
    for (const d of DATASTORES) await buildDatastoreStandIn(engine, d);
    await buildDnsmasqImage(engine, "dockurr/dnsmasq:2.91");
    await buildNginxImage(engine, "nginx:1.27-alpine");

    const config = editedStackConfig("testing", (doc) => {
      const hosts = doc.config["ci-platform:ciHosts"] as Record<string, Record<string, unknown>>;
      const host = hosts[HOST]!;
      host["dockerHost"] = engine.host;
      host["pullImages"] = false;
      host["hostPrep"] = { daemonJsonPath, reloadCommand: `echo reloaded >> ${reloadLog}` };
      // A restore writes into the datastore's data directory, the one writable place it has.
      host["dataRefresh"] = Object.fromEntries(
        ["mongodb", "postgres"].map((d) => [
          d,
          {
            snapshotId: "2026-11-24",
            command: `docker exec "$CONTAINER_NAME" sh -c "echo $SNAPSHOT_ID > ${dataPath(d)}/snapshot"`,
          },
        ]),
      );
    });
    // Secrets are revealed so the engine gets them, as the provider would.
    plan = await evaluateStack(
      "testing",
      withSecrets(config, { datastorePassword: "dev-password", jenkinsAdminPassword: "admin" }),
      { revealSecrets: true },
    );
    // By default Jenkins' install is left out: it has its own test with stand-in tools.
    applied = await applyPlan(plan, engine);
    expect(
      plan.resources.some((r) => descendsFrom(plan, r, "ciplatform:jenkins:JenkinsHost")),
    ).toBe(true);
    nodes = declaredNodes(plan.resources, HOST);
  }, 240_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** One throwaway container on the backend network, resolving the way application containers do. */
  const onBackend = (script: string) =>
    dockerd().docker(backendClientArgs(script, DOMAIN), { timeoutMs: 60_000 });

  it("runs every declared container: 3 dev-minimal, 8 nodes, the resolver and the release proxy", async () => {
    expect(applied.containers).toHaveLength(13);
    expect(nodes).toHaveLength(8);
    const running = await dockerd().dockerOk(["ps", "--format", "{{.Names}}"]);
    expect(running.split("\n").sort()).toEqual([...applied.containers].sort());
  });

  it("passes dnsmasq --test with the rendered config", () => {
    const dns = findResource(
      plan,
      "docker:index/container:Container",
      `${HOST}-prodlike-dns-dnsmasq`,
    );
    const [upload] = dns.inputs["uploads"] as { content: string }[];
    const conf = join(scratch, "dnsmasq.conf");
    writeFileSync(conf, upload!.content);
    const out = execFileSync("dnsmasq", ["--test", "-C", conf], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(out + "").toBe("");
  });

  it("resolves every node's plain name and FQDN to its declared IP through dnsmasq", async () => {
    const script = nodes.map((n) => `nslookup ${n.name}; nslookup ${n.name}.${DOMAIN}`).join("; ");
    const result = await onBackend(script);
    const found = [...result.stdout.matchAll(/^Name:\s*(\S+)\s*\nAddress:\s*(\S+)\s*$/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    for (const n of nodes) {
      expect(found).toContain(`${n.name}.${DOMAIN} ${n.ip}`);
    }
    // Plain and qualified lookups both answer: two per node.
    expect(found).toHaveLength(nodes.length * 2);
  });

  it("answers NXDOMAIN for an unknown name in the region domain", async () => {
    const result = await onBackend(
      `nslookup nosuch-cluster-a-node-9.${DOMAIN} 172.18.0.2; echo "exit=$?"`,
    );
    expect(result.stdout + result.stderr).toMatch(/NXDOMAIN/);
    expect(result.stdout).toContain("exit=1");
  });

  it("reaches a listener on every node's service port by its plain name", async () => {
    const script = nodes
      .map((n) => `timeout 5 wget -q -O - http://${n.name}:${n.port}/`)
      .join("; ");
    const result = await onBackend(script);
    // Each node listens on every interface of its own container, as the real images do.
    expect(result.stdout).toBe(nodes.map((n) => standInBody(n.image, "0.0.0.0", n.port)).join(""));
  });

  it("serves each dev-minimal datastore on the host's 127.0.0.1 at its default port", async () => {
    for (const d of DATASTORES) {
      const body = await waitFor(
        `dev-minimal ${d.name} on 127.0.0.1:${d.port}`,
        async () => {
          const response = await fetch(`http://127.0.0.1:${d.port}/`, {
            signal: AbortSignal.timeout(3_000),
          });
          return response.ok ? response.text() : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect(body).toBe(standInBody(d.image, "127.0.0.1", d.port));
    }
  });

  it("refuses dev-minimal connections on the host's other addresses", async () => {
    // The backend bridge's gateway is an address of this host that the test's engine created.
    for (const d of DATASTORES) {
      const error = await fetch(`http://172.18.0.1:${d.port}/`, {
        signal: AbortSignal.timeout(3_000),
      }).then(
        () => "answered",
        (e: unknown) => String((e as { cause?: { code?: string } }).cause?.code ?? e),
      );
      expect(error, `dev-minimal ${d.name} on 172.18.0.1:${d.port}`).toBe("ECONNREFUSED");
    }
  });

  it("publishes no production-like node on the host: they are reachable on the backend network only", async () => {
    for (const n of nodes) {
      const ports = await dockerd().dockerOk(["port", `testing-${n.name}`]);
      expect(ports, n.name).toBe("");
    }
  });

  it("reads back every container as declared: a refresh would show no diff", async () => {
    const containers = plan.resources.filter(
      (r) =>
        r.type === "docker:index/container:Container" &&
        applied.containers.includes(String(r.inputs["name"])),
    );
    expect(containers).toHaveLength(applied.containers.length);
    for (const r of containers) {
      const [inspect] = JSON.parse(
        await dockerd().dockerOk(["inspect", String(r.inputs["name"])]),
      ) as ContainerInspect[];
      expect(containerDrift(r.inputs, inspect!, { viaCli: true }), r.name).toEqual([]);
    }
  });

  it("hardens every container: restart policy, memory limit, log rotation, no privileges, healthy", async () => {
    for (const name of applied.containers) {
      const inspect = JSON.parse(await dockerd().dockerOk(["inspect", name])) as {
        HostConfig: {
          RestartPolicy: { Name: string };
          Memory: number;
          MemorySwap: number;
          LogConfig: { Config: Record<string, string> };
          Privileged: boolean;
          SecurityOpt: string[];
        };
      }[];
      const host = inspect[0]!.HostConfig;
      expect(host.RestartPolicy.Name, name).toBe("unless-stopped");
      // The declared MB as the provider sends it, in bytes; swap off (equal to memory).
      const declared = plan.resources.find((r) => r.inputs["name"] === name)!.inputs;
      expect(host.Memory, name).toBe(Number(declared["memory"]) * 1024 * 1024);
      expect(host.MemorySwap, name).toBe(host.Memory);
      expect(host.Memory, name).toBeLessThanOrEqual(1024 * 1024 * 1024);
      expect(host.LogConfig.Config, name).toEqual({ "max-file": "3", "max-size": "10m" });
      expect(host.Privileged, name).toBe(false);
      expect(host.SecurityOpt, name).toContain("no-new-privileges:true");
    }
    const statuses = await waitFor(
      "every health check passing",
      async () => {
        const out = await dockerd().dockerOk(["ps", "--format", "{{.Names}} {{.Status}}"]);
        return out.includes("(healthy)") && !/starting|unhealthy/.test(out) ? out : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(statuses.split("\n").filter((l) => l.includes("(healthy)")).length).toBe(13);
  });

  it("limits every container's CPUs and PIDs, and runs the datastores on a read-only rootfs", async () => {
    const figures: string[] = [];
    for (const name of applied.containers) {
      const declared = plan.resources.find((r) => r.inputs["name"] === name)!.inputs;
      const [inspect] = JSON.parse(await dockerd().dockerOk(["inspect", name])) as {
        HostConfig: {
          NanoCpus: number;
          PidsLimit: number | null;
          ReadonlyRootfs: boolean;
          Tmpfs: Record<string, string> | null;
        };
      }[];
      const host = inspect!.HostConfig;
      const labels = declared["labels"] as { label: string; value: string }[];
      const pids = Number(labels.find((l) => l.label === "ci-platform.pids-limit")?.value);
      // The program's own `docker update` ran (a command of the plan), and the kernel holds it.
      expect(host.PidsLimit, name).toBe(pids);
      expect(host.NanoCpus, name).toBe(Number(declared["cpus"]) * 1e9);
      expect(host.ReadonlyRootfs, name).toBe(declared["readOnly"] === true);
      expect(host.Tmpfs ?? {}, name).toEqual(declared["tmpfs"] ?? {});
      figures.push(
        `${name}: NanoCpus ${host.NanoCpus} PidsLimit ${host.PidsLimit} ReadonlyRootfs ${host.ReadonlyRootfs} Tmpfs ${JSON.stringify(host.Tmpfs)}`,
      );
    }
    console.log(figures.sort().join("\n"));
    // Every datastore (dev-minimal and production-like) is read-only: 11 of the 13.
    const readOnly = plan.resources.filter(
      (r) => applied.containers.includes(String(r.inputs["name"])) && r.inputs["readOnly"] === true,
    );
    expect(readOnly).toHaveLength(11);
    const pidsMax = await dockerd().dockerOk([
      "exec",
      "testing-redis-cluster-a-node-1",
      "sh",
      "-c",
      // The container's own cgroup: cgroup v2 at the root, v1 under the pids controller.
      "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max",
    ]);
    expect(pidsMax).toBe("64");
    const write = await dockerd().docker(["exec", "testing-dev-redis", "touch", "/etc/x"]);
    expect(write.stderr).toContain("Read-only file system");
  });

  it("keeps the PIDs limit through the provider's in-place updates and a restart", async () => {
    // What the provider sends for a memory change: an update without PidsLimit.
    const name = "testing-dnsmasq";
    await dockerd().dockerOk(["update", "--memory", "64m", "--memory-swap", "64m", name]);
    await dockerd().dockerOk(["restart", "--time", "5", name]);
    expect(await dockerd().dockerOk(["inspect", "-f", "{{.HostConfig.PidsLimit}}", name])).toBe(
      "64",
    );
  });

  it("fails loudly when a read-only datastore lacks the tmpfs its image writes to", async () => {
    const declared = findResource(
      plan,
      "docker:index/container:Container",
      `${HOST}-dev-postgres`,
    ).inputs;
    const { tmpfs: dropped, ...inputs } = declared;
    expect(dropped).toEqual({ "/var/run/postgresql": "size=1m" });
    const name = "testing-postgres-no-tmpfs";
    const { create } = containerPlan({ ...inputs, name, restart: "no" });
    try {
      await dockerd().dockerOk(create);
      await dockerd().dockerOk(["start", name]);
      await waitFor(
        `${name} to exit`,
        async () =>
          (await dockerd().dockerOk(["inspect", "-f", "{{.State.Status}}", name])) === "exited" ||
          undefined,
        { timeoutMs: 15_000 },
      );
      const logs = await dockerd().docker(["logs", name]);
      expect(logs.stderr).toContain(
        "postgres:16 stand-in: cannot write /var/run/postgresql (Read-only file system?)",
      );
      expect(await dockerd().dockerOk(["inspect", "-f", "{{.State.ExitCode}}", name])).toBe("1");
    } finally {
      await dockerd().docker(["rm", "--force", name]);
    }
  });

  it("serves every service's public port through the release proxy, from the blue slot", async () => {
    // The program's switch commands ran: each service has a live file naming blue.
    const live = await dockerd().dockerOk([
      "exec",
      "testing-release-proxy",
      "cat",
      "/var/lib/release-proxy/live/api.conf",
    ]);
    expect(live).toBe("set $live_slot blue;\nset $live_upstream 127.0.0.1:6060;");
    expect(applied.commands.filter((c) => c.name.includes("-release-live-"))).toHaveLength(25);
    // No slot runs yet: the proxy answers 502, saying which slot it tried.
    const response = await httpGet("http://127.0.0.1:5060/health");
    expect(response.status).toBe(502);
    expect(response.headers["x-release-slot"]).toBe("blue");
  });

  it("restored the snapshot into each mongodb and postgres node, and nothing into redis", async () => {
    for (const n of nodes) {
      const datastore = DATASTORES.find((d) => d.image === n.image)!;
      const result = await dockerd().docker([
        "exec",
        `testing-${n.name}`,
        "cat",
        `${datastore.dataPath}/snapshot`,
      ]);
      if (n.name.startsWith("redis")) expect(result.code, n.name).not.toBe(0);
      else expect(result.stdout.trim(), n.name).toBe("2026-11-24");
    }
  });

  it("installs daemon.json once and reloads the engine only when it changed", async () => {
    expect(JSON.parse(readFileSync(daemonJsonPath, "utf8"))).toMatchObject({
      "live-restore": true,
      "userland-proxy": false,
    });
    expect(readFileSync(reloadLog, "utf8")).toBe("reloaded\n");
    const again = await rerunCommand(plan, `${HOST}-prep-daemon-json`);
    expect(again).toContain("is up to date");
    expect(readFileSync(reloadLog, "utf8")).toBe("reloaded\n");
  });

  it("keeps a node's data when its container is replaced", async () => {
    const node = nodes.find((n) => n.name === "redis-cluster-a-node-2")!;
    const container = `testing-${node.name}`;
    await dockerd().dockerOk(["exec", container, "sh", "-c", "echo kept > /data/marker"]);
    await dockerd().dockerOk(["rm", "--force", container]);
    await applyContainer(
      dockerd(),
      findResource(plan, "docker:index/container:Container", `${HOST}-prodlike-${node.name}`),
    );
    expect(await dockerd().dockerOk(["exec", container, "cat", "/data/marker"])).toBe("kept");
    expect(existsSync(daemonJsonPath)).toBe(true);
  });
});
