/**
 * Image retention on a CI host (`remove_old_images` in the pipeline's `lib/retention.sh`, which
 * step 6 runs after a deploy passed its live tests) against a private Docker engine: services
 * built and deployed several times, the real shell function run through bash as the step runs it.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildRootfsImage } from "../harness/images";
import { run, which } from "../harness/process";
import { useDockerd } from "../harness/use-dockerd";

const LIB = path.resolve(__dirname, "../../components/jenkins/pipeline/lib.sh");
const BASE = "ci-platform-test/host-images-base:1";

const dockerd = useDockerd();

/** The git revision build `n` of `service` was built from (one per build here). */
const revision = (service: string, n: number): string =>
  createHash("sha1").update(`${service} ${n}`).digest("hex");

/**
 * What step 2 leaves on the host: an image of its own tagged `<service>:<n>` and
 * `<service>:<revision>`, and with `slim`, what step 7 adds: `:<n>-slim` and `:<revision>-slim`.
 */
async function build(service: string, n: number, options: { slim?: boolean } = {}): Promise<void> {
  const variants = options.slim ? ["", "-slim"] : [""];
  for (const variant of variants) {
    await dockerd().dockerOk(
      [
        "build",
        "-q",
        "-t",
        `${service}:${n}${variant}`,
        "-t",
        `${service}:${revision(service, n)}${variant}`,
        "-",
      ],
      { input: `FROM ${BASE}\nLABEL ci-platform.service=${service} build=${n}${variant}\n` },
    );
  }
}

/**
 * Replaces the deployed container of `service` with one of build `n`, as steps 5 and 6 leave it;
 * resolves to the image of the container it replaced, if any.
 */
async function deploy(service: string, n: number): Promise<string[]> {
  const name = `testing-${service}`;
  const previous = await dockerd().docker(["inspect", "-f", "{{.Image}}", name]);
  await dockerd().docker(["rm", "--force", name]);
  await dockerd().dockerOk([
    "run",
    "--detach",
    "--name",
    name,
    "--network",
    "none",
    "--label",
    `ci-platform.service=${service}`,
    `${service}:${n}`,
  ]);
  return previous.code === 0 ? [previous.stdout.trim()] : [];
}

interface Retention {
  readonly code: number;
  readonly output: string;
  readonly ms: number;
}

/**
 * Runs `remove_old_images` as step 6 does after build `n` of `service` passed its live tests,
 * `replaced` being the image of the deployment it replaced.
 */
async function retain(
  service: string,
  n: number,
  env: Readonly<Record<string, string>> = {},
  replaced: readonly string[] = [],
): Promise<Retention> {
  const started = Date.now();
  const r = await run(
    "bash",
    [
      // No ~/.bashrc: bash reads it when stdin is a socket, as Node's pipes are.
      "--norc",
      "-c",
      'set -euo pipefail; source "$1"; shift; remove_old_images "$@"',
      "bash",
      LIB,
      ...replaced,
    ],
    {
      env: {
        ...dockerd().env,
        SERVICE: service,
        BUILD_NUMBER: String(n),
        BUILD_ID: `${service}-${n}`,
        DANGLING_IMAGE_MIN_AGE: "0",
        ...env,
      },
      timeoutMs: 120_000,
    },
  );
  return { code: r.code, output: `${r.stdout}${r.stderr}`, ms: Date.now() - started };
}

/** The tags of `service`'s images on the host, sorted. */
async function tags(service: string): Promise<string[]> {
  const out = await dockerd().dockerOk(["image", "ls", "--format", "{{.Tag}}", service]);
  return out
    .split("\n")
    .filter((t) => t !== "")
    .sort();
}

/** The distinct image ids of `service` on the host. */
async function imageIds(service: string): Promise<Set<string>> {
  const out = await dockerd().dockerOk([
    "image",
    "ls",
    "--no-trunc",
    "--format",
    "{{.ID}}",
    service,
  ]);
  return new Set(out.split("\n").filter((id) => id !== ""));
}

const dangling = async (): Promise<string[]> =>
  (await dockerd().dockerOk(["image", "ls", "-q", "--no-trunc", "--filter", "dangling=true"]))
    .split("\n")
    .filter((id) => id !== "");

/** An image with no tag and no child, as an interrupted or superseded build leaves. */
const danglingImage = (note: string): Promise<string> =>
  dockerd().dockerOk(["build", "-q", "-"], { input: `FROM ${BASE}\nLABEL leftover=${note}\n` });

/** Tags of builds `ns` of `service`, as `tags` lists them. */
const tagsOf = (service: string, ns: readonly number[], slim = false): string[] =>
  ns
    .flatMap((n) => [String(n), revision(service, n)])
    .flatMap((t) => (slim ? [t, `${t}-slim`] : [t]))
    .sort();

describe("image retention on a CI host", () => {
  beforeAll(async () => {
    await buildRootfsImage(dockerd(), { tag: BASE, changes: ['CMD ["sleep", "3600"]'] });
  });

  it("keeps exactly the 3 newest images after 5 deploys, the running one among them", async () => {
    const times: number[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      await build("web", n);
      const replaced = await deploy("web", n);
      if (n === 5) await danglingImage("web-5");
      const r = await retain("web", n, {}, replaced);
      expect(r.code, r.output).toBe(0);
      expect(r.output).not.toContain("WARNING");
      times.push(r.ms);
      expect(await tags("web")).toEqual(
        tagsOf(
          "web",
          [n - 2, n - 1, n].filter((b) => b >= 1),
        ),
      );
    }
    const running = await dockerd().dockerOk(["inspect", "-f", "{{.Image}}", "testing-web"]);
    const remaining = await imageIds("web");
    expect(remaining.size).toBe(3);
    expect(remaining).toContain(running);
    expect(await dangling()).toEqual([]);
    // A second run finds nothing more to remove.
    const last = await retain("web", 5);
    expect(last.output).toContain("3 image(s) of web; keeping the newest 3 build(s)");
    expect(last.output).toContain("removing 0");
    console.log(`retention after each of 5 deploys: ${times.join(", ")} ms`);
  });

  it("logs what it removes, each image by its names, the build number last", async () => {
    await build("logs", 1);
    await build("logs", 2);
    await deploy("logs", 2);
    const r = await retain("logs", 2, { KEEP_IMAGES: "1" });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(
      new RegExp(`\\] removed logs:${revision("logs", 1)} logs:1 \\([0-9a-f]{12}\\)`),
    );
    expect(await tags("logs")).toEqual(tagsOf("logs", [2]));
  });

  it("keeps the image of every container, running or stopped, however old", async () => {
    for (const n of [1, 2, 3, 4, 5]) await build("api", n);
    // Rolled back to build 2; an exited container (another build's, say) still uses build 1.
    await deploy("api", 2);
    await dockerd().dockerOk(["create", "--name", "testing-api-1-unit", "api:1"]);
    let r = await retain("api", 5);
    expect(r.code, r.output).toBe(0);
    expect(await tags("api")).toEqual(tagsOf("api", [1, 2, 3, 4, 5]));

    await dockerd().dockerOk(["rm", "testing-api-1-unit"]);
    r = await retain("api", 5);
    expect(r.code, r.output).toBe(0);
    expect(await tags("api")).toEqual(tagsOf("api", [2, 3, 4, 5]));
    const running = await dockerd().dockerOk(["inspect", "-f", "{{.Image}}", "testing-api"]);
    expect(await imageIds("api")).toContain(running);
  });

  it("keeps the deployment it replaced, the way back, when failed builds since outnumber KEEP_IMAGES", async () => {
    // Build 1 was deployed; 2, 3 and 4 failed their tests; 5 replaced 1.
    for (const n of [1, 2, 3, 4, 5]) await build("back", n);
    const replaced = await dockerd().dockerOk(["image", "inspect", "-f", "{{.Id}}", "back:1"]);
    await deploy("back", 5);
    const r = await retain("back", 5, {}, [replaced]);
    expect(r.code, r.output).toBe(0);
    expect(await tags("back")).toEqual(tagsOf("back", [1, 3, 4, 5]));
  });

  it("keeps the images of builds newer than the one deployed: they are still in flight", async () => {
    for (const n of [1, 2, 3, 4, 5]) await build("queue", n);
    // Build 2 passed its live tests while 3, 4 and 5, with no container right now, wait to deploy.
    await deploy("queue", 2);
    const r = await retain("queue", 2, { KEEP_IMAGES: "1" });
    expect(r.code, r.output).toBe(0);
    expect(await tags("queue")).toEqual(tagsOf("queue", [2, 3, 4, 5]));
  });

  it("keeps and removes a build's -slim image together with the build", async () => {
    for (const n of [1, 2, 3, 4]) await build("lean", n, { slim: true });
    await deploy("lean", 4);
    const r = await retain("lean", 4, { KEEP_IMAGES: "2" });
    expect(r.code, r.output).toBe(0);
    expect(await tags("lean")).toEqual(tagsOf("lean", [3, 4], true));
    expect(await imageIds("lean")).toHaveProperty("size", 4);
  });

  it("leaves dangling images younger than DANGLING_IMAGE_MIN_AGE to the builds in progress", async () => {
    await build("cache", 1);
    await deploy("cache", 1);
    const leftover = await danglingImage("cache-1");
    const r = await retain("cache", 1, { DANGLING_IMAGE_MIN_AGE: "3600" });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("dangling images older than 3600 s: 0 removed");
    expect(await dangling()).toEqual([leftover]);

    const now = await retain("cache", 1, { DANGLING_IMAGE_MIN_AGE: "0" });
    expect(now.output).toMatch(/dangling images: [1-9]\d* removed/);
    expect(await dangling()).toEqual([]);
  });

  it("logs, and does not fail, when Docker refuses to remove an image a container uses", async () => {
    for (const n of [1, 2, 3, 4]) await build("busy", n);
    await deploy("busy", 4);
    await dockerd().dockerOk(["create", "--name", "testing-busy-1-unit", "busy:1"]);
    // A `docker` that lists no container, as if this one had been created after the listing.
    const shim = path.join(dockerd().dir, "work", "shim");
    await fs.mkdir(shim, { recursive: true });
    await fs.writeFile(
      path.join(shim, "docker"),
      `#!/bin/sh\nif [ "$1" = ps ]; then exit 0; fi\nexec ${which("docker")} "$@"\n`,
      { mode: 0o755 },
    );
    const r = await retain("busy", 4, { PATH: `${shim}:${process.env.PATH ?? "/usr/bin:/bin"}` });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(
      new RegExp(
        `WARNING: could not remove busy:${revision("busy", 1)} busy:1 \\([0-9a-f]{12}\\): .*container`,
      ),
    );
    // Only its revision tag went: it keeps its build number, hence its rank.
    expect(await tags("busy")).toEqual([...tagsOf("busy", [2, 3, 4]), "1"].sort());
  });

  it("never fails the build when the engine does not answer", async () => {
    const r = await retain("web", 6, {
      DOCKER_HOST: `unix://${path.join(dockerd().dir, "work", "no-engine.sock")}`,
    });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(
      "WARNING: image retention skipped: could not list the images of web",
    );
  });
});
