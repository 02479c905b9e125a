/**
 * The Jenkins pipeline's scripts (`components/jenkins/pipeline/`) run for real against a private
 * dockerd: the testing stack's CI host as the program declares it (dev-minimal datastores on the
 * host network, the production-like network with its nodes and dnsmasq resolver), the images the
 * pipeline needs (a node base image with npm, the networkholder with redir), a local bare git
 * repository of `examples/sample-service`, and a runner for the scripts with the env Jenkins gives.
 *
 * This module does not import vitest, so `tools/pipeline-bench.ts` uses it too.
 */
import { spawn } from "node:child_process";
import { promises as fs, realpathSync } from "node:fs";
import * as path from "node:path";
import { SERVICE_CATALOG, type DatastoreEntry } from "../../components/catalog/catalog";
import { editedStackConfig, evaluateStack, PROJECT_ROOT, withSecrets } from "../mocks";
import { buildDatastoreStandIn } from "./datastore-images";
import { applyPlan } from "./apply-plan";
import type { PrivateDockerd } from "./dockerd";
import { buildDnsmasqImage, buildNginxImage, buildRedirImage, buildRootfsImage } from "./images";
import { runOk, which } from "./process";
import { freeLoopbackPorts } from "./net";
import { RELEASE_PROXY_IMAGE } from "../../components/release/ReleaseProxy";
import { releaseProxyContainerName } from "../../components/docker/docker-render";
import {
  PROXY_CONTAINER_LAYOUT,
  renderReleaseProxyConf,
} from "../../components/release/release-render";
import type { SlotPorts } from "../../components/model/slots";
import { JENKINS_BUILD_VARIABLES, pipelineEnvRecord } from "../../components/jenkins/pipeline-env";

export const PIPELINE_DIR = path.join(PROJECT_ROOT, "components/jenkins/pipeline");
export const SAMPLE_SERVICE_DIR = path.join(PROJECT_ROOT, "examples/sample-service");
export const SAMPLE_SERVICE = "sample-service";

/** The testing stack's CI host, as `Pulumi.testing.yaml` declares it. */
export const CI_HOST = "ci-testing-1";
export const STACK = "testing";
export const BACKEND_NETWORK = "testing-backend";
export const RESOLVER_IP = "172.18.0.2";
export const SEARCH_DOMAIN = "us-east-1.example.com";

/** node + npm on busybox: the sample service's BASE_IMAGE (npm is what `slim` must not have). */
export const NODE_BASE_IMAGE = "ci-platform-test/node:20";
/** The networkholder image under the name the scripts default to. */
export const NETWORKHOLDER_IMAGE = "ci-platform/networkholder:1";

/** Dev-minimal datastores: the stand-in images the program's containers run, and their ports. */
const DATASTORES = SERVICE_CATALOG.filter((e): e is DatastoreEntry => e.kind === "datastore");
/** The ports the sample service's pipeline forwards in step 4. */
export const SAMPLE_DEV_PORTS = [27017, 6379] as const;

export interface PipelineEstate {
  /** Production-like node name -> the IP the program declared for it. */
  readonly nodeIps: ReadonlyMap<string, string>;
  /** Names of the containers the plan created (dev-minimal, nodes, resolver). */
  readonly containers: readonly string[];
  /** Wall-clock seconds of each setup part. */
  readonly seconds: Readonly<Record<"images" | "plan", number>>;
}

/** The release proxy's container on the testing CI host, as the program names it. */
export const PROXY_CONTAINER = releaseProxyContainerName(STACK);

/** Where the sample service is published: the proxy's public port and the two slots' ports. */
export interface SamplePorts {
  readonly hostPort: number;
  readonly slotPorts: SlotPorts;
}

/** Three free loopback ports for the sample service's public port and slots. */
export async function freeSamplePorts(): Promise<SamplePorts> {
  const [hostPort, blue, green] = await freeLoopbackPorts(3);
  return { hostPort: hostPort!, slotPorts: { blue: blue!, green: green! } };
}

/**
 * Builds the images and applies the testing stack's containers, networks and volumes, and its
 * release proxy with the sample service as its one service (the catalog's services are not built
 * here). Other host commands and Jenkins' installation are left out: they would act on this machine.
 */
export async function setUpPipelineEstate(
  dockerd: PrivateDockerd,
  sample: SamplePorts,
): Promise<PipelineEstate> {
  const started = Date.now();
  await Promise.all([
    ...DATASTORES.map((d) => buildDatastoreStandIn(dockerd, d)),
    buildDnsmasqImage(dockerd, "dockurr/dnsmasq:2.91"),
    buildRedirImage(dockerd, NETWORKHOLDER_IMAGE),
    buildNodeBaseImage(dockerd, NODE_BASE_IMAGE),
    buildNginxImage(dockerd, RELEASE_PROXY_IMAGE),
  ]);
  const images = (Date.now() - started) / 1000;

  const config = editedStackConfig(STACK, (doc) => {
    const hosts = doc.config["ci-platform:ciHosts"] as Record<string, Record<string, unknown>>;
    const host = hosts[CI_HOST];
    if (!host) throw new Error(`Pulumi.${STACK}.yaml has no ciHosts.${CI_HOST}`);
    host["dockerHost"] = dockerd.host;
    host["pullImages"] = false;
  });
  // Secrets revealed so postgres gets the password its image requires.
  const evaluation = await evaluateStack(
    STACK,
    withSecrets(config, { datastorePassword: "dev-password", jenkinsAdminPassword: "admin" }),
    { revealSecrets: true },
  );
  const sampleProxyConf = renderReleaseProxyConf(PROXY_CONTAINER_LAYOUT, [
    { name: SAMPLE_SERVICE, ...sample },
  ]);
  const wanted = evaluation.resources
    .filter(
      (r) =>
        r.type === "docker:index/network:Network" ||
        r.type === "docker:index/volume:Volume" ||
        (r.type === "docker:index/container:Container" &&
          (r.name.startsWith(`${CI_HOST}-dev-`) ||
            r.name.startsWith(`${CI_HOST}-prodlike-`) ||
            r.name === `${CI_HOST}-release-nginx`)) ||
        r.name === `${CI_HOST}-release-live-api`,
    )
    .map((r) =>
      r.name === `${CI_HOST}-release-nginx`
        ? {
            ...r,
            inputs: {
              ...r.inputs,
              uploads: [{ file: PROXY_CONTAINER_LAYOUT.conf, content: sampleProxyConf }],
            },
          }
        : r,
    );
  const applied = await applyPlan({ ...evaluation, resources: wanted }, dockerd);
  const nodeIps = new Map<string, string>();
  for (const r of wanted) {
    const hostname = r.inputs["hostname"];
    const networks = r.inputs["networksAdvanced"] as { ipv4Address?: string }[] | undefined;
    const ip = networks?.[0]?.ipv4Address;
    if (typeof hostname === "string" && ip) nodeIps.set(hostname, ip);
  }
  return {
    nodeIps,
    containers: applied.containers,
    seconds: { images, plan: (Date.now() - started) / 1000 - images },
  };
}

/**
 * node (the host's binary and its libraries) on busybox, plus the host's npm laid out like the
 * official node image (`/usr/local/lib/node_modules/npm`, `/usr/local/bin/npm`).
 */
export async function buildNodeBaseImage(dockerd: PrivateDockerd, tag: string): Promise<void> {
  const runtime = `${tag}-runtime`;
  await buildRootfsImage(dockerd, {
    tag: runtime,
    binaries: ["node"],
    changes: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  });
  // The host's node may live anywhere (the test command may bring its own); the image has it
  // where the official image does.
  const hostNode = realpathSync(which("node"));
  const linkNode =
    hostNode === "/usr/local/bin/node" ? "" : ` && ln -s ${hostNode} /usr/local/bin/node`;
  const npmCli = realpathSync(which("npm"));
  const npmDir = path.dirname(path.dirname(npmCli)); // <prefix>/lib/node_modules/npm/bin/npm-cli.js
  const context = await fs.mkdtemp(path.join(dockerd.dir, "work", "node-base-"));
  try {
    await fs.cp(npmDir, path.join(context, "npm"), { recursive: true });
    await fs.writeFile(
      path.join(context, "Dockerfile"),
      [
        `FROM ${runtime}`,
        "COPY npm /usr/local/lib/node_modules/npm",
        "RUN mkdir -p /usr/bin /usr/local/bin && ln -s /bin/env /usr/bin/env" +
          linkNode +
          " && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm" +
          " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx" +
          " && npm --version",
        "",
      ].join("\n"),
    );
    await dockerd.dockerOk(["build", "-q", "-t", tag, context], { timeoutMs: 300_000 });
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
}

/** A bare repository holding the sample service, and a work tree to commit to it from. */
export interface ServiceRepo {
  /** The bare repository: the pipeline's GIT_URL. */
  readonly url: string;
  /** Applies `edit` to the work tree of `branch`, commits and pushes; resolves to the revision. */
  commit(
    message: string,
    edit: (workTree: string) => Promise<void>,
    branch?: string,
  ): Promise<string>;
  /** Creates `branch` at the head of `from` and pushes it. */
  branch(name: string, from?: string): Promise<void>;
  /** The revision at the head of `branch`. @default branch "main" */
  revision(branch?: string): Promise<string>;
}

const GIT_ENV = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "CI Tester",
  GIT_AUTHOR_EMAIL: "ci-tester@example.com",
  GIT_COMMITTER_NAME: "CI Tester",
  GIT_COMMITTER_EMAIL: "ci-tester@example.com",
};

/** Creates `<dir>/origin.git` with one commit on `main`: the sample service as it is in this repo. */
export async function createServiceRepo(dir: string): Promise<ServiceRepo> {
  const bare = path.join(dir, "origin.git");
  const work = path.join(dir, "author");
  const git = (args: string[]): Promise<string> =>
    runOk("git", args, { cwd: work, env: GIT_ENV, timeoutMs: 30_000 }).then((out) => out.trim());
  await runOk("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare], {
    env: GIT_ENV,
  });
  await fs.mkdir(work, { recursive: true });
  await git(["init", "--quiet", "--initial-branch=main"]);
  await git(["remote", "add", "origin", bare]);
  await fs.cp(SAMPLE_SERVICE_DIR, work, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}node_modules`),
  });
  await git(["add", "--all"]);
  await git(["commit", "--quiet", "-m", "Sample service"]);
  await git(["push", "--quiet", "origin", "main"]);

  return {
    url: bare,
    async commit(message, edit, branch = "main") {
      await git(["checkout", "--quiet", branch]);
      await edit(work);
      await git(["add", "--all"]);
      await git(["commit", "--quiet", "-m", message]);
      await git(["push", "--quiet", "origin", branch]);
      return git(["rev-parse", "HEAD"]);
    },
    async branch(name, from = "main") {
      await git(["branch", name, from]);
      await git(["push", "--quiet", "origin", name]);
    },
    revision(branch = "main") {
      return git(["rev-parse", branch]);
    },
  };
}

/** Replaces `search` (which must occur) in a file of the work tree. */
export async function editFile(
  workTree: string,
  file: string,
  search: string,
  replacement: string,
): Promise<void> {
  const target = path.join(workTree, file);
  const text = await fs.readFile(target, "utf8");
  if (!text.includes(search)) throw new Error(`${file} does not contain ${JSON.stringify(search)}`);
  await fs.writeFile(target, text.replace(search, replacement));
}

export interface BuildEnvOptions {
  readonly dockerd: PrivateDockerd;
  readonly repo: ServiceRepo;
  readonly buildNumber: number;
  /** The build's checkout dir. */
  readonly workspace: string;
  readonly ports: SamplePorts;
  /** Shared by all builds of a run: the deploy lease lives here. */
  readonly lockDir: string;
  /** @default "main" */
  readonly branch?: string;
  /** Extra or overriding variables (PUBLISH, REGISTRY, ...). @default none */
  readonly extra?: Readonly<Record<string, string>>;
}

/** The sample service deploys with the limits the catalog gives an app (it is not a catalog app). */
export const SAMPLE_LIMITS = (() => {
  const app = SERVICE_CATALOG.find((e) => e.kind === "app")!;
  return { memory: `${app.memoryMb}m`, cpus: app.cpus, pidsLimit: app.pidsLimit };
})();

/**
 * What Jenkins' environment gives every step of one build: the contract's variables for the sample
 * service on the testing host (`pipelineEnv`, as the Jenkinsfile renderer builds them), what
 * Jenkins sets itself (BUILD_NUMBER, WORKSPACE), and this run's engine, lock dir and short bounds.
 */
export function buildEnv(o: BuildEnvOptions): Record<string, string> {
  const contract = pipelineEnvRecord({
    kind: "build",
    service: {
      service: SAMPLE_SERVICE,
      appHostPort: o.ports.hostPort,
      slotPorts: o.ports.slotPorts,
      memory: SAMPLE_LIMITS.memory,
      cpus: SAMPLE_LIMITS.cpus,
      pidsLimit: SAMPLE_LIMITS.pidsLimit,
    },
    host: {
      stack: STACK,
      backendNetwork: BACKEND_NETWORK,
      resolverIp: RESOLVER_IP,
      searchDomain: SEARCH_DOMAIN,
      proxyContainer: PROXY_CONTAINER,
    },
    gitUrl: o.repo.url,
    gitBranch: o.branch ?? "main",
    devPorts: SAMPLE_DEV_PORTS,
    baseImage: NODE_BASE_IMAGE,
    networkholderImage: NETWORKHOLDER_IMAGE,
    pipelineDir: PIPELINE_DIR,
  });
  const jenkins: Record<(typeof JENKINS_BUILD_VARIABLES)[number], string> = {
    BUILD_NUMBER: String(o.buildNumber),
    WORKSPACE: o.workspace,
  };
  return {
    ...o.dockerd.env,
    DOCKER_BUILDKIT: "0",
    ...contract,
    ...jenkins,
    RELEASE_GRACE: "1",
    CI_LOCK_DIR: o.lockDir,
    HEALTH_TIMEOUT: "30",
    ...o.extra,
  };
}

export interface ScriptRun {
  readonly code: number;
  /** stdout and stderr interleaved as they arrived. */
  readonly output: string;
  readonly seconds: number;
}

/**
 * Runs one pipeline script (`run-all.sh`, `05-deploy.sh`, ...) with exactly `env` (plus PATH and
 * HOME), bounded by `timeoutMs`. Never rejects on a non-zero exit.
 */
export function runScript(
  script: string,
  env: Readonly<Record<string, string>>,
  timeoutMs = 180_000,
): Promise<ScriptRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(PIPELINE_DIR, script)], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a timeout kills docker CLIs it started too
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => chunks.push(b));
    child.stderr.on("data", (b: Buffer) => chunks.push(b));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString("utf8");
      resolve({
        code: code ?? -1,
        output: signal ? `${output}\n[killed by ${signal} after ${timeoutMs} ms]` : output,
        seconds: (Date.now() - started) / 1000,
      });
    });
  });
}

/** One line of `$WORKSPACE/.ci-platform/timings.tsv`. */
export interface Timing {
  readonly step: string;
  readonly what: string;
  readonly seconds: number;
  /** When it ended, epoch milliseconds. */
  readonly endedAt: number;
}

export async function readTimings(workspace: string): Promise<Timing[]> {
  const text = await fs
    .readFile(path.join(workspace, ".ci-platform", "timings.tsv"), "utf8")
    .catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [step = "", what = "", micros = "0", ended = "0"] = line.split("\t");
      return { step, what, seconds: Number(micros) / 1e6, endedAt: Number(ended) / 1000 };
    });
}

/** Names of every container (running or not) that carries `buildId` (`sample-service-7`). */
export async function containersOfBuild(
  dockerd: PrivateDockerd,
  buildId: string,
): Promise<string[]> {
  const all = await dockerd.dockerOk([
    "ps",
    "-a",
    "--format",
    '{{.Names}} {{.Label "ci-platform.build-id"}}',
  ]);
  return all
    .split("\n")
    .map((line) => line.trim().split(" "))
    .filter(([name, label]) => label === buildId || (name ?? "").includes(`-${buildId}-`))
    .map(([name]) => name ?? "");
}

export { freeLoopbackPort } from "./net";
