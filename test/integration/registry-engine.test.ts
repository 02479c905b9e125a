/**
 * The staging stack's private registry exactly as the program declares it (networks, protected
 * volume, registry and nginx containers with their uploads, secrets in the environment and the
 * entrypoint), applied to a private Docker engine with stand-in images built from this machine's
 * nginx and docker-registry; then used as a client would, and maintained as the prune command does.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtpasswd } from "../../components/registry/htpasswd";
import type { Evaluation } from "../../lib/evaluate";
import { containerMaintenance } from "../../tools/registry/prune-cli";
import { applyPlan, descendsFrom } from "../harness/apply-plan";
import { buildNginxImage, buildRootfsImage } from "../harness/images";
import { waitFor } from "../harness/process";
import { freeLoopbackPort } from "../harness/net";
import { useDockerd } from "../harness/use-dockerd";
import { editedStackConfig, evaluateStack, findResource } from "../mocks";

const USER = "jenkins";
const PASSWORD = "correct-horse-battery-staple";

function get(
  port: number,
  path: string,
  ca: string,
  auth?: string,
  method = "GET",
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method,
        ca,
        servername: "registry.example.com",
        timeout: 5_000,
        headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString("base64")}` } : {},
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

describe("the staging registry on a real Docker engine", { timeout: 120_000 }, () => {
  const dockerd = useDockerd();
  const scratch = mkdtempSync(join(tmpdir(), "registry-engine-"));
  let port = 0;
  let ca = "";
  let plan: Evaluation;

  beforeAll(async () => {
    const engine = dockerd();
    port = await freeLoopbackPort();
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(scratch, "tls.key"),
        "-out",
        join(scratch, "tls.crt"),
        "-days",
        "2",
        "-subj",
        "/CN=registry.example.com",
        "-addext",
        "subjectAltName=DNS:registry.example.com,IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    ca = readFileSync(join(scratch, "tls.crt"), "utf8");
    await buildRootfsImage(engine, {
      tag: "registry:2.8.3",
      binaries: ["docker-registry"],
      dirs: ["/etc/docker/registry", "/var/lib/registry"],
      files: [
        {
          path: "/bin/registry",
          content: '#!/bin/sh\nexec /usr/bin/docker-registry "$@"\n',
          mode: 0o755,
        },
      ],
      changes: ['ENTRYPOINT ["/bin/registry"]', 'CMD ["serve", "/etc/docker/registry/config.yml"]'],
    });
    await buildNginxImage(engine, "nginx:1.27-alpine");
    const htpasswd = renderHtpasswd([{ user: USER, hash: await bcrypt.hash(PASSWORD, 10) }]);
    const edited = editedStackConfig("staging", (doc) => {
      const hosts = doc.config["ci-platform:ciHosts"] as Record<string, Record<string, unknown>>;
      hosts["ci-staging-1"] = {
        dockerHost: engine.host,
        pullImages: false,
        devMinimal: false,
        productionLike: false,
        hostPrep: { enabled: false },
      };
      const registry = doc.config["ci-platform:registry"] as Record<string, unknown>;
      registry["port"] = port;
      registry["listenAddress"] = "127.0.0.1";
      registry["tlsCert"] = ca;
    });
    const secrets: Record<string, string> = {
      "ci-platform:registryHtpasswd": htpasswd,
      "ci-platform:registryTlsKey": readFileSync(join(scratch, "tls.key"), "utf8"),
      "ci-platform:registryHttpSecret": "0123456789abcdef0123456789abcdef",
      "ci-platform:jenkinsAdminPassword": "admin-password",
      "ci-platform:jenkinsRegistryPassword": PASSWORD,
    };
    const config = {
      ...edited,
      config: { ...edited.config, ...secrets },
      secretKeys: [...new Set([...edited.secretKeys, ...Object.keys(secrets)])].sort(),
    };
    plan = await evaluateStack("staging", config, { revealSecrets: true });
    await applyPlan(plan, engine, (r) =>
      descendsFrom(plan, r, "ciplatform:registry:PrivateRegistry"),
    );
    await waitFor(
      "nginx answering on the published port",
      async () => (await get(port, "/v2/", ca)).status === 401 || undefined,
      { timeoutMs: 20_000 },
    );
  }, 180_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("publishes only nginx, on the configured address, and keeps the registry on an internal network", async () => {
    const ports = await dockerd().dockerOk(["ps", "--format", "{{.Names}} {{.Ports}}"]);
    expect(ports).toContain(`staging-registry-nginx 127.0.0.1:${port}->443/tcp`);
    expect(ports).toMatch(/^staging-registry\s*$/m);
    expect(
      await dockerd().dockerOk([
        "network",
        "inspect",
        "-f",
        "{{.Internal}}",
        "staging-registry-back",
      ]),
    ).toBe("true");
  });

  it("reports both containers healthy through the health checks the program declares", async () => {
    const states = await waitFor(
      "registry and nginx healthy",
      async () => {
        const out = await dockerd().dockerOk(["ps", "--format", "{{.Names}} {{.Status}}"]);
        return (out.match(/\(healthy\)/g) ?? []).length === 2 ? out : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(states).toMatch(/^staging-registry-nginx .*\(healthy\)$/m);
    expect(states).toMatch(/^staging-registry .*\(healthy\)$/m);
  });

  it("answers 401 without credentials and 200 with a user whose bcrypt hash the config holds", async () => {
    const anonymous = await get(port, "/v2/", ca);
    expect(anonymous.status).toBe(401);
    expect(String(anonymous.headers["www-authenticate"])).toMatch(/^Basic /);
    expect((await get(port, "/v2/", ca, `${USER}:wrong`)).status).toBe(401);
    const ok = await get(port, "/v2/", ca, `${USER}:${PASSWORD}`);
    expect(ok.status).toBe(200);
    expect(ok.headers["docker-distribution-api-version"]).toBe("registry/2.0");
  });

  it("leaves no secret in the container's files but the private ones the entrypoint wrote", async () => {
    const nginx = findResource(plan, "docker:index/container:Container", "registry-nginx");
    const uploads = JSON.stringify(nginx.inputs["uploads"]);
    expect(uploads).not.toContain("PRIVATE KEY");
    expect(uploads).not.toContain("$2");
    const modes = await dockerd().dockerOk([
      "exec",
      "staging-registry-nginx",
      "stat",
      "-c",
      "%a %n",
      "/run/registry-secrets/registry.key",
      "/run/registry-secrets/htpasswd",
    ]);
    expect(modes.split("\n")).toEqual([
      "600 /run/registry-secrets/registry.key",
      "644 /run/registry-secrets/htpasswd",
    ]);
  });

  it("goes read-only for maintenance the way the prune command does it, and back", async () => {
    const maintenance = containerMaintenance("staging", dockerd().host);
    const auth = `${USER}:${PASSWORD}`;
    // Garbage collection needs a repository to walk: upload one (empty) blob first.
    const blob = Buffer.alloc(0);
    const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
    const started = await get(port, "/v2/api/blobs/uploads/", ca, auth, "POST");
    const location = new URL(String(started.headers["location"]), "https://127.0.0.1");
    const put = await get(
      port,
      `${location.pathname}${location.search}&digest=${digest}`,
      ca,
      auth,
      "PUT",
    );
    expect(put.status).toBe(201);
    await maintenance.setReadOnly(true);
    expect((await get(port, "/v2/api/blobs/uploads/", ca, auth, "POST")).status).toBe(405);
    expect((await get(port, "/v2/", ca, auth)).status).toBe(200);
    expect(await maintenance.uploadsInFlight()).toBe(0);
    expect(await maintenance.garbageCollect()).toBeDefined();
    await maintenance.setReadOnly(false);
    expect((await get(port, "/v2/api/blobs/uploads/", ca, auth, "POST")).status).toBe(202);
  });

  it("stores images on the protected named volume, apart from the container", async () => {
    const volume = await dockerd().dockerOk([
      "inspect",
      "-f",
      "{{range .Mounts}}{{.Name}}{{end}}",
      "staging-registry",
    ]);
    expect(volume).toBe("staging-registry-data");
    expect(findResource(plan, "docker:index/volume:Volume", "registry-storage").protect).toBe(true);
  });
});
