/**
 * Proves the integration harness itself: a private dockerd, images built without pulling, a
 * user-defined bridge network with static IPs, a dnsmasq resolver the way the program runs it,
 * and the host and shared-namespace network modes later pipeline tests rely on.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../harness/net";
import { useDockerd } from "../harness/use-dockerd";
import { buildDnsmasqImage, buildStubServiceImage, stubBody } from "../harness/images";
import { waitFor } from "../harness/process";

const MONGO_IMAGE = "mongo:7.0";
const MONGO_PORT = 27017;
const DNSMASQ_IMAGE = "dockurr/dnsmasq:2.91";
const SUBNET = "172.18.0.0/16";
const RESOLVER_IP = "172.18.0.2";
const NODE_IP = "172.18.0.20";
const DOMAIN = "us-east-1.example.com";
const NODE = "mongodb-cluster-a-node-1";
const CONF_IN_CONTAINER = "/etc/ci-platform/dnsmasq.conf";
const DNSMASQ_CONF = [
  "domain-needed",
  "no-hosts",
  `local=/${DOMAIN}/`,
  `host-record=${NODE},${NODE}.${DOMAIN},${NODE_IP}`,
  "",
].join("\n");

/** `Name:`/`Address:` pairs of a busybox nslookup answer (the server's own line has a port). */
function answers(nslookupOutput: string): { name: string; address: string }[] {
  return [...nslookupOutput.matchAll(/^Name:\s*(\S+)\s*\nAddress:\s*(\S+)\s*$/gm)].map((m) => ({
    name: m[1] ?? "",
    address: m[2] ?? "",
  }));
}

describe("integration harness", { timeout: 60_000 }, () => {
  const dockerd = useDockerd();
  const suffix = randomBytes(4).toString("hex");
  const network = `harness-${suffix}`;
  const resolver = `harness-dns-${suffix}`;
  const node = `harness-node-${suffix}`;
  /**
   * `docker run --rm` on the test network, using the resolver the way the program configures it.
   * (Debian's busybox wget segfaults with `-T`: bound it with `timeout` instead.)
   */
  const client = (...command: string[]) =>
    dockerd().docker(
      [
        "run",
        "--rm",
        "--network",
        network,
        "--dns",
        RESOLVER_IP,
        "--dns-search",
        DOMAIN,
        MONGO_IMAGE,
        ...command,
      ],
      { timeoutMs: 30_000 },
    );

  beforeAll(async () => {
    const d = dockerd();
    const [stub, dnsmasq] = await Promise.all([
      buildStubServiceImage(d, MONGO_IMAGE, MONGO_PORT, { healthCommands: ["mongosh"] }),
      buildDnsmasqImage(d, DNSMASQ_IMAGE),
    ]);
    console.info(
      `harness timings: dockerd ready in ${(d.startupMs / 1000).toFixed(2)} s; ` +
        `${stub.tag} built in ${stub.seconds.toFixed(2)} s; ${dnsmasq.tag} in ${dnsmasq.seconds.toFixed(2)} s`,
    );

    await d.dockerOk(["network", "create", "--driver", "bridge", "--subnet", SUBNET, network]);
    await d.dockerOk([
      "run",
      "-d",
      "--name",
      node,
      "--hostname",
      NODE,
      "--network",
      network,
      "--ip",
      NODE_IP,
      "--health-cmd",
      "mongosh --quiet --eval 'db.adminCommand(\"ping\").ok'",
      "--health-interval",
      "1s",
      "--health-timeout",
      "5s",
      "--health-retries",
      "5",
      MONGO_IMAGE,
    ]);

    // As the program does: create, upload the config, start.
    const conf = path.join(d.dir, "work", "dnsmasq.conf");
    await fs.writeFile(conf, DNSMASQ_CONF);
    await d.dockerOk([
      "create",
      "--name",
      resolver,
      "--network",
      network,
      "--ip",
      RESOLVER_IP,
      "--entrypoint",
      "dnsmasq",
      DNSMASQ_IMAGE,
      "--keep-in-foreground",
      "--log-facility=-",
      `--conf-file=${CONF_IN_CONTAINER}`,
    ]);
    await d.dockerOk(["cp", conf, `${resolver}:${CONF_IN_CONTAINER}`]);
    await d.dockerOk(["start", resolver]);
    await waitFor("dnsmasq to start", async () => {
      const logs = await d.docker(["logs", resolver]);
      const text = logs.stdout + logs.stderr;
      if (/dnsmasq: .*(failed|error)/i.test(text)) throw new Error(text);
      return /started, version/.test(text) ? true : undefined;
    });
  }, 180_000);

  it("accepts the resolver config with dnsmasq --test inside the dnsmasq image", async () => {
    const conf = path.join(dockerd().dir, "work", "dnsmasq.conf");
    const r = await dockerd().docker([
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      `${conf}:${CONF_IN_CONTAINER}:ro`,
      DNSMASQ_IMAGE,
      "--test",
      `--conf-file=${CONF_IN_CONTAINER}`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain("syntax check OK");
  });

  it("resolves a plain node name to its static IP through the dnsmasq container", async () => {
    const r = await client("nslookup", NODE);
    expect(r.code, r.stderr).toBe(0);
    expect(answers(r.stdout)).toEqual([{ name: `${NODE}.${DOMAIN}`, address: NODE_IP }]);
  });

  it("reaches the stub service by its plain node name on its port", async () => {
    const r = await client(
      "timeout",
      "5",
      "wget",
      "-q",
      "-O",
      "-",
      `http://${NODE}:${MONGO_PORT}/`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(stubBody(MONGO_IMAGE, MONGO_PORT));
  });

  it("answers NXDOMAIN for an unknown name in the local domain instead of forwarding it", async () => {
    const r = await client("nslookup", `mongodb-cluster-a-node-9.${DOMAIN}`);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("NXDOMAIN");
  });

  it("reports the stub healthy through its mongosh health command", async () => {
    const status = await waitFor(
      "the stub's health check to pass",
      async () => {
        const s = await dockerd().dockerOk(["inspect", "-f", "{{.State.Health.Status}}", node]);
        if (s === "unhealthy") throw new Error("health check failed");
        return s === "healthy" ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(status).toBe("healthy");
  });

  it("shares a container's network namespace with --net=container:", async () => {
    const holder = `harness-holder-${suffix}`;
    await dockerd().dockerOk(["run", "-d", "--name", holder, "--network", network, MONGO_IMAGE]);
    const body = await waitFor("the holder's stub on 127.0.0.1", async () => {
      const r = await dockerd().docker(
        [
          "run",
          "--rm",
          `--net=container:${holder}`,
          MONGO_IMAGE,
          "timeout",
          "3",
          "wget",
          "-q",
          "-O",
          "-",
          `http://127.0.0.1:${MONGO_PORT}/`,
        ],
        { timeoutMs: 30_000 },
      );
      return r.code === 0 ? r.stdout : undefined;
    });
    expect(body).toBe(stubBody(MONGO_IMAGE, MONGO_PORT));
  });

  it("runs a container in the host network namespace, reachable on the host's loopback", async () => {
    const port = await freeLoopbackPort();
    await dockerd().dockerOk([
      "run",
      "-d",
      "--name",
      `harness-hostnet-${suffix}`,
      "--network",
      "host",
      MONGO_IMAGE,
      "httpd",
      "-f",
      "-p",
      `127.0.0.1:${port}`,
      "-h",
      "/srv/stub",
    ]);
    const body = await waitFor("the host-network stub on 127.0.0.1", async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? await res.text() : undefined;
    });
    expect(body).toBe(stubBody(MONGO_IMAGE, MONGO_PORT));
  });

  it("stops a stub promptly and cleanly on docker stop", async () => {
    const name = `harness-stop-${suffix}`;
    await dockerd().dockerOk(["run", "-d", "--name", name, "--network", network, MONGO_IMAGE]);
    const started = Date.now();
    await dockerd().dockerOk(["stop", "-t", "10", name], { timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await dockerd().dockerOk(["inspect", "-f", "{{.State.ExitCode}}", name])).toBe("0");
  });
});
