import { describe, expect, it } from "vitest";
import { PIPELINE_STAGES } from "./jenkins-render";
import {
  JENKINS_BUILD_VARIABLES,
  pipelineEnv,
  pipelineEnvRecord,
  REGISTRY_CREDENTIAL_VARIABLES,
  type PipelineContext,
  type PipelineReleaseContext,
} from "./pipeline-env";
import { readPipelineScripts } from "./pipeline-files";

/** When a `require_env` line applies: every condition of the `if`/`case` blocks around it. */
type Guard =
  | { readonly kind: "true"; readonly variable: string }
  | { readonly kind: "equals"; readonly variable: string; readonly value: string };

interface Requirement {
  readonly script: string;
  readonly line: number;
  readonly variables: readonly string[];
  readonly guards: readonly Guard[];
}

const IS_TRUE = /^if is_true "\$\{([A-Z_]+):-\}"; then\b/;
const CASE = /^case "\$\{([A-Z_]+):-\}" in$/;
const CASE_ARM = /^([a-z|" -]+)\)/;

/** The guard a line opens (`if is_true "${X:-}"; then`, `<pattern>)` of a `case`), if any. */
function guardOf(
  text: string,
  indent: number,
  lines: readonly string[],
  index: number,
): Guard[] | "unknown" {
  const t = text.trim();
  const ifTrue = IS_TRUE.exec(t);
  if (ifTrue) return [{ kind: "true", variable: ifTrue[1]! }];
  const arm = CASE_ARM.exec(t);
  if (arm) {
    // The `case` this arm belongs to: the nearest line above, less indented, opening one.
    for (let i = index - 1; i >= 0; i--) {
      const above = lines[i]!;
      if (above.trim() === "" || above.length - above.trimStart().length >= indent) continue;
      const open = CASE.exec(above.trim());
      if (!open) return "unknown";
      const values = arm[1]!.split("|").map((v) => v.trim().replace(/^""$/, ""));
      if (values.length !== 1) return "unknown";
      return [{ kind: "equals", variable: open[1]!, value: values[0]! }];
    }
  }
  return "unknown";
}

/**
 * Every `require_env` call of a script, with the conditions under which it runs. A call inside a
 * block the parser does not know throws, naming the script and line, rather than guess.
 */
export function requirementsOf(script: string, content: string): Requirement[] {
  // One entry per logical line (a trailing backslash continues it), with its first line's number.
  const lines: string[] = [];
  const numbers: number[] = [];
  content.split("\n").forEach((raw, i) => {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.endsWith("\\"))
      lines[last] = `${lines[last]!.slice(0, -1)} ${raw.trim()}`;
    else {
      lines.push(raw);
      numbers.push(i + 1);
    }
  });
  const found: Requirement[] = [];
  lines.forEach((text, index) => {
    const call = /(^|[\s;])require_env((?:\s+[A-Z_][A-Z0-9_]*)+)\s*(;|$)/.exec(text);
    if (!call || text.trimStart().startsWith("#")) return;
    const guards: Guard[] = [];
    const before = text.slice(0, call.index + call[1]!.length).trim();
    if (before !== "") {
      const own = guardOf(before, text.length - text.trimStart().length, lines, index);
      if (own === "unknown")
        throw new Error(
          `${script}:${numbers[index]!}: cannot tell when require_env runs after ${before}`,
        );
      guards.push(...own);
    }
    // The blocks around the line: each less indented line above it, up to the top level.
    let indent = text.length - text.trimStart().length;
    for (let i = index - 1; i >= 0 && indent > 0; i--) {
      const above = lines[i]!;
      const aboveIndent = above.length - above.trimStart().length;
      if (above.trim() === "" || aboveIndent >= indent) continue;
      indent = aboveIndent;
      if (CASE.test(above.trim())) continue; // its arm was the guard
      const outer = guardOf(above, aboveIndent, lines, i);
      if (outer === "unknown")
        throw new Error(
          `${script}:${numbers[index]!}: cannot tell when require_env runs inside ${above.trim()}`,
        );
      guards.push(...outer);
    }
    found.push({
      script,
      line: numbers[index]!,
      variables: call[2]!.trim().split(/\s+/),
      guards,
    });
  });
  return found;
}

const TRUE = new Set(["true", "TRUE", "True", "1", "yes"]);

function holds(guard: Guard, env: Readonly<Record<string, string>>): boolean {
  const value = env[guard.variable] ?? "";
  return guard.kind === "true" ? TRUE.has(value) : value === guard.value;
}

/** A context that runs scripts: the environment it gives them, and which scripts those are. */
interface RunningContext {
  readonly name: string;
  readonly env: Readonly<Record<string, string>>;
  readonly scripts: readonly string[];
}

/** What each script requires that a context running it does not provide: one message each. */
export function missingVariables(
  scripts: readonly { readonly name: string; readonly content: string }[],
  contexts: readonly RunningContext[],
): string[] {
  const problems: string[] = [];
  for (const { name, content } of scripts) {
    const requirements = requirementsOf(name, content);
    const running = contexts.filter((c) => c.scripts.includes(name));
    if (requirements.length > 0 && running.length === 0)
      problems.push(`${name} requires variables, but no context of the contract runs it`);
    for (const r of requirements)
      for (const c of running) {
        if (!r.guards.every((g) => holds(g, c.env))) continue;
        for (const v of r.variables)
          if ((c.env[v] ?? "") === "")
            problems.push(
              `${name}:${r.line} requires ${v}, which the ${c.name} context does not provide`,
            );
      }
  }
  return problems;
}

const service = {
  service: "api",
  appHostPort: 5060,
  slotPorts: { blue: 6060, green: 7060 },
  memory: "256m",
  cpus: "0.5",
  pidsLimit: 128,
};
const host = {
  stack: "staging",
  backendNetwork: "staging-backend",
  resolverIp: "172.18.0.2",
  searchDomain: "us-east-1.example.com",
  proxyContainer: "staging-release-proxy",
};
const build = (registry?: string): PipelineContext => ({
  kind: "build",
  service,
  host,
  gitUrl: "https://git.example.com/api.git",
  gitBranch: "main",
  devPorts: [27017, 6379],
  baseImage: "node:20-bookworm",
  networkholderImage: "ci-platform/networkholder:1",
  pipelineDir: "/var/lib/jenkins/ci-platform/pipeline",
  registry,
  registryCertDir: registry ? `/etc/docker/certs.d/${registry}` : undefined,
});
const release = (action: "release" | "rollback"): PipelineReleaseContext => ({
  kind: "release",
  service,
  host,
  action,
  image: action === "release" ? "api:1.4.3" : undefined,
  healthPath: "/health",
  proxyLayout: { liveDir: "/var/lib/release-proxy/live", conf: "/etc/release-proxy.conf" },
});

/** A Jenkins build's environment: the contract's, what Jenkins sets, and the publish credentials. */
function jenkinsBuild(name: string, context: PipelineContext): RunningContext {
  const env: Record<string, string> = pipelineEnvRecord(context);
  for (const v of JENKINS_BUILD_VARIABLES) env[v] = `<set by Jenkins: ${v}>`;
  if (env["PUBLISH"] === "true")
    for (const v of Object.values(REGISTRY_CREDENTIAL_VARIABLES)) env[v] = `<withCredentials>`;
  return {
    name,
    env,
    scripts: [...PIPELINE_STAGES.map((s) => s.script), "run-all.sh"],
  };
}

const CONTEXTS: readonly RunningContext[] = [
  jenkinsBuild("Jenkins build (no registry)", build()),
  jenkinsBuild("Jenkins build (publishing)", build("registry.example.com:5443")),
  { name: "release", env: pipelineEnvRecord(release("release")), scripts: ["release.sh"] },
  { name: "rollback", env: pipelineEnvRecord(release("rollback")), scripts: ["release.sh"] },
];

describe("the pipeline's environment contract", () => {
  const scripts = readPipelineScripts();

  it("provides every variable each pipeline script requires, in every context that runs it", () => {
    expect(missingVariables(scripts, CONTEXTS)).toEqual([]);
  });

  it("finds the require_env calls of the steps, the publish step's under PUBLISH", () => {
    const all = scripts.flatMap((s) => requirementsOf(s.name, s.content));
    expect(new Set(all.map((r) => r.script))).toEqual(
      new Set([...PIPELINE_STAGES.map((s) => s.script), "release.sh"]),
    );
    const publish = all.filter((r) => r.script === "07-publish.sh");
    expect(publish.map((r) => [r.variables, r.guards.map((g) => g.variable)])).toEqual([
      [["SERVICE", "BUILD_NUMBER", "WORKSPACE"], []],
      [["REGISTRY", "REGISTRY_USER", "REGISTRY_PASSWORD"], ["PUBLISH"]],
      [["BASE_IMAGE"], ["STRIPPED", "PUBLISH"]],
    ]);
    const deploy = all.find((r) => r.script === "05-deploy.sh")!;
    expect(deploy.variables).toContain("PROXY_CONTAINER"); // after a line continuation
    const releaseOnly = all.find((r) => r.script === "release.sh" && r.guards.length > 0)!;
    expect(releaseOnly.guards).toEqual([{ kind: "equals", variable: "ACTION", value: "release" }]);
    expect(releaseOnly.variables).toContain("IMAGE");
  });

  it("fails naming the script, its line and the variable a context does not provide", () => {
    const script = {
      name: "08-extra.sh",
      content: "source lib.sh\nrequire_env SERVICE NEW_SETTING\n",
    };
    const context = { ...jenkinsBuild("Jenkins build", build()), scripts: ["08-extra.sh"] };
    expect(missingVariables([script], [context])).toEqual([
      "08-extra.sh:2 requires NEW_SETTING, which the Jenkins build context does not provide",
    ]);
    expect(missingVariables([script], [])).toEqual([
      "08-extra.sh requires variables, but no context of the contract runs it",
    ]);
  });

  it("fails naming the script and line of a require_env it cannot place", () => {
    expect(() =>
      requirementsOf(
        "09-odd.sh",
        'while read -r x; do\n  require_env "$x"\n  require_env A\ndone\n',
      ),
    ).toThrow("09-odd.sh:3: cannot tell when require_env runs inside while read -r x; do");
  });

  it("lists a build's variables in the Jenkinsfile's order, and a release's with its image", () => {
    expect(pipelineEnv(build()).map(([k]) => k)).toEqual([
      "SERVICE",
      "GIT_URL",
      "GIT_BRANCH",
      "APP_HOST_PORT",
      "BLUE_PORT",
      "GREEN_PORT",
      "PROXY_CONTAINER",
      "DEV_PORTS",
      "BASE_IMAGE",
      "APP_MEMORY",
      "APP_CPUS",
      "APP_PIDS_LIMIT",
      "NETWORKHOLDER_IMAGE",
      "STACK",
      "BACKEND_NETWORK",
      "RESOLVER_IP",
      "SEARCH_DOMAIN",
      "PIPELINE",
      "PUBLISH",
      "STRIPPED",
      "REGISTRY",
      "REGISTRY_CERT_DIR",
    ]);
    expect(pipelineEnvRecord(release("release"))["IMAGE"]).toBe("api:1.4.3");
    expect(pipelineEnvRecord(release("rollback"))["IMAGE"]).toBeUndefined();
  });

  it("fails when a release has no image", () => {
    expect(() => pipelineEnv({ ...release("release"), image: undefined })).toThrow(
      "a release of api needs an image; a rollback needs none",
    );
  });
});
