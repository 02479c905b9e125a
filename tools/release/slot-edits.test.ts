import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lineDiff } from "../review/diff-render";
import { appSetting, selectedApps } from "../../lib/stack-yaml";
import { recordLiveSlot, releaseEdit, rollbackEdit } from "./slot-edits";

const ROOT = join(__dirname, "..", "..");
const testing = readFileSync(join(ROOT, "Pulumi.testing.yaml"), "utf8");

const PRODUCTION = `# Production: a release is one edit of a service's version here.
config:
  ci-platform:kind: aws
  ci-platform:services:
    apps:
      # The public API; keep it first.
      api:
        version: "1.4.2" # released 2026-11-20
        hostPort: 5060
      billing:
        liveSlot: green
        version: "2.0.1"
        previousVersion: "2.0.0"
      users: {version: "3.3.0"}
  ci-platform:aws:
    # Blue/green settings.
    release:
      bakeMinutes: 10
`;

describe("releaseEdit (aws)", () => {
  it("sets version, previousVersion and the other slot, keeping comments and key order", () => {
    expect(releaseEdit(PRODUCTION, "api", "1.5.0")).toBe(
      PRODUCTION.replace(
        '        version: "1.4.2" # released 2026-11-20\n        hostPort: 5060\n',
        '        version: "1.5.0" # released 2026-11-20\n        hostPort: 5060\n' +
          '        previousVersion: "1.4.2"\n        liveSlot: green\n',
      ),
    );
  });

  it("edits the keys where they are, and moves a green service back to blue", () => {
    expect(releaseEdit(PRODUCTION, "billing", "2.1.0")).toBe(
      PRODUCTION.replace(
        '        liveSlot: green\n        version: "2.0.1"\n        previousVersion: "2.0.0"\n',
        '        liveSlot: blue\n        version: "2.1.0"\n        previousVersion: "2.0.1"\n',
      ),
    );
  });

  it("keeps a flow map a flow map", () => {
    expect(releaseEdit(PRODUCTION, "users", "3.4.0")).toContain(
      '      users: {version: "3.4.0", previousVersion: "3.3.0", liveSlot: green}\n',
    );
  });

  it("alternates the slot on every release and always records the version it replaces", () => {
    const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
    fc.assert(
      fc.property(fc.array(tag, { minLength: 1, maxLength: 6 }), (versions) => {
        let text = PRODUCTION;
        let slot = "blue";
        let live = "1.4.2";
        for (const version of versions) {
          if (version === live) continue;
          text = releaseEdit(text, "api", version);
          slot = slot === "blue" ? "green" : "blue";
          expect(appSetting(text, "api", "previousVersion")).toBe(live);
          expect(appSetting(text, "api", "version")).toBe(version);
          expect(appSetting(text, "api", "liveSlot")).toBe(slot);
          live = version;
        }
        const others = (t: string) => t.split("\n").filter((l) => !/^ {8}[a-zA-Z]/.test(l));
        expect(others(text)).toEqual(others(PRODUCTION));
      }),
      // Each run edits the whole production file up to six times: 30 runs cover the alternation.
      { numRuns: 30 },
    );
  });

  it("fails when the version is already live", () => {
    expect(() => releaseEdit(PRODUCTION, "api", "1.4.2")).toThrow(
      "api 1.4.2 is already live (on the blue slot's port); nothing to release",
    );
  });

  it("fails when the stack file sets no version to keep as previousVersion", () => {
    const text = PRODUCTION.replace('      users: {version: "3.3.0"}', "      users: {}");
    expect(() => releaseEdit(text, "users", "3.4.0")).toThrow(
      "services.apps.users.version is not set, so there is no live version to keep as previousVersion; set it to the version that runs now, then release",
    );
  });

  it("fails for a service the stack does not select, or a slot that is not one", () => {
    expect(() => releaseEdit(PRODUCTION, "search", "1.0.0")).toThrow(
      "search is not selected in this stack (services.apps has api, billing, users)",
    );
    const purple = PRODUCTION.replace("liveSlot: green", "liveSlot: purple");
    expect(() => releaseEdit(purple, "billing", "2.1.0")).toThrow(
      'services.apps.billing.liveSlot is "purple"; set blue or green',
    );
  });

  it.each(["production"])("changes Pulumi.%s.yaml only under the released service", (stack) => {
    const text = readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
    for (const app of selectedApps(text)) {
      const had = appSetting(text, app, "version")!;
      expect(lineDiff(text, releaseEdit(text, app, "9.9.9-test"))).toEqual([
        `-         version: "${had}"`,
        '+         version: "9.9.9-test"',
        `+         previousVersion: "${had}"`,
        "+         liveSlot: green",
      ]);
    }
  });
});

describe("rollbackEdit (aws)", () => {
  it("swaps version and previousVersion and moves to the other slot", () => {
    expect(rollbackEdit(PRODUCTION, "billing")).toBe(
      PRODUCTION.replace(
        '        liveSlot: green\n        version: "2.0.1"\n        previousVersion: "2.0.0"\n',
        '        liveSlot: blue\n        version: "2.0.0"\n        previousVersion: "2.0.1"\n',
      ),
    );
  });

  it("undoes a release: rolling back after releasing gives the versions and slot back", () => {
    const released = releaseEdit(PRODUCTION, "api", "1.5.0");
    const rolledBack = rollbackEdit(released, "api");
    expect(rolledBack).toBe(
      PRODUCTION.replace(
        "        hostPort: 5060\n",
        '        hostPort: 5060\n        previousVersion: "1.5.0"\n        liveSlot: blue\n',
      ),
    );
    expect(rollbackEdit(rolledBack, "api")).toBe(released);
  });

  it("fails when previousVersion is not set", () => {
    expect(() => rollbackEdit(PRODUCTION, "api")).toThrow(
      "services.apps.api.previousVersion is not set, so there is no earlier release to roll back to; to run an older version, release it: npm run release -- api <version> --stack <stack>",
    );
  });
});

describe("recordLiveSlot (CI hosts) on Pulumi.testing.yaml", () => {
  it("records the live slot, turning `api: {}` into a block map", () => {
    const recorded = recordLiveSlot(testing, "api", "green");
    expect(recorded).toContain("      api:\n        liveSlot: green\n      auth: {}");
    expect(recordLiveSlot(recorded, "api", "blue")).toContain(
      "      api:\n        liveSlot: blue\n",
    );
  });

  it("fails for a service the stack does not select", () => {
    const narrowed = testing.replace("      api: {}\n", "");
    expect(() => recordLiveSlot(narrowed, "api", "green")).toThrow(
      "api is not selected in this stack",
    );
  });
});
