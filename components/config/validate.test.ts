import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SERVICE_CATALOG, type CatalogEntry } from "../catalog/catalog";
import { formatConfigIssues } from "./format";
import {
  parseDockerHost,
  validateCatalog,
  validateStackConfig,
  type RawStackConfig,
} from "./validate";

/** A real certificate: the staging stack's registry certificate. */
const CERT = (
  parse(readFileSync(join(__dirname, "../../Pulumi.staging.yaml"), "utf8")) as {
    config: Record<string, { tlsCert: string }>;
  }
).config["ci-platform:registry"]!.tlsCert;

/** The secrets a stack with a registry must set, and the secret keys of such a CI-host stack. */
const secrets = {
  registryHtpasswd: "h",
  registryTlsKey: "k",
  registryHttpSecret: "s",
  jenkinsRegistryPassword: "p",
};
const secretKeys = ["jenkinsAdminPassword", ...Object.keys(secrets)];

function ciHostValues(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "ci-host",
    region: "us-east-1",
    domain: "example.com",
    services: { datastores: ["mongodb", "redis"], apps: { api: {}, catalog: {} } },
    ciHosts: { "ci-1": { dockerHost: "unix:///var/run/docker.sock" } },
    jenkinsAdminPassword: "s3cret",
    ...overrides,
  };
}

function raw(
  values: Record<string, unknown>,
  secretKeys = ["jenkinsAdminPassword"],
): RawStackConfig {
  return { project: "ci-platform", stack: "testing", values, secretKeys: new Set(secretKeys) };
}

function messages(values: Record<string, unknown>, secretKeys?: string[]): string[] {
  const result = validateStackConfig(raw(values, secretKeys));
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.issues.map((i) => i.message);
}

describe("validateStackConfig", () => {
  it("returns the typed config of a valid ci-host stack", () => {
    const result = validateStackConfig(raw(ciHostValues()));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.regionDomain).toBe("us-east-1.example.com");
    expect(config.datastores.map((d) => d.name)).toEqual(["mongodb", "redis"]);
    expect(config.apps.map((a) => [a.name, a.hostPort])).toEqual([
      ["api", 5060],
      ["catalog", expect.any(Number)],
    ]);
    const [host] = config.ciHosts;
    expect(host?.backendSubnet).toBe("172.18.0.0/16");
    expect(host?.platformSubnet).toBe("10.222.0.0/24");
    expect(host?.resolverIp).toBe("172.18.0.2");
    expect(host?.dockerHost).toEqual({
      scheme: "unix",
      url: "unix:///var/run/docker.sock",
      socketPath: "/var/run/docker.sock",
    });
    expect(host?.nodes.map((n) => n.name)).toEqual([
      "mongodb-cluster-a-node-1",
      "mongodb-cluster-a-node-2",
      "mongodb-cluster-a-node-3",
      "redis-cluster-a-node-1",
      "redis-cluster-a-node-2",
      "redis-cluster-a-node-3",
    ]);
  });

  it("fails when the docker host URL is malformed", () => {
    expect(
      messages(ciHostValues({ ciHosts: { "ci-1": { dockerHost: "tcp://10.0.0.5:2375" } } })),
    ).toEqual([
      'ciHosts.ci-1.dockerHost: "tcp://10.0.0.5:2375" is not a Docker host URL; use unix:///var/run/docker.sock or ssh://user@host[:port]',
    ]);
  });

  const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtlc3Qta2V5LWZvci1jaS1wbGF0Zm9ybS10ZXN0cw";

  it("takes an SSH host's sshHostKey, which the host commands then verify", () => {
    const result = validateStackConfig(
      raw(
        ciHostValues({
          ciHosts: { "ci-2": { dockerHost: "ssh://deploy@10.0.4.12:2222", sshHostKey: HOST_KEY } },
        }),
      ),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.ciHosts[0]?.dockerHost).toEqual({
      scheme: "ssh",
      url: "ssh://deploy@10.0.4.12:2222",
      user: "deploy",
      host: "10.0.4.12",
      port: 2222,
      hostKey: HOST_KEY,
    });
  });

  it.each([
    [
      "is not a public key",
      { dockerHost: "ssh://deploy@10.0.4.12", sshHostKey: "10.0.4.12 ssh-ed25519 AAAAC3Nz" },
      `ciHosts.ci-2.sshHostKey: "10.0.4.12 ssh-ed25519 AAAAC3Nz" is not an SSH public host key; use the host's key as ssh-keyscan prints it, without the host name: <type> <base64>, such as ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...`,
    ],
    [
      "is given for a local engine",
      { dockerHost: "unix:///var/run/docker.sock", sshHostKey: HOST_KEY },
      'ciHosts.ci-2.sshHostKey: is only for ssh:// hosts, and ciHosts.ci-2.dockerHost is "unix:///var/run/docker.sock"; remove sshHostKey',
    ],
  ])("fails when sshHostKey %s", (_, host, message) => {
    expect(messages(ciHostValues({ ciHosts: { "ci-2": host } }))).toEqual([message]);
  });

  it("fails when the backend subnet is not CIDR", () => {
    expect(
      messages(
        ciHostValues({
          ciHosts: {
            "ci-1": { dockerHost: "unix:///var/run/docker.sock", backendSubnet: "172.18.0.1/16" },
          },
        }),
      ),
    ).toEqual([
      'ciHosts.ci-1.backendSubnet: "172.18.0.1/16" is not a CIDR network address; use one such as 172.18.0.0/16',
    ]);
  });

  it("fails when the backend subnet overlaps Docker's default bridge", () => {
    expect(
      messages(
        ciHostValues({
          ciHosts: {
            "ci-1": { dockerHost: "unix:///var/run/docker.sock", backendSubnet: "172.16.0.0/12" },
          },
        }),
      ),
    ).toEqual([
      `ciHosts.ci-1.backendSubnet: "172.16.0.0/12" overlaps Docker's default bridge 172.17.0.0/16; use one such as 172.18.0.0/16`,
    ]);
  });

  it.each([
    [
      { platformSubnet: "10.222.0.1/24" },
      'ciHosts.ci-1.platformSubnet: "10.222.0.1/24" is not a CIDR network address; use one such as 10.222.0.0/24',
    ],
    [
      { platformSubnet: "10.222.0.0/27" },
      'ciHosts.ci-1.platformSubnet: "10.222.0.0/27" is too small; use a /26 or larger, such as 10.222.0.0/24',
    ],
    [
      { platformSubnet: "172.17.5.0/24" },
      `ciHosts.ci-1.platformSubnet: "172.17.5.0/24" overlaps Docker's default bridge 172.17.0.0/16; use one such as 10.222.0.0/24`,
    ],
    [
      { platformSubnet: "172.18.200.0/24" },
      'ciHosts.ci-1.platformSubnet: "172.18.200.0/24" overlaps ciHosts.ci-1.backendSubnet 172.18.0.0/16; give the platform networks their own range, such as 10.222.0.0/24',
    ],
    [
      { backendSubnet: "10.222.0.0/16" },
      'ciHosts.ci-1.platformSubnet: the default platform subnet "10.222.0.0/24" overlaps ciHosts.ci-1.backendSubnet 10.222.0.0/16; give the platform networks their own range, such as 10.223.0.0/24',
    ],
  ])("fails when the platform subnet is unusable: %j", (settings, message) => {
    expect(
      messages(
        ciHostValues({
          ciHosts: { "ci-1": { dockerHost: "unix:///var/run/docker.sock", ...settings } },
        }),
      ),
    ).toEqual([message]);
  });

  it("fails when two services share a host port, naming both and the port", () => {
    const services = {
      datastores: ["mongodb", "redis"],
      apps: { api: {}, catalog: { hostPort: 5060 } },
    };
    expect(messages(ciHostValues({ services }))).toEqual([
      "services.apps.catalog.hostPort: 5060 is already used by api (services.apps.api.hostPort: the catalog pins api to 5060, not set in this file); pick a free port, such as 5001",
    ]);
  });

  it("fails when a live slot is neither blue nor green", () => {
    const services = { datastores: ["mongodb", "redis"], apps: { api: { liveSlot: "purple" } } };
    expect(messages(ciHostValues({ services }))).toEqual([
      `services.apps.api.liveSlot: "purple" is not a release slot; use blue or green`,
    ]);
  });

  it("fails when a CI host's service names a previous version, which only aws stacks roll back to", () => {
    const services = {
      datastores: ["mongodb", "redis"],
      apps: { api: { previousVersion: "1.4.1" }, catalog: { previousVersion: 1.1 } },
    };
    expect(messages(ciHostValues({ services }))).toEqual([
      "services.apps.api.previousVersion: is only read by aws stacks (on CI hosts the pipeline deploys the slots); remove it",
      "services.apps.catalog.previousVersion: is only read by aws stacks (on CI hosts the pipeline deploys the slots); remove it",
    ]);
  });

  it("fails when a CI host's service names an idle version, a setting no stack reads any more", () => {
    const services = { datastores: ["mongodb", "redis"], apps: { api: { idleVersion: 1.1 } } };
    expect(messages(ciHostValues({ services }))).toEqual([
      "services.apps.api.idleVersion: is no longer a setting: on CI hosts the pipeline deploys the slots; remove it",
    ]);
  });

  it("fails when Jenkins' port is a release slot's port", () => {
    const services = { datastores: ["mongodb", "redis"], apps: { api: {} } };
    expect(messages(ciHostValues({ services, jenkins: { port: 7060 } }))).toEqual([
      "jenkins.port: 7060 is already used by api's green release slot (services.apps.api.hostPort: the catalog pins api to 5060, not set in this file); pick a free port, such as 8080",
    ]);
  });

  it("fails when postgres is selected without the datastore password its image requires", () => {
    const services = { datastores: ["postgres"], apps: { admin: {} } };
    expect(messages(ciHostValues({ services }))).toEqual([
      "datastorePassword: is required (the superuser password the postgres image requires on the CI hosts); set it with: pulumi config set --secret datastorePassword <value>",
    ]);
  });

  it("fails when a service's host port is taken by a dev-minimal datastore", () => {
    const services = {
      datastores: ["mongodb", "postgres", "redis"],
      apps: { api: { hostPort: 5432 } },
    };
    expect(
      messages(ciHostValues({ services, datastorePassword: "pw" }), [
        "jenkinsAdminPassword",
        "datastorePassword",
      ]),
    ).toEqual([
      "services.apps.api.hostPort: 5432 is already used by the dev-minimal postgres (services.datastores: the catalog's port for postgres, not set in this file); pick a free port, such as 5001",
    ]);
  });

  it("fails when a node IP is outside its subnet", () => {
    const ciHosts = {
      "ci-1": {
        dockerHost: "unix:///var/run/docker.sock",
        nodeIps: { "mongodb-cluster-a-node-1": "172.19.0.20" },
      },
    };
    expect(messages(ciHostValues({ ciHosts }))).toEqual([
      "ciHosts.ci-1.nodeIps.mongodb-cluster-a-node-1: 172.19.0.20 is outside the node range of 172.18.0.0/16; pick an address from 172.18.0.16 to 172.18.127.255 (the first 16 are the platform's, the upper half is for addresses Docker assigns)",
    ]);
  });

  it("fails when a node IP is one the platform reserves", () => {
    const ciHosts = {
      "ci-1": {
        dockerHost: "unix:///var/run/docker.sock",
        nodeIps: { "redis-cluster-a-node-1": "172.18.0.2" },
      },
    };
    expect(messages(ciHostValues({ ciHosts }))).toEqual([
      "ciHosts.ci-1.nodeIps.redis-cluster-a-node-1: 172.18.0.2 is outside the node range of 172.18.0.0/16; pick an address from 172.18.0.16 to 172.18.127.255 (the first 16 are the platform's, the upper half is for addresses Docker assigns)",
    ]);
  });

  it("fails when a node IP is used twice", () => {
    const nodeIps = {
      "mongodb-cluster-a-node-1": "172.18.1.10",
      "mongodb-cluster-a-node-2": "172.18.1.10",
    };
    const ciHosts = { "ci-1": { dockerHost: "unix:///var/run/docker.sock", nodeIps } };
    expect(messages(ciHostValues({ ciHosts }))).toEqual([
      "ciHosts.ci-1.nodeIps.mongodb-cluster-a-node-2: 172.18.1.10 is already used by mongodb-cluster-a-node-1; give each node its own address",
    ]);
  });

  it("fails when a service name is not a valid DNS label", () => {
    const services = { datastores: ["mongodb"], apps: { Billing_Service: {} } };
    expect(messages(ciHostValues({ services }))).toEqual([
      `services.apps.Billing_Service: "Billing_Service" is not a valid DNS label; use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
    ]);
  });

  it("fails when a stack selects a service the catalog does not have", () => {
    const services = { datastores: ["mongodb", "cassandra"], apps: { paymentz: {} } };
    expect(messages(ciHostValues({ services }))).toEqual([
      'services.datastores[1]: "cassandra" is not a datastore in the catalog; use one of mongodb, postgres, redis, or add it to components/catalog/catalog.ts',
      'services.apps.paymentz: "paymentz" is not an app in the catalog; use one of admin, analytics, api, auth, billing, cart, catalog, checkout, email, inventory, media, notifications, orders, payments, pricing, promotions, recommendations, reporting, reviews, search, sessions, shipping, sms, users, webhooks, or add it to components/catalog/catalog.ts',
    ]);
  });

  it("fails when a required secret is missing", () => {
    const values = ciHostValues();
    delete values["jenkinsAdminPassword"];
    expect(messages(values, [])).toEqual([
      "jenkinsAdminPassword: is required (the password of the Jenkins admin user on every CI host); set it with: pulumi config set --secret jenkinsAdminPassword <value>",
    ]);
  });

  it("fails when a secret is stored in plain text", () => {
    expect(messages(ciHostValues(), [])).toEqual([
      "jenkinsAdminPassword: is stored in plain text; set it with: pulumi config set --secret jenkinsAdminPassword <value>",
    ]);
  });

  it("fails when an app needs a datastore the stack does not run", () => {
    const services = { datastores: ["mongodb"], apps: { api: {} } };
    expect(messages(ciHostValues({ services }))).toEqual([
      "services.apps.api: needs datastore redis; add redis to services.datastores",
    ]);
  });

  it("fails on an unknown setting, so a typo is not silently ignored", () => {
    expect(messages(ciHostValues({ servces: {} }))).toEqual([
      "servces: is not a known setting of ci-platform; use one of aws, ciHosts, datastorePassword, domain, jenkins, jenkinsAdminPassword, jenkinsRegistryPassword, kind, region, registry, registryHtpasswd, registryHttpSecret, registryPullPassword, registryTlsKey, services",
    ]);
  });

  it("fails when a version is a YAML number", () => {
    const services = { datastores: ["mongodb", "redis"], apps: { api: { version: 1.1 } } };
    expect(messages(ciHostValues({ services }))).toEqual([
      'services.apps.api.version: 1.1 is a YAML number; quote the version, such as "1.1", or 1.10 reads as 1.1',
    ]);
  });

  it("fails on a data refresh for a datastore the stack does not run, or without a command", () => {
    const ciHosts = {
      "ci-1": {
        dockerHost: "unix:///var/run/docker.sock",
        dataRefresh: {
          postgres: { snapshotId: "s1", command: "true" },
          mongodb: { snapshotId: 20261124 },
        },
      },
    };
    expect(messages(ciHostValues({ ciHosts }))).toEqual([
      "ciHosts.ci-1.dataRefresh.mongodb.command: is required; give the shell command that restores one node",
      'ciHosts.ci-1.dataRefresh.postgres: "postgres" is not a datastore this stack runs; use one of mongodb, redis',
    ]);
  });

  it("fails on a DNS upstream that is not an address and a relative host path", () => {
    const ciHosts = {
      "ci-1": {
        dockerHost: "unix:///var/run/docker.sock",
        dnsUpstream: "dns.example.com",
        hostPrep: { daemonJsonPath: "etc/docker/daemon.json" },
      },
    };
    expect(messages(ciHostValues({ ciHosts }))).toEqual([
      'ciHosts.ci-1.dnsUpstream: "dns.example.com" is not an IPv4 address; use the address of a DNS server, such as 10.0.0.2',
      'ciHosts.ci-1.hostPrep.daemonJsonPath: "etc/docker/daemon.json" is not a plain absolute path (letters, digits and . _ + - between single slashes; no spaces, quotes, %, .. or trailing slash); use one such as /etc/docker/daemon.json',
    ]);
  });

  it("writes Jenkins' apt source to apt's sources directory unless jenkins.aptSourcesDir moves it", () => {
    const jenkinsOf = (values: Record<string, unknown>) => {
      const result = validateStackConfig(raw(values));
      return result.ok ? result.config.jenkins : undefined;
    };
    expect(jenkinsOf(ciHostValues())?.aptSourcesDir).toBe("/etc/apt/sources.list.d");
    expect(
      jenkinsOf(ciHostValues({ jenkins: { aptSourcesDir: "/srv/apt/sources.list.d" } }))
        ?.aptSourcesDir,
    ).toBe("/srv/apt/sources.list.d");
    expect(messages(ciHostValues({ jenkins: { aptSourcesDir: "apt/sources" } }))).toEqual([
      'jenkins.aptSourcesDir: "apt/sources" is not a plain absolute path (letters, digits and . _ + - between single slashes; no spaces, quotes, %, .. or trailing slash); use one such as /etc/apt/sources.list.d',
    ]);
  });

  describe("registry", () => {
    it("reads the registry block with its defaults", () => {
      const values = ciHostValues({
        registry: {
          host: "ci-1",
          hostName: "registry.example.com",
          tlsCert: CERT,
          users: { jenkins: "push" },
        },
        ...secrets,
      });
      const result = validateStackConfig(raw(values, secretKeys));
      expect(result.ok && result.config.registry).toEqual({
        host: "ci-1",
        hostName: "registry.example.com",
        port: 5443,
        listenAddress: "0.0.0.0",
        keepTags: 3,
        rateLimit: { requestsPerSecond: 20, burst: 200 },
        tlsCert: CERT,
        caCert: CERT,
        address: "registry.example.com:5443",
        users: [{ user: "jenkins", role: "push" }],
      });
    });

    it("fails on an unknown host, a port clash, a bad certificate and missing secrets", () => {
      const values = ciHostValues({
        registry: {
          host: "ci-9",
          hostName: "registry.example.com",
          port: 5060,
          tlsCert: "not a cert",
          users: { jenkins: "push" },
        },
      });
      expect(messages(values)).toEqual([
        "registryHtpasswd: is required (the registry users as htpasswd lines with bcrypt hashes; add one with npm run registry:add-user); set it with: pulumi config set --secret registryHtpasswd <value>",
        "registryTlsKey: is required (the PEM private key of the registry's TLS certificate); set it with: pulumi config set --secret registryTlsKey <value>",
        "jenkinsRegistryPassword: is required (the registry password of the user Jenkins pushes as (jenkins.registryUser)); set it with: pulumi config set --secret jenkinsRegistryPassword <value>",
        "registryHttpSecret: is required (the random string the registry signs upload state with); set it with: pulumi config set --secret registryHttpSecret <value>",
        'registry.host: "ci-9" is not a CI host of this stack; use one of ci-1',
        "registry.tlsCert: is not a PEM certificate; paste one starting with -----BEGIN CERTIFICATE-----",
        "registry.port: 5060 is already used by api (services.apps.api.hostPort: the catalog pins api to 5060, not set in this file); pick a free port, such as 5443",
      ]);
    });
  });

  it("lists every bad field at once", () => {
    const values = ciHostValues({
      kind: "kubernetes",
      region: "US East",
      domain: "Example",
      ciHosts: { "ci-1": { dockerHost: "tcp://x", backendSubnet: "nope" } },
    });
    const result = validateStackConfig(raw(values));
    if (result.ok) throw new Error("expected the config to be rejected");
    expect(result.issues).toHaveLength(3);
    const text = formatConfigIssues("ci-platform", "testing", result.issues);
    expect(text.split("\n")[0]).toBe(
      'Stack config of "testing" is invalid (3 problems); fix Pulumi.testing.yaml, keys under ci-platform:',
    );
    expect(text).toContain(
      '  - kind: "kubernetes" is not a platform kind; use one of ci-host, aws',
    );
    expect(text).toContain('  - region: "US East" is not a region name; use one such as us-east-1');
    expect(text).toContain(
      '  - domain: "Example" is not a lower-case DNS domain; use one such as example.com',
    );
  });

  describe("aws", () => {
    const awsValues = (
      aws: Record<string, unknown> = {},
      apps: Record<string, unknown> = { billing: { version: "2.0.1" } },
    ) => ({
      kind: "aws",
      region: "us-east-1",
      domain: "example.com",
      services: { datastores: ["postgres"], apps },
      registryPullPassword: "p",
      aws: {
        availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
        adminCidr: "10.255.0.0/24",
        registry: "registry.example.com:5443",
        registryCaCert: CERT,
        hostClasses: {
          app: { instanceType: "t3.large", ami: "ami-0123456789abcdef0", services: ["billing"] },
        },
        nodeIps: {
          "postgres-cluster-a-node-1": "10.0.200.1",
          "postgres-cluster-a-node-2": "10.0.200.2",
        },
        ...aws,
      },
    });
    const awsMessages = (values: Record<string, unknown>) =>
      messages(values, ["registryPullPassword"]);

    it("reads a complete aws block with its defaults", () => {
      const result = validateStackConfig(raw(awsValues(), ["registryPullPassword"]));
      expect(result.ok && result.config.aws).toMatchObject({
        vpcCidr: "10.0.0.0/16",
        natGateways: "single",
        ingressCidrs: ["0.0.0.0/0"],
        registryUser: "deploy",
        hostClasses: [
          {
            name: "app",
            minSize: 3,
            maxSize: 12,
            targetCapacityPercent: 100,
            rootVolumeGb: 40,
            services: ["billing"],
          },
        ],
        flowLogRetentionDays: 90,
        logRetentionDays: 30,
        serviceScaling: { desiredPerZone: 2, minPerZone: 2, maxPerZone: 4, cpuTargetPercent: 60 },
        release: {
          testListenerPort: 8080,
          bakeMinutes: 10,
          testTimeoutMinutes: 15,
          max5xxPerMinute: 5,
        },
      });
      expect(result.ok && result.config.apps[0]).toMatchObject({
        version: "2.0.1",
        liveSlot: "blue",
        previousVersion: undefined,
      });
    });

    it("requires a version for every app, and three zones of the region", () => {
      const values = awsValues(
        { availabilityZones: ["us-east-1a", "us-west-2b"] },
        { billing: {} },
      );
      expect(awsMessages(values)).toEqual([
        "services.apps.billing.version: is required on an aws stack; set the image version to deploy, such as 1.4.2",
        'aws.availabilityZones: ["us-east-1a","us-west-2b"] is not three distinct zones; list three, such as us-east-1a, us-east-1b, us-east-1c',
        'aws.availabilityZones: "us-west-2b" is not a zone of region us-east-1; use one such as us-east-1a',
      ]);
    });

    it("refuses test listeners open to anywhere, an app on no host class, a bad AMI and a node outside the VPC", () => {
      const values = awsValues(
        {
          adminCidr: "0.0.0.0/0",
          hostClasses: { app: { instanceType: "t3.large", ami: "ubuntu", services: ["billing"] } },
          nodeIps: { "postgres-cluster-a-node-1": "192.168.1.1" },
        },
        { billing: { version: "2.0.1" }, payments: { version: "1.0.0" } },
      );
      expect(awsMessages(values)).toEqual([
        "aws.adminCidr: 0.0.0.0/0 covers 3,702,390,784 internet addresses, which opens the load balancers' test listeners (each release's new revision, before its tests pass) to the internet in all but name; set the VPN or office range (at most 65,536 internet addresses, a /16)",
        `aws.hostClasses.app.ami: "ubuntu" is not an AMI id; use the region's ECS-optimised AMI, such as ami-0123456789abcdef0`,
        "aws.hostClasses: app payments runs on no host class; add it to one class's services",
        "aws.nodeIps.postgres-cluster-a-node-1: 192.168.1.1 is outside the VPC 10.0.0.0/16; datastore nodes are reached inside it",
        "aws.nodeIps: postgres-cluster-a-node-2 has no production address; add aws.nodeIps.postgres-cluster-a-node-2, so its name resolves as on the CI hosts",
      ]);
    });

    it("refuses an app placed on two host classes", () => {
      const hostClasses = {
        a: { instanceType: "t3.large", ami: "ami-0123456789abcdef0", services: ["billing"] },
        b: { instanceType: "t3.large", ami: "ami-0123456789abcdef0", services: ["billing"] },
      };
      expect(awsMessages(awsValues({ hostClasses }))).toEqual([
        'aws.hostClasses.b.services: "billing" already runs on host class a; list each app in one class',
      ]);
    });
  });
});

describe("parseDockerHost", () => {
  it.each([
    ["unix:///var/run/docker.sock", { scheme: "unix", socketPath: "/var/run/docker.sock" }],
    [
      "ssh://deploy@ci-2.example.com",
      { scheme: "ssh", user: "deploy", host: "ci-2.example.com", port: 22 },
    ],
    ["ssh://deploy@10.0.0.7:2222", { scheme: "ssh", user: "deploy", host: "10.0.0.7", port: 2222 }],
  ])("accepts %s", (url, expected) => {
    expect(parseDockerHost(url)).toMatchObject({ url, ...expected });
  });

  it.each([
    "tcp://10.0.0.5:2375",
    "unix://var/run/docker.sock",
    "unix:///",
    "ssh://ci-2.example.com",
    "ssh://deploy@ci-2.example.com:70000",
    "ssh://deploy@ci 2",
    "/var/run/docker.sock",
  ])("rejects %s", (url) => {
    expect(parseDockerHost(url)).toBeUndefined();
  });
});

describe("validateCatalog", () => {
  it("accepts the shipped catalog", () => {
    expect(validateCatalog(SERVICE_CATALOG)).toEqual([]);
  });

  it("fails on a bad entry name, a duplicate and an unknown dependency", () => {
    const broken: CatalogEntry[] = [
      ...SERVICE_CATALOG,
      {
        kind: "app",
        name: "Search",
        repository: "r",
        branch: "main",
        dependsOn: ["kafka"],
        healthPath: "/",
        memoryMb: 64,
        cpus: "0.5",
        pidsLimit: 64,
      },
      {
        kind: "app",
        name: "api",
        repository: "r",
        branch: "main",
        dependsOn: [],
        healthPath: "/",
        memoryMb: 64,
        cpus: "0.5",
        pidsLimit: 64,
      },
    ];
    expect(validateCatalog(broken).map((i) => i.message)).toEqual([
      `catalog[28] (Search).name: "Search" is not a valid DNS label; use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
      'catalog[28] (Search).dependsOn: "kafka" is not a catalog datastore; use one of mongodb, postgres, redis',
      'catalog[29] (api).name: "api" is in the catalog twice; give each service its own name',
    ]);
  });
});

describe("registry users and roles", () => {
  const withUsers = (users: unknown, extra: Record<string, unknown> = {}) =>
    ciHostValues({
      registry: {
        host: "ci-1",
        hostName: "registry.example.com",
        tlsCert: CERT,
        ...(users === undefined ? {} : { users }),
      },
      ...secrets,
      ...extra,
    });

  it("reads each user's role, sorted by user", () => {
    const result = validateStackConfig(
      raw(withUsers({ prune: "delete", jenkins: "push", deploy: "pull" }), secretKeys),
    );
    expect(result.ok && result.config.registry?.users).toEqual([
      { user: "deploy", role: "pull" },
      { user: "jenkins", role: "push" },
      { user: "prune", role: "delete" },
    ]);
  });

  it("fails when registry.users is missing, naming an example with Jenkins' user", () => {
    expect(messages(withUsers(undefined), secretKeys)).toEqual([
      "registry.users: is required; give each registry user a role, such as { jenkins: push, deploy: pull, prune: delete }",
    ]);
  });

  it("fails when registry.users is not a map", () => {
    expect(messages(withUsers(["jenkins"]), secretKeys)).toEqual([
      'registry.users: ["jenkins"] is not a map; write it as a YAML mapping',
    ]);
  });

  it("fails on a user name htpasswd or nginx would misread, and on an unknown role", () => {
    expect(
      messages(
        withUsers({
          jenkins: "push",
          "ci:admin": "pull",
          "two\nlines": "pull",
          Deploy: "pull",
          prune: "admin",
          ops: ["pull", "delete"],
        }),
        secretKeys,
      ),
    ).toEqual([
      `registry.users.Deploy: "Deploy" is not a registry user name; use the user's name in registryHtpasswd: lower-case letters, digits, '.', '_' and '-'`,
      `registry.users.ci:admin: "ci:admin" is not a registry user name; use the user's name in registryHtpasswd: lower-case letters, digits, '.', '_' and '-'`,
      'registry.users.ops: ["pull","delete"] is not a registry role; use one of pull, push, delete',
      'registry.users.prune: "admin" is not a registry role; use one of pull, push, delete',
      `registry.users.two\\nlines: "two\\nlines" is not a registry user name; use the user's name in registryHtpasswd: lower-case letters, digits, '.', '_' and '-'`,
    ]);
  });

  it("fails when Jenkins' registry user is not a push user", () => {
    expect(messages(withUsers({ jenkins: "pull", deploy: "pull" }), secretKeys)).toEqual([
      'registry.users.jenkins: "pull" is not push, but jenkins is the user Jenkins pushes every build as (jenkins.registryUser); set registry.users.jenkins: push',
    ]);
    expect(
      messages(
        withUsers({ jenkins: "push", deploy: "pull" }, { jenkins: { registryUser: "builder" } }),
        secretKeys,
      ),
    ).toEqual([
      "registry.users: does not list builder, the user Jenkins pushes every build as (jenkins.registryUser); add registry.users.builder: push",
    ]);
  });
});
