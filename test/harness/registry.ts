/**
 * The private registry as the program renders it, run for real on 127.0.0.1: Debian's
 * `docker-registry` (distribution 2.8) with the rendered config.yml, behind `nginx` with the
 * rendered nginx.conf (TLS with a fresh self-signed certificate, bcrypt basic auth for a user of
 * each role and one without a role, rate limit, maintenance gate). Everything lives in one temp
 * dir that `stop()` removes.
 *
 * This module does not import vitest, so tools (the benchmark) can use it too.
 */
import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect, createServer, type Server, type Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { RegistryRole, RegistryUser } from "../../components/config/types";
import {
  renderRegistryConfig,
  renderRegistryNginxConf,
  type NginxLayout,
} from "../../components/registry/registry-render";
import { spawnDaemon as spawnLogged, within } from "./daemon";
import { freeLoopbackPorts } from "./net";
import { run, runOk, waitFor, which, type RunResult } from "./process";

export interface RegistryStackOptions {
  /** nginx's request limit per client address. @default the program's default, 20 r/s with a burst of 200 */
  readonly rateLimit?: { readonly requestsPerSecond: number; readonly burst: number };
  /** Give up when a daemon has not answered within this long. @default 30_000 */
  readonly startTimeoutMs?: number;
  /** The TLS certificate's key: RSA 2048 or EC P-256. @default "rsa" */
  readonly keyType?: "rsa" | "ec";
  /**
   * Publish nginx on a second port, forwarded to the one it listens on, the way Docker publishes
   * the container's 443 as `registry.port`: nginx is rendered with that published port.
   * @default false (nginx is rendered with the port it listens on)
   */
  readonly publish?: boolean;
}

export interface RegistryCredentials {
  readonly user: string;
  readonly password: string;
}

export interface RegistryStack {
  /** nginx, the way clients reach the registry: `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** nginx's `host:port`, for image references (`docker://<host>/<repo>:<tag>`). */
  readonly host: string;
  /** The registry itself, plain HTTP, bypassing nginx: `127.0.0.1:<port>`. */
  readonly registryAddr: string;
  /** The stack's temp dir (removed by `stop()`); scratch files may go under `<dir>/work`. */
  readonly dir: string;
  /** A directory holding only `ca.crt`, for skopeo's `--dest-cert-dir` / `--src-cert-dir`. */
  readonly caDir: string;
  /** The self-signed certificate nginx serves (also the CA clients trust), PEM. */
  readonly caCert: string;
  /** The push user (the default test user) in nginx's htpasswd file (bcrypt). */
  readonly user: string;
  readonly password: string;
  /** A user of each role, and `none`: a user in htpasswd that `registry.users` does not list. */
  readonly users: Readonly<Record<RegistryRole | "none", RegistryCredentials>>;
  /** `127.0.0.1:<port>` forwarded to nginx, with `publish`; otherwise `host`. */
  readonly publishedHost: string;
  /** While this file exists nginx refuses writes with 405. */
  readonly maintenanceFlag: string;
  /** The registry's storage root. */
  readonly storageDir: string;
  /** The rendered registry config.yml. */
  readonly configPath: string;
  /** The rendered nginx.conf. */
  readonly nginxConfPath: string;
  /** nginx's prefix (`-p`). */
  readonly nginxPrefix: string;
  /** nginx's access log (default `combined` format). */
  readonly accessLog: string;
  /** nginx's error log. */
  readonly errorLog: string;
  /** The rate limit the nginx config was rendered with. */
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number };
  /** `nginx -t` on the rendered config, as the harness ran it before starting nginx. */
  checkNginxConfig(): Promise<RunResult>;
  /** Stops the registry process (SIGTERM) and starts it again on the same storage and port. */
  restartRegistry(): Promise<void>;
  /** The last lines of both daemons' logs, for failure messages. */
  logTail(lines?: number): string;
  /** Stops both daemons (SIGTERM, then SIGKILL) and deletes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** One logged response in nginx's access log. */
export interface AccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** The program's default (`REGISTRY_DEFAULTS.rateLimit`; the integration test checks they agree). */
export const DEFAULT_RATE_LIMIT = { requestsPerSecond: 20, burst: 200 } as const;

/** One user per role, and one in htpasswd without a role. */
const USERS: Readonly<Record<RegistryRole | "none", string>> = {
  pull: "ci-puller",
  push: "ci-pusher",
  delete: "ci-pruner",
  none: "ci-norole",
};
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;

/** Starts registry + nginx on free loopback ports; on any failure stops what it started. */
export async function startRegistryStack(
  options: RegistryStackOptions = {},
): Promise<RegistryStack> {
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const keyType = options.keyType ?? "rsa";
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const nginxBin = which("nginx");
  const registryBin = which("docker-registry");

  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "registry-")));
  // nginx's workers run as `nobody`: they read the htpasswd file and stat the maintenance flag
  // on every request, so the directories on the way must be searchable by them.
  await fs.chmod(dir, 0o755);
  const daemons: Daemon[] = [];
  let forwarder: Forwarder | undefined;
  const stopDaemons = async (): Promise<string[]> => {
    const errors: string[] = [];
    await forwarder?.close();
    forwarder = undefined;
    for (const d of daemons.splice(0).reverse()) {
      const error = await d.stop();
      if (error) errors.push(error);
    }
    return errors;
  };

  try {
    const caDir = path.join(dir, "ca");
    const tlsDir = path.join(dir, "tls");
    const storageDir = path.join(dir, "storage");
    const nginxPrefix = path.join(dir, "nginx");
    const stateDir = path.join(dir, "state");
    for (const d of [caDir, tlsDir, storageDir, nginxPrefix, stateDir, path.join(dir, "work")]) {
      await fs.mkdir(d, { recursive: true, mode: 0o755 });
    }
    const tlsCert = path.join(tlsDir, "registry.crt");
    const tlsKey = path.join(tlsDir, "registry.key");
    await runOk("openssl", [
      "req",
      "-x509",
      ...(keyType === "ec"
        ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        : ["-newkey", "rsa:2048"]),
      "-nodes",
      "-sha256",
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      tlsKey,
      "-out",
      tlsCert,
    ]);
    await fs.chmod(tlsKey, 0o600);
    const caCert = await fs.readFile(tlsCert, "utf8");
    await fs.writeFile(path.join(caDir, "ca.crt"), caCert);

    // Real bcrypt hashes from Apache's htpasswd, one user per role.
    const htpasswd = path.join(tlsDir, "htpasswd");
    const users = {} as Record<RegistryRole | "none", RegistryCredentials>;
    for (const [role, user] of Object.entries(USERS) as [RegistryRole | "none", string][]) {
      const password = randomBytes(12).toString("hex");
      const create = role === "pull" ? ["-c"] : [];
      await runOk("htpasswd", ["-B", "-b", ...create, htpasswd, user, password]);
      users[role] = { user, password };
    }
    await fs.chmod(htpasswd, 0o644);
    const roles: RegistryUser[] = (["pull", "push", "delete"] as const).map((role) => ({
      user: USERS[role],
      role,
    }));

    const configPath = path.join(dir, "registry.yml");
    const nginxConfPath = path.join(nginxPrefix, "nginx.conf");
    const errorLog = path.join(nginxPrefix, "error.log");
    const accessLog = path.join(nginxPrefix, "access.log");
    const maintenanceFlag = path.join(stateDir, "readonly");
    const registryLog = path.join(dir, "registry.log");
    const nginxOut = path.join(nginxPrefix, "nginx.out");
    const registryEnv = registryEnvironment(randomBytes(32).toString("hex"));
    const nginxArgs = ["-c", nginxConfPath, "-p", `${nginxPrefix}/`, "-e", errorLog];

    const logTail = (lines = 20): string =>
      [
        `--- registry log ---\n${tailOf(registryLog, lines)}`,
        `--- nginx error log ---\n${tailOf(errorLog, lines)}`,
        `--- nginx output ---\n${tailOf(nginxOut, lines)}`,
      ].join("\n");

    const startRegistry = async (registryAddr: string): Promise<Daemon> => {
      const daemon = spawnDaemon("docker-registry", registryBin, ["serve", configPath], {
        env: registryEnv,
        logPath: registryLog,
      });
      daemons.push(daemon);
      await waitFor(
        `the registry answering 200 on http://${registryAddr}/v2/`,
        async () => {
          daemon.throwIfExited();
          const res = await httpGet(`http://${registryAddr}/v2/`);
          return res.status === 200 ? true : undefined;
        },
        { timeoutMs: startTimeoutMs, intervalMs: 100 },
      );
      return daemon;
    };

    const checkNginxConfig = (): Promise<RunResult> =>
      run(nginxBin, ["-t", ...nginxArgs], { timeoutMs: 30_000 });

    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const [nginxPort, registryPort, publishedPort] = await freeLoopbackPorts(3);
      const registryAddr = `127.0.0.1:${registryPort}`;
      const host = `127.0.0.1:${nginxPort}`;
      const publishedHost = options.publish ? `127.0.0.1:${publishedPort}` : host;
      const url = `https://${host}`;
      const layout: NginxLayout = {
        listen: host,
        upstream: registryAddr,
        tlsCert,
        tlsKey,
        htpasswd,
        maintenanceFlag,
        pid: path.join(nginxPrefix, "nginx.pid"),
        tempDir: path.join(nginxPrefix, "temp"),
        accessLog,
        errorLog,
      };
      await fs.mkdir(layout.tempDir, { recursive: true, mode: 0o755 });
      await fs.writeFile(
        configPath,
        renderRegistryConfig({ addr: registryAddr, rootDirectory: storageDir }),
      );
      await fs.writeFile(
        nginxConfPath,
        renderRegistryNginxConf(layout, {
          serverName: "localhost",
          publishedPort: Number(publishedHost.split(":")[1]),
          rateLimit,
          users: roles,
        }),
      );
      try {
        let registry = await startRegistry(registryAddr);
        const check = await checkNginxConfig();
        if (check.code !== 0) throw new Error(`nginx -t failed:\n${check.stderr.trim()}`);
        const nginx = spawnDaemon("nginx", nginxBin, [...nginxArgs, "-g", "daemon off;"], {
          env: {},
          logPath: nginxOut,
        });
        daemons.push(nginx);
        await waitFor(
          `nginx answering 401 on ${url}/v2/`,
          async () => {
            nginx.throwIfExited();
            const res = await httpsGet(`${url}/v2/`, caCert);
            return res.status === 401 ? true : undefined;
          },
          { timeoutMs: startTimeoutMs, intervalMs: 100 },
        );
        if (options.publish) forwarder = await startForwarder(publishedPort!, nginxPort!);

        let stopping: Promise<void> | undefined;
        const stack: RegistryStack = {
          url,
          host,
          registryAddr,
          dir,
          caDir,
          caCert,
          user: users.push.user,
          password: users.push.password,
          users,
          publishedHost,
          maintenanceFlag,
          storageDir,
          configPath,
          nginxConfPath,
          nginxPrefix,
          accessLog,
          errorLog,
          rateLimit,
          checkNginxConfig,
          restartRegistry: async () => {
            if (stopping) throw new Error("the registry stack is stopped");
            const error = await registry.stop();
            const index = daemons.indexOf(registry);
            if (index >= 0) daemons.splice(index, 1);
            if (error) throw new Error(error);
            try {
              registry = await startRegistry(registryAddr);
            } catch (e) {
              throw new Error(`restarting the registry: ${message(e)}\n${logTail()}`);
            }
          },
          logTail,
          stop: () => {
            stopping ??= (async () => {
              const errors = await stopDaemons();
              await fs.rm(dir, { recursive: true, force: true });
              if (errors.length > 0)
                throw new Error(`stopping the registry stack:\n- ${errors.join("\n- ")}`);
            })();
            return stopping;
          },
        };
        return stack;
      } catch (e) {
        lastError = new Error(`${message(e)}\n${logTail()}`);
        const errors = await stopDaemons();
        if (errors.length > 0) throw new Error(`${message(lastError)}\n${errors.join("\n")}`);
        // Another process may have taken a port between probing and binding: try new ports.
        if (!/address already in use/i.test(message(lastError))) break;
      }
    }
    throw lastError;
  } catch (e) {
    await stopDaemons();
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`registry stack did not start: ${message(e)}`);
  }
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RegistryRequestOptions {
  /** @default "GET" */
  readonly method?: string;
  /** Basic auth; `"stack"` uses the stack's test user. @default no credentials */
  readonly auth?: "stack" | RegistryCredentials;
  /** More request headers (`Accept`, `Content-Type`). @default none */
  readonly headers?: Record<string, string>;
  /** Request body. @default none */
  readonly body?: Buffer | string;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

/** One HTTPS request to nginx (`path` like `/v2/`), trusting the stack's certificate. */
export function registryRequest(
  stack: RegistryStack,
  urlPath: string,
  options: RegistryRequestOptions = {},
): Promise<HttpResponse> {
  const auth = options.auth === "stack" ? stack : options.auth;
  const headers: Record<string, string> = {
    ...options.headers,
    ...(auth
      ? {
          Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`,
        }
      : {}),
  };
  return httpsGet(`${stack.url}${urlPath}`, stack.caCert, {
    method: options.method ?? "GET",
    headers,
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
}

interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
  readonly timeoutMs?: number;
}

/** An HTTPS request trusting only `ca`; never pooled. */
export function httpsGet(url: string, ca: string, options: RequestOptions = {}) {
  return send(httpsRequest, url, { ca, agent: false }, options);
}

/** A plain HTTP request; never pooled. */
export function httpGet(url: string, options: RequestOptions = {}) {
  return send(httpRequest, url, { agent: false }, options);
}

function send(
  requestFn: typeof httpsRequest | typeof httpRequest,
  url: string,
  extra: Record<string, unknown>,
  options: RequestOptions,
): Promise<HttpResponse> {
  const method = options.method ?? "GET";
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const req = requestFn(
      url,
      { method, headers: options.headers ?? {}, timeout: timeoutMs, ...extra },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

export interface TlsHandshakeOptions {
  /** The only TLS 1.2 (and older) suites the client offers. @default every suite OpenSSL has */
  readonly cipher?: string;
  /** The only key-exchange groups the client offers (`-groups`). @default OpenSSL's */
  readonly groups?: string;
}

/**
 * `openssl s_client -brief` to nginx offering only `version` (a client that would accept any
 * cipher unless `cipher` narrows it, so a refusal is the server's), verifying the certificate and
 * its IP address. On success stderr has `CONNECTION ESTABLISHED`, `Protocol version: TLSv1.x`,
 * `Ciphersuite: <name>` and `Verification: OK`.
 */
export function tlsHandshake(
  stack: RegistryStack,
  version: "tls1_1" | "tls1_2" | "tls1_3",
  options: TlsHandshakeOptions = {},
): Promise<RunResult> {
  return run(
    "openssl",
    [
      "s_client",
      "-connect",
      stack.host,
      "-servername",
      "localhost",
      `-${version}`,
      // OpenSSL 3 refuses TLS 1.1 (and SHA-1 suites) itself at its default security level;
      // level 0 lets it try.
      "-cipher",
      `${options.cipher ?? "DEFAULT"}:@SECLEVEL=0`,
      ...(options.groups ? ["-groups", options.groups] : []),
      "-CAfile",
      path.join(stack.caDir, "ca.crt"),
      "-verify_ip",
      "127.0.0.1",
      "-verify_return_error",
      "-brief",
    ],
    { timeoutMs: 15_000 },
  );
}

/** The responses nginx logged so far (its default `combined` format). */
export async function readAccessLog(stack: RegistryStack): Promise<AccessLogEntry[]> {
  const text = await fs.readFile(stack.accessLog, "utf8").catch(() => "");
  const entries: AccessLogEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /"([A-Z]+) (\S+) [^"]*" (\d{3}) /.exec(line);
    if (m) entries.push({ method: m[1] ?? "", path: m[2] ?? "", status: Number(m[3]) });
  }
  return entries;
}

/** Sets or clears the maintenance flag (the way the prune tool does in the nginx container). */
export async function setMaintenance(stack: RegistryStack, on: boolean): Promise<void> {
  if (on) await fs.writeFile(stack.maintenanceFlag, "");
  else await fs.rm(stack.maintenanceFlag, { force: true });
}

interface Forwarder {
  close(): Promise<void>;
}

/** Forwards TCP from 127.0.0.1:`port` to 127.0.0.1:`target`, as Docker publishes a port. */
function startForwarder(port: number, target: number): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    track(client);
    track(upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

interface Daemon {
  /** Throws (naming the exit status) when the process has exited. */
  throwIfExited(): void;
  /** SIGTERM, bounded wait, SIGKILL; resolves to an error message when it would not die. */
  stop(): Promise<string | undefined>;
}

/** Spawns a foreground daemon with stdout and stderr appended to `logPath`. */
function spawnDaemon(
  name: string,
  command: string,
  args: readonly string[],
  options: { env: Record<string, string | undefined>; logPath: string },
): Daemon {
  const daemon = spawnLogged(command, args, { ...options, lastResort: "SIGKILL" });
  const { child, exited } = daemon;
  let stopping: Promise<string | undefined> | undefined;
  return {
    throwIfExited: () => {
      const status = daemon.exitStatus();
      if (status !== undefined) throw new Error(`${name} exited (${status})`);
    },
    stop: () => {
      stopping ??= (async () => {
        let error: string | undefined;
        if (daemon.exitStatus() === undefined) {
          child.kill("SIGTERM");
          if (!(await within(exited, STOP_GRACE_MS))) {
            child.kill("SIGKILL");
            error = `${name} (pid ${child.pid}) ignored SIGTERM for ${STOP_GRACE_MS} ms; sent SIGKILL`;
            if (!(await within(exited, 5_000))) error += "; it survived SIGKILL";
          }
        }
        daemon.release();
        return error;
      })();
      return stopping;
    },
  };
}

/** The registry's environment: the HTTP secret, and no stray REGISTRY_* overrides from ours. */
function registryEnvironment(secret: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(process.env)) {
    if (key.startsWith("REGISTRY_")) env[key] = undefined;
  }
  env["REGISTRY_HTTP_SECRET"] = secret;
  return env;
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(none)";
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
