import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  cascCredential,
  credentialFileContent,
  escapeCasc,
  groovyString,
  JENKINS_CREDENTIALS,
  jenkinsLayout,
  jobDslScripts,
  PIPELINE_STAGES,
  renderCasc,
  renderJenkinsfile,
  renderJenkinsInstallScript,
  renderJenkinsSite,
  renderJenkinsDropIn,
  renderPluginsFile,
  systemdEnvironment,
  unescapeCasc,
} from "./jenkins-render";
import { validatedStackConfig } from "../../lib/stack-config";

const job = {
  service: "api",
  gitUrl: "https://git.example.com/shop/api.git",
  gitBranch: "main",
  appHostPort: 5060,
  slotPorts: { blue: 6060, green: 7060 },
  devPorts: [6379, 27017],
  baseImage: "node:20-bookworm-slim",
  memory: "256m",
  cpus: "0.5",
  pidsLimit: 128,
};
const settings = {
  stack: "staging",
  pipelineDir: "/var/lib/jenkins/ci-platform/pipeline",
  backendNetwork: "staging-backend",
  resolverIp: "172.19.0.2",
  searchDomain: "us-east-1.example.com",
  registry: "registry.example.com:5443",
  registryCertDir: "/etc/docker/certs.d/registry.example.com:5443",
  networkholderImage: "ci-platform/networkholder:1",
  proxyContainer: "staging-release-proxy",
};

describe("groovyString", () => {
  it.each([
    ["plain", "api", "'api'"],
    ["empty", "", "''"],
    ["a single quote", "it's", String.raw`'it\'s'`],
    ["a backslash", String.raw`a\b`, String.raw`'a\\b'`],
    ["a trailing backslash", "end\\", String.raw`'end\\'`],
    ["dollars, never interpolated", "$HOME ${x}", "'$HOME ${x}'"],
    ["double quotes", '"""q"', `'"""q"'`],
    ["a triple single quote", "x'''y", String.raw`'x\'\'\'y'`],
    ["a carriage return", "a\rb", String.raw`'a\rb'`],
    ["a literal backslash-u", String.raw`\u0041`, String.raw`'\\u0041'`],
    ["a newline, triple-quoted with its lines kept", "a\nb", "'''a\nb'''"],
    ["a leading newline", "\nx", "'''\nx'''"],
    ["a quote before the closing delimiter", "x\n'", "'''x\n\\''''"],
    ["triple quotes across lines", "'''\n'''", "'''\\'\\'\\'\n\\'\\'\\''''"],
    ["CRLF", "a\r\nb", "'''a\\r\nb'''"],
  ])("writes %s as a literal of exactly that value", (_, value, literal) => {
    expect(groovyString(value)).toBe(literal);
  });

  // The characters that matter to a Groovy literal, and some that do not.
  const hostileChar = fc.constantFrom(
    "'",
    "\\",
    "\n",
    "\r",
    "$",
    "{",
    "}",
    '"',
    "u",
    "0",
    "a",
    " ",
    "\t",
    "é",
    "😀",
  );

  it("never lets a value end its literal early or put a raw line break in a single-quoted one", () => {
    fc.assert(
      fc.property(fc.string({ unit: hostileChar }), (value) => {
        const literal = groovyString(value);
        const delimiter = value.includes("\n") ? "'''" : "'";
        const body = literal.slice(delimiter.length, literal.length - delimiter.length);
        return (
          literal === `${delimiter}${body}${delimiter}` &&
          // With every escape pair removed, no quote or lone backslash is left.
          !/['\\]/.test(body.replace(/\\[\s\S]/g, "")) &&
          !literal.includes("\r") &&
          (delimiter === "'''" || !literal.includes("\n"))
        );
      }),
    );
  });
});

describe("renderPluginsFile", () => {
  it("pins every plugin, sorted", () => {
    expect(
      renderPluginsFile({ git: "5.7.0", "job-dsl": "1.91", "configuration-as-code": "1" }),
    ).toBe("configuration-as-code:1\ngit:5.7.0\njob-dsl:1.91\n");
  });
});

describe("renderJenkinsfile", () => {
  const text = renderJenkinsfile(job, settings);

  it("runs the seven steps in order, each one shipped script, on the docker agent", () => {
    const positions = PIPELINE_STAGES.map((s) => text.indexOf(`stage('${s.name}')`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const s of PIPELINE_STAGES) expect(text).toContain(`"$PIPELINE/${s.script}"`);
    expect(text).toContain("agent { label 'docker' }");
  });

  it("carries the service's and the stack's settings in its environment", () => {
    for (const line of [
      "SERVICE = 'api'",
      "GIT_URL = 'https://git.example.com/shop/api.git'",
      "APP_HOST_PORT = '5060'",
      "BLUE_PORT = '6060'",
      "GREEN_PORT = '7060'",
      "PROXY_CONTAINER = 'staging-release-proxy'",
      "DEV_PORTS = '6379 27017'",
      "BACKEND_NETWORK = 'staging-backend'",
      "RESOLVER_IP = '172.19.0.2'",
      "SEARCH_DOMAIN = 'us-east-1.example.com'",
      "PUBLISH = 'true'",
      "REGISTRY = 'registry.example.com:5443'",
      "APP_MEMORY = '256m'",
      "APP_CPUS = '0.5'",
      "APP_PIDS_LIMIT = '128'",
      "NETWORKHOLDER_IMAGE = 'ci-platform/networkholder:1'",
    ]) {
      expect(text).toContain(line);
    }
  });

  it("publishes only where a registry is configured, with the registry credentials", () => {
    expect(text).toContain("when { environment name: 'PUBLISH', value: 'true' }");
    expect(text).toContain("usernamePassword(credentialsId: 'registry'");
    expect(
      renderJenkinsfile(job, { ...settings, registry: undefined, registryCertDir: undefined }),
    ).toContain("PUBLISH = 'false'");
  });

  it("escapes quotes so a value cannot break out of its Groovy string", () => {
    expect(renderJenkinsfile({ ...job, gitBranch: "feat/it's" }, settings)).toContain(
      "GIT_BRANCH = 'feat/it\\'s'",
    );
  });
});

describe("renderJenkinsSite", () => {
  // The staging stack's real config: it publishes to its registry.
  const config = validatedStackConfig(join(__dirname, "../.."), "staging");
  const site = (certsDir: string) => {
    const host = config.ciHosts[0]!;
    return renderJenkinsSite({
      stack: "staging",
      host: { ...host, hostPrep: { ...host.hostPrep, certsDir } },
      jenkins: config.jenkins!,
      apps: config.apps,
      datastores: config.datastores,
      regionDomain: config.regionDomain,
      registry: config.registry,
      proxyContainer: "staging-release-proxy",
      networkholderImage: "ci-platform/networkholder:1",
    });
  };

  it("trusts the registry's CA where the host's preparation puts it, under hostPrep.certsDir", () => {
    const address = config.registry!.address;
    for (const certsDir of ["/etc/docker/certs.d", "/srv/docker/certs.d"]) {
      const { jobs } = site(certsDir);
      expect(jobs).toHaveLength(config.apps.length);
      for (const job of jobs)
        expect(job.jenkinsfile).toContain(`REGISTRY_CERT_DIR = '${certsDir}/${address}'`);
    }
  });

  it("defines in its seed the jobs it renders, one per service, sorted", () => {
    const { jobs, casc } = site("/etc/docker/certs.d");
    expect(jobs.map((j) => j.name)).toEqual(config.apps.map((a) => a.name).sort());
    const [seed] = jobDslScripts(casc);
    for (const job of jobs) expect(seed).toContain(`script(${groovyString(job.jenkinsfile)})`);
  });
});

describe("renderCasc", () => {
  const doc = parse(
    renderCasc({
      hostName: "ci-1",
      port: 8080,
      executors: 2,
      agentRoot: "/var/lib/jenkins/agent",
      registryUser: "jenkins",
      jobs: [
        { name: "users", jenkinsfile: "pipeline { }" },
        { name: "api", jenkinsfile: "pipeline { stage('x') }" },
      ],
    }),
  ) as Record<string, Record<string, unknown>>;

  it("locks Jenkins down: no sign-up, no anonymous access, CSRF crumbs, agent security, no builds on the controller", () => {
    expect(doc["jenkins"]).toMatchObject({
      numExecutors: 0,
      securityRealm: {
        local: {
          allowsSignup: false,
          users: [
            {
              id: "admin",
              password: "${readFile:${CREDENTIALS_DIRECTORY}/ci-platform-admin-password}",
            },
          ],
        },
      },
      authorizationStrategy: { loggedInUsersCanDoAnything: { allowAnonymousRead: false } },
      crumbIssuer: { standard: { excludeClientIPFromCrumb: false } },
      remotingSecurity: { enabled: true },
      nodes: [{ permanent: { name: "docker-local", labelString: "docker", numExecutors: 2 } }],
    });
  });

  it("defines one sandboxed pipeline job per service, sorted, with the Jenkinsfile inline", () => {
    const script = (doc["jobs"] as unknown as { script: string }[])[0]!.script;
    expect(script.match(/pipelineJob\('[^']+'\)/g)).toEqual([
      "pipelineJob('api')",
      "pipelineJob('users')",
    ]);
    expect(script).toContain("sandbox(true)");
    expect(script).toContain("script('pipeline { stage(\\'x\\') }')");
  });

  it("inlines a multi-line Jenkinsfile as a triple-quoted literal, line for line", () => {
    const jenkinsfile = renderJenkinsfile(job, settings);
    const casc = renderCasc({
      hostName: "ci-1",
      port: 8080,
      executors: 2,
      agentRoot: "/var/lib/jenkins/agent",
      registryUser: undefined,
      jobs: [{ name: "api", jenkinsfile }],
    });
    const [script] = jobDslScripts(casc);
    expect(script).toContain(`      script(${groovyString(jenkinsfile)})\n`);
    expect(groovyString(jenkinsfile)).toMatch(/^'''\/\/ Rendered by ci-platform for api/);
    expect(script).toContain("\n  agent { label \\'docker\\' }\n");
  });

  it("holds registry credentials as a reference to the unit's credential, never a value", () => {
    const text = JSON.stringify(doc["credentials"]);
    expect(text).toContain(
      '"password":"${readFile:${CREDENTIALS_DIRECTORY}/ci-platform-registry-password}"',
    );
    expect(text).toContain('"username":"jenkins"');
  });

  it("escapes every ${ of the values it is given, so JCasC resolves none of them", () => {
    const text = renderCasc({
      hostName: "ci-${HOST}",
      port: 8080,
      executors: 2,
      agentRoot: "/srv/${JENKINS_HOME}/agent",
      registryUser: "${USER}",
      jobs: [{ name: "api", jenkinsfile: "pipeline { echo '${env.X} ^${Y}' }" }],
    });
    // With the two credential references taken out, no unescaped ${ is left.
    const rest = text
      .split(cascCredential(JENKINS_CREDENTIALS.adminPassword))
      .join("")
      .split(cascCredential(JENKINS_CREDENTIALS.registryPassword))
      .join("");
    expect(rest.replace(/\^\$\{/g, "")).not.toContain("${");
    const parsed = parse(text) as {
      jenkins: { nodes: { permanent: { remoteFS: string } }[] };
      unclassified: { location: { url: string } };
      credentials: unknown;
    };
    expect(parsed.unclassified.location.url).toBe("http://ci-^${HOST}:8080/");
    expect(parsed.jenkins.nodes[0]!.permanent.remoteFS).toBe("/srv/^${JENKINS_HOME}/agent");
    expect(JSON.stringify(parsed.credentials)).toContain('"username":"^${USER}"');
    expect(jobDslScripts(text)[0]).toContain("script('pipeline { echo \\'${env.X} ^${Y}\\' }')");
  });
});

describe("renderJenkinsInstallScript", () => {
  const install = {
    version: "2.580.1",
    javaPackage: "openjdk-21-jre-headless",
    aptSource: undefined,
    aptSourcesDir: "/etc/apt/sources.list.d",
    layout: jenkinsLayout("/var/lib/jenkins", "/etc/systemd/system"),
    port: 8080,
    listenAddress: "127.0.0.1",
    files: [],
    credentials: [JENKINS_CREDENTIALS.adminPassword],
    obsoleteFiles: [],
    restartCommand: "true",
  };

  it("writes the apt source, when one is set, into the configured sources directory", () => {
    const source =
      "deb [signed-by=/usr/share/keyrings/jenkins.asc] https://apt.example.com binary/";
    const script = renderJenkinsInstallScript({
      ...install,
      aptSource: source,
      aptSourcesDir: "/srv/apt/sources.list.d",
    });
    expect(script).toContain(
      `  mkdir -p '/srv/apt/sources.list.d'\n  printf '%s\\n' '${source}' > '/srv/apt/sources.list.d/jenkins.list'\n  apt-get update -q\n`,
    );
    expect(script).not.toContain("/etc/apt");
    expect(renderJenkinsInstallScript(install)).not.toContain("jenkins.list");
  });

  it("refuses a file that would end its heredoc early", () => {
    expect(() =>
      renderJenkinsInstallScript({
        version: "2.580.1",
        javaPackage: "openjdk-21-jre-headless",
        aptSource: undefined,
        aptSourcesDir: "/etc/apt/sources.list.d",
        layout: jenkinsLayout("/var/lib/jenkins", "/etc/systemd/system"),
        port: 8080,
        listenAddress: "127.0.0.1",
        files: [{ path: "/x", content: "a\nCI_PLATFORM_EOF\n", mode: "0644" }],
        credentials: [],
        obsoleteFiles: [],
        restartCommand: "true",
      }),
    ).toThrow("/x contains the heredoc marker CI_PLATFORM_EOF");
  });
});

describe("JCasC escaping", () => {
  it.each([
    ["a variable", "${X}", "^${X}"],
    ["an escaped variable", "^${X}", "^^${X}"],
    ["a dollar without a brace", "$X {", "$X {"],
    ["a default", "${X:-y}", "^${X:-y}"],
    ["nothing to escape", "plain", "plain"],
  ])("escapes %s", (_, value, escaped) => {
    expect(escapeCasc(value)).toBe(escaped);
    expect(unescapeCasc(escaped)).toBe(value);
    expect(credentialFileContent(value)).toBe(escaped);
  });

  it("reads back every value it escapes", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("$", "{", "}", "^", "a", "\\", "\n") }),
        (v) => {
          return unescapeCasc(escapeCasc(v)) === v;
        },
      ),
    );
  });
});

describe("renderJenkinsDropIn", () => {
  const layout = jenkinsLayout("/var/lib/jenkins", "/etc/systemd/system");

  it("says where Jenkins lives and listens, and loads its credentials, holding no secret", () => {
    expect(
      renderJenkinsDropIn({
        layout,
        port: 8080,
        listenAddress: "127.0.0.1",
        credentials: [JENKINS_CREDENTIALS.registryPassword, JENKINS_CREDENTIALS.adminPassword],
      }),
    ).toBe(
      [
        "[Service]",
        'Environment="JENKINS_HOME=/var/lib/jenkins"',
        'Environment="JENKINS_PORT=8080"',
        'Environment="JENKINS_LISTEN_ADDRESS=127.0.0.1"',
        'Environment="CASC_JENKINS_CONFIG=/var/lib/jenkins/casc_configs/jenkins.yaml"',
        'Environment="JAVA_OPTS=-Djava.awt.headless=true -Djenkins.install.runSetupWizard=false"',
        "LoadCredential=ci-platform-admin-password:/etc/systemd/system/jenkins.service.d/credentials/ci-platform-admin-password",
        "LoadCredential=ci-platform-registry-password:/etc/systemd/system/jenkins.service.d/credentials/ci-platform-registry-password",
        "",
      ].join("\n"),
    );
  });

  it.each([
    ["a double quote", 'a"b', 'Environment="X=a\\"b"'],
    ["a backslash", "a\\b", 'Environment="X=a\\\\b"'],
    ["a specifier", "%h", 'Environment="X=%%h"'],
    ["spaces", " a b ", 'Environment="X= a b "'],
  ])("writes a value with %s as exactly that value", (_, value, line) => {
    expect(systemdEnvironment("X", value)).toBe(line);
  });

  it("refuses a value with a line break, which would end the setting", () => {
    expect(() => systemdEnvironment("JENKINS_HOME", "/a\nExecStartPre=/bin/touch /tmp/x")).toThrow(
      'JENKINS_HOME "/a\\nExecStartPre=/bin/touch /tmp/x" cannot be written in a systemd unit: it has a control character',
    );
  });

  it("doubles a % in a credential's path", () => {
    const text = renderJenkinsDropIn({
      layout: jenkinsLayout("/srv/jenkins%h", "/etc/systemd/100%"),
      port: 8080,
      listenAddress: "127.0.0.1",
      credentials: [JENKINS_CREDENTIALS.adminPassword],
    });
    expect(text).toContain('Environment="JENKINS_HOME=/srv/jenkins%%h"');
    expect(text).toContain(
      "LoadCredential=ci-platform-admin-password:/etc/systemd/100%%/jenkins.service.d/credentials/ci-platform-admin-password",
    );
  });
});
