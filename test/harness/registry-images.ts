/**
 * Test images without a Docker engine: OCI image layouts written by hand (random-content tar
 * layers made with the `tar` CLI, gzip-wrapped, a config and a manifest), moved to and from the
 * registry stack with skopeo, through nginx or straight to the registry.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import { request } from "node:https";
import * as path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { pathExists, run, runOk, type RunOptions, type RunResult } from "./process";
import type { RegistryCredentials, RegistryStack } from "./registry";

export interface OciImageSpec {
  /** Bytes of random content, split evenly over the layers (each layer gets at least 1). */
  readonly sizeBytes: number;
  /** Number of layers. @default 1 */
  readonly layers?: number;
  /** The tag the layout's index names. @default "latest" */
  readonly tag?: string;
  /**
   * gzip level of the layer blobs. 0 stores: random data does not compress anyway, and a
   * gzip-wrapped layer is pushed as-is (skopeo would compress a plain tar for a registry, which
   * changes the digests and makes a push CPU-bound). @default 0
   */
  readonly gzipLevel?: number;
}

export interface OciImage {
  /** The OCI image layout directory. */
  readonly dir: string;
  readonly tag: string;
  /** `oci:<dir>:<tag>`, skopeo's name for it. */
  readonly ref: string;
  /** sha256 of the manifest bytes: the digest the registry reports after a push. */
  readonly manifestDigest: string;
  readonly configDigest: string;
  /** Digests of the (compressed) layer blobs, in manifest order. */
  readonly layerDigests: readonly string[];
  /** Bytes of every blob plus the manifest: what a push or a pull moves. */
  readonly totalBytes: number;
}

const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
const LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
const CHUNK = 4 * 1024 * 1024;

/** Writes a new OCI image layout at `dir` (created; must not hold a layout already). */
export async function makeOciImage(dir: string, spec: OciImageSpec): Promise<OciImage> {
  const layers = spec.layers ?? 1;
  const tag = spec.tag ?? "latest";
  if (!Number.isInteger(layers) || layers < 1)
    throw new Error(`makeOciImage: layers ${layers} must be a positive integer`);
  if (!Number.isInteger(spec.sizeBytes) || spec.sizeBytes < 0)
    throw new Error(`makeOciImage: sizeBytes ${spec.sizeBytes} must be a non-negative integer`);
  const blobs = path.join(dir, "blobs", "sha256");
  await fs.mkdir(blobs, { recursive: true });
  if (await pathExists(path.join(dir, "index.json")))
    throw new Error(`makeOciImage: ${dir} already holds an image layout`);
  const staging = await fs.mkdtemp(path.join(dir, ".staging-"));
  try {
    const perLayer = Math.max(1, Math.floor(spec.sizeBytes / layers));
    const layerDescriptors: { mediaType: string; digest: string; size: number }[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < layers; i++) {
      const size = i === layers - 1 ? Math.max(1, spec.sizeBytes - perLayer * i) : perLayer;
      const content = path.join(staging, "rootfs", `layer-${i}.bin`);
      await fs.mkdir(path.dirname(content), { recursive: true });
      await writeRandomFile(content, size);
      const tarPath = path.join(staging, `layer-${i}.tar`);
      await runOk(
        "tar",
        [
          "--numeric-owner",
          "--owner=0",
          "--group=0",
          "--mtime=@0",
          "-C",
          path.dirname(content),
          "-cf",
          tarPath,
          path.basename(content),
        ],
        { timeoutMs: 300_000 },
      );
      await fs.rm(content);
      const blob = await gzipToBlob(tarPath, blobs, spec.gzipLevel ?? 0);
      await fs.rm(tarPath);
      diffIds.push(blob.diffId);
      layerDescriptors.push({ mediaType: LAYER_TYPE, digest: blob.digest, size: blob.size });
    }
    const config = await writeJsonBlob(blobs, {
      architecture: "amd64",
      os: "linux",
      config: { Labels: { "ci-platform.test-image": randomBytes(8).toString("hex") } },
      rootfs: { type: "layers", diff_ids: diffIds },
    });
    const manifest = await writeJsonBlob(blobs, {
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: CONFIG_TYPE, digest: config.digest, size: config.size },
      layers: layerDescriptors,
    });
    await fs.writeFile(
      path.join(dir, "oci-layout"),
      `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`,
    );
    await fs.writeFile(
      path.join(dir, "index.json"),
      `${JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: MANIFEST_TYPE,
            digest: manifest.digest,
            size: manifest.size,
            annotations: { "org.opencontainers.image.ref.name": tag },
          },
        ],
      })}\n`,
    );
    return {
      dir,
      tag,
      ref: `oci:${dir}:${tag}`,
      manifestDigest: manifest.digest,
      configDigest: config.digest,
      layerDigests: layerDescriptors.map((l) => l.digest),
      totalBytes: layerDescriptors.reduce((n, l) => n + l.size, 0) + config.size + manifest.size,
    };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** The manifest digest an OCI layout's index names for `tag` (e.g. after a pull into it). */
export async function ociManifestDigest(dir: string, tag: string): Promise<string> {
  const index = JSON.parse(await fs.readFile(path.join(dir, "index.json"), "utf8")) as {
    manifests?: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = (index.manifests ?? []).find(
    (m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag,
  );
  if (!entry) throw new Error(`${dir}/index.json names no image tagged ${tag}`);
  return entry.digest;
}

/** Which way skopeo reaches the registry: through nginx (TLS, auth) or straight to it (HTTP). */
export type Route = "nginx" | "direct";

export interface ImageTarget {
  readonly repo: string;
  readonly tag: string;
  /** @default "nginx" */
  readonly route?: Route;
  /** Who skopeo logs in as through nginx. @default the stack's push user */
  readonly as?: RegistryCredentials;
}

/** `docker://<host>/<repo>:<tag>` on the chosen route. */
export function imageRef(stack: RegistryStack, target: ImageTarget): string {
  const host = (target.route ?? "nginx") === "nginx" ? stack.host : stack.registryAddr;
  return `docker://${host}/${target.repo}:${target.tag}`;
}

/**
 * skopeo's flags for one side of the registry: `prefix` is `"dest-"` or `"src-"` for `copy`,
 * `""` for `inspect`. Through nginx: the stack's user (or `as`) and CA; direct: plain HTTP, no
 * credentials.
 */
export function registryFlags(
  stack: RegistryStack,
  prefix: "src-" | "dest-" | "",
  route: Route = "nginx",
  as: RegistryCredentials = stack,
): string[] {
  return route === "nginx"
    ? [`--${prefix}creds`, `${as.user}:${as.password}`, `--${prefix}cert-dir`, stack.caDir]
    : [`--${prefix}tls-verify=false`, `--${prefix}no-creds`];
}

/**
 * Runs skopeo without the host's trust policy or registries.conf getting a say (no signature
 * policy, no mirrors or aliases). @default timeout 300 s
 */
export function skopeo(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run("skopeo", ["--insecure-policy", ...args], {
    ...options,
    timeoutMs: options.timeoutMs ?? 300_000,
    env: { CONTAINERS_REGISTRIES_CONF: "/dev/null", ...options.env },
  });
}

/** `skopeo copy <image> docker://...`; resolves to skopeo's result (check `code`). */
export function pushImage(
  stack: RegistryStack,
  image: OciImage,
  target: ImageTarget,
): Promise<RunResult> {
  return skopeo([
    "copy",
    ...registryFlags(stack, "dest-", target.route, target.as),
    image.ref,
    imageRef(stack, target),
  ]);
}

/** `skopeo copy docker://... oci:<destDir>:<tag>`; resolves to skopeo's result (check `code`). */
export function pullImage(
  stack: RegistryStack,
  target: ImageTarget,
  destDir: string,
): Promise<RunResult> {
  return skopeo([
    "copy",
    ...registryFlags(stack, "src-", target.route, target.as),
    imageRef(stack, target),
    `oci:${destDir}:${target.tag}`,
  ]);
}

/** The manifest digest the registry serves for the target (`skopeo inspect`); throws on failure. */
export async function inspectDigest(stack: RegistryStack, target: ImageTarget): Promise<string> {
  const r = await skopeo([
    "inspect",
    "--format",
    "{{.Digest}}",
    ...registryFlags(stack, "", target.route),
    imageRef(stack, target),
  ]);
  return expectOk(r, `skopeo inspect ${imageRef(stack, target)}`).stdout.trim();
}

/** Returns `r` when it exited 0, else throws naming `what` with skopeo's stderr. */
export function expectOk(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr.trim()}`);
  return r;
}

/** sha256 of a blob as nginx serves it (`GET /v2/<repo>/blobs/<digest>`, streamed). */
export function blobDigestViaNginx(
  stack: RegistryStack,
  repo: string,
  digest: string,
): Promise<string> {
  const auth = Buffer.from(`${stack.user}:${stack.password}`).toString("base64");
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.url}/v2/${repo}/blobs/${digest}`,
      {
        ca: stack.caCert,
        agent: false,
        timeout: 60_000,
        headers: { Authorization: `Basic ${auth}` },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET blob ${repo}@${digest}: HTTP ${res.statusCode}`));
          return;
        }
        const hash = createHash("sha256");
        res.on("data", (c: Buffer) => hash.update(c));
        res.on("error", reject);
        res.on("end", () => resolve(`sha256:${hash.digest("hex")}`));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET blob ${repo}@${digest} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

async function writeRandomFile(file: string, size: number): Promise<void> {
  const handle = await fs.open(file, "w");
  try {
    for (let written = 0; written < size;) {
      const chunk = randomBytes(Math.min(CHUNK, size - written));
      await handle.write(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
}

/** gzips `tarPath` into `blobs/<digest>`; returns the blob's digest and size and the tar's digest. */
async function gzipToBlob(
  tarPath: string,
  blobs: string,
  level: number,
): Promise<{ digest: string; size: number; diffId: string }> {
  const diffHash = createHash("sha256");
  const blobHash = createHash("sha256");
  let size = 0;
  const tmp = path.join(blobs, `.tmp-${randomBytes(6).toString("hex")}`);
  await pipeline(
    createReadStream(tarPath),
    tap((c) => diffHash.update(c)),
    createGzip({ level }),
    tap((c) => {
      blobHash.update(c);
      size += c.length;
    }),
    createWriteStream(tmp),
  );
  const hex = blobHash.digest("hex");
  await fs.rename(tmp, path.join(blobs, hex));
  return { digest: `sha256:${hex}`, size, diffId: `sha256:${diffHash.digest("hex")}` };
}

function tap(onChunk: (c: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}

async function writeJsonBlob(
  blobs: string,
  value: unknown,
): Promise<{ digest: string; size: number }> {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash("sha256").update(bytes).digest("hex");
  await fs.writeFile(path.join(blobs, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}
