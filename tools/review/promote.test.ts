import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { run } from "../../lib/process";
import { lineDiff } from "./diff-render";
import { releaseEdit, rollbackEdit } from "../release/slot-edits";
import { SMALL_PRODUCTION, smallProject, stackFile } from "../release/small-stack.fixture";
import { appSetting, selectedApps, serviceVersion, setServiceVersion } from "../../lib/stack-yaml";
import { parsePromoteArgs, promote, registryFromEnv } from "./promote";

const ROOT = resolve(__dirname, "..", "..");

const PRODUCTION = `# Production: releases are promoted by changing a service's version here.
config:
  aws:region: us-east-1
  ci-platform:kind: aws
  ci-platform:services:
    datastores: [mongodb, postgres, redis]
    apps:
      # The public API; keep it first.
      api:
        version: "1.4.2" # promoted 2026-11-20
      billing:
        version: "2.0.1"
      users: {hostPort: 5070}
      catalog:
  ci-platform:aws:
    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]
    registryCaCert: |
      -----BEGIN CERTIFICATE-----
      MIIB
      -----END CERTIFICATE-----
`;

describe("setServiceVersion", () => {
  it("changes only the version, keeping comments, order, quoting and flow lists", () => {
    expect(setServiceVersion(PRODUCTION, "api", "1.5.0")).toBe(
      PRODUCTION.replace('version: "1.4.2" # promoted', 'version: "1.5.0" # promoted'),
    );
  });

  it("writes the version as a quoted string even when it reads as a number", () => {
    const text = setServiceVersion(PRODUCTION, "billing", "2.10");
    expect(text).toContain('      billing:\n        version: "2.10"\n');
    expect(serviceVersion(text, "billing")).toBe("2.10");
  });

  it("adds a version to a service without settings, as a block map", () => {
    const text = setServiceVersion(PRODUCTION, "catalog", "0.9.8");
    expect(text).toContain('      catalog:\n        version: "0.9.8"\n  ci-platform:aws:');
    const staging = "config:\n  ci-platform:services:\n    apps:\n      api: {}\n      users: {}\n";
    expect(setServiceVersion(staging, "api", "1.5.0")).toBe(
      'config:\n  ci-platform:services:\n    apps:\n      api:\n        version: "1.5.0"\n      users: {}\n',
    );
  });

  it("keeps a flow map of settings a flow map", () => {
    expect(setServiceVersion(PRODUCTION, "users", "3.3.0")).toContain(
      '      users: {hostPort: 5070, version: "3.3.0"}\n',
    );
  });

  it("fails when the stack does not select the service", () => {
    expect(() => setServiceVersion(PRODUCTION, "search", "1.0.0")).toThrow(
      "search is not selected in this stack (services.apps has api, billing, users, catalog); add it there first: promotion and releases only change a selected service",
    );
  });

  it("reads the selected apps and their versions", () => {
    expect(selectedApps(PRODUCTION)).toEqual(["api", "billing", "users", "catalog"]);
    expect(serviceVersion(PRODUCTION, "api")).toBe("1.4.2");
    expect(serviceVersion(PRODUCTION, "catalog")).toBeUndefined();
  });

  it("changes exactly one line and nothing else in the parsed config, for any valid tag", () => {
    const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$/);
    fc.assert(
      fc.property(tag, fc.constantFrom("api", "billing"), (version, service) => {
        const text = setServiceVersion(PRODUCTION, service, version);
        const before = PRODUCTION.split("\n");
        const after = text.split("\n");
        expect(after).toHaveLength(before.length);
        expect(after.filter((line, i) => line !== before[i])).toHaveLength(
          serviceVersion(PRODUCTION, service) === version ? 0 : 1,
        );
        const expected = parse(PRODUCTION) as {
          config: { "ci-platform:services": { apps: Record<string, { version: string }> } };
        };
        expected.config["ci-platform:services"].apps[service]!.version = version;
        expect(parse(text)).toEqual(expected);
      }),
    );
  });

  it.each(["testing", "staging", "production"])(
    "keeps Pulumi.%s.yaml byte for byte apart from the version",
    (stack) => {
      const text = readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
      for (const app of selectedApps(text)) {
        const changed = lineDiff(text, setServiceVersion(text, app, "9.9.9-test"));
        const version = '        version: "9.9.9-test"';
        const had = serviceVersion(text, app);
        expect(changed).toEqual(
          had === undefined
            ? [`-       ${app}: {}`, `+       ${app}:`, `+ ${version}`]
            : [`-         version: "${had}"`, `+ ${version}`],
        );
      }
    },
  );
});

describe("promote on an aws stack", () => {
  let root: string;
  const file = (): string => stackFile(root);
  const next = (old: string) => [
    "next: review the plan diff (npm run plan:diff -- --stack production); it should show only api's task definitions and ECS service changing",
    `then apply it: pulumi up --stack production (or merge it for the deploy workflow); ECS tests the new revision on the test listener, moves traffic, runs the post-integration tests and retires ${old} after the bake time, rolling back by itself if anything fails`,
    "roll back a release that passed its tests with: npm run release -- api --rollback --stack production",
  ];

  beforeEach(() => {
    root = smallProject();
    return () => rmSync(root, { recursive: true, force: true });
  });

  it("makes the release edit (version, previousVersion, the other slot), comments and key order kept", async () => {
    const result = await promote({ root, service: "api", version: "1.5.0", stack: "production" });
    expect(file()).toBe(
      SMALL_PRODUCTION.replace(
        '        version: "1.4.2" # released 2026-11-20\n',
        '        version: "1.5.0" # released 2026-11-20\n        previousVersion: "1.4.2"\n        liveSlot: green\n',
      ),
    );
    expect(file()).toBe(releaseEdit(SMALL_PRODUCTION, "api", "1.5.0"));
    expect(result).toEqual({
      previous: "1.4.2",
      changed: true,
      lines: [
        'api: 1.4.2 → 1.5.0 in Pulumi.production.yaml: version "1.5.0", previousVersion "1.4.2", liveSlot green (the new revision publishes on host port 7060, beside 1.4.2 on 6060)',
        ...next("1.4.2"),
      ],
    });
  });

  it("alternates the slot on every promotion, and release --rollback undoes one", async () => {
    await promote({ root, service: "api", version: "1.5.0", stack: "production" });
    const second = await promote({ root, service: "api", version: "1.6.0", stack: "production" });
    expect(second.previous).toBe("1.5.0");
    const api = /\n {6}api:\n((?: {8}.*\n)+)/;
    expect(api.exec(file())?.[1]).toBe(
      '        version: "1.6.0" # released 2026-11-20\n        previousVersion: "1.5.0"\n        liveSlot: blue\n',
    );
    expect(api.exec(rollbackEdit(file(), "api"))?.[1]).toBe(
      '        version: "1.5.0" # released 2026-11-20\n        previousVersion: "1.6.0"\n        liveSlot: green\n',
    );
  });

  it("changes nothing when the stack already runs the version", async () => {
    const result = await promote({ root, service: "api", version: "1.4.2", stack: "production" });
    expect(result).toEqual({
      previous: "1.4.2",
      changed: false,
      lines: ["api is already at 1.4.2 in Pulumi.production.yaml; nothing changed"],
    });
    expect(file()).toBe(SMALL_PRODUCTION);
  });

  it("fails when the service is not in the catalog", async () => {
    await expect(
      promote({ root, service: "no-such-app", version: "1.0.0", stack: "production" }),
    ).rejects.toThrow(/^no-such-app is not an app in the catalog; promote one of /);
  });

  it("fails when the stack does not select the service", async () => {
    await expect(
      promote({ root, service: "search", version: "1.0.0", stack: "production" }),
    ).rejects.toThrow(
      "search is not selected in Pulumi.production.yaml (services.apps); add it there before promoting a version to production",
    );
  });

  it("fails and restores the file when the edit makes the stack config invalid", async () => {
    const error = await promote({
      root,
      service: "api",
      version: "1.5.0 beta",
      stack: "production",
    }).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
    expect(error).toMatch(
      /^Pulumi\.production\.yaml would be invalid with api 1\.5\.0 beta, so it is left as it was:\n/,
    );
    expect(error).toContain('services.apps.api.version: "1.5.0 beta" is not a valid image tag');
    expect(file()).toBe(SMALL_PRODUCTION);
  });

  it("fails for a stack without a stack file", async () => {
    await expect(promote({ root, service: "api", version: "1", stack: "qa" })).rejects.toThrow(
      "there is no stack file Pulumi.qa.yaml",
    );
  });

  describe("with a registry", () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.headers.authorization !== `Basic ${Buffer.from("ci:pw").toString("base64")}`) {
          res.writeHead(401).end();
        } else if (req.url?.startsWith("/v2/missing/")) {
          res.writeHead(404).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
        } else {
          const name = /^\/v2\/(.+)\/tags\/list$/.exec(req.url ?? "")?.[1];
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ name, tags: ["1.4.2", "99.0.1", "99.0.0"] }));
        }
      });
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((done) => server.close(() => done())));

    it("promotes a version the registry holds", async () => {
      const registry = { url, user: "ci", password: "pw" };
      const result = await promote({
        root,
        service: "api",
        version: "99.0.1",
        stack: "production",
        registry,
      });
      expect(result.changed).toBe(true);
    });

    it("fails for a version the registry does not hold, naming the tags it has", async () => {
      const registry = { url, user: "ci", password: "pw" };
      await expect(
        promote({ root, service: "api", version: "99.0.2", stack: "production", registry }),
      ).rejects.toThrow(
        `registry ${url} has no tag api:99.0.2 (it has 1.4.2, 99.0.0, 99.0.1); push the image first`,
      );
      expect(file()).toBe(SMALL_PRODUCTION);
    });

    it("fails when the registry refuses the credentials", async () => {
      const registry = { url, user: "ci", password: "wrong" };
      await expect(
        promote({ root, service: "api", version: "99.0.1", stack: "production", registry }),
      ).rejects.toThrow(`registry ${url} answered HTTP 401 for api's tags`);
    });

    it("warns and goes on when the registry cannot be reached", async () => {
      const closed = createServer();
      await new Promise<void>((done) => closed.listen(0, "127.0.0.1", done));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((done) => closed.close(() => done()));
      const registry = { url: `http://127.0.0.1:${port}`, user: "ci", password: "pw" };
      const result = await promote({
        root,
        service: "api",
        version: "99.0.1",
        stack: "production",
        registry,
      });
      expect(result.lines[0]).toMatch(
        new RegExp(
          `^warning: registry http://127.0.0.1:${port} is not reachable \\(.*\\); the tag api:99.0.1 was not checked$`,
        ),
      );
      expect(serviceVersion(file(), "api")).toBe("99.0.1");
    });
  });
});

describe("promote on a CI-host stack", () => {
  let root: string;
  const file = (): string => readFileSync(join(root, "Pulumi.staging.yaml"), "utf8");
  const committed = readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8");

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "promote-test-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
    copyFileSync(join(ROOT, "Pulumi.staging.yaml"), join(root, "Pulumi.staging.yaml"));
    return () => rmSync(root, { recursive: true, force: true });
  });

  it("sets only the version and prints the roll-back command with the previous version", async () => {
    const first = await promote({ root, service: "api", version: "99.0.1", stack: "staging" });
    expect(first.lines).toEqual([
      "api: (no version) → 99.0.1 in Pulumi.staging.yaml (roll back by removing services.apps.api.version from Pulumi.staging.yaml)",
    ]);
    expect(file()).toBe(setServiceVersion(committed, "api", "99.0.1"));
    const second = await promote({ root, service: "api", version: "99.0.2", stack: "staging" });
    expect(second.lines).toEqual([
      "api: 99.0.1 → 99.0.2 in Pulumi.staging.yaml (roll back with: npm run promote -- api 99.0.1 --to staging)",
    ]);
    expect(file()).toBe(setServiceVersion(committed, "api", "99.0.2"));
    expect(appSetting(file(), "api", "previousVersion")).toBeUndefined();
    expect(appSetting(file(), "api", "liveSlot")).toBeUndefined();
  });
});

describe("promote command line", () => {
  it("reads the service, version and stack", () => {
    expect(parsePromoteArgs(["api", "1.5.0", "--to", "production"])).toEqual({
      service: "api",
      version: "1.5.0",
      stack: "production",
    });
    expect(parsePromoteArgs(["--to=staging", "api", "1.5.0"]).stack).toBe("staging");
    expect(() => parsePromoteArgs(["api", "1.5.0"])).toThrow(
      "usage: npm run promote -- <service> <version> --to <stack>",
    );
  });

  it("reads the registry from the environment only when REGISTRY_URL is set", () => {
    expect(registryFromEnv({})).toBeUndefined();
    expect(() => registryFromEnv({ REGISTRY_URL: "https://r:5443" })).toThrow(
      "REGISTRY_URL is set but REGISTRY_USER or REGISTRY_PASSWORD is not",
    );
    expect(
      registryFromEnv({
        REGISTRY_URL: "https://r:5443",
        REGISTRY_USER: "u",
        REGISTRY_PASSWORD: "p",
      }),
    ).toEqual({ url: "https://r:5443", user: "u", password: "p", timeoutMs: 15_000 });
  });

  it("exits non-zero with the reason when it refuses", async () => {
    const result = await run(
      process.execPath,
      ["--import", "tsx", "tools/cli.ts", "promote", "no-such-app", "1.0.0", "--to", "production"],
      { cwd: ROOT, env: { REGISTRY_URL: "" } },
    );
    expect(result.code).toBe(2); // a refusal is a usage or tool error, by the CLI's exit-code rule
    expect(result.stderr).toMatch(/^promote refused: no-such-app is not an app in the catalog;/);
    expect(result.stdout).toBe("");
  }, 60_000);
});
