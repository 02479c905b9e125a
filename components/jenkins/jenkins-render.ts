/**
 * Jenkins on a CI host, as files rendered from config and the catalog: the plugin list, the JCasC
 * document (security, the local docker agent, one pipeline job per service), the Jenkinsfile each
 * job runs, and the install script that puts them on the host. All deterministic.
 */
import { parse, stringify } from "yaml";
import { DEFAULT_APP_BASE_IMAGE, type DatastoreEntry } from "../catalog/catalog";
import { containerName } from "../docker/docker-render";
import { shellQuote } from "../docker/shell";
import type { CiHostConfig, JenkinsConfig, RegistryConfig, StackApp } from "../config/types";
import type { SlotPorts } from "../model/slots";
import { pipelineEnv, REGISTRY_CREDENTIAL_VARIABLES } from "./pipeline-env";

export interface JenkinsLayout {
  /** JENKINS_HOME. */
  readonly home: string;
  /** Where the pipeline's scripts are installed. */
  readonly pipelineDir: string;
  /** The JCasC document's path. */
  readonly cascPath: string;
  readonly pluginsPath: string;
  /** Directory of the jenkins unit's systemd drop-ins. */
  readonly dropInDir: string;
  /**
   * Root-only directory of the files the unit loads as systemd credentials (`LoadCredential=`):
   * beside the drop-ins, which systemd reads only as `*.conf`, so it never reads this as one.
   */
  readonly credentialsDir: string;
}

export function jenkinsLayout(home: string, systemdDir: string): JenkinsLayout {
  return {
    home,
    pipelineDir: `${home}/ci-platform/pipeline`,
    cascPath: `${home}/casc_configs/jenkins.yaml`,
    pluginsPath: `${home}/ci-platform/plugins.txt`,
    dropInDir: `${systemdDir}/jenkins.service.d`,
    credentialsDir: `${systemdDir}/jenkins.service.d/credentials`,
  };
}

/**
 * The secrets Jenkins gets, each a systemd credential of its unit: systemd reads the root-only
 * file `<credentialsDir>/<id>` when it starts Jenkins and hands it to the jenkins user alone in
 * `$CREDENTIALS_DIRECTORY` (systemd.exec(5), "Credentials"), where the JCasC document reads it.
 * No secret is ever in unit-file text or in Jenkins' environment.
 */
export const JENKINS_CREDENTIALS = {
  adminPassword: "ci-platform-admin-password",
  registryPassword: "ci-platform-registry-password",
} as const;
export type JenkinsCredential = (typeof JENKINS_CREDENTIALS)[keyof typeof JENKINS_CREDENTIALS];

/**
 * JCasC's escape: it resolves every `${...}` in every string of its document (and again in the
 * value a variable resolves to), and `^${` stands for a literal `${`. The contract, JCasC's
 * SecretSourceResolver (commons-text StringSubstitutor with escape `^`, escapes preserved in the
 * first pass and removed in the second, with substitution in resolved values left on).
 */
export function escapeCasc(value: string): string {
  return value.replace(/\$\{/g, "^${");
}

/** What JCasC makes of `escapeCasc(value)`: `value`. */
export function unescapeCasc(text: string): string {
  return text.replace(/\^\$\{/g, "${");
}

/** JCasC's reference to a credential's content: `${readFile:...}` in `$CREDENTIALS_DIRECTORY`. */
export function cascCredential(id: JenkinsCredential): string {
  return `\${readFile:\${CREDENTIALS_DIRECTORY}/${id}}`;
}

/**
 * The bytes of a credential file whose content JCasC reads as exactly `secret`: JCasC resolves
 * `${` inside the file's content too, so that alone is escaped (`^${`); any other secret is
 * written as it is.
 */
export function credentialFileContent(secret: string): string {
  return escapeCasc(secret);
}

/** plugins.txt: `id:version` lines, sorted. */
export function renderPluginsFile(plugins: Readonly<Record<string, string>>): string {
  return Object.keys(plugins)
    .sort()
    .map((id) => `${id}:${plugins[id]!}\n`)
    .join("");
}

/** One application service's pipeline job: what its Jenkinsfile's environment carries. */
export interface PipelineJob {
  readonly service: string;
  readonly gitUrl: string;
  readonly gitBranch: string;
  /** The public port the host's release proxy serves the service on. */
  readonly appHostPort: number;
  /** Host ports of the service's blue and green release slots. */
  readonly slotPorts: SlotPorts;
  /** Host ports of the dev-minimal datastores the service depends on, which redir forwards. */
  readonly devPorts: readonly number[];
  readonly baseImage: string;
  /** The deployed container's memory limit, such as `256m`. */
  readonly memory: string;
  /** The deployed container's CPU limit, as `docker run --cpus` takes it, such as `0.5`. */
  readonly cpus: string;
  /** The deployed container's PIDs limit. */
  readonly pidsLimit: number;
}

export interface PipelineSettings {
  readonly stack: string;
  readonly pipelineDir: string;
  readonly backendNetwork: string;
  readonly resolverIp: string;
  readonly searchDomain: string;
  /** `<host>:<port>` of the private registry when this stack publishes (staging). */
  readonly registry: string | undefined;
  /** Where the engine trusts the registry's CA. */
  readonly registryCertDir: string | undefined;
  /** Image of the integration tests' network holder (redir). */
  readonly networkholderImage: string;
  /** The release proxy container the deploy step switches. */
  readonly proxyContainer: string;
}

/**
 * A Groovy string literal whose value is exactly `value`, never interpolated: single-quoted
 * (`'...'`) for one line, triple-single-quoted (`'''...'''`) when the value has line breaks, so a
 * Jenkinsfile inlined in the Job DSL seed keeps its lines readable. The contract, Groovy's string
 * grammar (https://groovy-lang.org/syntax.html#all-strings): neither kind interpolates `$`; a
 * backslash escapes the next character; a single-quoted string may not hold a raw line break
 * (groovyc: `expecting ''', found '\n'`). So every backslash and quote is escaped (an escaped
 * quote also keeps a `'''` in the value from closing the literal), and a carriage return is
 * written `\r` (raw, Groovy would read it as a line break).
 * test/integration/groovy.test.ts has Groovy itself read these literals back.
 */
export function groovyString(value: string): string {
  const body = value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\r/g, "\\r");
  return value.includes("\n") ? `'''${body}'''` : `'${body}'`;
}

export const PIPELINE_STAGES = [
  { name: "1 Pull", script: "01-checkout.sh" },
  { name: "2 Build image", script: "02-build.sh" },
  { name: "3 Unit tests", script: "03-unit-test.sh" },
  { name: "4 Integration tests", script: "04-integration-test.sh" },
  { name: "5 Deploy", script: "05-deploy.sh" },
  { name: "6 Live tests", script: "06-live-test.sh" },
  { name: "7 Publish", script: "07-publish.sh" },
] as const;

/** The declarative Jenkinsfile of one service's job: the seven steps, each one shipped script. */
export function renderJenkinsfile(job: PipelineJob, settings: PipelineSettings): string {
  const env = pipelineEnv({
    kind: "build",
    service: {
      service: job.service,
      appHostPort: job.appHostPort,
      slotPorts: job.slotPorts,
      memory: job.memory,
      cpus: job.cpus,
      pidsLimit: job.pidsLimit,
    },
    host: {
      stack: settings.stack,
      backendNetwork: settings.backendNetwork,
      resolverIp: settings.resolverIp,
      searchDomain: settings.searchDomain,
      proxyContainer: settings.proxyContainer,
    },
    gitUrl: job.gitUrl,
    gitBranch: job.gitBranch,
    devPorts: job.devPorts,
    baseImage: job.baseImage,
    networkholderImage: settings.networkholderImage,
    pipelineDir: settings.pipelineDir,
    registry: settings.registry,
    registryCertDir: settings.registryCertDir,
  });
  // Every script runs in the checkout, whatever Jenkins' own workspace holds.
  const run = (script: string): string => `sh 'WORKSPACE="$WORKSPACE/src" "$PIPELINE/${script}"'`;
  const [pull, ...rest] = PIPELINE_STAGES;
  const publish = rest.pop()!;
  return `// Rendered by ci-platform for ${job.service}: the seven build steps; any failure stops the chain.
pipeline {
  agent { label 'docker' }
  triggers { pollSCM('H/2 * * * *') }
  options {
    buildDiscarder(logRotator(numToKeepStr: '50'))
    timeout(time: 60, unit: 'MINUTES')
    timestamps()
  }
  environment {
${env.map(([k, v]) => `    ${k} = ${groovyString(v)}`).join("\n")}
  }
  stages {
    stage(${groovyString(pull.name)}) {
      steps {
        // The git step lets Jenkins poll the branch; the script pins the revision this build uses.
        dir('src') { git url: env.GIT_URL, branch: env.GIT_BRANCH }
        ${run(pull.script)}
      }
    }
${rest.map((s) => `    stage(${groovyString(s.name)}) {\n      steps {\n        ${run(s.script)}\n      }\n    }`).join("\n")}
    stage(${groovyString(publish.name)}) {
      when { environment name: 'PUBLISH', value: 'true' }
      steps {
        withCredentials([usernamePassword(credentialsId: 'registry', usernameVariable: ${groovyString(REGISTRY_CREDENTIAL_VARIABLES.user)}, passwordVariable: ${groovyString(REGISTRY_CREDENTIAL_VARIABLES.password)})]) {
          ${run(publish.script)}
        }
      }
    }
  }
}
`;
}

export interface CascSettings {
  readonly hostName: string;
  readonly port: number;
  readonly executors: number;
  readonly agentRoot: string;
  /** Registry user Jenkins pushes as, when this stack publishes. */
  readonly registryUser: string | undefined;
  readonly jobs: readonly { readonly name: string; readonly jenkinsfile: string }[];
}

// Placeholders for the two JCasC references, which are the only strings not escaped.
const ADMIN_PASSWORD_MARK = "\0admin-password";
const REGISTRY_PASSWORD_MARK = "\0registry-password";

/** Every string in `value`, at any depth, through `f`. */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

/**
 * The JCasC document. Secrets are references to the unit's systemd credentials (`${readFile:...}`,
 * see JENKINS_CREDENTIALS), so this file, and the plan that shows it, holds none. Every other
 * string is escaped for JCasC, so a `${` in a name, a URL or a Jenkinsfile arrives literally.
 */
export function renderCasc(settings: CascSettings): string {
  const jobDsl = [...settings.jobs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (job) =>
        `pipelineJob(${groovyString(job.name)}) {\n` +
        `  description(${groovyString(`Build, test and deploy ${job.name} (managed by ci-platform)`)})\n` +
        `  definition {\n    cps {\n      sandbox(true)\n      script(${groovyString(job.jenkinsfile)})\n    }\n  }\n}\n`,
    )
    .join("\n");
  const document = {
    jenkins: {
      systemMessage:
        "Managed by ci-platform: changes made here are overwritten by the next pulumi up.",
      // Builds never run on the controller; the local agent labelled `docker` runs them.
      numExecutors: 0,
      mode: "EXCLUSIVE",
      securityRealm: {
        local: {
          allowsSignup: false,
          users: [{ id: "admin", password: ADMIN_PASSWORD_MARK }],
        },
      },
      authorizationStrategy: { loggedInUsersCanDoAnything: { allowAnonymousRead: false } },
      crumbIssuer: { standard: { excludeClientIPFromCrumb: false } },
      remotingSecurity: { enabled: true },
      disableRememberMe: true,
      nodes: [
        {
          permanent: {
            name: "docker-local",
            labelString: "docker",
            mode: "EXCLUSIVE",
            numExecutors: settings.executors,
            remoteFS: settings.agentRoot,
            launcher: {
              command: {
                command: `java -jar ${settings.agentRoot}/agent.jar`,
              },
            },
            retentionStrategy: "always",
          },
        },
      ],
    },
    security: {
      globalJobDslSecurityConfiguration: { useScriptSecurity: true },
    },
    unclassified: {
      location: { url: `http://${settings.hostName}:${settings.port}/` },
    },
    ...(settings.registryUser
      ? {
          credentials: {
            system: {
              domainCredentials: [
                {
                  credentials: [
                    {
                      usernamePassword: {
                        id: "registry",
                        scope: "GLOBAL",
                        description: "private registry push",
                        username: settings.registryUser,
                        password: REGISTRY_PASSWORD_MARK,
                      },
                    },
                  ],
                },
              ],
            },
          },
        }
      : {}),
    jobs: [{ script: jobDsl }],
  };
  const escaped = mapStrings(document, (text) =>
    text === ADMIN_PASSWORD_MARK
      ? cascCredential(JENKINS_CREDENTIALS.adminPassword)
      : text === REGISTRY_PASSWORD_MARK
        ? cascCredential(JENKINS_CREDENTIALS.registryPassword)
        : escapeCasc(text),
  );
  return `# Rendered by ci-platform: Jenkins configuration as code.\n${stringify(escaped, { lineWidth: 0 })}`;
}

/** What one CI host's Jenkins is rendered from: the stack's validated config for that host. */
export interface JenkinsSiteSettings {
  readonly stack: string;
  readonly host: CiHostConfig;
  readonly jenkins: JenkinsConfig;
  /** Every application service: one pipeline job each. */
  readonly apps: readonly StackApp[];
  readonly datastores: readonly DatastoreEntry[];
  readonly regionDomain: string;
  /** The registry builds are pushed to, on stacks that publish. */
  readonly registry: RegistryConfig | undefined;
  /** The release proxy container the deploy step switches. */
  readonly proxyContainer: string;
  /** Image of the integration tests' network holder. */
  readonly networkholderImage: string;
}

export interface JenkinsSite {
  readonly layout: JenkinsLayout;
  /** One pipeline job per application service, sorted by name, with its Jenkinsfile. */
  readonly jobs: readonly { readonly name: string; readonly jenkinsfile: string }[];
  /** The JCasC document, whose Job DSL seed defines the jobs. */
  readonly casc: string;
}

/** The Jenkinsfiles and the JCasC document of one CI host's Jenkins. */
export function renderJenkinsSite(s: JenkinsSiteSettings): JenkinsSite {
  const { jenkins, host } = s;
  const layout = jenkinsLayout(jenkins.home, jenkins.systemdDir);
  const datastorePort = new Map(s.datastores.map((d) => [d.name, d.port]));
  const settings: PipelineSettings = {
    stack: s.stack,
    pipelineDir: layout.pipelineDir,
    backendNetwork: containerName(s.stack, "backend"),
    resolverIp: host.resolverIp,
    searchDomain: s.regionDomain,
    registry: s.registry?.address,
    // Where the host's preparation puts the registry's CA (`<certsDir>/<address>/ca.crt`).
    registryCertDir: s.registry ? `${host.hostPrep.certsDir}/${s.registry.address}` : undefined,
    networkholderImage: s.networkholderImage,
    proxyContainer: s.proxyContainer,
  };
  const jobs = [...s.apps]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((app) => ({
      name: app.name,
      jenkinsfile: renderJenkinsfile(
        {
          service: app.name,
          gitUrl: app.repository,
          gitBranch: app.branch,
          appHostPort: app.hostPort,
          slotPorts: app.slotPorts,
          devPorts: app.dependsOn.map((d) => datastorePort.get(d)!).sort((a, b) => a - b),
          baseImage: app.baseImage ?? DEFAULT_APP_BASE_IMAGE,
          memory: `${app.memoryMb}m`,
          cpus: app.cpus,
          pidsLimit: app.pidsLimit,
        },
        settings,
      ),
    }));
  const casc = renderCasc({
    hostName: host.dockerHost.scheme === "ssh" ? host.dockerHost.host : host.name,
    port: jenkins.port,
    executors: jenkins.executors,
    agentRoot: `${jenkins.home}/agent`,
    registryUser: s.registry ? jenkins.registryUser : undefined,
    jobs,
  });
  return { layout, jobs, casc };
}

/** The Job DSL scripts of a JCasC document (`jobs[].script`), in order, as JCasC hands them on. */
export function jobDslScripts(casc: string): string[] {
  const doc = parse(casc) as { jobs?: { script?: unknown }[] } | null;
  return (doc?.jobs ?? []).flatMap((j) =>
    typeof j.script === "string" ? [unescapeCasc(j.script)] : [],
  );
}

export interface InstallFile {
  readonly path: string;
  readonly content: string;
  readonly mode: string;
}

export interface InstallSettings {
  readonly version: string;
  readonly javaPackage: string;
  /** An apt source line for the Jenkins package, or undefined when the host's apt already has it. */
  readonly aptSource: string | undefined;
  /** Where `aptSource` goes, as `jenkins.list`: apt's sources directory. */
  readonly aptSourcesDir: string;
  readonly layout: JenkinsLayout;
  readonly port: number;
  readonly listenAddress: string;
  readonly files: readonly InstallFile[];
  /** The credentials the unit loads (see JENKINS_CREDENTIALS), placed by the secrets command. */
  readonly credentials: readonly JenkinsCredential[];
  /** Files earlier versions installed and this one does not: removed, restarting Jenkins. */
  readonly obsoleteFiles: readonly string[];
  /** Run when a file changed, so Jenkins picks up plugins and configuration. */
  readonly restartCommand: string;
}

const EOF_MARK = "CI_PLATFORM_EOF";

/**
 * A value in unit-file text (systemd.syntax(7), systemd.unit(5) "Specifiers"): `%` is a specifier
 * (`%%` is a literal one), and a line break would end the setting. A path here comes from config.
 */
function systemdText(what: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value) || value !== value.trim() || value.endsWith("\\"))
    throw new Error(
      `${what} ${JSON.stringify(value)} cannot be written in a systemd unit: no control characters, no surrounding spaces, no trailing backslash`,
    );
  return value.replace(/%/g, "%%");
}

/**
 * `Environment="NAME=value"` holding exactly `value`: inside double quotes systemd reads C escapes,
 * so `\\` and `"` are escaped, and `%` is doubled (specifiers are expanded before unquoting).
 */
export function systemdEnvironment(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value))
    throw new Error(
      `${name} ${JSON.stringify(value)} cannot be written in a systemd unit: it has a control character`,
    );
  return `Environment="${name}=${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, "%%")}"`;
}

/**
 * The jenkins unit's drop-in: where Jenkins lives and listens, its JCasC document, and the
 * credentials it loads. It never holds a secret: the same bytes whatever the passwords are.
 */
export function renderJenkinsDropIn(settings: {
  readonly layout: JenkinsLayout;
  readonly port: number;
  readonly listenAddress: string;
  readonly credentials: readonly JenkinsCredential[];
}): string {
  const { layout } = settings;
  return [
    "[Service]",
    systemdEnvironment("JENKINS_HOME", layout.home),
    systemdEnvironment("JENKINS_PORT", String(settings.port)),
    systemdEnvironment("JENKINS_LISTEN_ADDRESS", settings.listenAddress),
    systemdEnvironment("CASC_JENKINS_CONFIG", layout.cascPath),
    systemdEnvironment(
      "JAVA_OPTS",
      "-Djava.awt.headless=true -Djenkins.install.runSetupWizard=false",
    ),
    ...[...settings.credentials]
      .sort()
      .map(
        (id) =>
          `LoadCredential=${id}:${systemdText("jenkins credentials path", `${layout.credentialsDir}/${id}`)}`,
      ),
    "",
  ].join("\n");
}

/**
 * The idempotent install script: packages at the pinned versions (only when they differ), then
 * every file written only when its content differs, then one restart if anything changed.
 */
export function renderJenkinsInstallScript(settings: InstallSettings): string {
  const { layout } = settings;
  for (const f of settings.files) {
    if (f.content.includes(EOF_MARK))
      throw new Error(`${f.path} contains the heredoc marker ${EOF_MARK}`);
  }
  const dropIn = renderJenkinsDropIn(settings);
  const files: InstallFile[] = [
    ...settings.files,
    { path: `${layout.dropInDir}/ci-platform.conf`, content: dropIn, mode: "0644" },
  ].sort((a, b) => a.path.localeCompare(b.path));
  return `#!/usr/bin/env bash
# Rendered by ci-platform: installs Jenkins ${settings.version} and its configuration, idempotently.
set -euo pipefail
changed=0

installed_version() { dpkg-query -W -f='\${Version}' "$1" 2>/dev/null || true; }
if [ "$(installed_version jenkins)" != ${shellQuote(settings.version)} ] || [ -z "$(installed_version ${shellQuote(settings.javaPackage)})" ]; then
${settings.aptSource === undefined ? "" : `  mkdir -p ${shellQuote(settings.aptSourcesDir)}\n  printf '%s\\n' ${shellQuote(settings.aptSource)} > ${shellQuote(`${settings.aptSourcesDir}/jenkins.list`)}\n`}  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-change-held-packages ${shellQuote(settings.javaPackage)} ${shellQuote(`jenkins=${settings.version}`)}
  apt-mark hold jenkins >/dev/null
  changed=1
fi

# write_file PATH MODE: content on stdin; replaces the file only when the content differs.
write_file() {
  local target=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    return 0
  fi
  install -D -m "$mode" "$tmp" "$target"
  rm -f "$tmp"
  echo "updated $target"
  changed=1
}

${files.map((f) => `write_file ${shellQuote(f.path)} ${f.mode} <<'${EOF_MARK}'\n${f.content.endsWith("\n") ? f.content : `${f.content}\n`}${EOF_MARK}`).join("\n\n")}
${[...settings.obsoleteFiles]
  .sort()
  .map(
    (f) =>
      `\nif [ -e ${shellQuote(f)} ]; then\n  rm -f ${shellQuote(f)}\n  echo "removed "${shellQuote(f)}\n  changed=1\nfi`,
  )
  .join("")}

plugins_stamp=${shellQuote(`${layout.home}/ci-platform/plugins.installed`)}
if ! cmp -s ${shellQuote(layout.pluginsPath)} "$plugins_stamp"; then
  jenkins-plugin-cli --war /usr/share/java/jenkins.war --plugin-download-directory ${shellQuote(`${layout.home}/plugins`)} --plugin-file ${shellQuote(layout.pluginsPath)}
  cp ${shellQuote(layout.pluginsPath)} "$plugins_stamp"
  changed=1
fi

# Jenkins runs builds with the Docker CLI: membership of the docker group is root on this host.
if ! id -nG jenkins | tr ' ' '\\n' | grep -qx docker; then
  usermod -aG docker jenkins
  changed=1
fi
chown -R jenkins:jenkins ${shellQuote(layout.home)}

if [ "$changed" = 1 ]; then
  echo "Jenkins configuration changed: restarting"
  ${settings.restartCommand}
else
  echo "Jenkins is up to date"
fi
`;
}

/**
 * The drop-in where versions before the credentials kept the secrets as `Environment=` lines: the
 * install removes it (with the new drop-in and JCasC document in place, then one restart).
 */
export function legacySecretsDropIn(layout: JenkinsLayout): string {
  return `${layout.dropInDir}/ci-platform-secrets.conf`;
}

/**
 * What the secrets command reads on its standard input: one `<credential id> <base64>` line per
 * credential, sorted, each value `credentialFileContent` of the secret. On stdin, a secret never
 * appears on a command line (the host's process list) or in the reviewable command text.
 */
export function renderSecretsInput(
  secrets: readonly { readonly id: JenkinsCredential; readonly value: string }[],
): string {
  return [...secrets]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map(
      (s) => `${s.id} ${Buffer.from(credentialFileContent(s.value), "utf8").toString("base64")}\n`,
    )
    .join("");
}

/**
 * The command that places the secrets where the unit loads them as credentials: one root-only
 * (0600, in a 0700 directory) file per credential in `ids`, holding the bytes its stdin line
 * carries (renderSecretsInput), written by an atomic rename only when it differs. It runs before
 * the install script: on a host without Jenkins yet it only places the files, and the install
 * starts Jenkins with them (one restart in all on a first install); later, a changed secret
 * restarts Jenkins, an unchanged one restarts nothing. It holds no secret itself.
 */
export function renderSecretsCommand(
  layout: JenkinsLayout,
  ids: readonly JenkinsCredential[],
  restartCommand: string,
): string {
  // Credential ids are the program's own constants (letters and '-'), so they need no quoting.
  const expected = [...ids].sort();
  return `set -eu
umask 077
dir=${shellQuote(layout.credentialsDir)}
mkdir -p "$dir"
chmod 0700 "$dir"
changed=0
placed=""
while IFS=' ' read -r id value; do
  case "$id" in
    ${expected.join("|")}) ;;
    *) echo "secrets: unexpected credential on stdin: $id" >&2; exit 1 ;;
  esac
  tmp=$(mktemp "$dir/.$id.XXXXXX")
  printf '%s' "$value" | base64 -d > "$tmp"
  placed="$placed $id"
  if [ -f "$dir/$id" ] && cmp -s "$tmp" "$dir/$id"; then
    rm -f "$tmp"
    continue
  fi
  chmod 0600 "$tmp"
  mv -f "$tmp" "$dir/$id"
  changed=1
done
expected="${expected.join(" ")}"
for id in $expected; do
  case "$placed " in
    *" $id "*) ;;
    *) echo "secrets: no value for $id on stdin" >&2; exit 1 ;;
  esac
done
if [ "$changed" = 0 ]; then
  echo "Jenkins secrets are up to date"
  exit 0
fi
if [ "$(dpkg-query -W -f='\${db:Status-Status}' jenkins 2>/dev/null || true)" != installed ]; then
  echo "Jenkins secrets placed: the install starts Jenkins with them"
  exit 0
fi
echo "Jenkins secrets changed: restarting"
${restartCommand}
`;
}
