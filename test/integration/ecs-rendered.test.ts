/**
 * What production's instances and tasks run, run by the real programs here: the container
 * instances' user data through shellcheck and bash (into a scratch root), and the task's health
 * check command through Node against a local HTTP server (the app images build on Node).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { containerHealthCheck, renderEcsUserData } from "../../components/aws/ecs-render";
import { run } from "../harness/process";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBtDCCAVqgAwIBAgIU\n-----END CERTIFICATE-----\n";
const scratch = mkdtempSync(join(tmpdir(), "ecs-rendered-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the container instances' user data", () => {
  const text = renderEcsUserData({
    cluster: "ci-platform-production",
    registry: "registry.example.com:5443",
    registryCaCert: CA,
  });

  it("passes shellcheck", async () => {
    const script = join(scratch, "user-data.sh");
    writeFileSync(script, text);
    const result = await run("shellcheck", ["-s", "bash", script]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("writes the agent's config and the registry CA where the agent and Docker read them", async () => {
    const root = join(scratch, "root");
    // The script's absolute paths, moved under a scratch root.
    const rooted = text.replaceAll("/etc/", `${root}/etc/`);
    const result = await run("bash", ["-c", rooted], { timeoutMs: 10_000 });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(readFileSync(join(root, "etc/ecs/ecs.config"), "utf8")).toBe(
      "ECS_CLUSTER=ci-platform-production\nECS_ENABLE_CONTAINER_METADATA=true\nECS_CONTAINER_STOP_TIMEOUT=30s\nECS_ENGINE_TASK_CLEANUP_WAIT_DURATION=1h\n",
    );
    expect(
      readFileSync(join(root, "etc/docker/certs.d/registry.example.com:5443/ca.crt"), "utf8"),
    ).toBe(CA);
  });
});

describe("the task's health check command", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
  });

  /** Runs the check's command (`CMD node -e ...`) against a server answering `status`. */
  async function check(status: number | "closed"): Promise<number | null> {
    let port = 1;
    if (status !== "closed") {
      server = createServer((req, res) => {
        res.statusCode = req.url === "/health" ? status : 404;
        res.end();
      });
      await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
      port = (server.address() as AddressInfo).port;
    }
    const [kind, program, ...args] = containerHealthCheck("/health").command;
    expect([kind, program]).toEqual(["CMD", "node"]);
    // The command targets 5000 in the container; here the server has a port of its own.
    const local = args.map((a) => a.replace(":5000/", `:${port}/`));
    const result = await run(process.execPath, local, { timeoutMs: 10_000 });
    return result.code;
  }

  it("passes on 200", async () => expect(await check(200)).toBe(0));
  it("fails on 503", async () => expect(await check(503)).toBe(1));
  it("fails when nothing listens", async () => expect(await check("closed")).toBe(1));
});
