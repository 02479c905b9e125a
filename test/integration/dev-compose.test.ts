/**
 * Laptop parity: the file `npm run dev-compose` prints for the testing stack, loaded by the real
 * Docker Compose (the plugin `.ci/build-compose.sh` builds) on a private engine, with stand-ins
 * tagged as the catalog's images (nothing can be pulled). The engine runs in a network namespace
 * of its own, so the datastores' host-network ports never meet the machine's loopback.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { DatastoreEntry } from "../../components/catalog/catalog";
import { CONTAINER_LOG_OPTS, RESTART_POLICY } from "../../components/docker/docker-render";
import { datastoreHealthcheck } from "../../components/services/services-render";
import { validatedStackConfig } from "../../lib/stack-config";
import { installComposePlugin } from "../harness/compose";
import { buildDatastoreStandIn } from "../harness/datastore-images";
import { buildRootfsImage } from "../harness/images";
import { run, runOk, waitFor, type RunResult } from "../harness/process";
import { useDockerd } from "../harness/use-dockerd";

const ROOT = resolve(__dirname, "../..");
const STACK = "testing";
const PROJECT = "ci-platform-dev";
/** What a developer exports before `docker compose up`; the file takes it from the environment. */
const POSTGRES_PASSWORD = "dev-compose-test-password";
/** A non-loopback address the test gives its engine's namespace, on a veth pair (TEST-NET-1). */
const OTHER_ADDRESS = "192.0.2.10";
const MIB = 1024 * 1024;
/** A busybox image for the control listener, and the port it listens on (no datastore's). */
const LISTENER_IMAGE = "ci-harness-busybox:dev-compose";
const LISTENER_PORT = 18080;

interface ComposeModel {
  name: string;
  services: Record<string, Record<string, unknown>>;
}

interface ContainerInspect {
  Name: string;
  Config: { Image: string; Cmd: string[]; Env: string[]; Labels: Record<string, string> };
  State: { Running: boolean; Health?: { Status: string } };
  HostConfig: {
    NetworkMode: string;
    Memory: number;
    MemorySwap: number;
    RestartPolicy: { Name: string };
    LogConfig: { Type: string; Config: Record<string, string> };
    SecurityOpt: string[] | null;
  };
}

describe(`npm run dev-compose (${STACK}) in Docker Compose`, { timeout: 180_000 }, () => {
  const dockerd = useDockerd({ privateNetwork: true });
  const datastores: readonly DatastoreEntry[] = validatedStackConfig(ROOT, STACK).datastores;
  let composeFile = "";
  let rendered: ComposeModel;
  let composeVersion = "";

  const compose = (
    args: readonly string[],
    timeoutMs = 60_000,
    env: Readonly<Record<string, string | undefined>> = { POSTGRES_PASSWORD },
  ): Promise<RunResult> =>
    dockerd().docker(["compose", "-f", composeFile, ...args], { timeoutMs, env });
  const composeOk = async (args: readonly string[], timeoutMs?: number): Promise<string> => {
    const r = await compose(args, timeoutMs);
    if (r.code !== 0) {
      throw new Error(
        `docker compose ${args.join(" ")} exited ${r.code}:\n${r.stderr || r.stdout}`,
      );
    }
    return r.stdout;
  };
  /** Whether a TCP connection to `address:port` inside the engine's namespace is accepted. */
  const connect = async (address: string, port: number): Promise<"open" | "refused"> => {
    const r = await run(
      "nsenter",
      [
        `--net=${dockerd().netns!}`,
        "--",
        "bash",
        "-c",
        'exec 3<>"/dev/tcp/$0/$1"',
        address,
        `${port}`,
      ],
      { timeoutMs: 5_000 },
    );
    if (r.code === 0) return "open";
    if (/Connection refused/.test(r.stderr)) return "refused";
    throw new Error(`connecting to ${address}:${port} failed: exit ${r.code} ${r.stderr.trim()}`);
  };
  /** Runs `command` in the engine's network namespace (which the test created). */
  const inEngineNetns = (command: readonly string[]): Promise<string> =>
    runOk("nsenter", [`--net=${dockerd().netns!}`, "--", ...command], { timeoutMs: 10_000 });
  const down = () => compose(["down", "--volumes", "--remove-orphans", "--timeout", "5"], 60_000);

  beforeAll(async () => {
    const engine = dockerd();
    composeVersion = await installComposePlugin(engine);
    // Exactly what a developer runs; the file goes where the engine's scratch files go.
    const text = await runOk("npm", ["run", "--silent", "dev-compose", "--", "--stack", STACK], {
      cwd: ROOT,
      timeoutMs: 60_000,
    });
    composeFile = join(engine.dir, "work", "docker-compose.yml");
    writeFileSync(composeFile, text);
    rendered = parse(text) as ComposeModel;
    await buildRootfsImage(engine, { tag: LISTENER_IMAGE, changes: ["ENV PATH=/bin"] });
    for (const entry of datastores) await buildDatastoreStandIn(engine, entry);
  }, 240_000);

  // Runs before useDockerd's afterAll stops the engine (hooks run in reverse order).
  afterAll(async () => {
    if (composeFile) await down();
  }, 90_000);

  it("renders one service per datastore of the stack", () => {
    expect(composeVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(rendered.name).toBe(PROJECT);
    expect(Object.keys(rendered.services).sort()).toEqual(datastores.map((d) => d.name).sort());
  });

  it("passes `docker compose config`, which keeps host networking, limits, health checks and log rotation", async () => {
    const model = parse(await composeOk(["config"])) as ComposeModel;
    expect(model.name).toBe(PROJECT);
    expect(Object.keys(model.services).sort()).toEqual(Object.keys(rendered.services).sort());
    for (const entry of datastores) {
      const service = model.services[entry.name]!;
      const health = datastoreHealthcheck(entry);
      expect(service, entry.name).toMatchObject({
        image: entry.image,
        network_mode: "host",
        restart: RESTART_POLICY,
        command: [...entry.loopbackCommand],
        mem_limit: String(entry.memoryMb * MIB),
        memswap_limit: String(entry.memoryMb * MIB),
        security_opt: ["no-new-privileges:true"],
        logging: { driver: "json-file", options: { ...CONTAINER_LOG_OPTS } },
      });
      expect(service["healthcheck"], entry.name).toEqual(
        health && {
          test: health.tests,
          interval: health.interval,
          timeout: health.timeout,
          retries: health.retries,
          start_period: health.startPeriod,
        },
      );
      // Every key the renderer wrote survives normalisation (compose drops none silently).
      const renderedService = rendered.services[entry.name]!;
      for (const key of Object.keys(renderedService)) {
        expect(service, `${entry.name}.${key}`).toHaveProperty(key);
      }
      // The password comes from the environment compose runs in, never from the file.
      expect(service["environment"], entry.name).toEqual(
        entry.passwordEnv === undefined ? undefined : { [entry.passwordEnv]: POSTGRES_PASSWORD },
      );
    }
  });

  it("fails `docker compose config` without POSTGRES_PASSWORD, naming the variable", async () => {
    const needing = datastores.filter((d) => d.passwordEnv !== undefined);
    expect(needing.map((d) => d.name)).toEqual(["postgres"]);
    const r = await compose(["config"], 30_000, { POSTGRES_PASSWORD: undefined });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "required variable POSTGRES_PASSWORD is missing a value: set POSTGRES_PASSWORD in your environment",
    );
  });

  it("starts every datastore healthy with `docker compose up --wait`, as declared", async () => {
    // The first health check runs one interval (10 s) after start; --wait returns once all pass.
    await composeOk(["up", "--detach", "--wait", "--wait-timeout", "90"], 120_000);
    const ids = (await composeOk(["ps", "--all", "--quiet"])).trim().split(/\s+/);
    expect(ids).toHaveLength(datastores.length);
    const containers = JSON.parse(
      await dockerd().dockerOk(["inspect", ...ids]),
    ) as ContainerInspect[];
    for (const entry of datastores) {
      const c = containers.find(
        (x) => x.Config.Labels["com.docker.compose.service"] === entry.name,
      );
      expect(c, entry.name).toBeDefined();
      expect(c!.Config.Image, entry.name).toBe(entry.image);
      expect(c!.Config.Cmd, entry.name).toEqual(entry.loopbackCommand);
      if (entry.passwordEnv !== undefined) {
        expect(c!.Config.Env, entry.name).toContain(`${entry.passwordEnv}=${POSTGRES_PASSWORD}`);
      }
      expect(c!.State.Running, entry.name).toBe(true);
      expect(c!.State.Health?.Status, entry.name).toBe(entry.healthcheck ? "healthy" : undefined);
      // What the engine reports back equals what the file asked for.
      expect(c!.HostConfig.NetworkMode, entry.name).toBe("host");
      expect(c!.HostConfig.Memory, entry.name).toBe(entry.memoryMb * MIB);
      expect(c!.HostConfig.MemorySwap, entry.name).toBe(entry.memoryMb * MIB);
      expect(c!.HostConfig.RestartPolicy.Name, entry.name).toBe(RESTART_POLICY);
      expect(c!.HostConfig.LogConfig, entry.name).toEqual({
        Type: "json-file",
        Config: { ...CONTAINER_LOG_OPTS },
      });
      expect(c!.HostConfig.SecurityOpt, entry.name).toEqual(["no-new-privileges:true"]);
    }
  });

  it("serves each datastore on 127.0.0.1 at its default port", async () => {
    for (const entry of datastores) {
      expect(await connect("127.0.0.1", entry.port), entry.name).toBe("open");
    }
  });

  it("does not answer on the host's other addresses", async () => {
    // The engine's namespace gets a second interface with an address, like a laptop's LAN card; it
    // goes with the namespace. (A veth pair: kernels without the dummy module have veth, as Docker
    // needs it.)
    await inEngineNetns([
      "ip",
      "link",
      "add",
      "ci-lan0",
      "type",
      "veth",
      "peer",
      "name",
      "ci-lan1",
    ]);
    await inEngineNetns(["ip", "addr", "add", `${OTHER_ADDRESS}/24`, "dev", "ci-lan0"]);
    await inEngineNetns(["ip", "link", "set", "ci-lan1", "up"]);
    await inEngineNetns(["ip", "link", "set", "ci-lan0", "up"]);
    // Control: a host-network listener on every address answers there, so the refusals below
    // come from where the datastores listen, not from an unreachable address.
    const control = await dockerd().dockerOk([
      "run",
      "--detach",
      "--network",
      "host",
      LISTENER_IMAGE,
      "httpd",
      "-f",
      "-p",
      `${LISTENER_PORT}`,
      "-h",
      "/tmp",
    ]);
    try {
      await waitFor(
        `the control listener on ${OTHER_ADDRESS}:${LISTENER_PORT}`,
        async () => ((await connect(OTHER_ADDRESS, LISTENER_PORT)) === "open" ? true : undefined),
        { timeoutMs: 10_000 },
      );
    } finally {
      await dockerd().dockerOk(["rm", "--force", control]);
    }
    for (const entry of datastores) {
      expect(await connect(OTHER_ADDRESS, entry.port), entry.name).toBe("refused");
      expect(await connect("127.0.0.1", entry.port), entry.name).toBe("open");
    }
  });

  it("removes everything it started with `docker compose down`", async () => {
    const r = await down();
    expect(r.code, r.stderr).toBe(0);
    expect(await dockerd().dockerOk(["ps", "--all", "--quiet"])).toBe("");
    for (const entry of datastores) {
      expect(await connect("127.0.0.1", entry.port), entry.name).toBe("refused");
    }
  });
});
