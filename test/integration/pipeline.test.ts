/**
 * The Jenkins pipeline's scripts (`components/jenkins/pipeline/`) run for real for the sample
 * service (`examples/sample-service/`): against a private dockerd holding the testing stack's CI
 * host as the program declares it, from a local git repository, publishing to the private registry
 * behind nginx. Builds run in order and build on each other's deployment, as on a CI host.
 */
import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildEnv,
  containersOfBuild,
  createServiceRepo,
  editFile,
  freeSamplePorts,
  NETWORKHOLDER_IMAGE,
  PIPELINE_DIR,
  readTimings,
  runScript,
  SAMPLE_SERVICE,
  SAMPLE_SERVICE_DIR,
  setUpPipelineEstate,
  STACK,
  type PipelineEstate,
  type SamplePorts,
  type ScriptRun,
  SAMPLE_LIMITS,
  type ServiceRepo,
  type Timing,
} from "../harness/pipeline";
import { readPipelineScripts } from "../../components/jenkins/pipeline-files";
import { run } from "../harness/process";
import { httpGet, startRegistryStack, type RegistryStack } from "../harness/registry";
import { expectOk, inspectDigest, registryFlags, skopeo } from "../harness/registry-images";
import { useDockerd } from "../harness/use-dockerd";
import { standInBody } from "../harness/datastore-images";
import type { Slot } from "../../components/model/slots";

/** The sample service's two release slots on the host. */
const slotContainer = (slot: Slot): string => `${STACK}-${SAMPLE_SERVICE}-${slot}`;
const LEASE = `${STACK}-${SAMPLE_SERVICE}.lease`;
const buildId = (n: number): string => `${SAMPLE_SERVICE}-${n}`;

/** When a build ran its tests (steps 1-4) and held the deploy lease (steps 5-6), epoch ms. */
function phases(timings: readonly Timing[]) {
  const find = (step: string, what: string): Timing => {
    const found = timings.find((t) => t.step === step && t.what === what);
    if (!found) throw new Error(`no timing ${step} ${what} in ${JSON.stringify(timings)}`);
    return found;
  };
  const checkout = find("01-checkout", "total");
  return {
    testsFrom: checkout.endedAt - checkout.seconds * 1000,
    testsTo: find("04-integration-test", "total").endedAt,
    leaseFrom: find("05-deploy", "lease-acquired").endedAt,
    leaseTo: find("06-live-test", "lease-released").endedAt,
  };
}

/** What lib.sh sources, one file per concern. */
const LIB_FILES = ["containers", "inputs", "lock", "log", "retention", "slots"].map(
  (f) => `lib/${f}.sh`,
);

/** The step scripts Jenkins calls, in order. */
const STEPS = [
  "01-checkout.sh",
  "02-build.sh",
  "03-unit-test.sh",
  "04-integration-test.sh",
  "05-deploy.sh",
  "06-live-test.sh",
  "07-publish.sh",
];

describe("pipeline scripts as files", () => {
  it("passes shellcheck -x, every script and the sample's ci-test", async () => {
    const scripts = readPipelineScripts(PIPELINE_DIR).map((s) => s.name);
    expect(scripts).toEqual([...STEPS, "lib.sh", ...LIB_FILES, "release.sh", "run-all.sh"].sort());
    const result = await run(
      "shellcheck",
      ["-x", ...scripts, path.join(SAMPLE_SERVICE_DIR, "bin/ci-test")],
      { cwd: PIPELINE_DIR },
    );
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it.each([...STEPS, "run-all.sh", "release.sh"])("%s is a strict bash script", async (script) => {
    const text = await fs.readFile(path.join(PIPELINE_DIR, script), "utf8");
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toContain("\nset -euo pipefail\n");
    const mode = (await fs.stat(path.join(PIPELINE_DIR, script))).mode;
    expect(mode & 0o111).not.toBe(0);
  });

  it("fails when variables are missing or invalid, naming every problem", async () => {
    const result = await runScript("05-deploy.sh", {
      SERVICE: "Sample_Service",
      BUILD_NUMBER: "7a",
      APP_HOST_PORT: "70000",
      GREEN_PORT: "0",
      RESOLVER_IP: "dns",
    });
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      [
        "ERROR: invalid input (11 problem(s)):",
        "  - WORKSPACE is not set",
        "  - STACK is not set",
        "  - BACKEND_NETWORK is not set",
        "  - SEARCH_DOMAIN is not set",
        "  - BLUE_PORT is not set",
        "  - PROXY_CONTAINER is not set",
        "  - SERVICE 'Sample_Service' is not a lowercase DNS label (a-z, 0-9, '-'); it names images and containers",
        "  - BUILD_NUMBER '7a' is not a number (Jenkins sets it; from a terminal pass e.g. BUILD_NUMBER=1)",
        "  - APP_HOST_PORT '70000' is not a TCP port (1-65535)",
        "  - GREEN_PORT '0' is not a TCP port (1-65535)",
        "  - RESOLVER_IP 'dns' is not an IPv4 address",
      ].join("\n"),
    );
  });
});

describe("pipeline for the sample service on a real Docker engine", { timeout: 120_000 }, () => {
  const dockerd = useDockerd();
  let scratch = "";
  let lockDir = "";
  let estate: PipelineEstate;
  let repo: ServiceRepo;
  let ports: SamplePorts;
  let registry: RegistryStack | undefined;
  /** Revisions by name, as the tests commit them. */
  const rev: Record<string, string> = {};

  beforeAll(async () => {
    scratch = await fs.realpath(await fs.mkdtemp(path.join(tmpdir(), "pipeline-")));
    lockDir = path.join(scratch, "locks");
    ports = await freeSamplePorts();
    const [ready, created] = await Promise.all([
      setUpPipelineEstate(dockerd(), ports),
      createServiceRepo(scratch),
    ]);
    estate = ready;
    repo = created;
    rev["initial"] = await repo.revision();
  }, 240_000);

  afterAll(async () => {
    await registry?.stop();
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  }, 60_000);

  const workspace = (n: number): string => path.join(scratch, `ws-${n}`);
  const pipeline = (
    script: string,
    n: number,
    options: { branch?: string; extra?: Record<string, string> } = {},
  ): Promise<ScriptRun> =>
    runScript(
      script,
      buildEnv({
        dockerd: dockerd(),
        repo,
        buildNumber: n,
        workspace: workspace(n),
        ports,
        lockDir,
        ...options,
      }),
    );
  /** What the service answers on its public port (the release proxy), and from which slot. */
  const health = async (): Promise<{
    code: number;
    slot: string;
    body: Record<string, unknown>;
  }> => {
    const response = await httpGet(`http://127.0.0.1:${ports.hostPort}/health`);
    return {
      code: response.status,
      slot: String(response.headers["x-release-slot"]),
      body: JSON.parse(response.body) as Record<string, unknown>,
    };
  };
  /** The live slot's container, as the proxy serves it. */
  const live = async (): Promise<string> => slotContainer((await health()).slot as Slot);
  const state = async (container: string): Promise<string> =>
    (await dockerd().docker(["inspect", "-f", "{{.State.Status}}", container])).stdout.trim() ||
    "missing";
  const label = (container: string, key: string): Promise<string> =>
    dockerd().dockerOk([
      "inspect",
      "-f",
      `{{index .Config.Labels "ci-platform.${key}"}}`,
      container,
    ]);
  const exists = async (container: string): Promise<boolean> =>
    (await dockerd().docker(["inspect", "--type", "container", container])).code === 0;
  const leases = async (): Promise<string[]> =>
    (await fs.readdir(lockDir).catch(() => [] as string[])).filter((f) => f.endsWith(".lease"));
  const networks = async (): Promise<string[]> =>
    (await dockerd().dockerOk(["network", "ls", "--format", "{{.Name}}"])).split("\n");

  it("runs the seven steps and deploys the commit on the production-like network", async () => {
    const result = await pipeline("run-all.sh", 1);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("==> all 7 steps passed");
    expect(result.output).toContain("PUBLISH is not true: nothing to publish");

    // No slot was live: the build went into the idle green slot and the proxy switched to it.
    expect(await health()).toEqual({
      code: 200,
      slot: "green",
      body: { status: "ok", service: SAMPLE_SERVICE, revision: rev["initial"] },
    });
    const DEPLOYED = slotContainer("green");
    // One commit, one image: tagged with the revision and the build number.
    const ids = await dockerd().dockerOk([
      "image",
      "inspect",
      "-f",
      "{{.Id}}",
      `${SAMPLE_SERVICE}:${rev["initial"]}`,
      `${SAMPLE_SERVICE}:1`,
    ]);
    expect(new Set(ids.split("\n")).size).toBe(1);

    const inspect = JSON.parse(await dockerd().dockerOk(["inspect", DEPLOYED])) as {
      HostConfig: {
        PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
        Memory: number;
        NanoCpus: number;
        PidsLimit: number;
      };
      NetworkSettings: { Networks: Record<string, unknown> };
    }[];
    // The catalog's limits reach the container the pipeline deploys, as they do the platform's.
    expect({
      memory: inspect[0]!.HostConfig.Memory,
      nanoCpus: inspect[0]!.HostConfig.NanoCpus,
      pids: inspect[0]!.HostConfig.PidsLimit,
    }).toEqual({
      memory: Number.parseInt(SAMPLE_LIMITS.memory, 10) * 1024 * 1024,
      nanoCpus: Number(SAMPLE_LIMITS.cpus) * 1e9,
      pids: SAMPLE_LIMITS.pidsLimit,
    });
    expect(inspect[0]!.HostConfig.PortBindings).toEqual({
      "5000/tcp": [{ HostIp: "127.0.0.1", HostPort: String(ports.slotPorts.green) }],
    });
    expect(Object.keys(inspect[0]!.NetworkSettings.Networks)).toEqual(["testing-backend"]);
    expect(await label(DEPLOYED, "build-id")).toBe(buildId(1));

    // The same image everywhere; only APP_ENV tells the environment.
    const env = await dockerd().dockerOk(["inspect", "-f", "{{json .Config.Env}}", DEPLOYED]);
    expect(JSON.parse(env) as string[]).toEqual(
      expect.arrayContaining(["APP_ENV=testing", "RELEASE_SLOT=green"]),
    );

    // Production-like names resolve through the stack's dnsmasq, and the nodes answer.
    const node = "mongodb-cluster-a-node-1";
    const lookup = await dockerd().dockerOk(["exec", DEPLOYED, "nslookup", node]);
    const answers = [...lookup.matchAll(/^Name:\s*(\S+)\s*\nAddress:\s*(\S+)\s*$/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(answers).toEqual([`${node}.us-east-1.example.com ${estate.nodeIps.get(node)}`]);
    const page = await dockerd().dockerOk([
      "exec",
      DEPLOYED,
      "timeout",
      "5",
      "wget",
      "-q",
      "-O",
      "-",
      `http://${node}:27017/`,
    ]);
    expect(page).toBe(standInBody("mongo:7.0", "0.0.0.0", 27017).trim());

    expect(await containersOfBuild(dockerd(), buildId(1))).toEqual([DEPLOYED]);
    expect(await networks()).not.toContain(`${STACK}-${buildId(1)}-net`);
    expect(await leases()).toEqual([]);
  });

  it("stops at step 3 when a unit test fails and leaves nothing of the build behind", async () => {
    rev["broken-unit"] = await repo.commit("Greet with hi", (tree) =>
      editFile(tree, "src/greeting.mjs", "`hello, ${", "`hi, ${"),
    );
    const result = await pipeline("run-all.sh", 2);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("ERROR: unit tests failed");
    expect(result.output).toContain("==> 03-unit-test FAILED (exit 1): the chain stops here");
    expect(result.output).not.toContain("==> 04-integration-test");

    expect(await containersOfBuild(dockerd(), buildId(2))).toEqual([]);
    expect((await health()).body["revision"]).toBe(rev["initial"]);
  });

  it("removes the new slot and never switches when the pre-tests fail against it", async () => {
    rev["broken-live"] = await repo.commit("Expect French in the live tests", async (tree) => {
      await editFile(tree, "src/greeting.mjs", "`hi, ${", "`hello, ${");
      await editFile(tree, "test/live/live.test.mjs", '"hello, live"', '"bonjour, live"');
    });
    const result = await pipeline("run-all.sh", 3);
    expect(result.code, result.output).toBe(1);
    // Build 1 is live in green: build 3 went into blue and was tested there, not through the proxy.
    expect(result.output).toContain("the green slot is live; deploying into the blue slot");
    expect(result.output).toContain(`ERROR: the pre-tests failed against ${slotContainer("blue")}`);
    expect(result.output).toContain(
      `removing ${slotContainer("blue")}: the live green slot serves on`,
    );
    expect(result.output).not.toContain("live: the proxy sends");
    expect(result.output).toContain("==> 05-deploy FAILED (exit 1)");

    expect(await health()).toMatchObject({
      code: 200,
      slot: "green",
      body: { revision: rev["initial"] },
    });
    expect(await exists(slotContainer("blue"))).toBe(false);
    expect(await containersOfBuild(dockerd(), buildId(3))).toEqual([]);
    expect(await leases()).toEqual([]);
  });

  it("switches back and removes the failed slot when the live tests fail through the proxy", async () => {
    // A failure only the public port shows (as a proxy limit or header would): the live suite
    // refuses responses that came through the release proxy.
    const refuseProxy =
      '    assert.equal(headers["x-release-slot"], undefined, "served through the proxy");\n';
    rev["proxy-only"] = await repo.commit("Refuse the proxy in the live tests", async (tree) => {
      await editFile(tree, "test/live/live.test.mjs", '"bonjour, live"', '"hello, live"');
      await editFile(
        tree,
        "test/live/live.test.mjs",
        "const { status, body } = await get(`${BASE_URL}/health`);\n",
        "const { status, headers, body } = await get(`${BASE_URL}/health`);\n" + refuseProxy,
      );
    });
    const result = await pipeline("run-all.sh", 31);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(
      `live: the proxy sends ${SAMPLE_SERVICE} (127.0.0.1:${ports.hostPort}) to the blue slot`,
    );
    expect(result.output).toContain("WARNING: live tests failed: switching back");
    expect(result.output).toContain(
      `live: the proxy sends ${SAMPLE_SERVICE} (127.0.0.1:${ports.hostPort}) to the green slot`,
    );
    expect(result.output).toContain(
      `removing ${slotContainer("blue")} (${buildId(31)}), the failed blue slot`,
    );
    expect(result.output).toContain("==> 06-live-test FAILED (exit 1)");

    expect(await health()).toMatchObject({
      code: 200,
      slot: "green",
      body: { revision: rev["initial"] },
    });
    expect(await label(slotContainer("green"), "build-id")).toBe(buildId(1));
    expect(await exists(slotContainer("blue"))).toBe(false);
    expect(await containersOfBuild(dockerd(), buildId(31))).toEqual([]);
    expect(await leases()).toEqual([]);
  });

  it("keeps the live slot when the new one fails its health check, and removes the new one", async () => {
    // An image of this revision whose container exits at once, deployed by step 5 alone.
    const n = 90;
    await fs.mkdir(path.join(workspace(n), ".ci-platform"), { recursive: true });
    await fs.writeFile(path.join(workspace(n), ".ci-platform", "revision"), `${rev["initial"]}\n`);
    await dockerd().dockerOk(["build", "-q", "-t", `${SAMPLE_SERVICE}:${n}`, "-"], {
      input: [
        `FROM ${NETWORKHOLDER_IMAGE}`,
        `LABEL org.opencontainers.image.revision=${rev["initial"]}`,
        'CMD ["sh", "-c", "echo cannot start; exit 3"]',
        "",
      ].join("\n"),
    });
    const result = await pipeline("05-deploy.sh", n);
    expect(result.code, result.output).toBe(1);
    const blue = slotContainer("blue");
    // Restarted by its policy or not, it is caught at once, without waiting HEALTH_TIMEOUT.
    expect(result.output).toMatch(
      new RegExp(`WARNING: ${blue} stopped: it is \\w+ and was restarted \\d+ time\\(s\\)`),
    );
    expect(result.output).toContain(
      `ERROR: ${blue} failed its health check (GET /health on 127.0.0.1:${ports.slotPorts.blue}, up to 30 s)`,
    );
    expect(result.seconds).toBeLessThan(20);
    expect(result.output).toContain("cannot start");
    expect(result.output).toContain(`removing ${blue}: the live green slot serves on`);
    expect(result.output).not.toContain("live: the proxy sends");

    expect(await health()).toMatchObject({
      code: 200,
      slot: "green",
      body: { revision: rev["initial"] },
    });
    expect(await exists(blue)).toBe(false);
    expect(await containersOfBuild(dockerd(), buildId(n))).toEqual([]);
    expect(await leases()).toEqual([]);
  });

  it("runs two builds of different commits at once and serializes their deploys", async () => {
    rev["fixed"] = await repo.commit("Accept the proxy again", (tree) =>
      editFile(
        tree,
        "test/live/live.test.mjs",
        '    assert.equal(headers["x-release-slot"], undefined, "served through the proxy");\n',
        "",
      ),
    );
    await repo.branch("feature");
    rev["feature"] = await repo.commit(
      "Say so when serving",
      (tree) => editFile(tree, "src/server.mjs", "`listening on", "`serving on"),
      "feature",
    );
    const [main, feature] = await Promise.all([
      pipeline("run-all.sh", 4),
      pipeline("run-all.sh", 5, { branch: "feature" }),
    ]);
    expect(main.code, main.output).toBe(0);
    expect(feature.code, feature.output).toBe(0);

    const a = phases(await readTimings(workspace(4)));
    const b = phases(await readTimings(workspace(5)));
    // Steps 1-4 of the two builds overlapped ...
    expect(a.testsFrom < b.testsTo && b.testsFrom < a.testsTo).toBe(true);
    // ... and one deployed and live-tested strictly after the other.
    expect(a.leaseTo <= b.leaseFrom || b.leaseTo <= a.leaseFrom).toBe(true);

    // Green (build 1) -> blue (the first) -> green (the second); the first's slot is stopped.
    const last = a.leaseFrom > b.leaseFrom ? 4 : 5;
    const served = await health();
    expect(served.slot).toBe("green");
    expect(await label(slotContainer("green"), "build-id")).toBe(buildId(last));
    expect(served.body["revision"]).toBe(last === 4 ? rev["fixed"] : rev["feature"]);
    expect(await label(slotContainer("blue"), "build-id")).toBe(buildId(9 - last));
    expect(await state(slotContainer("blue"))).toBe("exited");
    expect(await leases()).toEqual([]);
  });

  it("publishes the image by revision and build number, and a stripped image, on staging", async () => {
    registry = await startRegistryStack();
    const stack = registry;
    const n = 6;
    const result = await pipeline("run-all.sh", n, {
      extra: {
        PUBLISH: "true",
        STRIPPED: "true",
        REGISTRY: stack.host,
        REGISTRY_USER: stack.user,
        REGISTRY_PASSWORD: stack.password,
        REGISTRY_CERT_DIR: stack.caDir,
      },
    });
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain(stack.password);

    const revision = rev["fixed"]!;
    const tags = JSON.parse(
      expectOk(
        await skopeo([
          "list-tags",
          ...registryFlags(stack, ""),
          `docker://${stack.host}/${SAMPLE_SERVICE}`,
        ]),
        "skopeo list-tags",
      ).stdout,
    ) as { Tags: string[] };
    expect(tags.Tags.sort()).toEqual([revision, `${revision}-slim`, "6", "6-slim"].sort());

    const digest = (tag: string) => inspectDigest(stack, { repo: SAMPLE_SERVICE, tag });
    expect(await digest("6")).toBe(await digest(revision));
    expect(await digest("6-slim")).toBe(await digest(`${revision}-slim`));
    expect(await digest("6-slim")).not.toBe(await digest("6"));
    // What the registry holds is the image this build tested and its stripped sibling.
    const config = async (tag: string): Promise<string> => {
      const raw = expectOk(
        await skopeo([
          "inspect",
          "--raw",
          ...registryFlags(stack, ""),
          `docker://${stack.host}/${SAMPLE_SERVICE}:${tag}`,
        ]),
        "skopeo inspect --raw",
      ).stdout;
      return (JSON.parse(raw) as { config: { digest: string } }).config.digest;
    };
    const localId = (image: string) =>
      dockerd().dockerOk(["image", "inspect", "-f", "{{.Id}}", image]);
    expect(await config(revision)).toBe(await localId(`${SAMPLE_SERVICE}:6`));
    expect(await config("6-slim")).toBe(await localId(`${SAMPLE_SERVICE}:6-slim`));

    // The stripped image has no package manager or compiler; the tested one does have npm.
    const tools = "for t in npm npx yarn gcc cc make apt-get; do command -v $t; done; true";
    const inImage = (image: string, script: string) =>
      dockerd().dockerOk(["run", "--rm", "--network", "none", image, "sh", "-c", script]);
    expect(await inImage(`${SAMPLE_SERVICE}:6-slim`, tools)).toBe("");
    expect(await inImage(`${SAMPLE_SERVICE}:6`, tools)).toBe(
      "/usr/local/bin/npm\n/usr/local/bin/npx",
    );
    expect(
      await inImage(
        `${SAMPLE_SERVICE}:6-slim`,
        "ls /app; command -v ci-test; node -e \"import('/app/src/app.mjs').then((m) => console.log(typeof m.createApp))\"",
      ),
    ).toBe("node_modules\npackage-lock.json\npackage.json\nsrc\nfunction");
    expect(await containersOfBuild(dockerd(), buildId(n))).toEqual([await live()]);
  });

  it("takes over a lease abandoned between steps 5 and 6 and rolls back its untested switch", async () => {
    const before = (await health()).slot as Slot;
    const after = before === "blue" ? "green" : "blue";
    // Build 7 runs steps 1-5 one script at a time, as Jenkins does, then is "killed".
    let deployLog = "";
    for (const step of STEPS.slice(0, 5)) {
      const result = await pipeline(step, 7);
      expect(result.code, `${step}\n${result.output}`).toBe(0);
      deployLog = result.output;
    }
    expect(await leases()).toEqual([LEASE]);
    expect((await health()).slot, deployLog).toBe(after);
    expect(await label(slotContainer(before), "build-id")).toBe(buildId(6));

    const result = await pipeline("run-all.sh", 8, { extra: { DEPLOY_LEASE_TTL: "0" } });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(
      `WARNING: took over the deploy lease of ${buildId(7)} (older than 0 s)`,
    );
    expect(result.output).toContain(
      `WARNING: the switch to the ${after} slot (${buildId(7)}) was never tested: rolling it back first`,
    );
    expect(result.output).toContain(
      `removing ${slotContainer(after)} (${buildId(7)}), the failed ${after} slot`,
    );

    // Build 6 was live again, then build 8 went into the slot build 7 had taken.
    expect(await health()).toMatchObject({ code: 200, slot: after });
    expect(await label(slotContainer(after), "build-id")).toBe(buildId(8));
    expect(await label(slotContainer(before), "build-id")).toBe(buildId(6));
    expect(await state(slotContainer(before))).toBe("exited");
    expect(await containersOfBuild(dockerd(), buildId(7))).toEqual([]);
    expect(await leases()).toEqual([]);
  });

  it("leaves only the two slots besides the stack's own, the idle one stopped", async () => {
    const names = (await dockerd().dockerOk(["ps", "-a", "--format", "{{.Names}}"])).split("\n");
    const slots = [slotContainer("blue"), slotContainer("green")];
    expect(names.sort()).toEqual([...estate.containers, ...slots].sort());
    const running = (await dockerd().dockerOk(["ps", "--format", "{{.Names}}"])).split("\n");
    expect(running.filter((n) => slots.includes(n))).toEqual([await live()]);
    expect((await networks()).filter((name) => name.endsWith("-net"))).toEqual([]);
  });
});
