/**
 * Validation of a stack's raw config against the catalog: pure, so every rule is tested directly and
 * every problem is reported at once, before the program registers a single resource.
 */
import {
  APP_HOST_PORT_RANGE,
  SERVICE_CATALOG,
  type AppEntry,
  type CatalogEntry,
  type DatastoreEntry,
} from "../catalog/catalog";
import {
  allocateHostPorts,
  allocateNodeIps,
  nodeAddressRange,
  nodeCapacity,
  RESERVED_LEADING_ADDRESSES,
  resolverAddress,
} from "../catalog/allocation";
import { datastoreNodes } from "../catalog/nodes";
import {
  formatIpv4,
  cidrContains,
  cidrsOverlap,
  LINK_LOCAL,
  UNUSABLE_RANGES,
  unusableRangeOf,
  DOCKER_DEFAULT_BRIDGE,
  formatCidr,
  parseCidr,
  parseIpv4,
  type Cidr,
} from "../model/ipv4";
import { rawValuesFromEngine } from "./raw-values";
import {
  DNS_LABEL_RULE,
  isDnsLabel,
  isDomainName,
  isStackName,
  STACK_NAME_RULE,
} from "../model/names";
import { describeClash, findPortClashes, type PortClaim } from "./port-claims";
import { hostPath, isPemCertificate, positiveInteger, Reader, show } from "./reader";
import { readAws } from "./validate-aws";
import { JENKINS_LTS_VERSION } from "../model/pins";
import { isRegistryUser } from "../model/names";
import { isSlot, SLOT_PORT_OFFSET, slotPorts, type Slot } from "../model/slots";
import {
  PLATFORM_KINDS,
  type CiHostConfig,
  type ConfigIssue,
  type DataRefreshConfig,
  type HostPrepConfig,
  type JenkinsConfig,
  type RegistryConfig,
  type RegistryRole,
  type RegistryUser,
  REGISTRY_ROLES,
  type DockerHost,
  type PlatformConfig,
  type PlatformKind,
  type Selection,
} from "./types";

export interface SecretSetting {
  /** What the secret is, for the message that asks for it. */
  readonly meaning: string;
  /** Whether a stack with these (unvalidated) settings must set it. */
  readonly isRequired: (values: Readonly<Record<string, unknown>>) => boolean;
}

const withRegistry = (values: Readonly<Record<string, unknown>>): boolean =>
  values["registry"] !== undefined;

/** Secrets the program reads, and when a stack must set them. */
export const SECRET_SETTINGS: Readonly<Record<string, SecretSetting>> = {
  jenkinsAdminPassword: {
    meaning: "password of the Jenkins admin user on every CI host",
    isRequired: (values) => values["kind"] === "ci-host",
  },
  registryHtpasswd: {
    meaning:
      "registry users as htpasswd lines with bcrypt hashes; add one with npm run registry:add-user",
    isRequired: withRegistry,
  },
  registryTlsKey: {
    meaning: "PEM private key of the registry's TLS certificate",
    isRequired: withRegistry,
  },
  registryPullPassword: {
    meaning: "registry password of the user production tasks pull images as (aws.registryUser)",
    isRequired: (values) => values["kind"] === "aws",
  },
  jenkinsRegistryPassword: {
    meaning: "registry password of the user Jenkins pushes as (jenkins.registryUser)",
    isRequired: withRegistry,
  },
  registryHttpSecret: {
    meaning: "random string the registry signs upload state with",
    isRequired: withRegistry,
  },
  datastorePassword: {
    meaning: "superuser password the postgres image requires on the CI hosts",
    isRequired: (values) => values["kind"] === "ci-host" && selectsPasswordDatastore(values),
  },
};

/** Whether the (unvalidated) services select a datastore whose image needs a password. */
function selectsPasswordDatastore(values: Readonly<Record<string, unknown>>): boolean {
  const services = values["services"];
  const selected =
    typeof services === "object" && services !== null
      ? (services as Record<string, unknown>)["datastores"]
      : undefined;
  return (
    Array.isArray(selected) &&
    SERVICE_CATALOG.some(
      (e) => e.kind === "datastore" && e.passwordEnv !== undefined && selected.includes(e.name),
    )
  );
}

const SETTINGS = [
  "kind",
  "region",
  "domain",
  "services",
  "ciHosts",
  "aws",
  "registry",
  "jenkins",
  ...Object.keys(SECRET_SETTINGS),
];

export const DEFAULT_BACKEND_SUBNET = "172.18.0.0/16";
/** Outside Docker's default address pools (172.17.0.0/12 and 192.168.0.0/16), so the engine never hands it out. */
export const DEFAULT_PLATFORM_SUBNET = "10.222.0.0/24";
/** The smallest platform subnet: room for every platform network. */
const MAX_PLATFORM_PREFIX = 26;
/** The smallest backend subnet: a /27's lower half would leave no node address after the reserved ones. */
const MAX_BACKEND_PREFIX = 26;

export interface RawStackConfig {
  readonly project: string;
  readonly stack: string;
  /** Settings of the project's namespace, keys without the `<project>:` prefix, values parsed. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Names of the settings that hold a secret value. */
  readonly secretKeys: ReadonlySet<string>;
  /** Problems found while reading the values (see raw-values.ts). @default none */
  readonly issues?: readonly ConfigIssue[];
  /** Paths those problems concern: nothing more is reported at or under them. @default none */
  readonly refused?: ReadonlySet<string>;
}

export type ValidationResult =
  | { readonly ok: true; readonly config: PlatformConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const SSH_URL =
  /^ssh:\/\/([a-z_][a-z0-9_-]*)@([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/;
/** A socket path reaches shell commands (DOCKER_HOST): plain characters only, as host paths. */
const UNIX_URL = /^unix:\/\/((\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)+)$/;

/** Parses a Docker host URL: `unix:///path/to/socket` or `ssh://user@host[:port]`. */
export function parseDockerHost(url: string): DockerHost | undefined {
  const unix = UNIX_URL.exec(url);
  if (unix) return { scheme: "unix", url, socketPath: unix[1]! };
  const ssh = SSH_URL.exec(url);
  if (!ssh) return undefined;
  const port = ssh[4] === undefined ? 22 : Number(ssh[4]);
  if (port < 1 || port > 65535) return undefined;
  return { scheme: "ssh", url, user: ssh[1]!, host: ssh[2]!, port };
}

/** An SSH public key as `ssh-keyscan` prints it after the host name: `<type> <base64>`. */
const SSH_HOST_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) AAAA[A-Za-z0-9+/]+={0,3}$/;

const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks the catalog itself: names, ports, dependencies, pins. */
export function validateCatalog(catalog: readonly CatalogEntry[]): ConfigIssue[] {
  const r = new Reader();
  const seen = new Set<string>();
  const datastores = new Set(catalog.filter((e) => e.kind === "datastore").map((e) => e.name));
  catalog.forEach((entry, i) => {
    const path = `catalog[${i}] (${entry.name})`;
    if (!isDnsLabel(entry.name))
      r.fail(`${path}.name`, `${show(entry.name)} is not a valid DNS label; ${DNS_LABEL_RULE}`);
    if (seen.has(entry.name))
      r.fail(
        `${path}.name`,
        `${show(entry.name)} is in the catalog twice; give each service its own name`,
      );
    seen.add(entry.name);
    if (entry.kind === "datastore") {
      for (const [cluster, count] of Object.entries(entry.clusters)) {
        if (!isDnsLabel(cluster))
          r.fail(
            `${path}.clusters.${cluster}`,
            `${show(cluster)} is not a valid DNS label; ${DNS_LABEL_RULE}`,
          );
        if (!Number.isInteger(count) || count < 1 || count > 99)
          r.fail(
            `${path}.clusters.${cluster}`,
            `${show(count)} is not a node count; use a whole number from 1 to 99`,
          );
      }
    } else {
      for (const dep of entry.dependsOn) {
        if (!datastores.has(dep))
          r.fail(
            `${path}.dependsOn`,
            `${show(dep)} is not a catalog datastore; use one of ${[...datastores].sort().join(", ")}`,
          );
      }
    }
  });
  return r.issues;
}

/**
 * Validates the config the engine hands a program (full keys `<project>:<key>` -> text), read as
 * plain values first (raw-values.ts): what the program and the offline tools both run.
 */
export function validateEngineConfig(
  project: string,
  stack: string,
  config: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
): ValidationResult & { readonly values: Readonly<Record<string, unknown>> } {
  const raw = rawValuesFromEngine(project, config, isSecret, Object.keys(SECRET_SETTINGS));
  return { ...validateStackConfig({ project, stack, ...raw }), values: raw.values };
}

/**
 * Validates a stack's raw config against the catalog and returns the typed config, or every issue.
 * Secrets are checked for presence only; their values never pass through here.
 */
export function validateStackConfig(
  raw: RawStackConfig,
  catalog: readonly CatalogEntry[] = SERVICE_CATALOG,
): ValidationResult {
  const catalogIssues = validateCatalog(catalog);
  if (catalogIssues.length > 0) return { ok: false, issues: catalogIssues };
  const r = new Reader(raw.refused);
  for (const issue of raw.issues ?? []) r.add(issue);
  const v = raw.values;
  if (!isStackName(raw.stack))
    r.add({
      path: "stack",
      message: `stack name ${show(raw.stack)} is not one Pulumi accepts; ${STACK_NAME_RULE}`,
    });

  for (const key of Object.keys(v).sort()) {
    if (!SETTINGS.includes(key)) {
      r.fail(
        key,
        `is not a known setting of ${raw.project}; use one of ${[...SETTINGS].sort().join(", ")}`,
      );
    }
  }

  const kind = readKind(r, v["kind"]);
  const region = readRegion(r, v["region"]);
  const domain =
    v["domain"] === undefined
      ? r.fail("domain", "is required; set it to the DNS domain, such as example.com")
      : r.string("domain", v["domain"]);
  if (domain !== undefined && !isDomainName(domain))
    r.fail("domain", `${show(domain)} is not a lower-case DNS domain; use one such as example.com`);

  for (const [key, secret] of Object.entries(SECRET_SETTINGS)) {
    const present = v[key] !== undefined;
    if (present && !raw.secretKeys.has(key)) {
      r.fail(
        key,
        `is stored in plain text; set it with: pulumi config set --secret ${key} <value>`,
      );
    } else if (!present && secret.isRequired(v)) {
      r.fail(
        key,
        `is required (the ${secret.meaning}); set it with: pulumi config set --secret ${key} <value>`,
      );
    }
  }

  const services = readServices(r, v["services"], catalog, kind);
  const jenkins = kind === "ci-host" ? readJenkins(r, v["jenkins"]) : undefined;
  if (kind === "aws" && v["jenkins"] !== undefined)
    r.fail("jenkins", "runs on CI hosts; set it in a ci-host stack");
  const hostNames = kind === "ci-host" ? ciHostNames(v["ciHosts"]) : [];
  const registry =
    kind === "ci-host" && v["registry"] !== undefined
      ? readRegistry(r, v["registry"], hostNames, jenkins)
      : undefined;
  const selection =
    services &&
    placeApps(r, services, [
      ...(jenkins ? [jenkinsPortClaim(jenkins, v["jenkins"])] : []),
      ...(kind === "ci-host" && v["registry"] !== undefined
        ? [registryPortClaim(v["registry"])]
        : []),
    ]);
  // Without a valid service selection, nothing that refers to it can be judged.
  const ciHosts =
    kind === "ci-host" ? readCiHosts(r, v["ciHosts"], services && services.datastores) : [];
  if (kind === "aws" && v["ciHosts"] !== undefined)
    r.fail("ciHosts", `is only read by kind ci-host stacks; remove it or set kind: ci-host`);
  const aws = kind === "aws" ? readAws(r, v["aws"], region, selection) : undefined;
  if (kind === "aws" && v["registry"] !== undefined)
    r.fail(
      "registry",
      "runs on a CI host; set it in a ci-host stack and point production at its address",
    );
  if (kind === "ci-host" && v["aws"] !== undefined)
    r.fail("aws", "is only read by kind aws stacks; remove it or set kind: aws");

  if (
    r.issues.length > 0 ||
    kind === undefined ||
    region === undefined ||
    domain === undefined ||
    selection === undefined
  ) {
    return { ok: false, issues: r.issues };
  }
  return {
    ok: true,
    config: {
      project: raw.project,
      stack: raw.stack,
      kind,
      region,
      domain,
      regionDomain: `${region}.${domain}`,
      datastores: selection.datastores,
      apps: selection.apps,
      ciHosts,
      aws,
      jenkins,
      registry,
    },
  };
}

function readKind(r: Reader, value: unknown): PlatformKind | undefined {
  if (value === undefined)
    return r.fail("kind", `is required; set it to one of ${PLATFORM_KINDS.join(", ")}`);
  if (!PLATFORM_KINDS.includes(value as PlatformKind)) {
    return r.fail(
      "kind",
      `${show(value)} is not a platform kind; use one of ${PLATFORM_KINDS.join(", ")}`,
    );
  }
  return value as PlatformKind;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function readRegion(r: Reader, value: unknown): string | undefined {
  if (value === undefined)
    return r.fail("region", "is required; set it to the cloud region, such as us-east-1");
  const region = r.string("region", value);
  if (region === undefined) return undefined;
  if (!REGION.test(region))
    return r.fail("region", `${show(region)} is not a region name; use one such as us-east-1`);
  return region;
}

/** The CI host names the stack file declares, valid or not, for settings that refer to one. */
function ciHostNames(value: unknown): string[] {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? Object.keys(value).sort()
    : [];
}

/** A service selected by the stack, before its host port is allocated. */
interface SelectedApp {
  readonly entry: AppEntry;
  readonly version: string | undefined;
  /** The port pinned by the stack file or the catalog, if any. */
  readonly hostPort: number | undefined;
  /** Whether the stack file pins the port (otherwise the catalog may). */
  readonly hostPortWritten: boolean;
  readonly liveSlot: Slot;
  readonly previousVersion: string | undefined;
}

interface SelectedServices {
  readonly datastores: DatastoreEntry[];
  readonly apps: SelectedApp[];
}

const APP_PORT_OFFSETS = [SLOT_PORT_OFFSET.blue, SLOT_PORT_OFFSET.green];

function isWritten(block: unknown, key: string): boolean {
  return (
    typeof block === "object" &&
    block !== null &&
    (block as Record<string, unknown>)[key] !== undefined
  );
}

/** A claim of one of the platform's own services, which allocation keeps apps and slots off. */
function platformPortClaim(
  holder: string,
  field: string,
  port: number,
  written: boolean,
  fallback: number,
  max: number,
): PortClaim {
  return {
    port,
    value: port,
    holder,
    field,
    written,
    origin: `the default ${fallback}`,
    range: { min: fallback, max },
    offsets: [],
  };
}

function jenkinsPortClaim(jenkins: JenkinsConfig, block: unknown): PortClaim {
  const written = isWritten(block, "port");
  return platformPortClaim(
    "Jenkins",
    "jenkins.port",
    jenkins.port,
    written,
    JENKINS_DEFAULTS.port,
    8999,
  );
}

/** The registry's port claim, judged even when other registry settings are bad (they are reported there). */
function registryPortClaim(block: unknown): PortClaim {
  const raw = isWritten(block, "port") ? (block as Record<string, unknown>)["port"] : undefined;
  const valid = typeof raw === "number" && Number.isInteger(raw) && raw >= 1 && raw <= 65535;
  return platformPortClaim(
    "the registry",
    "registry.port",
    valid ? raw : REGISTRY_DEFAULTS.port,
    valid,
    REGISTRY_DEFAULTS.port,
    5999,
  );
}

/** The dev-minimal datastores' claims: each on its catalog port, on the host network. */
function datastoreClaims(datastores: readonly DatastoreEntry[]): PortClaim[] {
  return datastores.map((d): PortClaim => ({
    port: d.port,
    value: d.port,
    holder: `the dev-minimal ${d.name}`,
    field: "services.datastores",
    written: false,
    origin: `the catalog's port for ${d.name}`,
    range: { min: d.port, max: d.port },
    offsets: [],
  }));
}

/** The claims of every app with a pinned port: the port and its two release slots'. */
function appClaims(apps: readonly SelectedApp[]): PortClaim[] {
  return apps.flatMap((app): PortClaim[] => {
    if (app.hostPort === undefined) return [];
    const base = {
      value: app.hostPort,
      field: `services.apps.${app.entry.name}.hostPort`,
      written: app.hostPortWritten,
      origin: `the catalog pins ${app.entry.name} to ${app.hostPort}`,
      range: APP_HOST_PORT_RANGE,
      offsets: APP_PORT_OFFSETS,
    };
    const slots = slotPorts(app.hostPort);
    return [
      { ...base, port: app.hostPort, holder: app.entry.name },
      { ...base, port: slots.blue, holder: `${app.entry.name}'s blue release slot` },
      { ...base, port: slots.green, holder: `${app.entry.name}'s green release slot` },
    ];
  });
}

/**
 * Checks every host port claim, blaming each clash on the setting the file writes, then gives each
 * app without a pin a port whose release slots are free too.
 */
function placeApps(
  r: Reader,
  services: SelectedServices,
  platformClaims: readonly PortClaim[],
): Selection | undefined {
  const fixed = [...platformClaims, ...datastoreClaims(services.datastores)];
  const claims = [...fixed, ...appClaims(services.apps)];
  const clashes = findPortClashes(claims);
  for (const clash of clashes) r.fail(clash.blamed.field, describeClash(clash, claims));
  if (clashes.length > 0) return undefined;
  // A port is unusable for an app when the app's own port or either slot's would land on it.
  const reserved = new Set(
    fixed.flatMap((c) => [c.port, ...APP_PORT_OFFSETS.map((offset) => c.port - offset)]),
  );
  const ports = allocateHostPorts(
    services.apps.map((s) => ({ name: s.entry.name, hostPort: s.hostPort })),
    APP_HOST_PORT_RANGE,
    new Set(
      [...reserved].filter((p) => p >= APP_HOST_PORT_RANGE.min && p <= APP_HOST_PORT_RANGE.max),
    ),
  );
  return {
    datastores: services.datastores,
    apps: services.apps.map((s) => ({
      ...s.entry,
      version: s.version,
      hostPort: ports.get(s.entry.name)!,
      slotPorts: slotPorts(ports.get(s.entry.name)!),
      liveSlot: s.liveSlot,
      previousVersion: s.previousVersion,
    })),
  };
}

function readServices(
  r: Reader,
  value: unknown,
  catalog: readonly CatalogEntry[],
  kind: PlatformKind | undefined,
): SelectedServices | undefined {
  const issuesBefore = r.issues.length;
  if (value === undefined)
    return r.fail("services", "is required; list the catalog datastores and apps this stack runs");
  const services = r.object("services", value, ["datastores", "apps"]);
  if (!services) return undefined;
  const catalogDatastores = new Map(
    catalog.flatMap((e) => (e.kind === "datastore" ? [[e.name, e] as const] : [])),
  );
  const catalogApps = new Map(
    catalog.flatMap((e) => (e.kind === "app" ? [[e.name, e] as const] : [])),
  );

  const datastores: DatastoreEntry[] = [];
  const names =
    services["datastores"] === undefined
      ? []
      : (r.stringList("services.datastores", services["datastores"]) ?? []);
  for (const [i, name] of names.entries()) {
    const entry = catalogDatastores.get(name);
    if (!isDnsLabel(name))
      r.fail(
        `services.datastores[${i}]`,
        `${show(name)} is not a valid DNS label; ${DNS_LABEL_RULE}`,
      );
    else if (!entry)
      r.fail(
        `services.datastores[${i}]`,
        `${show(name)} is not a datastore in the catalog; use one of ${[...catalogDatastores.keys()].sort().join(", ")}, or add it to components/catalog/catalog.ts`,
      );
    else if (datastores.includes(entry))
      r.fail(
        `services.datastores[${i}]`,
        `${show(name)} is listed twice; list each datastore once`,
      );
    else datastores.push(entry);
  }
  datastores.sort((a, b) => a.name.localeCompare(b.name));

  const selected: SelectedApp[] = [];
  const apps =
    services["apps"] === undefined ? {} : (r.map("services.apps", services["apps"]) ?? {});
  for (const name of Object.keys(apps).sort()) {
    const path = `services.apps.${name}`;
    const entry = catalogApps.get(name);
    if (!isDnsLabel(name)) {
      r.fail(path, `${show(name)} is not a valid DNS label; ${DNS_LABEL_RULE}`);
      continue;
    }
    if (!entry) {
      r.fail(
        path,
        `${show(name)} is not an app in the catalog; use one of ${[...catalogApps.keys()].sort().join(", ")}, or add it to components/catalog/catalog.ts`,
      );
      continue;
    }
    const settings =
      apps[name] === null
        ? {}
        : r.object(path, apps[name], APP_SETTINGS, removedAppSettings(name, kind));
    if (!settings) continue;
    const version = readImageTag(r, `${path}.version`, settings["version"]);
    const previousVersion = readPreviousVersion(
      r,
      name,
      settings["previousVersion"],
      version,
      kind,
    );
    const rawSlot = settings["liveSlot"] ?? "blue";
    const liveSlot: Slot = isSlot(rawSlot)
      ? rawSlot
      : (r.fail(`${path}.liveSlot`, `${show(rawSlot)} is not a release slot; use blue or green`),
        "blue");
    if (version === undefined && kind === "aws")
      r.fail(
        `${path}.version`,
        "is required on an aws stack; set the image version to deploy, such as 1.4.2",
      );
    for (const dep of entry.dependsOn) {
      if (!datastores.some((d) => d.name === dep))
        r.fail(`${path}`, `needs datastore ${dep}; add ${dep} to services.datastores`);
    }
    const pinned = readHostPort(r, `${path}.hostPort`, settings["hostPort"]);
    selected.push({
      entry,
      version,
      hostPort: pinned ?? entry.hostPort,
      hostPortWritten: pinned !== undefined,
      liveSlot,
      previousVersion,
    });
  }
  if (r.issues.length > issuesBefore) return undefined;
  return { datastores, apps: selected };
}

const APP_SETTINGS = ["version", "hostPort", "liveSlot", "previousVersion"];

/** What replaced the app settings an earlier version read, as the message refusing them says. */
function removedAppSettings(
  app: string,
  kind: PlatformKind | undefined,
): ReadonlyMap<string, string> {
  return new Map([
    [
      "idleVersion",
      kind === "aws"
        ? `ECS runs the old and new revisions during a release and rolls back by itself; remove it (previousVersion records the rollback target for npm run release -- ${app} --rollback)`
        : "on CI hosts the pipeline deploys the slots; remove it",
    ],
  ]);
}

/**
 * aws: the version before `version`, which `npm run release -- <app> --rollback` writes back;
 * an image tag that differs from `version`. CI hosts deploy what the pipeline builds.
 */
function readPreviousVersion(
  r: Reader,
  app: string,
  value: unknown,
  version: string | undefined,
  kind: PlatformKind | undefined,
): string | undefined {
  const path = `services.apps.${app}.previousVersion`;
  if (value === undefined) return undefined;
  if (kind === "ci-host")
    return r.fail(
      path,
      "is only read by aws stacks (on CI hosts the pipeline deploys the slots); remove it",
    );
  const previous = readImageTag(r, path, value);
  if (previous !== undefined && previous === version)
    return r.fail(
      path,
      `${show(previous)} is version too; set the version before it, which npm run release -- ${app} --rollback goes back to, or remove previousVersion`,
    );
  return previous;
}

function readImageTag(r: Reader, path: string, value: unknown): string | undefined {
  if (typeof value === "number")
    return r.fail(
      path,
      `${value} is a YAML number; quote the version, such as "${value}", or 1.10 reads as 1.1`,
    );
  const tag = value === undefined ? undefined : r.string(path, value);
  if (tag !== undefined && !IMAGE_TAG.test(tag))
    r.fail(
      path,
      `${show(tag)} is not a valid image tag; use letters, digits, '_', '.' and '-', such as 1.4.2`,
    );
  return tag;
}

const PORT_RANGE_TEXT = `${APP_HOST_PORT_RANGE.min}-${APP_HOST_PORT_RANGE.max}`;

function readHostPort(r: Reader, path: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < APP_HOST_PORT_RANGE.min ||
    value > APP_HOST_PORT_RANGE.max
  ) {
    return r.fail(
      path,
      `${show(value)} is not a host port for a service; pick a free port in ${PORT_RANGE_TEXT}`,
    );
  }
  return value;
}

/**
 * `datastores` is undefined when the service selection is invalid: then nothing that depends on
 * it (node addresses, data refresh) is judged, so its problems are reported once, under services.
 */
function readCiHosts(
  r: Reader,
  value: unknown,
  datastores: readonly DatastoreEntry[] | undefined,
): CiHostConfig[] {
  if (value === undefined) {
    r.fail(
      "ciHosts",
      "is required on a ci-host stack; add one host, such as ci-1: {dockerHost: unix:///var/run/docker.sock}",
    );
    return [];
  }
  const hosts = r.map("ciHosts", value);
  if (!hosts) return [];
  if (Object.keys(hosts).length === 0)
    r.fail(
      "ciHosts",
      "has no hosts; add one, such as ci-1: {dockerHost: unix:///var/run/docker.sock}",
    );
  const nodes = (datastores ?? []).flatMap((d) => datastoreNodes(d));
  const result: CiHostConfig[] = [];
  /** Engine identity -> the host that uses it: container and network names are per stack. */
  const engines = new Map<string, string>();
  for (const name of Object.keys(hosts).sort()) {
    const path = `ciHosts.${name}`;
    const issuesBefore = r.issues.length;
    if (!isDnsLabel(name))
      r.fail(path, `${show(name)} is not a valid host name; ${DNS_LABEL_RULE}`);
    const host = r.object(path, hosts[name], [
      "dockerHost",
      "backendSubnet",
      "platformSubnet",
      "nodeIps",
      "devMinimal",
      "productionLike",
      "pullImages",
      "dnsUpstream",
      "hostPrep",
      "dataRefresh",
      "sshHostKey",
    ]);
    if (!host) continue;
    const url =
      host["dockerHost"] === undefined
        ? r.fail(
            `${path}.dockerHost`,
            "is required; use unix:///var/run/docker.sock or ssh://user@host[:port]",
          )
        : r.string(`${path}.dockerHost`, host["dockerHost"]);
    const parsedHost = url === undefined ? undefined : parseDockerHost(url);
    const hostKey =
      host["sshHostKey"] === undefined
        ? undefined
        : r.string(`${path}.sshHostKey`, host["sshHostKey"]);
    if (hostKey !== undefined && !SSH_HOST_KEY.test(hostKey))
      r.fail(
        `${path}.sshHostKey`,
        `${show(hostKey)} is not an SSH public host key; use the host's key as ssh-keyscan prints it, without the host name: <type> <base64>, such as ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...`,
      );
    else if (hostKey !== undefined && parsedHost && parsedHost.scheme !== "ssh")
      r.fail(
        `${path}.sshHostKey`,
        `is only for ssh:// hosts, and ${path}.dockerHost is ${show(url)}; remove sshHostKey`,
      );
    const dockerHost =
      parsedHost?.scheme === "ssh" && hostKey !== undefined && SSH_HOST_KEY.test(hostKey)
        ? { ...parsedHost, hostKey }
        : parsedHost;
    if (url !== undefined && !dockerHost)
      r.fail(
        `${path}.dockerHost`,
        `${show(url)} is not a Docker host URL; use unix:///var/run/docker.sock or ssh://user@host[:port]`,
      );
    if (dockerHost) {
      const engine = engineIdentity(dockerHost);
      const sharer = engines.get(engine);
      if (sharer !== undefined)
        r.fail(
          `${path}.dockerHost`,
          `${show(url)} is the engine of ciHosts.${sharer} too; two CI hosts of one stack on one engine would share every container and network name, so give each its own engine (or keep one host block)`,
        );
      else engines.set(engine, name);
    }
    const subnetText =
      host["backendSubnet"] === undefined
        ? DEFAULT_BACKEND_SUBNET
        : r.string(`${path}.backendSubnet`, host["backendSubnet"]);
    const subnet = subnetText === undefined ? undefined : parseCidr(subnetText);
    if (subnetText !== undefined && !subnet) {
      r.fail(
        `${path}.backendSubnet`,
        `${show(subnetText)} is not a CIDR network address; use one such as ${DEFAULT_BACKEND_SUBNET}`,
      );
    } else if (subnet && unusableRangeOf(subnet) !== undefined) {
      r.fail(
        `${path}.backendSubnet`,
        `${show(subnetText)} overlaps ${unusableRangeOf(subnet)!}, which no container network can use; use a private range such as ${DEFAULT_BACKEND_SUBNET}`,
      );
    } else if (subnet && cidrsOverlap(subnet, DOCKER_DEFAULT_BRIDGE)) {
      r.fail(
        `${path}.backendSubnet`,
        `${show(subnetText)} overlaps Docker's default bridge ${formatCidr(DOCKER_DEFAULT_BRIDGE)}; use one such as ${DEFAULT_BACKEND_SUBNET}`,
      );
    } else if (subnet && subnet.prefix > MAX_BACKEND_PREFIX) {
      r.fail(
        `${path}.backendSubnet`,
        `${show(subnetText)} is too small; use a /${MAX_BACKEND_PREFIX} or larger, such as ${DEFAULT_BACKEND_SUBNET}`,
      );
    } else if (subnet && nodes.length > nodeCapacity(subnet)) {
      r.fail(
        `${path}.backendSubnet`,
        `${show(subnetText)} has room for ${nodeCapacity(subnet)} nodes but ${nodes.length} are selected; use a larger subnet`,
      );
    }
    const platformSubnet = readPlatformSubnet(r, path, host["platformSubnet"], subnet);
    const pins = new Map<string, string>();
    const rawPins =
      host["nodeIps"] === undefined ? {} : (r.map(`${path}.nodeIps`, host["nodeIps"]) ?? {});
    const usedBy = new Map<string, string>();
    for (const node of Object.keys(rawPins).sort()) {
      const pinPath = `${path}.nodeIps.${node}`;
      const ip = rawPins[node];
      if (datastores === undefined) continue;
      if (!nodes.some((n) => n.name === node)) {
        r.fail(
          pinPath,
          `${show(node)} is not a node of the selected datastores; use a name such as ${nodes[0]?.name ?? "mongodb-cluster-a-node-1"}`,
        );
        continue;
      }
      const address = typeof ip === "string" ? parseIpv4(ip) : undefined;
      if (typeof ip !== "string" || address === undefined) {
        r.fail(pinPath, `${show(ip)} is not an IPv4 address`);
      } else if (
        subnet &&
        (address < nodeAddressRange(subnet).first || address > nodeAddressRange(subnet).last)
      ) {
        const range = nodeAddressRange(subnet);
        r.fail(
          pinPath,
          `${ip} is outside the node range of ${formatCidr(subnet)}; pick an address from ${formatIpv4(range.first)} to ${formatIpv4(range.last)} (the first ${RESERVED_LEADING_ADDRESSES} are the platform's, the upper half is for addresses Docker assigns)`,
        );
      } else if (usedBy.has(ip)) {
        r.fail(
          pinPath,
          `${ip} is already used by ${usedBy.get(ip)}; give each node its own address`,
        );
      } else {
        usedBy.set(ip, node);
        pins.set(node, ip);
      }
    }
    const devMinimal = r.boolean(`${path}.devMinimal`, host["devMinimal"], true);
    const productionLike = r.boolean(`${path}.productionLike`, host["productionLike"], true);
    const pullImages = r.boolean(`${path}.pullImages`, host["pullImages"], true);
    const dnsUpstream =
      host["dnsUpstream"] === undefined
        ? undefined
        : r.string(`${path}.dnsUpstream`, host["dnsUpstream"]);
    const upstream = dnsUpstream === undefined ? undefined : parseIpv4(dnsUpstream);
    if (dnsUpstream !== undefined && upstream === undefined) {
      r.fail(
        `${path}.dnsUpstream`,
        `${show(dnsUpstream)} is not an IPv4 address; use the address of a DNS server, such as 10.0.0.2`,
      );
    } else if (upstream !== undefined && !isForwardableUpstream(upstream)) {
      r.fail(
        `${path}.dnsUpstream`,
        `${dnsUpstream} is not a DNS server the resolver container can forward to (inside the container it is the container itself: a forwarding loop); use the address of a DNS server on the network, such as 10.0.0.2`,
      );
    } else if (upstream !== undefined && subnet && cidrContains(subnet, upstream)) {
      r.fail(
        `${path}.dnsUpstream`,
        `${dnsUpstream} is inside ${path}.backendSubnet ${formatCidr(subnet)}, where the resolver and the datastore nodes live; use the address of a DNS server outside it, such as 10.0.0.2`,
      );
    }
    const hostPrep = readHostPrep(r, `${path}.hostPrep`, host["hostPrep"]);
    const dataRefresh = readDataRefresh(r, `${path}.dataRefresh`, host["dataRefresh"], datastores);
    if (r.issues.length > issuesBefore || !dockerHost || !subnet || !platformSubnet) continue;
    const ips = allocateNodeIps(
      nodes.map((n) => n.name),
      subnet,
      pins,
    );
    result.push({
      name,
      dockerHost,
      backendSubnet: formatCidr(subnet),
      platformSubnet: formatCidr(platformSubnet),
      resolverIp: resolverAddress(subnet),
      nodes: nodes
        .map((n) => ({
          name: n.name,
          datastore: n.datastore,
          cluster: n.cluster,
          ip: ips.get(n.name)!,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      devMinimal,
      productionLike,
      pullImages,
      dnsUpstream,
      hostPrep,
      dataRefresh,
    });
  }
  return result;
}

/** What makes two Docker host URLs the same engine: the socket, or the SSH host and port (any user). */
function engineIdentity(host: DockerHost): string {
  return host.scheme === "unix"
    ? `unix:${host.socketPath}`
    : `ssh:${host.host.toLowerCase()}:${host.port}`;
}

/**
 * Loopback, "this network", multicast and broadcast addresses reach no DNS server from a
 * container; link-local ones may (a cloud's resolver, such as 169.254.169.253).
 */
function isForwardableUpstream(address: number): boolean {
  return !UNUSABLE_RANGES.some((u) => u.cidr !== LINK_LOCAL && cidrContains(u.cidr, address));
}

/**
 * A host's platform subnet, from which the platform's own networks get explicit subnets; it may
 * overlap neither the backend subnet nor Docker's default bridge.
 */
function readPlatformSubnet(
  r: Reader,
  hostPath: string,
  value: unknown,
  backend: Cidr | undefined,
): Cidr | undefined {
  const path = `${hostPath}.platformSubnet`;
  const text = value === undefined ? DEFAULT_PLATFORM_SUBNET : r.string(path, value);
  if (text === undefined) return undefined;
  const subnet = parseCidr(text);
  const example = `use one such as ${DEFAULT_PLATFORM_SUBNET}`;
  if (!subnet) return r.fail(path, `${show(text)} is not a CIDR network address; ${example}`);
  const unusable = unusableRangeOf(subnet);
  if (unusable !== undefined)
    return r.fail(
      path,
      `${show(text)} overlaps ${unusable}, which no container network can use; ${example}`,
    );
  if (subnet.prefix > MAX_PLATFORM_PREFIX)
    return r.fail(
      path,
      `${show(text)} is too small; use a /${MAX_PLATFORM_PREFIX} or larger, such as ${DEFAULT_PLATFORM_SUBNET}`,
    );
  if (cidrsOverlap(subnet, DOCKER_DEFAULT_BRIDGE))
    return r.fail(
      path,
      `${show(text)} overlaps Docker's default bridge ${formatCidr(DOCKER_DEFAULT_BRIDGE)}; ${example}`,
    );
  if (backend && cidrsOverlap(subnet, backend)) {
    // With the default in use, blame the backend subnet the user wrote, and say how to move either.
    const where = value === undefined ? "the default platform subnet " : "";
    const free = cidrsOverlap(parseCidr(DEFAULT_PLATFORM_SUBNET)!, backend)
      ? "10.223.0.0/24"
      : DEFAULT_PLATFORM_SUBNET;
    return r.fail(
      path,
      `${where}${show(text)} overlaps ${hostPath}.backendSubnet ${formatCidr(backend)}; give the platform networks their own range, such as ${free}`,
    );
  }
  return subnet;
}

export const REGISTRY_DEFAULTS = {
  port: 5443,
  listenAddress: "0.0.0.0",
  keepTags: 3,
  rateLimit: { requestsPerSecond: 20, burst: 200 },
} as const;

function readRegistry(
  r: Reader,
  value: unknown,
  hostNames: readonly string[],
  jenkins: JenkinsConfig | undefined,
): RegistryConfig | undefined {
  const reg = r.object("registry", value, [
    "host",
    "hostName",
    "port",
    "listenAddress",
    "keepTags",
    "rateLimit",
    "tlsCert",
    "caCert",
    "users",
  ]);
  if (!reg) return undefined;
  const host =
    reg["host"] === undefined
      ? r.fail(
          "registry.host",
          `is required; name the CI host that runs it, one of ${hostNames.join(", ")}`,
        )
      : r.string("registry.host", reg["host"]);
  if (host !== undefined && hostNames.length > 0 && !hostNames.includes(host)) {
    r.fail(
      "registry.host",
      `${show(host)} is not a CI host of this stack; use one of ${hostNames.join(", ")}`,
    );
  }
  const hostName =
    reg["hostName"] === undefined
      ? r.fail(
          "registry.hostName",
          "is required; set the name clients use, such as registry.example.com",
        )
      : r.string("registry.hostName", reg["hostName"]);
  if (hostName !== undefined && !isDomainName(hostName))
    r.fail(
      "registry.hostName",
      `${show(hostName)} is not a lower-case DNS name; use one such as registry.example.com`,
    );
  const port = positiveInteger(r, "registry.port", reg["port"], REGISTRY_DEFAULTS.port, 65535);
  const listenAddress =
    reg["listenAddress"] === undefined
      ? REGISTRY_DEFAULTS.listenAddress
      : r.string("registry.listenAddress", reg["listenAddress"]);
  if (listenAddress !== undefined && parseIpv4(listenAddress) === undefined)
    r.fail(
      "registry.listenAddress",
      `${show(listenAddress)} is not an IPv4 address; use 0.0.0.0 for every interface or the host's address`,
    );
  const keepTags = positiveInteger(
    r,
    "registry.keepTags",
    reg["keepTags"],
    REGISTRY_DEFAULTS.keepTags,
    1000,
  );
  let rateLimit: RegistryConfig["rateLimit"] = REGISTRY_DEFAULTS.rateLimit;
  if (reg["rateLimit"] !== undefined) {
    const rl = r.object("registry.rateLimit", reg["rateLimit"], ["requestsPerSecond", "burst"]);
    if (rl) {
      rateLimit = {
        requestsPerSecond: positiveInteger(
          r,
          "registry.rateLimit.requestsPerSecond",
          rl["requestsPerSecond"],
          REGISTRY_DEFAULTS.rateLimit.requestsPerSecond,
          10_000,
        ),
        burst: positiveInteger(
          r,
          "registry.rateLimit.burst",
          rl["burst"],
          REGISTRY_DEFAULTS.rateLimit.burst,
          100_000,
        ),
      };
    }
  }
  const pem = (key: "tlsCert" | "caCert", required: boolean): string | undefined => {
    const path = `registry.${key}`;
    if (reg[key] === undefined)
      return required
        ? r.fail(path, "is required; paste the PEM certificate (see the README for making one)")
        : undefined;
    const text = r.string(path, reg[key]);
    if (text !== undefined && !isPemCertificate(text))
      return r.fail(
        path,
        "is not a PEM certificate; paste one starting with -----BEGIN CERTIFICATE-----",
      );
    return text === undefined ? undefined : `${text.trim()}\n`;
  };
  const tlsCert = pem("tlsCert", true);
  const caCert = pem("caCert", false) ?? tlsCert;
  const users = readRegistryUsers(r, reg["users"], jenkins);
  if (
    users === undefined ||
    host === undefined ||
    hostName === undefined ||
    listenAddress === undefined ||
    tlsCert === undefined ||
    caCert === undefined
  )
    return undefined;
  return {
    host,
    hostName,
    port,
    listenAddress,
    keepTags,
    rateLimit,
    tlsCert,
    caCert,
    address: `${hostName}:${port}`,
    users,
  };
}

/**
 * `registry.users`: each registryHtpasswd user's role, in plain config so a preview shows who may
 * do what. Jenkins' user must be a push user, or every build's publish step gets 403.
 */
function readRegistryUsers(
  r: Reader,
  value: unknown,
  jenkins: JenkinsConfig | undefined,
): RegistryUser[] | undefined {
  const example = `such as { ${jenkins?.registryUser ?? JENKINS_DEFAULTS.registryUser}: push, deploy: pull, prune: delete }`;
  if (value === undefined)
    return r.fail("registry.users", `is required; give each registry user a role, ${example}`);
  const map = r.map("registry.users", value);
  if (!map) return undefined;
  const issuesBefore = r.issues.length;
  const users: RegistryUser[] = [];
  for (const user of Object.keys(map).sort()) {
    // JSON-escaped, so a newline in a key shows as \n and the message stays on one line.
    const path = `registry.users.${JSON.stringify(user).slice(1, -1)}`;
    if (!isRegistryUser(user)) {
      r.fail(
        path,
        `${show(user)} is not a registry user name; use the user's name in registryHtpasswd: lower-case letters, digits, '.', '_' and '-'`,
      );
      continue;
    }
    const role = map[user];
    if (!REGISTRY_ROLES.includes(role as RegistryRole)) {
      r.fail(path, `${show(role)} is not a registry role; use one of ${REGISTRY_ROLES.join(", ")}`);
      continue;
    }
    users.push({ user, role: role as RegistryRole });
  }
  // An invalid jenkins.registryUser is reported where Jenkins' block is read.
  if (jenkins && isRegistryUser(jenkins.registryUser)) {
    const name = jenkins.registryUser;
    const entry = users.find((u) => u.user === name);
    // Blamed on the roles the file writes: jenkins.registryUser is often the default.
    if (entry?.role !== "push" && r.issues.length === issuesBefore)
      r.fail(
        entry ? `registry.users.${name}` : "registry.users",
        entry
          ? `${show(entry.role)} is not push, but ${name} is the user Jenkins pushes every build as (jenkins.registryUser); set registry.users.${name}: push`
          : `does not list ${name}, the user Jenkins pushes every build as (jenkins.registryUser); add registry.users.${name}: push`,
      );
  }
  return r.issues.length === issuesBefore ? users : undefined;
}

export const JENKINS_DEFAULTS: JenkinsConfig = {
  version: JENKINS_LTS_VERSION,
  port: 8080,
  listenAddress: "127.0.0.1",
  home: "/var/lib/jenkins",
  systemdDir: "/etc/systemd/system",
  executors: 2,
  aptSource: undefined,
  aptSourcesDir: "/etc/apt/sources.list.d",
  restartCommand: "systemctl daemon-reload && systemctl restart jenkins",
  registryUser: "jenkins",
};

function readJenkins(r: Reader, value: unknown): JenkinsConfig {
  if (value === undefined) return JENKINS_DEFAULTS;
  const j = r.object("jenkins", value, [
    "version",
    "port",
    "listenAddress",
    "home",
    "systemdDir",
    "executors",
    "aptSource",
    "aptSourcesDir",
    "restartCommand",
    "registryUser",
  ]);
  if (!j) return JENKINS_DEFAULTS;
  const text = (
    key: "version" | "aptSource" | "restartCommand" | "registryUser",
  ): string | undefined => (j[key] === undefined ? undefined : r.string(`jenkins.${key}`, j[key]));
  const version = text("version") ?? JENKINS_DEFAULTS.version;
  if (!/^\d+\.\d+(\.\d+)?$/.test(version))
    r.fail(
      "jenkins.version",
      `${show(version)} is not a Jenkins version; quote one such as "${JENKINS_DEFAULTS.version}"`,
    );
  const listenAddress =
    j["listenAddress"] === undefined
      ? JENKINS_DEFAULTS.listenAddress
      : (r.string("jenkins.listenAddress", j["listenAddress"]) ?? JENKINS_DEFAULTS.listenAddress);
  if (parseIpv4(listenAddress) === undefined)
    r.fail(
      "jenkins.listenAddress",
      `${show(listenAddress)} is not an IPv4 address; use 127.0.0.1 (behind a proxy) or 0.0.0.0`,
    );
  const registryUser = text("registryUser") ?? JENKINS_DEFAULTS.registryUser;
  if (!isRegistryUser(registryUser))
    r.fail(
      "jenkins.registryUser",
      `${show(registryUser)} is not a registry user name; use lower-case letters, digits, '.', '_' and '-'`,
    );
  return {
    version,
    port: positiveInteger(r, "jenkins.port", j["port"], JENKINS_DEFAULTS.port, 65535),
    listenAddress,
    home: hostPath(r, "jenkins.home", j["home"], JENKINS_DEFAULTS.home, {
      role: "data-directory",
    }),
    systemdDir: hostPath(r, "jenkins.systemdDir", j["systemdDir"], JENKINS_DEFAULTS.systemdDir, {
      role: "directory",
    }),
    executors: positiveInteger(
      r,
      "jenkins.executors",
      j["executors"],
      JENKINS_DEFAULTS.executors,
      64,
    ),
    aptSource: text("aptSource"),
    aptSourcesDir: hostPath(
      r,
      "jenkins.aptSourcesDir",
      j["aptSourcesDir"],
      JENKINS_DEFAULTS.aptSourcesDir,
      { role: "directory" },
    ),
    restartCommand: text("restartCommand") ?? JENKINS_DEFAULTS.restartCommand,
    registryUser,
  };
}

export const DEFAULT_HOST_PREP: HostPrepConfig = {
  enabled: true,
  daemonJsonPath: "/etc/docker/daemon.json",
  certsDir: "/etc/docker/certs.d",
  reloadCommand: "systemctl reload docker",
};

function readHostPrep(r: Reader, path: string, value: unknown): HostPrepConfig {
  if (value === undefined) return DEFAULT_HOST_PREP;
  const prep = r.object(path, value, ["enabled", "daemonJsonPath", "certsDir", "reloadCommand"]);
  if (!prep) return DEFAULT_HOST_PREP;
  return {
    enabled: r.boolean(`${path}.enabled`, prep["enabled"], DEFAULT_HOST_PREP.enabled),
    daemonJsonPath: hostPath(
      r,
      `${path}.daemonJsonPath`,
      prep["daemonJsonPath"],
      DEFAULT_HOST_PREP.daemonJsonPath,
      { role: "file", name: "daemon.json" },
    ),
    certsDir: hostPath(r, `${path}.certsDir`, prep["certsDir"], DEFAULT_HOST_PREP.certsDir, {
      role: "directory",
    }),
    reloadCommand:
      prep["reloadCommand"] === undefined
        ? DEFAULT_HOST_PREP.reloadCommand
        : (r.string(`${path}.reloadCommand`, prep["reloadCommand"]) ??
          DEFAULT_HOST_PREP.reloadCommand),
  };
}

function readDataRefresh(
  r: Reader,
  path: string,
  value: unknown,
  datastores: readonly DatastoreEntry[] | undefined,
): DataRefreshConfig[] {
  if (value === undefined) return [];
  const refresh = r.map(path, value);
  if (!refresh) return [];
  const result: DataRefreshConfig[] = [];
  for (const datastore of Object.keys(refresh).sort()) {
    const itemPath = `${path}.${datastore}`;
    if (datastores !== undefined && !datastores.some((d) => d.name === datastore)) {
      r.fail(
        itemPath,
        datastores.length === 0
          ? `${show(datastore)} is not a datastore this stack runs (services.datastores lists none); add it there or remove this entry`
          : `${show(datastore)} is not a datastore this stack runs; use one of ${datastores.map((d) => d.name).join(", ")}`,
      );
      continue;
    }
    const item = r.object(itemPath, refresh[datastore], ["snapshotId", "command"]);
    if (!item) continue;
    const snapshotId =
      item["snapshotId"] === undefined
        ? r.fail(
            `${itemPath}.snapshotId`,
            "is required; name the snapshot to restore, such as 2026-11-24",
          )
        : r.string(
            `${itemPath}.snapshotId`,
            typeof item["snapshotId"] === "number"
              ? String(item["snapshotId"])
              : item["snapshotId"],
          );
    const command =
      item["command"] === undefined
        ? r.fail(
            `${itemPath}.command`,
            "is required; give the shell command that restores one node",
          )
        : r.string(`${itemPath}.command`, item["command"]);
    if (snapshotId !== undefined && command !== undefined)
      result.push({ datastore, snapshotId, command });
  }
  return result;
}
