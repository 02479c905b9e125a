import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JENKINS_DEFAULTS } from "../config/validate";
import { renderPluginsFile } from "./jenkins-render";
import { JAVA_PACKAGE, JENKINS_LTS_VERSION } from "../model/pins";
import { JENKINS_PLUGINS } from "./plugins";

/** The record of the plugin BOM read for the pinned LTS line. */
interface BomRecord {
  readonly repository: string;
  readonly module: string;
  readonly line: string;
  readonly commit: string;
  readonly date: string;
  readonly jenkins: string;
  readonly plugins: Readonly<Record<string, string>>;
}

const bom = JSON.parse(readFileSync(join(__dirname, "plugin-bom.json"), "utf8")) as BomRecord;

describe("the pinned Jenkins and plugins", () => {
  it("pins every plugin in plugins.txt at the BOM's version, none missing, none extra", () => {
    const lines = renderPluginsFile(JENKINS_PLUGINS).trimEnd().split("\n");
    for (const line of lines) expect(line).toMatch(/^[a-z0-9-]+:[0-9][0-9A-Za-z._-]*$/);
    const pinned = Object.fromEntries(lines.map((l) => l.split(":") as [string, string]));
    expect(pinned).toEqual(bom.plugins);
  });

  it("installs a release of the BOM's LTS line, by default on every stack", () => {
    expect(bom.module).toBe(`bom-${bom.line}`);
    expect(bom.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(JENKINS_LTS_VERSION).toBe(bom.jenkins);
    expect(JENKINS_LTS_VERSION.startsWith(bom.line.replace(/x$/, ""))).toBe(true);
    expect(JENKINS_LTS_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(JENKINS_DEFAULTS.version).toBe(JENKINS_LTS_VERSION);
  });

  it("runs Jenkins on Java 21, which the 2.555.x and later lines require (or 25)", () => {
    expect(JAVA_PACKAGE).toMatch(/^openjdk-(21|25)-jre-headless$/);
  });
});
