/**
 * The private registry's rendered files, run for real: Debian's docker-registry behind nginx on
 * 127.0.0.1 (see `test/harness/registry.ts`), driven with skopeo, openssl and plain HTTP(S)
 * requests. No Docker engine is needed: test images are OCI layouts written by the harness.
 */
import { promises as fs } from "node:fs";
import { request } from "node:https";
import * as path from "node:path";
import { REGISTRY_DEFAULTS } from "../../components/config/validate";
import { describe, expect, it } from "vitest";
import {
  httpGet,
  readAccessLog,
  registryRequest,
  setMaintenance,
  tlsHandshake,
  type RegistryStack,
} from "../harness/registry";
import {
  blobDigestViaNginx,
  expectOk,
  inspectDigest,
  ociManifestDigest,
  pullImage,
  pushImage,
} from "../harness/registry-images";
import { useRegistryStack } from "../harness/use-registry-stack";

const API_VERSION = "registry/2.0";
const HSTS = "max-age=31536000; includeSubDomains";

describe("private registry behind nginx, run for real", { timeout: 120_000 }, () => {
  const { stack, image, scratch } = useRegistryStack();

  it("passes nginx -t with the rendered config and real certificate paths", async () => {
    const result = await stack().checkNginxConfig();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("syntax is ok");
    expect(result.stderr).toContain("test is successful");
    const conf = await fs.readFile(stack().nginxConfPath, "utf8");
    expect(conf).toContain(`ssl_certificate ${path.join(stack().dir, "tls", "registry.crt")};`);
  });

  it("answers /v2/ without credentials with 401, a Basic challenge and the API version", async () => {
    const res = await registryRequest(stack(), "/v2/");
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Basic realm=/);
    expect(res.headers["docker-distribution-api-version"]).toBe(API_VERSION);
  });

  it("answers /v2/ with a wrong password with 401", async () => {
    const res = await registryRequest(stack(), "/v2/", {
      auth: { user: stack().user, password: `${stack().password}-wrong` },
    });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Basic /);
  });

  it("answers /v2/ with the right password with 200 from the registry", async () => {
    const res = await registryRequest(stack(), "/v2/", { auth: "stack" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("{}");
    expect(res.headers["docker-distribution-api-version"]).toBe(API_VERSION);
  });

  it("sends HSTS and no nginx version on every answer", async () => {
    const answers = {
      unauthenticated: await registryRequest(stack(), "/v2/"),
      authenticated: await registryRequest(stack(), "/v2/", { auth: "stack" }),
      "unknown tag": await registryRequest(stack(), "/v2/nothing/manifests/none", {
        auth: "stack",
      }),
      "outside /v2/": await registryRequest(stack(), "/"),
    };
    expect(Object.values(answers).map((r) => r.status)).toEqual([401, 200, 404, 404]);
    for (const [what, res] of Object.entries(answers)) {
      expect(res.headers["strict-transport-security"], what).toBe(HSTS);
      expect(res.headers["server"] ?? "", what).not.toMatch(/\d/);
      expect(res.body, what).not.toMatch(/nginx\/\d/);
    }
  });

  it("refuses a TLS 1.1 handshake while the same client completes TLS 1.2 and 1.3", async () => {
    const tls11 = await tlsHandshake(stack(), "tls1_1");
    expect(tls11.code).not.toBe(0);
    // The server's protocol_version alert (70), not the client declining to offer TLS 1.1.
    expect(tls11.stderr).toMatch(/alert protocol version/);
    expect(tls11.stderr).not.toContain("CONNECTION ESTABLISHED");
    for (const [version, name] of [
      ["tls1_2", "TLSv1.2"],
      ["tls1_3", "TLSv1.3"],
    ] as const) {
      const ok = await tlsHandshake(stack(), version);
      expect(ok.code, `${version}: ${ok.stderr}`).toBe(0);
      expect(ok.stderr).toContain(`Protocol version: ${name}\n`);
      expect(ok.stderr).toContain("Verification: OK");
    }
  });

  it("redirects plain HTTP sent to the TLS port to https instead of serving it", async () => {
    const res = await httpGet(`http://${stack().host}/v2/_catalog`);
    expect(res.status).toBe(301);
    expect(res.headers["location"]).toBe(`https://${stack().host}/v2/_catalog`);
    expect(res.body).not.toContain("repositories");
  });

  it("pushes an image through nginx and pulls it back with the same manifest digest", async () => {
    const img = await image({ sizeBytes: 2 << 20, layers: 2 });
    const target = { repo: "ci/push-pull", tag: "v1" };
    expectOk(await pushImage(stack(), img, target), "push");
    expect(await inspectDigest(stack(), target)).toBe(img.manifestDigest);
    const tags = await registryRequest(stack(), "/v2/ci/push-pull/tags/list", { auth: "stack" });
    expect(JSON.parse(tags.body)).toEqual({ name: "ci/push-pull", tags: ["v1"] });

    const pulled = scratch("pulled");
    expectOk(await pullImage(stack(), target, pulled), "pull");
    expect(await ociManifestDigest(pulled, "v1")).toBe(img.manifestDigest);
    for (const digest of img.layerDigests) {
      const blob = await fs.readFile(path.join(pulled, "blobs", "sha256", digest.slice(7)));
      expect(blob.length).toBeGreaterThan(0);
    }
  });

  it("keeps pushed images across a restart of the registry process", async () => {
    const img = await image({ sizeBytes: 1 << 20 });
    const target = { repo: "ci/restart", tag: "v1" };
    expectOk(await pushImage(stack(), img, target), "push");
    expect(await inspectDigest(stack(), target)).toBe(img.manifestDigest);

    await stack().restartRegistry();

    expect(await inspectDigest(stack(), target)).toBe(img.manifestDigest);
    const pulled = scratch("after-restart");
    expectOk(await pullImage(stack(), target, pulled), "pull after restart");
    expect(await ociManifestDigest(pulled, "v1")).toBe(img.manifestDigest);
  });

  it("lands two concurrent pushes of different images intact", async () => {
    const [a, b] = await Promise.all([
      image({ sizeBytes: 8 << 20, layers: 3 }),
      image({ sizeBytes: 8 << 20, layers: 3 }),
    ]);
    const pushes = [
      { img: a, target: { repo: "ci/concurrent-a", tag: "v1" } },
      { img: b, target: { repo: "ci/concurrent-b", tag: "v1" } },
    ];
    const results = await Promise.all(pushes.map((p) => pushImage(stack(), p.img, p.target)));
    results.forEach((r, i) => expectOk(r, `push ${i}`));
    for (const { img, target } of pushes) {
      expect(await inspectDigest(stack(), target)).toBe(img.manifestDigest);
      for (const digest of [img.configDigest, ...img.layerDigests]) {
        expect(await blobDigestViaNginx(stack(), target.repo, digest)).toBe(digest);
      }
    }
  });

  it("lets a parallel push of 16 layers through the default rate limit without a 429", async () => {
    expect(stack().rateLimit).toEqual(REGISTRY_DEFAULTS.rateLimit);
    const img = await image({ sizeBytes: 16 * (64 << 10), layers: 16 });
    const before = (await readAccessLog(stack())).length;
    expectOk(await pushImage(stack(), img, { repo: "ci/many-layers", tag: "v1" }), "push");
    const during = (await readAccessLog(stack())).slice(before);
    // Several requests per layer, in a second or two: far over 20 r/s without the burst.
    expect(during.length).toBeGreaterThan(3 * 16);
    expect(during.filter((e) => e.status === 429)).toEqual([]);
    expect(await inspectDigest(stack(), { repo: "ci/many-layers", tag: "v1" })).toBe(
      img.manifestDigest,
    );
  });

  it("refuses writes with 405 during maintenance, keeps serving pulls, and accepts writes after", async () => {
    const stored = await image({ sizeBytes: 1 << 20 });
    const storedTarget = { repo: "ci/maintenance-stored", tag: "v1" };
    expectOk(await pushImage(stack(), stored, storedTarget), "push before maintenance");
    const blocked = await image({ sizeBytes: 1 << 20 });
    const blockedTarget = { repo: "ci/maintenance-blocked", tag: "v1" };

    await setMaintenance(stack(), true);
    try {
      const push = await pushImage(stack(), blocked, blockedTarget);
      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(/StatusCode: 405/);
      const post = await registryRequest(stack(), "/v2/ci/maintenance-blocked/blobs/uploads/", {
        method: "POST",
        auth: "stack",
      });
      expect(post.status).toBe(405);

      expect(await inspectDigest(stack(), storedTarget)).toBe(stored.manifestDigest);
      const pulled = scratch("during-maintenance");
      expectOk(await pullImage(stack(), storedTarget, pulled), "pull during maintenance");
      expect(await ociManifestDigest(pulled, "v1")).toBe(stored.manifestDigest);
    } finally {
      await setMaintenance(stack(), false);
    }

    expectOk(await pushImage(stack(), blocked, blockedTarget), "push after maintenance");
    expect(await inspectDigest(stack(), blockedTarget)).toBe(blocked.manifestDigest);
  });

  // With HTTP/1.0 to the registry nginx would buffer a chunked request body (the docker CLI
  // uploads layers chunked) to a temp file despite `proxy_request_buffering off`.
  it("streams a chunked layer upload to the registry without buffering it", async () => {
    const started = await registryRequest(stack(), "/v2/ci/chunked/blobs/uploads/", {
      method: "POST",
      auth: "stack",
    });
    expect(started.status).toBe(202);
    const location = String(started.headers["location"]);
    const status = await chunkedPatch(stack(), location, 4 << 20);
    expect(status).toBe(202);
    const errorLog = await fs.readFile(stack().errorLog, "utf8");
    expect(errorLog).not.toContain("a client request body is buffered to a temporary file");
  });
});

describe("private registry with a tiny rate limit, run for real", { timeout: 120_000 }, () => {
  const { stack } = useRegistryStack({ rateLimit: { requestsPerSecond: 1, burst: 1 } });

  it("answers a burst of concurrent authenticated requests with 429", async () => {
    const statuses = (
      await Promise.all(
        Array.from({ length: 12 }, () => registryRequest(stack(), "/v2/", { auth: "stack" })),
      )
    ).map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(8);
    expect(statuses).toContain(200);
  });
});

/** PATCHes `size` bytes to an upload location with chunked transfer encoding (no length). */
function chunkedPatch(stack: RegistryStack, location: string, size: number): Promise<number> {
  const auth = Buffer.from(`${stack.user}:${stack.password}`).toString("base64");
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(location, stack.url),
      {
        method: "PATCH",
        ca: stack.caCert,
        agent: false,
        timeout: 30_000,
        headers: {
          Authorization: `Basic ${auth}`,
          "Content-Type": "application/octet-stream",
          "Transfer-Encoding": "chunked",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("chunked PATCH timed out")));
    req.on("error", reject);
    const chunk = Buffer.alloc(64 << 10, 7);
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
    req.end();
  });
}
