import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  SERVICE_CATALOG,
  type AppEntry,
  type CatalogEntry,
  type DatastoreEntry,
} from "../catalog/catalog";
import { validateStackConfig } from "./validate";

const datastores = SERVICE_CATALOG.filter((e): e is DatastoreEntry => e.kind === "datastore");

/** A catalog of random apps, some with pinned ports, on top of the real datastores. */
const catalogs = fc
  .uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/),
      pin: fc.option(fc.integer({ min: 5001, max: 5999 }), { nil: undefined }),
    }),
    { selector: (a) => a.name, minLength: 1, maxLength: 60 },
  )
  .map((apps): CatalogEntry[] => [
    ...datastores,
    ...apps.map((a): AppEntry => ({
      kind: "app",
      name: a.name,
      repository: "r",
      branch: "main",
      dependsOn: ["redis"],
      healthPath: "/health",
      memoryMb: 64,
      cpus: "0.5",
      pidsLimit: 64,
      ...(a.pin === undefined ? {} : { hostPort: a.pin }),
    })),
  ]);

describe("host port allocation over any catalog", () => {
  it("produces no port clash on any host whenever the config validates", () => {
    fc.assert(
      fc.property(catalogs, (catalog) => {
        const apps = catalog.filter((e) => e.kind === "app").map((e) => e.name);
        const result = validateStackConfig(
          {
            project: "ci-platform",
            stack: "testing",
            values: {
              kind: "ci-host",
              region: "us-east-1",
              domain: "example.com",
              services: {
                datastores: datastores.map((d) => d.name),
                apps: Object.fromEntries(apps.map((a) => [a, {}])),
              },
              ciHosts: { "ci-1": { dockerHost: "unix:///var/run/docker.sock" } },
              jenkinsAdminPassword: "x",
              datastorePassword: "x",
            },
            secretKeys: new Set(["jenkinsAdminPassword", "datastorePassword"]),
          },
          catalog,
        );
        if (!result.ok) {
          // Only a pinned clash may make such a config invalid, and it is reported as one.
          expect(result.issues.every((i) => i.message.includes("already used by"))).toBe(true);
          return;
        }
        const used = [
          ...result.config.apps.map((a) => a.hostPort),
          ...result.config.datastores.map((d) => d.port),
          result.config.jenkins!.port,
        ];
        expect(new Set(used).size).toBe(used.length);
      }),
      { numRuns: 300 },
    );
  });
});
