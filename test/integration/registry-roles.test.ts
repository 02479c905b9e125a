/**
 * Least privilege at the private registry, run for real: nginx rendered by the program in front of
 * Debian's docker-registry (see `test/harness/registry.ts`), a bcrypt user of each role and one
 * without a role. Every role gets exactly its methods and the others 403, a wrong password is 401
 * whatever the method; TLS takes only ECDHE with AEAD ciphers, with an RSA and an EC certificate;
 * plain HTTP is redirected to the published port.
 */
import { createHash, randomBytes } from "node:crypto";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RegistryRole } from "../../components/config/types";
import { TLS12_CIPHERS } from "../../components/registry/registry-render";
import {
  httpGet,
  httpsGet,
  registryRequest,
  tlsHandshake,
  type RegistryCredentials,
  type RegistryStack,
} from "../harness/registry";
import {
  expectOk,
  inspectDigest,
  makeOciImage,
  pullImage,
  pushImage,
  type OciImage,
} from "../harness/registry-images";
import { useRegistryStack } from "../harness/use-registry-stack";

type Who = RegistryRole | "none";
const WHO: readonly Who[] = ["pull", "push", "delete", "none"];
const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
const DENIED = {
  errors: [{ code: "DENIED", message: "requested access to the resource is denied", detail: null }],
};

/** What one role's requests work on: its own repository, pushed straight to the registry. */
interface Fixture {
  readonly repo: string;
  readonly image: OciImage;
  readonly manifest: Buffer;
}

/** A request straight to the registry (no nginx, no auth), for setting up state. */
async function direct(
  stack: RegistryStack,
  method: string,
  urlPath: string,
  expected: number,
  body?: Buffer,
) {
  const res = await httpGet(`http://${stack.registryAddr}${urlPath}`, {
    method,
    headers: { Accept: MANIFEST_TYPE },
    ...(body ? { body } : {}),
  });
  if (res.status !== expected)
    throw new Error(
      `${method} ${urlPath} straight to the registry: HTTP ${res.status} ${res.body}`,
    );
  return res;
}

/** A fresh upload session in `repo`: its path and query, as the registry's Location names them. */
async function openUpload(stack: RegistryStack, repo: string): Promise<string> {
  const res = await direct(stack, "POST", `/v2/${repo}/blobs/uploads/`, 202);
  const location = new URL(String(res.headers["location"]), `http://${stack.registryAddr}`);
  return `${location.pathname}${location.search}`;
}

interface Row {
  readonly what: string;
  readonly method: string;
  /** The path (and query) to send, set up for this role's fixture. */
  readonly path: (stack: RegistryStack, f: Fixture) => Promise<string>;
  readonly headers?: Record<string, string>;
  readonly body?: (f: Fixture) => Buffer;
}

const blob = randomBytes(64);
const blobDigest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
const fixed = (p: (f: Fixture) => string) => (_s: RegistryStack, f: Fixture) =>
  Promise.resolve(p(f));

/** In order: reads, then writes, then deletes (which destroy the role's fixture). */
const ROWS: readonly Row[] = [
  { what: "ping", method: "GET", path: fixed(() => "/v2/") },
  { what: "catalog", method: "GET", path: fixed(() => "/v2/_catalog") },
  { what: "tag list", method: "GET", path: fixed((f) => `/v2/${f.repo}/tags/list`) },
  {
    what: "manifest HEAD",
    method: "HEAD",
    path: fixed((f) => `/v2/${f.repo}/manifests/1.0`),
    headers: { Accept: MANIFEST_TYPE },
  },
  {
    what: "manifest GET",
    method: "GET",
    path: fixed((f) => `/v2/${f.repo}/manifests/1.0`),
    headers: { Accept: MANIFEST_TYPE },
  },
  {
    what: "blob HEAD",
    method: "HEAD",
    path: fixed((f) => `/v2/${f.repo}/blobs/${f.image.layerDigests[0]}`),
  },
  {
    what: "blob GET",
    method: "GET",
    path: fixed((f) => `/v2/${f.repo}/blobs/${f.image.layerDigests[0]}`),
  },
  { what: "blob upload POST", method: "POST", path: fixed((f) => `/v2/${f.repo}/blobs/uploads/`) },
  {
    what: "blob upload PATCH",
    method: "PATCH",
    path: (s, f) => openUpload(s, f.repo),
    headers: { "Content-Type": "application/octet-stream" },
    body: () => blob,
  },
  {
    what: "blob upload PUT",
    method: "PUT",
    path: async (s, f) => `${await openUpload(s, f.repo)}&digest=${blobDigest}`,
    headers: { "Content-Type": "application/octet-stream" },
    body: () => blob,
  },
  {
    what: "manifest PUT (overwrite 1.0)",
    method: "PUT",
    path: fixed((f) => `/v2/${f.repo}/manifests/1.0`),
    headers: { "Content-Type": MANIFEST_TYPE },
    body: (f) => f.manifest,
  },
  { what: "blob upload DELETE (cancel)", method: "DELETE", path: (s, f) => openUpload(s, f.repo) },
  {
    what: "blob upload DELETE, escaped path",
    method: "DELETE",
    path: async (s, f) =>
      `${await openUpload(s, f.repo)}`.replace(
        /\/uploads\/([^?]+)/,
        "/uploads/$1%2F..%2F..%2Fmanifests%2F1.0",
      ),
  },
  {
    what: "blob DELETE",
    method: "DELETE",
    path: fixed((f) => `/v2/${f.repo}/blobs/${f.image.configDigest}`),
  },
  {
    what: "manifest DELETE",
    method: "DELETE",
    path: fixed((f) => `/v2/${f.repo}/manifests/${f.image.manifestDigest}`),
  },
];

/** Measured on the real daemons: what each role gets. */
const EXPECTED: Readonly<Record<string, Readonly<Record<Who, number>>>> = {
  ping: { pull: 200, push: 200, delete: 200, none: 403 },
  catalog: { pull: 200, push: 200, delete: 200, none: 403 },
  "tag list": { pull: 200, push: 200, delete: 200, none: 403 },
  "manifest HEAD": { pull: 200, push: 200, delete: 200, none: 403 },
  "manifest GET": { pull: 200, push: 200, delete: 200, none: 403 },
  "blob HEAD": { pull: 200, push: 200, delete: 200, none: 403 },
  "blob GET": { pull: 200, push: 200, delete: 200, none: 403 },
  "blob upload POST": { pull: 403, push: 202, delete: 403, none: 403 },
  "blob upload PATCH": { pull: 403, push: 202, delete: 403, none: 403 },
  "blob upload PUT": { pull: 403, push: 201, delete: 403, none: 403 },
  "manifest PUT (overwrite 1.0)": { pull: 403, push: 201, delete: 403, none: 403 },
  "blob upload DELETE (cancel)": { pull: 403, push: 204, delete: 204, none: 403 },
  // The registry decodes and cleans the path and redirects to the manifest (301); the push
  // user's one DELETE rule reads the raw URI, so the escaped form never reaches the registry.
  "blob upload DELETE, escaped path": { pull: 403, push: 403, delete: 301, none: 403 },
  "blob DELETE": { pull: 403, push: 403, delete: 202, none: 403 },
  "manifest DELETE": { pull: 403, push: 403, delete: 202, none: 403 },
};

describe("registry roles behind the rendered nginx, run for real", { timeout: 180_000 }, () => {
  const stack = useRegistryStack().stack;
  const fixtures = new Map<Who, Fixture>();

  beforeAll(async () => {
    for (const who of WHO) {
      const repo = `roles/${who}`;
      const image = await makeOciImage(path.join(stack().dir, "work", who), { sizeBytes: 4096 });
      expectOk(await pushImage(stack(), image, { repo, tag: "1.0", route: "direct" }), "push");
      const manifest = await direct(stack(), "GET", `/v2/${repo}/manifests/1.0`, 200);
      fixtures.set(who, { repo, image, manifest: Buffer.from(manifest.body) });
    }
  }, 120_000);

  const send = async (who: Who, row: Row, as: RegistryCredentials) => {
    const f = fixtures.get(who)!;
    return registryRequest(stack(), await row.path(stack(), f), {
      method: row.method,
      auth: as,
      ...(row.headers ? { headers: row.headers } : {}),
      ...(row.body ? { body: row.body(f) } : {}),
    });
  };

  it("answers a wrong password with 401 for every method and path, for every user", async () => {
    const statuses: Record<string, number[]> = {};
    for (const row of ROWS) {
      statuses[row.what] = [];
      for (const who of WHO) {
        const { user, password } = stack().users[who];
        const res = await send(who, row, { user, password: `${password}x` });
        statuses[row.what]!.push(res.status);
        if (res.status === 401) expect(res.headers["www-authenticate"]).toMatch(/^Basic /);
      }
    }
    expect(statuses).toEqual(Object.fromEntries(ROWS.map((r) => [r.what, [401, 401, 401, 401]])));
  });

  it.each(WHO)(
    "gives the %s user exactly its role's methods, and 403 with a registry error otherwise",
    async (who) => {
      const measured: Record<string, number> = {};
      for (const row of ROWS) {
        const res = await send(who, row, stack().users[who]);
        measured[row.what] = res.status;
        if (res.status === 403) {
          expect(res.headers["content-type"], row.what).toBe("application/json");
          expect(res.headers["docker-distribution-api-version"], row.what).toBe("registry/2.0");
          expect(res.headers["strict-transport-security"], row.what).toMatch(/^max-age=/);
          if (row.method !== "HEAD") expect(JSON.parse(res.body), row.what).toEqual(DENIED);
        }
      }
      expect(measured).toEqual(
        Object.fromEntries(ROWS.map((r) => [r.what, EXPECTED[r.what]![who]])),
      );
    },
  );

  it("lets the push user push with skopeo, and refuses the pull user's push with 403", async () => {
    const image = await makeOciImage(path.join(stack().dir, "work", "skopeo"), {
      sizeBytes: 8192,
      layers: 2,
    });
    const refused = await pushImage(stack(), image, {
      repo: "roles/skopeo",
      tag: "1",
      as: stack().users.pull,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/denied|403/i);
    expectOk(
      await pushImage(stack(), image, { repo: "roles/skopeo", tag: "1", as: stack().users.push }),
      "push",
    );
    expect(await inspectDigest(stack(), { repo: "roles/skopeo", tag: "1" })).toBe(
      image.manifestDigest,
    );
    const pulled = path.join(stack().dir, "work", "pulled");
    expectOk(
      await pullImage(stack(), { repo: "roles/skopeo", tag: "1", as: stack().users.pull }, pulled),
      "pull as the pull user",
    );
  });
});

/** `openssl s_client` results: refused means no handshake and the server's alert. */
async function handshake(stack: RegistryStack, cipher: string) {
  const r = await tlsHandshake(stack, "tls1_2", { cipher });
  const suite = /Ciphersuite: (\S+)/.exec(r.stderr)?.[1];
  return r.code === 0 && r.stderr.includes("CONNECTION ESTABLISHED") ? (suite ?? "?") : "refused";
}

describe.each([
  {
    key: "rsa" as const,
    refused: [
      "ECDHE-RSA-AES128-SHA",
      "ECDHE-RSA-AES256-SHA384",
      "AES128-GCM-SHA256",
      "AES256-GCM-SHA384",
      "AES128-SHA",
      "AES256-SHA256",
    ],
    accepted: [
      "ECDHE-RSA-AES128-GCM-SHA256",
      "ECDHE-RSA-AES256-GCM-SHA384",
      "ECDHE-RSA-CHACHA20-POLY1305",
    ],
  },
  {
    key: "ec" as const,
    refused: ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256"],
    accepted: [
      "ECDHE-ECDSA-AES128-GCM-SHA256",
      "ECDHE-ECDSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-CHACHA20-POLY1305",
    ],
  },
])(
  "TLS of the rendered nginx with an $key certificate, run for real",
  ({ key, refused, accepted }) => {
    const stack = useRegistryStack({ keyType: key, publish: true }).stack;

    it(
      "refuses CBC and static-RSA suites and accepts ECDHE with AEAD ciphers",
      { timeout: 60_000 },
      async () => {
        const results: Record<string, string> = {};
        for (const cipher of [...refused, ...accepted])
          results[cipher] = await handshake(stack(), cipher);
        expect(results).toEqual({
          ...Object.fromEntries(refused.map((c) => [c, "refused"])),
          ...Object.fromEntries(accepted.map((c) => [c, c])),
        });
        for (const cipher of accepted) expect(TLS12_CIPHERS).toContain(cipher);
        const alert = await tlsHandshake(stack(), "tls1_2", { cipher: refused[0]! });
        expect(alert.stderr).toMatch(/alert handshake failure/);
      },
    );

    it(
      "refuses TLS 1.1 and finite-field key exchange on TLS 1.3, which takes X25519",
      { timeout: 60_000 },
      async () => {
        const tls11 = await tlsHandshake(stack(), "tls1_1");
        expect(tls11.code).not.toBe(0);
        expect(tls11.stderr).toMatch(/alert protocol version/);
        const ffdhe = await tlsHandshake(stack(), "tls1_3", { groups: "ffdhe2048" });
        expect(ffdhe.code).not.toBe(0);
        expect(ffdhe.stderr).not.toContain("CONNECTION ESTABLISHED");
        const x25519 = await tlsHandshake(stack(), "tls1_3", { groups: "X25519" });
        expect(x25519.code, x25519.stderr).toBe(0);
        expect(x25519.stderr).toContain("Protocol version: TLSv1.3\n");
        expect(x25519.stderr).toContain("Verification: OK");
      },
    );

    it(
      "redirects plain HTTP on the published port to https on the published port",
      { timeout: 30_000 },
      async () => {
        const published = stack().publishedHost;
        expect(published).not.toBe(stack().host);
        const res = await httpGet(`http://${published}/v2/_catalog`);
        expect(res.status).toBe(301);
        expect(res.headers["location"]).toBe(`https://${published}/v2/_catalog`);
        const followed = await httpsGet(String(res.headers["location"]), stack().caCert);
        expect(followed.status).toBe(401);
      },
    );
  },
);
