/**
 * Container images for integration tests, built without pulling anything: a rootfs is assembled
 * from the host's static busybox (with every applet linked in /bin) plus selected host binaries
 * and the libraries `ldd` lists for them, then `docker import`ed and optionally built on with a
 * Dockerfile (classic builder). Images live only in the private dockerd they were built in.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { PrivateDockerd } from "./dockerd";
import { run, runOk, which } from "./process";

export interface ImageFile {
  /** Absolute path inside the image. */
  readonly path: string;
  /** File content. */
  readonly content: string;
  /** File mode. @default 0o644 */
  readonly mode?: number;
}

export interface RootfsImageSpec {
  /** Tag to give the image, e.g. `mongo:7.0`. */
  readonly tag: string;
  /** Host executables (names on PATH or absolute paths), copied to their host path with their libraries. @default none */
  readonly binaries?: readonly string[];
  /** Files written into the rootfs after the base layout (they may replace /etc/passwd etc.). @default none */
  readonly files?: readonly ImageFile[];
  /** Empty directories to create. @default none */
  readonly dirs?: readonly string[];
  /** Dockerfile instructions applied by `docker import --change` (CMD, ENTRYPOINT, ENV, ...). @default none */
  readonly changes?: readonly string[];
  /** Dockerfile instructions built on top of the imported rootfs; the FROM line is added. @default no build */
  readonly dockerfile?: string;
  /** Files placed in the build context of `dockerfile`, paths relative to it. @default none */
  readonly contextFiles?: readonly ImageFile[];
}

export interface BuiltImage {
  readonly tag: string;
  /** Image id (`sha256:...`). */
  readonly id: string;
  /** Wall-clock seconds the build took. */
  readonly seconds: number;
}

/** Standard stand-in for the base files every Debian-derived image has. */
const BASE_PASSWD =
  "root:x:0:0:root:/home/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const BASE_GROUP = "root:x:0:\nnogroup:x:65534:\n";
const BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Images already built per daemon in this run, keyed by spec, so repeated calls are free. */
const built = new WeakMap<PrivateDockerd, Map<string, Promise<BuiltImage>>>();

/** Builds (once per daemon and spec) an image from a busybox rootfs plus host binaries. */
export function buildRootfsImage(
  dockerd: PrivateDockerd,
  spec: RootfsImageSpec,
): Promise<BuiltImage> {
  let cache = built.get(dockerd);
  if (!cache) {
    cache = new Map();
    built.set(dockerd, cache);
  }
  const key = JSON.stringify(spec);
  let pending = cache.get(key);
  if (!pending) {
    pending = buildUncached(dockerd, spec);
    const c = cache;
    pending.catch(() => c.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

/**
 * A stand-in for a datastore image (`mongo:7.0`, `redis:7.2`, `postgres:16`): its default command
 * serves a small HTTP page on `port` (busybox httpd) and exits promptly on SIGTERM. Each name in
 * `healthCommands` (e.g. `mongosh`, `redis-cli`, `pg_isready`) becomes a command that succeeds
 * while the port answers, whatever its arguments, so the program's health checks work unchanged.
 */
export function buildStubServiceImage(
  dockerd: PrivateDockerd,
  tag: string,
  port: number,
  options: { readonly healthCommands?: readonly string[] } = {},
): Promise<BuiltImage> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`stub image ${tag}: port ${port} is not a TCP port (1-65535)`);
  }
  // Debian's busybox 1.35 wget segfaults with -T; bound it with the timeout applet instead.
  const probe = `#!/bin/sh\nexec timeout 3 wget -q -O /dev/null http://127.0.0.1:${port}/\n`;
  return buildRootfsImage(dockerd, {
    tag,
    files: [
      { path: "/srv/stub/index.html", content: stubBody(tag, port) },
      {
        path: "/usr/local/bin/stub-service",
        mode: 0o755,
        content: [
          "#!/bin/sh",
          "# PID 1 ignores signals it has no handler for: exit on TERM/INT like a real server.",
          "trap 'exit 0' TERM INT",
          `echo "stub ${tag} listening on ${port}"`,
          `httpd -f -p ${port} -h /srv/stub &`,
          "wait",
          "",
        ].join("\n"),
      },
      ...(options.healthCommands ?? []).map((name) => ({
        path: `/usr/local/bin/${name}`,
        mode: 0o755,
        content: probe,
      })),
    ],
    changes: [`ENV PATH=${BASE_PATH}`, `EXPOSE ${port}/tcp`, 'CMD ["/usr/local/bin/stub-service"]'],
  });
}

/** The page a stub built by `buildStubServiceImage` serves at `/`. */
export function stubBody(tag: string, port: number): string {
  return `stub ${tag} on ${port}\n`;
}

/**
 * An image with the host's `dnsmasq` on PATH (entrypoint `dnsmasq`), the `nobody`/`dnsmasq` users
 * and `dip` group it drops privileges to, and an empty `/etc/ci-platform` for the uploaded config.
 */
export function buildDnsmasqImage(dockerd: PrivateDockerd, tag: string): Promise<BuiltImage> {
  return buildRootfsImage(dockerd, {
    tag,
    binaries: ["dnsmasq"],
    dirs: ["/etc/ci-platform", "/var/lib/misc"],
    files: [
      {
        path: "/etc/passwd",
        content: `${BASE_PASSWD}dnsmasq:x:100:65534:dnsmasq:/var/lib/misc:/bin/false\n`,
      },
      { path: "/etc/group", content: `${BASE_GROUP}dip:x:30:\n` },
    ],
    changes: [
      `ENV PATH=${BASE_PATH}`,
      "EXPOSE 53/udp 53/tcp",
      'ENTRYPOINT ["dnsmasq"]',
      'CMD ["--keep-in-foreground", "--log-facility=-"]',
    ],
  });
}

/**
 * An image with the host's `redir` on PATH and no default command (callers pass it). redir has no
 * SIGTERM handler and as PID 1 would ignore `docker stop` for 10 s, so the stop signal is SIGKILL.
 */
export function buildRedirImage(dockerd: PrivateDockerd, tag: string): Promise<BuiltImage> {
  return buildRootfsImage(dockerd, {
    tag,
    binaries: ["redir"],
    changes: [`ENV PATH=${BASE_PATH}`],
    // `docker import --change` does not accept STOPSIGNAL; a one-line build on top does.
    dockerfile: "STOPSIGNAL SIGKILL",
  });
}

async function buildUncached(dockerd: PrivateDockerd, spec: RootfsImageSpec): Promise<BuiltImage> {
  const started = Date.now();
  const scratch = await fs.mkdtemp(path.join(dockerd.dir, "work", "img-"));
  try {
    const rootfs = path.join(scratch, "rootfs");
    await assembleRootfs(rootfs, spec);
    const tarball = path.join(scratch, "rootfs.tar");
    await runOk("tar", [
      "--numeric-owner",
      "--owner=0",
      "--group=0",
      "-C",
      rootfs,
      "-cf",
      tarball,
      ".",
    ]);
    const changes = (spec.changes ?? []).flatMap((c) => ["--change", c]);
    const baseTag = spec.dockerfile === undefined ? spec.tag : `ci-harness-base:${randomSuffix()}`;
    await dockerd.dockerOk(["import", ...changes, tarball, baseTag]);
    if (spec.dockerfile !== undefined) {
      const context = path.join(scratch, "context");
      await fs.mkdir(context);
      for (const f of spec.contextFiles ?? []) await writeFile(context, f);
      await fs.writeFile(path.join(context, "Dockerfile"), `FROM ${baseTag}\n${spec.dockerfile}\n`);
      await dockerd.dockerOk(["build", "-q", "-t", spec.tag, context], { timeoutMs: 300_000 });
      await dockerd.dockerOk(["rmi", baseTag]);
    }
    const id = await dockerd.dockerOk(["image", "inspect", "-f", "{{.Id}}", spec.tag]);
    return { tag: spec.tag, id, seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    throw new Error(`building image ${spec.tag}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

async function assembleRootfs(rootfs: string, spec: RootfsImageSpec): Promise<void> {
  for (const d of [
    "bin",
    "etc",
    "home/root",
    "run",
    "srv",
    "tmp",
    "usr/local/bin",
    "var/lib",
    "proc",
    "sys",
    "dev",
  ]) {
    await fs.mkdir(path.join(rootfs, d), { recursive: true });
  }
  await fs.chmod(path.join(rootfs, "tmp"), 0o1777);
  await fs.symlink("../run", path.join(rootfs, "var/run"));
  await writeFile(rootfs, { path: "/etc/passwd", content: BASE_PASSWD });
  await writeFile(rootfs, { path: "/etc/group", content: BASE_GROUP });
  // No /etc/nsswitch.conf: glibc's built-in defaults (files, dns) are what these binaries need, and
  // with one present the static busybox's getaddrinfo tries to dlopen NSS modules and segfaults.

  const busybox = which("busybox");
  await copyWithLibraries(rootfs, busybox, "/bin/busybox");
  for (const applet of await busyboxApplets(busybox)) {
    await fs.symlink("busybox", path.join(rootfs, "bin", applet));
  }
  for (const name of spec.binaries ?? []) {
    const hostPath = which(name);
    await copyWithLibraries(rootfs, hostPath, hostPath);
  }
  for (const d of spec.dirs ?? []) await fs.mkdir(inside(rootfs, d), { recursive: true });
  for (const f of spec.files ?? []) await writeFile(rootfs, f);
}

/** Copies `hostPath` to `imagePath` in the rootfs, plus every library `ldd` lists (same paths). */
async function copyWithLibraries(
  rootfs: string,
  hostPath: string,
  imagePath: string,
): Promise<void> {
  await copyFile(hostPath, inside(rootfs, imagePath), 0o755);
  const ldd = await run("ldd", [hostPath]);
  const text = `${ldd.stdout}${ldd.stderr}`;
  if (/not a dynamic executable|statically linked/.test(text)) return;
  if (ldd.code !== 0) throw new Error(`ldd ${hostPath} exited ${ldd.code}: ${text.trim()}`);
  for (const line of text.split("\n")) {
    if (/=>\s*not found/.test(line))
      throw new Error(`${hostPath} needs a missing library: ${line.trim()}`);
    // "libx.so.1 => /lib/.../libx.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const lib = /(?:=>\s*|^\s*)(\/\S+)\s+\(0x/.exec(line)?.[1];
    if (lib) await copyFile(lib, inside(rootfs, lib), 0o755);
  }
}

async function copyFile(from: string, to: string, mode: number): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.rm(to, { force: true }); // never write through an applet symlink into busybox
  await fs.copyFile(await fs.realpath(from), to);
  await fs.chmod(to, mode);
}

async function writeFile(root: string, f: ImageFile): Promise<void> {
  const target = inside(root, f.path);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.rm(target, { force: true });
  await fs.writeFile(target, f.content, { mode: f.mode ?? 0o644 });
  await fs.chmod(target, f.mode ?? 0o644);
}

/** `p` (an absolute image path) under `root`, refusing paths that climb out of it. */
function inside(root: string, p: string): string {
  const target = path.join(root, p);
  if (target !== root && !target.startsWith(`${root}/`)) {
    throw new Error(`image path ${p} escapes the rootfs`);
  }
  return target;
}

let applets: Promise<string[]> | undefined;

/** Applet names of the host busybox (read once per run). */
function busyboxApplets(busybox: string): Promise<string[]> {
  applets ??= runOk(busybox, ["--list"]).then((out) =>
    out
      .split("\n")
      .map((a) => a.trim())
      .filter((a) => a !== "" && a !== "busybox" && !a.includes("/")),
  );
  return applets;
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

const NGINX_PASSWD =
  "root:x:0:0:root:/home/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const NGINX_GROUP = "root:x:0:\nnogroup:x:65534:\n";

/**
 * A stand-in for the nginx image the program declares (`nginx:1.27-alpine`): this machine's nginx
 * on busybox, with the directories the program's containers write to.
 */
export function buildNginxImage(dockerd: PrivateDockerd, tag: string): Promise<BuiltImage> {
  return buildRootfsImage(dockerd, {
    tag,
    binaries: ["nginx"],
    dirs: ["/var/log/nginx", "/etc/ci-platform", "/etc/nginx/tls", "/run"],
    files: [
      { path: "/etc/passwd", content: NGINX_PASSWD },
      { path: "/etc/group", content: NGINX_GROUP },
    ],
    changes: ["ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["nginx", "-g", "daemon off;"]'],
  });
}
