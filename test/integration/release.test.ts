/**
 * `npm run release` on a CI host for real: the testing stack (narrowed to the api service) pointed
 * at a private dockerd, its release proxy as the program declares it (nginx from this machine's
 * package, the program's switch command), and the sample service built as api 1.0.0, 2.0.0 and a
 * 3.0.0 whose post-tests fail. A client polls the public port through every switch.
 */
import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classify } from "../../tools/health/classify";
import { probeOnce } from "../../tools/health/probe";
import { readStackFile } from "../../lib/stack-file";
import { run, type RunResult } from "../../lib/process";
import { applyPlan } from "../harness/apply-plan";
import { buildNginxImage } from "../harness/images";
import { buildNodeBaseImage, NODE_BASE_IMAGE, SAMPLE_SERVICE_DIR } from "../harness/pipeline";
import { startPoller, type PollReport } from "../harness/poller";
import { httpGet } from "../harness/registry";
import { useDockerd } from "../harness/use-dockerd";
import { evaluateStack, PROJECT_ROOT } from "../mocks";

const CLI = path.join(PROJECT_ROOT, "tools/cli.ts");
const HOST = "ci-testing-1";
/** api's public port and its slots' ports, as the catalog allocates them. */
const PUBLIC = 5060;
const SLOT_PORT = { blue: 6060, green: 7060 } as const;
const BLUE = "testing-api-blue";
const GREEN = "testing-api-green";

describe(
  "blue-green releases on a CI host's real Docker engine and nginx",
  { timeout: 240_000 },
  () => {
    const dockerd = useDockerd();
    let root = "";
    let lockDir = "";

    beforeAll(async () => {
      root = await fs.realpath(await fs.mkdtemp(path.join(tmpdir(), "release-")));
      lockDir = path.join(root, "locks");
      await fs.copyFile(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
      const doc = parseDocument(
        await fs.readFile(path.join(PROJECT_ROOT, "Pulumi.testing.yaml"), "utf8"),
      );
      doc.setIn(["config", "ci-platform:services", "apps"], doc.createNode({ api: {} }));
      doc.setIn(["config", "ci-platform:ciHosts", HOST, "dockerHost"], dockerd().host);
      doc.setIn(["config", "ci-platform:ciHosts", HOST, "pullImages"], false);
      await fs.writeFile(path.join(root, "Pulumi.testing.yaml"), doc.toString());

      const engine = dockerd();
      await Promise.all([
        buildNodeBaseImage(engine, NODE_BASE_IMAGE),
        buildNginxImage(engine, "nginx:1.27-alpine"),
      ]);
      const build = (args: string[]) =>
        engine.dockerOk(["build", "-q", ...args], {
          env: { DOCKER_BUILDKIT: "0" },
          timeoutMs: 300_000,
        });
      await build([
        "-t",
        "sample-service:base",
        "--build-arg",
        `BASE_IMAGE=${NODE_BASE_IMAGE}`,
        SAMPLE_SERVICE_DIR,
      ]);
      const liveTest = await fs.readFile(
        path.join(SAMPLE_SERVICE_DIR, "test/live/live.test.mjs"),
        "utf8",
      );
      const proxyRefusingTest = liveTest.replace(
        "const { status, body } = await get(`${BASE_URL}/health`);\n",
        "const { status, headers, body } = await get(`${BASE_URL}/health`);\n" +
          '    assert.equal(headers["x-release-slot"], undefined, "served through the proxy");\n',
      );
      expect(proxyRefusingTest).not.toBe(liveTest);
      for (const version of ["1.0.0", "2.0.0", "3.0.0"]) {
        const context = path.join(root, `api-${version}`);
        await fs.mkdir(context);
        const lines = [
          "FROM sample-service:base",
          `ENV GIT_REVISION=${version}`,
          `LABEL org.opencontainers.image.revision=${version}`,
        ];
        if (version === "3.0.0") {
          // A failure only the public port shows, as a proxy limit or header would.
          await fs.writeFile(path.join(context, "live.test.mjs"), proxyRefusingTest);
          lines.push("COPY live.test.mjs /app/test/live/live.test.mjs");
        }
        await fs.writeFile(path.join(context, "Dockerfile"), `${lines.join("\n")}\n`);
        await build(["-t", `api:${version}`, context]);
      }

      // The host as `pulumi up` leaves it: the backend network and the release proxy.
      const evaluation = await evaluateStack("testing", readStackFile(root, "testing"));
      const wanted = new Set([
        `${HOST}-prodlike-network`,
        `${HOST}-release-live`,
        `${HOST}-release-nginx`,
        `${HOST}-release-servers`,
        `${HOST}-release-live-api`,
      ]);
      const resources = evaluation.resources.filter((r) => wanted.has(r.name));
      expect(resources).toHaveLength(5);
      await applyPlan({ ...evaluation, resources }, engine);
    }, 600_000);

    afterAll(async () => {
      if (root) await fs.rm(root, { recursive: true, force: true });
    });

    const release = (...argv: string[]): Promise<RunResult> =>
      run(
        "npx",
        [
          "tsx",
          CLI,
          "release",
          "api",
          ...argv,
          "--stack",
          "testing",
          "--root",
          root,
          "--grace",
          "2",
        ],
        {
          cwd: PROJECT_ROOT,
          env: { ...dockerd().env, CI_LOCK_DIR: lockDir, DOCKER_BUILDKIT: "0" },
          timeoutMs: 180_000,
        },
      );
    const served = async (): Promise<{ slot: string; revision: string }> => {
      const response = await httpGet(`http://127.0.0.1:${PUBLIC}/health`);
      expect(response.status).toBe(200);
      return {
        slot: String(response.headers["x-release-slot"]),
        revision: String((JSON.parse(response.body) as { revision: string }).revision),
      };
    };
    const state = async (container: string): Promise<string> =>
      (await dockerd().docker(["inspect", "-f", "{{.State.Status}}", container])).stdout.trim() ||
      "missing";
    const recordedSlot = async (): Promise<string | undefined> =>
      /\n {6}api:\n {8}liveSlot: (\w+)\n/.exec(
        await fs.readFile(path.join(root, "Pulumi.testing.yaml"), "utf8"),
      )?.[1];
    /** Runs `action` while a client polls the public port; the client's report and the action's result. */
    const whilePolling = async <T>(action: () => Promise<T>): Promise<[T, PollReport]> => {
      const poller = startPoller(`http://127.0.0.1:${PUBLIC}/health`);
      try {
        const result = await action();
        return [result, await poller.stop()];
      } finally {
        await poller.stop();
      }
    };

    it("releases the first version into the idle green slot and records it in the stack file", async () => {
      const result = await release("1.0.0");
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain("api 1.0.0 on ci-testing-1: live in the green slot");
      expect(await served()).toEqual({ slot: "green", revision: "1.0.0" });
      expect(await recordedSlot()).toBe("green");
      const ports = await dockerd().dockerOk(["port", GREEN]);
      expect(ports).toBe(`5000/tcp -> 127.0.0.1:${SLOT_PORT.green}`);
    });

    it("switches to a new version with no failed request from a client polling through the switch", async () => {
      const [result, report] = await whilePolling(() => release("2.0.0"));
      expect(result.code, result.stdout + result.stderr).toBe(0);
      console.info(
        `release 2.0.0: ${report.requests} requests in ${report.seconds.toFixed(1)} s while switching, ${report.failed} failed`,
      );
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.requests).toBeGreaterThan(50);
      expect(report.revisions).toEqual(["1.0.0", "2.0.0"]);
      expect(await served()).toEqual({ slot: "blue", revision: "2.0.0" });
      // The health dashboard's probe says which slot answered.
      const probe = classify(
        { service: "api", url: `http://127.0.0.1:${PUBLIC}/health` },
        await probeOnce(`http://127.0.0.1:${PUBLIC}/health`, 3_000),
      );
      expect([probe.status, probe.detail]).toEqual(["up", "HTTP 200 from blue"]);
      // The old slot is stopped after the grace period and kept for a rollback.
      expect(await state(GREEN)).toBe("exited");
      expect(await recordedSlot()).toBe("blue");
    });

    it("rolls back to the previous release in seconds, without a failed request", async () => {
      const started = Date.now();
      const [result, report] = await whilePolling(() => release("--rollback"));
      const seconds = (Date.now() - started) / 1000;
      expect(result.code, result.stdout + result.stderr).toBe(0);
      // From the command's start to the first answer from the previous release.
      const toLive = ((report.firstSeenAt["1.0.0"] ?? Infinity) - started) / 1000;
      console.info(
        `rollback: previous release live ${toLive.toFixed(1)} s after the command started; command done in ${seconds.toFixed(1)} s (grace 2 s included); ${report.requests} requests, ${report.failed} failed`,
      );
      expect(report.failed).toBe(0);
      expect(report.revisions).toEqual(["2.0.0", "1.0.0"]);
      expect(toLive).toBeLessThan(15);
      expect(await served()).toEqual({ slot: "green", revision: "1.0.0" });
      expect(await state(BLUE)).toBe("exited");
      expect(await recordedSlot()).toBe("green");
    });

    it("ends with the old version live and the failed slot gone when the post-tests fail", async () => {
      const [result, report] = await whilePolling(() => release("3.0.0"));
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        "the post-tests failed through 127.0.0.1:5060: switching back",
      );
      expect(result.stdout).toContain(`removing ${BLUE}`);
      expect(result.stdout).toContain("api 3.0.0 on ci-testing-1 failed after");
      expect(report.failed).toBe(0);
      expect(await served()).toEqual({ slot: "green", revision: "1.0.0" });
      expect(await state(BLUE)).toBe("missing");
      expect(await state(GREEN)).toBe("running");
      expect(await recordedSlot()).toBe("green");
      expect(await fs.readdir(lockDir)).not.toContain("testing-api.lease");
    });

    it("refuses a rollback when the idle slot holds no previous release", async () => {
      const result = await release("--rollback");
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain(
        "the idle blue slot is empty: no previous release to roll back to; release an earlier version instead",
      );
      expect(await served()).toEqual({ slot: "green", revision: "1.0.0" });
    });
  },
);
