import type { Slot, SlotPorts } from "../model/slots";
import type { AppEntry, DatastoreEntry } from "../catalog/catalog";

/** What a stack builds: CI hosts with Docker, or the production estate on AWS. */
export type PlatformKind = "ci-host" | "aws";

export const PLATFORM_KINDS: readonly PlatformKind[] = ["ci-host", "aws"];

/** A parsed Docker host URL. */
export type DockerHost =
  | { readonly scheme: "unix"; readonly url: string; readonly socketPath: string }
  | {
      readonly scheme: "ssh";
      readonly url: string;
      readonly user: string;
      readonly host: string;
      readonly port: number;
      /**
       * The host's SSH public key (`<type> <base64>`) that Pulumi's own SSH client (the host
       * commands) verifies; without it that client accepts any key. @default none
       */
      readonly hostKey?: string;
    };

/** A catalog application as one stack runs it. */
export interface StackApp extends AppEntry {
  /** Image tag to deploy; on CI hosts Jenkins tags with the git revision instead. */
  readonly version: string | undefined;
  /** The service's public port after pins and allocation: unique on every host (the CI hosts' proxy listens on it). */
  readonly hostPort: number;
  /** Host ports of the blue and green release slots, derived from `hostPort`. */
  readonly slotPorts: SlotPorts;
  /**
   * CI hosts: the slot the proxy sends traffic to. aws: the slot whose port the current version's
   * tasks publish on; each release moves to the other slot, so the old and new revisions of an ECS
   * blue/green deployment never want the same host port. @default blue
   */
  readonly liveSlot: Slot;
  /** aws: the version before `version`, which `npm run release -- --rollback` writes back. @default none */
  readonly previousVersion: string | undefined;
}

/** One datastore node with its address on a CI host's production-like network. */
export interface PlacedNode {
  readonly name: string;
  readonly datastore: string;
  readonly cluster: string;
  readonly ip: string;
}

/** How the program prepares a CI host's Docker engine; paths are configurable so tests stay in temp dirs. */
export interface HostPrepConfig {
  /** Write daemon.json and registry trust on the host. */
  readonly enabled: boolean;
  /** Where the engine reads its daemon.json. */
  readonly daemonJsonPath: string;
  /** Where the engine looks for per-registry CA certificates. */
  readonly certsDir: string;
  /** Run after daemon.json changes, so the engine reloads what it can. */
  readonly reloadCommand: string;
}

/** A datastore's data refresh on the production-like set: re-runs when `snapshotId` changes. */
export interface DataRefreshConfig {
  readonly datastore: string;
  /** Identifies the production snapshot to restore, such as a backup's date. */
  readonly snapshotId: string;
  /** Shell command run on the host once per node, with NODE_NAME, CONTAINER_NAME, SNAPSHOT_ID set. */
  readonly command: string;
}

export interface CiHostConfig {
  /** Host name, a DNS label, unique in the stack. */
  readonly name: string;
  readonly dockerHost: DockerHost;
  /** The production-like bridge network's subnet. */
  readonly backendSubnet: string;
  /** Where the platform's own networks (the registry's) get their explicit subnets from. */
  readonly platformSubnet: string;
  /** The dnsmasq resolver's address on that network. */
  readonly resolverIp: string;
  /** Every selected datastore node, sorted by name, with its IP. */
  readonly nodes: readonly PlacedNode[];
  /** Run the dev-minimal set (one host-network container per datastore type). */
  readonly devMinimal: boolean;
  /** Run the production-like set (every node on the bridge network, plus dnsmasq). */
  readonly productionLike: boolean;
  /** Pull images from their registries; off for hosts whose images are preloaded. */
  readonly pullImages: boolean;
  /** Upstream DNS server dnsmasq forwards other names to. @default Docker's embedded resolver */
  readonly dnsUpstream: string | undefined;
  readonly hostPrep: HostPrepConfig;
  /** Data refresh per datastore, sorted by datastore. */
  readonly dataRefresh: readonly DataRefreshConfig[];
}

/** Jenkins on every CI host of the stack. */
export interface JenkinsConfig {
  /** Jenkins LTS version (Debian package version). */
  readonly version: string;
  readonly port: number;
  /** Address the UI listens on. */
  readonly listenAddress: string;
  /** JENKINS_HOME. */
  readonly home: string;
  /** Where systemd unit drop-ins go. */
  readonly systemdDir: string;
  /** Builds the local `docker` agent runs at once. */
  readonly executors: number;
  /** apt source line for the Jenkins package; unset when the host's apt already provides it. */
  readonly aptSource: string | undefined;
  /** Directory `aptSource` is written to, as `jenkins.list`. @default /etc/apt/sources.list.d */
  readonly aptSourcesDir: string;
  /** Run after Jenkins' files change. */
  readonly restartCommand: string;
  /** Registry user Jenkins pushes as (its bcrypt hash is in registryHtpasswd). */
  readonly registryUser: string;
}

/**
 * What a registry user may do: `pull` reads (production and CI hosts), `push` reads and uploads
 * (Jenkins), `delete` reads and deletes (retention's prune command).
 */
export const REGISTRY_ROLES = ["pull", "push", "delete"] as const;
export type RegistryRole = (typeof REGISTRY_ROLES)[number];

/** One `registry.users` entry: a user of the registryHtpasswd secret and its role. */
export interface RegistryUser {
  readonly user: string;
  readonly role: RegistryRole;
}

/** The private registry: which CI host runs it, how clients reach it, what it keeps. */
export interface RegistryConfig {
  /** Name of the CI host (a `ciHosts` key) that runs it. */
  readonly host: string;
  /** The name clients use and the TLS certificate is for: `registry.example.com`. */
  readonly hostName: string;
  /** Host port nginx publishes TLS on. */
  readonly port: number;
  /** Host address nginx binds to. */
  readonly listenAddress: string;
  /** Tags kept per repository by retention (newest build numbers). */
  readonly keepTags: number;
  /** Sustained requests per second per client address, and the burst allowed above it. */
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number };
  /** PEM certificate nginx serves. */
  readonly tlsCert: string;
  /** PEM CA certificate clients trust. @default the TLS certificate (self-signed) */
  readonly caCert: string;
  /** `<hostName>:<port>`: what image names start with. */
  readonly address: string;
  /** Each user's role, sorted by user; a user of registryHtpasswd not listed here gets 403. */
  readonly users: readonly RegistryUser[];
}

/** A class of identical ECS container instances: one Auto Scaling group over the three zones. */
export interface HostClassConfig {
  readonly name: string;
  readonly instanceType: string;
  /** An ECS-optimised AMI of the region (or one with Docker and the ECS agent). */
  readonly ami: string;
  /** Fewest instances the group keeps, over all zones. */
  readonly minSize: number;
  /** Most instances managed scaling may start, over all zones. */
  readonly maxSize: number;
  /** How full managed scaling keeps the group, in percent of its instances' task capacity. */
  readonly targetCapacityPercent: number;
  readonly rootVolumeGb: number;
  /** Applications these instances run, sorted. */
  readonly services: readonly string[];
}

/** Every app's task count: per zone, scaled by Application Auto Scaling between min and max. */
export interface ServiceScalingConfig {
  /** Tasks per zone the service starts with. */
  readonly desiredPerZone: number;
  readonly minPerZone: number;
  readonly maxPerZone: number;
  /** Average CPU utilisation target tracking keeps, in percent. */
  readonly cpuTargetPercent: number;
}

/** How ECS releases a new version: blue/green with tests, bake time and rollback. */
export interface ReleaseConfig {
  /** Port of each load balancer's test listener (from the admin range and the NAT addresses only). */
  readonly testListenerPort: number;
  /** Minutes both revisions keep running after traffic moved, while the alarms may roll back. */
  readonly bakeMinutes: number;
  /** Longest a pre- or post-integration test run may take before the hook fails it. */
  readonly testTimeoutMinutes: number;
  /** Target 5xx responses per minute that raise a service's rollback alarm. */
  readonly max5xxPerMinute: number;
}

export interface AwsConfig {
  /** Exactly three availability zones of the region, in order. */
  readonly availabilityZones: readonly string[];
  /** The VPC's address range. */
  readonly vpcCidr: string;
  /** One NAT gateway for the VPC, or one per zone (survives a zone outage, costs three). */
  readonly natGateways: "single" | "perZone";
  /** Who may reach the load balancers' listeners. */
  readonly ingressCidrs: readonly string[];
  /** The operators' range (VPN or office): the only one, with the NAT gateways, that reaches the test listeners. */
  readonly adminCidr: string;
  /** ACM certificate for HTTPS listeners on 443. @default HTTP on 80 only */
  readonly certificateArn: string | undefined;
  /** `<host>:<port>` of the private registry images are pulled from. */
  readonly registry: string;
  /** PEM CA of the registry, trusted by every host. */
  readonly registryCaCert: string;
  /** Registry user the tasks pull as; its password is the secret registryPullPassword. */
  readonly registryUser: string;
  /** Host classes, sorted by name; every selected app runs on exactly one. */
  readonly hostClasses: readonly HostClassConfig[];
  /** Production address of every selected datastore node, for its DNS record. */
  readonly nodeIps: Readonly<Record<string, string>>;
  /** Days VPC flow logs are kept. */
  readonly flowLogRetentionDays: number;
  /** Days the services' and the hook's CloudWatch logs are kept. */
  readonly logRetentionDays: number;
  readonly serviceScaling: ServiceScalingConfig;
  readonly release: ReleaseConfig;
}

/** The validated, typed stack config: everything the program reads, read once. */
export interface PlatformConfig {
  readonly project: string;
  readonly stack: string;
  readonly kind: PlatformKind;
  readonly region: string;
  /** Root DNS domain: `example.com`. */
  readonly domain: string;
  /** `<region>.<domain>`: every node's DNS suffix and the resolvers' search domain. */
  readonly regionDomain: string;
  /** Selected datastores, sorted by name. */
  readonly datastores: readonly DatastoreEntry[];
  /** Selected applications, sorted by name. */
  readonly apps: readonly StackApp[];
  /** CI hosts, sorted by name (kind `ci-host` only). */
  readonly ciHosts: readonly CiHostConfig[];
  /** Production settings (kind `aws` only). */
  readonly aws: AwsConfig | undefined;
  /** Jenkins settings (kind `ci-host` only). */
  readonly jenkins: JenkinsConfig | undefined;
  /** The private registry, where this stack runs it. */
  readonly registry: RegistryConfig | undefined;
}

/** One bad field: where it is, what it holds, what to do. */
export interface ConfigIssue {
  /** Path below the project's config namespace: `services.apps.api.hostPort`. */
  readonly path: string;
  /** The message, naming the bad value and the fix. */
  readonly message: string;
}

/** What the `services` block selects from the catalog: the blocks read after it judge against it. */
export interface Selection {
  readonly datastores: DatastoreEntry[];
  readonly apps: StackApp[];
}
