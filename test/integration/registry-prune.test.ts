/**
 * Retention against a real registry behind nginx: five builds pushed by the push user,
 * `pruneRegistry` as the delete user with N=3 deletes the two oldest through the API and
 * garbage-collects their layers in read-only mode.
 */
import { existsSync, promises as fs } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneRegistry, type RegistryMaintenance } from "../../tools/registry/prune";
import { RegistryApi } from "../../tools/registry/registry-api";
import { runOk } from "../harness/process";
import {
  registryRequest,
  setMaintenance,
  startRegistryStack,
  type RegistryStack,
} from "../harness/registry";
import {
  expectOk,
  inspectDigest,
  makeOciImage,
  pushImage,
  type OciImage,
} from "../harness/registry-images";

/** Maintenance for registry daemons running on this machine (the CLI uses `docker exec` instead). */
function localMaintenance(stack: RegistryStack, calls: string[]): RegistryMaintenance {
  const repositories = join(stack.storageDir, "docker/registry/v2/repositories");
  return {
    setReadOnly: async (on) => {
      calls.push(`readonly ${on}`);
      await setMaintenance(stack, on);
    },
    uploadsInFlight: async () => {
      let count = 0;
      const walk = async (dir: string, depth: number): Promise<void> => {
        if (depth > 8 || !existsSync(dir)) return;
        for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
          if (!entry.isDirectory()) continue;
          if (entry.name !== "_uploads") {
            await walk(join(dir, entry.name), depth + 1);
            continue;
          }
          // An open session has a `startedat` file, as the CLI's find checks too.
          for (const session of await fs.readdir(join(dir, entry.name))) {
            if (existsSync(join(dir, entry.name, session, "startedat"))) count++;
          }
        }
      };
      await walk(repositories, 0);
      return count;
    },
    garbageCollect: async () => {
      calls.push("garbage-collect");
      return runOk("docker-registry", ["garbage-collect", stack.configPath], {
        timeoutMs: 120_000,
      });
    },
  };
}

const blobPath = (stack: RegistryStack, digest: string): string => {
  const hex = digest.replace("sha256:", "");
  return join(stack.storageDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex);
};

describe("registry retention with a real registry behind nginx", { timeout: 120_000 }, () => {
  let stack: RegistryStack;
  const builds = new Map<number, OciImage>();

  beforeAll(async () => {
    stack = await startRegistryStack();
    for (const n of [1, 2, 3, 4, 5]) {
      const image = await makeOciImage(join(stack.dir, "work", `build-${n}`), {
        sizeBytes: 200_000,
        layers: 2,
      });
      builds.set(n, image);
      expectOk(await pushImage(stack, image, { repo: "api", tag: String(n) }), `push api:${n}`);
      expectOk(
        await pushImage(stack, image, { repo: "api", tag: `rev${n}abc` }),
        `push api:rev${n}abc`,
      );
    }
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  // The prune command runs as a delete user (registry.users); the builds were pushed by the push user.
  const api = () =>
    new RegistryApi({
      url: stack.url,
      user: stack.users.delete.user,
      password: stack.users.delete.password,
      ca: stack.caCert,
    });

  it("refuses to garbage-collect while a push is in flight, and leaves the registry writable", async () => {
    const upload = await registryRequest(stack, "/v2/scratch/blobs/uploads/", {
      method: "POST",
      auth: "stack",
    });
    expect(upload.status).toBe(202);
    const calls: string[] = [];
    // A scratch repository with one build more than it keeps, so there is something to collect.
    const extra = await makeOciImage(join(stack.dir, "work", "scratch"), { sizeBytes: 1_000 });
    expectOk(await pushImage(stack, extra, { repo: "scratch", tag: "1" }), "push scratch:1");
    expectOk(
      await pushImage(stack, builds.get(5)!, { repo: "scratch", tag: "2" }),
      "push scratch:2",
    );
    await expect(
      pruneRegistry({
        api: api(),
        maintenance: localMaintenance(stack, calls),
        keep: 1,
        deployed: new Map([["api", new Set(["1", "2", "3", "4", "5"])]]),
        dryRun: false,
        quietTimeoutMs: 1_000,
        log: () => undefined,
      }),
    ).rejects.toThrow(/push\(es\) still in flight after 1000 ms; garbage collection not started/);
    expect(calls).toEqual([]);
    const location = new URL(String(upload.headers["location"]), stack.url);
    const cancel = await registryRequest(stack, `${location.pathname}${location.search}`, {
      method: "DELETE",
      auth: "stack",
    });
    expect(cancel.status).toBe(204);
  });

  it("fails as a push user, naming the delete role, and deletes nothing", async () => {
    const calls: string[] = [];
    const asPusher = new RegistryApi({
      url: stack.url,
      user: stack.user,
      password: stack.password,
      ca: stack.caCert,
    });
    await expect(
      pruneRegistry({
        api: asPusher,
        maintenance: localMaintenance(stack, calls),
        keep: 3,
        deployed: new Map(),
        dryRun: false,
        log: () => undefined,
      }),
    ).rejects.toThrow(
      `DELETE api@${builds.get(2)!.manifestDigest}: HTTP 403: ${stack.user} may not delete; run as a user with the delete role in registry.users`,
    );
    expect(calls).toEqual([]);
    expect((await api().tags("api")).length).toBe(10);
  });

  it("keeps exactly the three newest builds, the newest still pulls, and their layers survive GC", async () => {
    const calls: string[] = [];
    const report = await pruneRegistry({
      api: api(),
      maintenance: localMaintenance(stack, calls),
      keep: 3,
      deployed: new Map(),
      dryRun: false,
      quietTimeoutMs: 10_000,
      log: () => undefined,
    });
    expect(report.deleted["api"]).toEqual([
      builds.get(2)!.manifestDigest,
      builds.get(1)!.manifestDigest,
    ]);
    expect(report.garbageCollected).toBe(true);
    expect(calls).toEqual(["readonly true", "garbage-collect", "readonly false"]);
    expect((await api().tags("api")).sort()).toEqual([
      "3",
      "4",
      "5",
      "rev3abc",
      "rev4abc",
      "rev5abc",
    ]);
    expect(await inspectDigest(stack, { repo: "api", tag: "5" })).toBe(
      builds.get(5)!.manifestDigest,
    );
    for (const n of [1, 2]) {
      for (const layer of builds.get(n)!.layerDigests)
        expect(existsSync(blobPath(stack, layer)), `build ${n} layer`).toBe(false);
    }
    for (const n of [3, 4, 5]) {
      for (const layer of builds.get(n)!.layerDigests)
        expect(existsSync(blobPath(stack, layer)), `build ${n} layer`).toBe(true);
    }
    // Writable again after maintenance.
    const write = await registryRequest(stack, "/v2/api/blobs/uploads/", {
      method: "POST",
      auth: "stack",
    });
    expect(write.status).toBe(202);
  });
});
