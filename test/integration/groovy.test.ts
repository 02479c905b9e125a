/**
 * Jenkins runs the Job DSL seed (from the JCasC document) and every Jenkinsfile with Groovy, so
 * Debian's Groovy (2.4, the line Jenkins itself embeds) checks what the program renders for the
 * testing and staging stacks: groovyc compiles every seed and every Jenkinsfile in one run (a Job
 * DSL script calls DSL methods, and a declarative Jenkinsfile `pipeline { ... }` steps, that are
 * unknown at compile time: Groovy compiles them as dynamic calls), and Groovy runs each seed with
 * a recorder in place of the DSL, to prove it hands each job exactly the Jenkinsfile rendered.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NETWORKHOLDER_IMAGE } from "../../components/jenkins/JenkinsHost";
import {
  groovyString,
  jobDslScripts,
  renderJenkinsSite,
} from "../../components/jenkins/jenkins-render";
import { releaseProxyContainerName } from "../../components/docker/docker-render";
import { validatedStackConfig } from "../../lib/stack-config";
import { run, type RunResult } from "../harness/process";
import { PROJECT_ROOT } from "../mocks";

const JAVA_HOME = process.env["JAVA_HOME"] ?? "/usr/lib/jvm/java-17-openjdk-amd64";
const GROOVY_TIMEOUT_MS = 240_000;
const scratch = mkdtempSync(join(tmpdir(), "groovy-"));

/** A Groovy source file; `name` is also its script class's name. */
interface GroovySource {
  readonly name: string;
  readonly text: string;
}

interface RenderedSeed extends GroovySource {
  readonly jobs: readonly { readonly name: string; readonly jenkinsfile: string }[];
}

const className = (...parts: string[]): string => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");

/** Every Job DSL seed the stacks' CI hosts get, with the jobs and Jenkinsfiles it defines. */
function renderedSeeds(stacks: readonly string[]): RenderedSeed[] {
  return stacks.flatMap((stack) => {
    const config = validatedStackConfig(PROJECT_ROOT, stack);
    return config.ciHosts.flatMap((host) => {
      const site = renderJenkinsSite({
        stack,
        host,
        jenkins: config.jenkins!,
        apps: config.apps,
        datastores: config.datastores,
        regionDomain: config.regionDomain,
        registry: config.registry,
        proxyContainer: releaseProxyContainerName(stack),
        networkholderImage: NETWORKHOLDER_IMAGE,
      });
      return jobDslScripts(site.casc).map((text, i) => ({
        name: className(stack, host.name, "seed", String(i)),
        text,
        jobs: site.jobs,
      }));
    });
  });
}

function writeSources(dir: string, sources: readonly GroovySource[]): string[] {
  mkdirSync(dir, { recursive: true });
  return sources.map((s) => {
    const path = join(dir, `${s.name}.groovy`);
    writeFileSync(path, s.text);
    return path;
  });
}

/** One groovyc run over all `sources`, into a fresh class directory. */
async function groovyc(sources: readonly GroovySource[]): Promise<RunResult & { classes: string }> {
  const dir = mkdtempSync(join(scratch, "groovyc-"));
  const classes = join(dir, "classes");
  const paths = writeSources(join(dir, "src"), sources);
  const result = await run("groovyc", ["--encoding", "UTF-8", "-d", classes, ...paths], {
    env: { JAVA_HOME },
    timeoutMs: GROOVY_TIMEOUT_MS,
  });
  return { ...result, classes };
}

/**
 * Runs each seed with a recorder for the DSL (every call, with closures run against the call they
 * belong to) and prints `job <seed> <name> <script>` per `pipelineJob`, base64 of UTF-8; first it
 * prints `literal <i> <value>` for each value of the list the literals file evaluates to.
 */
const SEED_READER = String.raw`
class Call {
  String name
  List args = []
  List<Call> calls = []
  Object methodMissing(String method, Object params) {
    Call call = new Call(name: method)
    for (p in (params as Object[])) {
      if (p instanceof Closure) {
        Closure body = ((Closure) p).rehydrate(call, call, call)
        body.resolveStrategy = Closure.DELEGATE_ONLY
        body.call()
      } else {
        call.args << p
      }
    }
    calls << call
    return call
  }
  List<Call> all(String method) {
    (name == method ? [this] : []) + calls.collectMany { it.all(method) }
  }
}
def b64 = { Object s -> s.toString().getBytes('UTF-8').encodeBase64().toString() }
def shell = new GroovyShell()
shell.evaluate(new File(args[0])).eachWithIndex { value, i -> println("literal " + i + " " + b64(value)) }
args.drop(1).eachWithIndex { path, i ->
  Call seed = new Call(name: 'seed')
  Script script = shell.parse(new File(path))
  script.metaClass.methodMissing = { String method, Object params -> seed.methodMissing(method, params) }
  script.run()
  seed.all('pipelineJob').each { job ->
    def scripts = job.all('script')
    println("job " + i + " " + b64(job.args[0]) + " " + (scripts.size() == 1 ? b64(scripts[0].args[0]) : "-"))
  }
}
`;

/** Values that have broken Groovy literals somewhere: quotes, backslashes, `$`, line breaks. */
const HOSTILE = [
  "it's",
  String.raw`a\b`,
  "end\\",
  "'",
  "x'''y",
  "'''",
  '"""q"',
  "$HOME ${x} $",
  "a\nb",
  "\nleading",
  "trailing'\n'",
  "'''\n'''",
  "cr\r\nlf\r",
  String.raw`literal \u0041 \n \' \$`,
  "é, 😀, \t",
];

const decode = (b64: string): string => Buffer.from(b64, "base64").toString("utf8");

describe("Job DSL seeds and Jenkinsfiles, checked by Groovy", { timeout: 300_000 }, () => {
  const seeds = renderedSeeds(["testing", "staging"]);
  const jenkinsfiles: GroovySource[] = seeds.flatMap((seed) =>
    seed.jobs.map((job) => ({
      name: className(seed.name, job.name, "Jenkinsfile"),
      text: job.jenkinsfile,
    })),
  );
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("renders a seed per CI host and a Jenkinsfile per service on both stacks", () => {
    expect(seeds.map((s) => s.name)).toEqual([
      "testing_ci_testing_1_seed_0",
      "staging_ci_staging_1_seed_0",
    ]);
    expect(jenkinsfiles).toHaveLength(50);
    // JCasC substitutes `${...}` anywhere in its document, the seed included.
    for (const seed of seeds) expect(seed.text).not.toContain("${");
  });

  it("compiles every rendered Job DSL seed and Jenkinsfile with groovyc, in one run", async () => {
    const sources = [...seeds, ...jenkinsfiles];
    const result = await groovyc(sources);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const s of sources) expect(existsSync(join(result.classes, `${s.name}.class`))).toBe(true);
  });

  it("fails, with groovyc's message, on a seed whose Jenkinsfile spans lines in a single-quoted string", async () => {
    // How the seed was rendered before: groovyc must reject it, or the test above proves nothing.
    const broken = "pipelineJob('api') {\n  definition { cps { script('pipeline {\n}') } }\n}\n";
    const result = await groovyc([{ name: "broken_seed", text: broken }]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("expecting ''', found '\\n'");
  });

  it("reads back every hostile value, and from each seed exactly the Jenkinsfiles rendered", async () => {
    const dir = join(scratch, "reader");
    const [reader, literals, ...seedPaths] = writeSources(dir, [
      { name: "SeedReader", text: SEED_READER },
      {
        name: "Literals",
        text: `[\n${HOSTILE.map((v) => `  ${groovyString(v)},`).join("\n")}\n]\n`,
      },
      ...seeds,
    ]);
    const result = await run("groovy", ["-c", "UTF-8", reader!, literals!, ...seedPaths], {
      env: { JAVA_HOME },
      timeoutMs: GROOVY_TIMEOUT_MS,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    expect(lines.filter(([kind]) => kind === "literal").map(([, , v]) => decode(v!))).toEqual(
      HOSTILE,
    );
    seeds.forEach((seed, i) => {
      const jobs = lines
        .filter(([kind, index]) => kind === "job" && index === String(i))
        .map(([, , name, script]) => ({ name: decode(name!), jenkinsfile: decode(script!) }));
      expect(jobs).toEqual(seed.jobs);
    });
  });
});
