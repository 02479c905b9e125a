/** The `layers/one-way` lint rule: what it allows and refuses, and that it knows every folder. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import layers, { LAYERS } from "../eslint-rules/layers.mjs";
import { PROJECT_ROOT } from "./mocks";

const linter = new Linter({ cwd: PROJECT_ROOT });
const config = [
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser as Linter.Parser },
    plugins: { layers },
    rules: { "layers/one-way": "error" as const },
  },
];

/** The rule's messages for `source` imported from `file` (relative to the project root). */
function lint(file: string, source: string): string[] {
  const code = `import { x } from "${source}";\nexport const y = x;\n`;
  return linter.verify(code, config, { filename: join(PROJECT_ROOT, file) }).map((m) => m.message);
}

describe("layers/one-way", () => {
  it.each([
    ["components/config/validate.ts", "../model/ipv4", "a lower layer"],
    ["components/config/validate.ts", "./reader", "its own folder"],
    ["components/services/DevServices.ts", "../dns/ServiceDns", "a capability of a lower rank"],
    ["components/platform.ts", "./aws/HostFleet", "the platform, anything"],
    ["components/jenkins/jenkins-render.test.ts", "../../tools/stack-config", "a test"],
    ["tools/plan/cli.ts", "../../components/platform", "a tool"],
  ])("allows %s to import %s (%s)", (file, source) => {
    expect(lint(file, source)).toEqual([]);
  });

  it.each([
    [
      "components/model/slots.ts",
      "../config/types",
      "components/model (model) must not import components/config (config)",
    ],
    [
      "components/config/validate.ts",
      "../registry/htpasswd",
      "components/config (config) must not import components/registry (capabilities)",
    ],
    [
      "components/jenkins/JenkinsHost.ts",
      "../release/ReleaseProxy",
      "components/jenkins (capabilities) must not import components/release (capabilities)",
    ],
    [
      "components/docker/HostImages.ts",
      "../../lib/process",
      "components/ must not import lib/process",
    ],
  ])("refuses %s importing %s", (file, source, message) => {
    const [found, ...more] = lint(file, source);
    expect(more).toEqual([]);
    expect(found).toContain(message);
  });

  it("has a layer for every folder under components/", () => {
    const folders = readdirSync(join(PROJECT_ROOT, "components"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(folders).toEqual(Object.keys(LAYERS).sort());
  });
});
