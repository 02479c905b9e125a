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

    const appClass = (settings: Record<string, unknown>) => ({
      app: {
        instanceType: "t3.large",
        ami: "ami-0123456789abcdef0",
        services: ["billing"],
        ...settings,
      },
    });
    const awsConfigOf = (aws: Record<string, unknown>, apps?: Record<string, unknown>) => {
      const result = validateStackConfig(raw(awsValues(aws, apps), ["registryPullPassword"]));
      if (!result.ok) throw new Error(result.issues.map((i) => i.message).join("\n"));
      return result.config;
    };

    describe("settings production on ECS no longer reads", () => {
      const NO_HOSTS =
        "is no longer a setting: production runs on ECS, and Pulumi no longer connects to hosts; remove it";

      it.each([
        ["sshUser", "admin"],
        ["sshUser", "Not A User!"],
        ["bastion", "bastion.us-east-1.example.com"],
        ["bastion", 5],
      ])(
        "fails when aws.%s is set (%j), saying Pulumi no longer connects to hosts",
        (key, value) => {
          expect(awsMessages(awsValues({ [key]: value }))).toEqual([`aws.${key}: ${NO_HOSTS}`]);
        },
      );

      it.each([
        [2, "countPerZone 2 is minSize 6"],
        [1, "countPerZone 1 is minSize 3"],
        ["two", "countPerZone 2, for example, is minSize 6"],
        [0, "countPerZone 2, for example, is minSize 6"],
      ])(
        "fails when a host class sets countPerZone %j, naming minSize and maxSize",
        (count, hint) => {
          const hostClasses = appClass({ countPerZone: count, minSize: 6 });
          expect(awsMessages(awsValues({ hostClasses }))).toEqual([
            `aws.hostClasses.app.countPerZone: is no longer a setting: minSize and maxSize replaced it, the Auto Scaling group's bounds over all three zones (${hint}); set them and remove countPerZone`,
          ]);
        },
      );

      it.each(["2.0.0", 2.0, "2.0 beta"])(
        "fails when an aws app sets idleVersion %j, naming previousVersion and --rollback",
        (idle) => {
          const apps = { billing: { version: "2.0.1", idleVersion: idle } };
          expect(awsMessages(awsValues({}, apps))).toEqual([
            "services.apps.billing.idleVersion: is no longer a setting: ECS runs the old and new revisions during a release and rolls back by itself; remove it (previousVersion records the rollback target for npm run release -- billing --rollback)",
          ]);
        },
      );
    });

    describe("previousVersion and liveSlot", () => {
      it("reads previousVersion and liveSlot, which a release or a rollback writes", () => {
        const apps = { billing: { version: "2.0.1", previousVersion: "2.0.0", liveSlot: "green" } };
        expect(awsConfigOf({}, apps).apps[0]).toMatchObject({
          name: "billing",
          version: "2.0.1",
          previousVersion: "2.0.0",
          liveSlot: "green",
        });
      });

      it.each([
        [
          "2.0.1",
          `services.apps.billing.previousVersion: "2.0.1" is version too; set the version before it, which npm run release -- billing --rollback goes back to, or remove previousVersion`,
        ],
        [
          2.1,
          'services.apps.billing.previousVersion: 2.1 is a YAML number; quote the version, such as "2.1", or 1.10 reads as 1.1',
        ],
        [
          "2.0 beta",
          `services.apps.billing.previousVersion: "2.0 beta" is not a valid image tag; use letters, digits, '_', '.' and '-', such as 1.4.2`,
        ],
        ["", 'services.apps.billing.previousVersion: "" is not a non-empty string'],
      ])("fails when previousVersion is %j", (previous, message) => {
        const apps = { billing: { version: "2.0.1", previousVersion: previous } };
        expect(awsMessages(awsValues({}, apps))).toEqual([message]);
      });

      it("fails when an aws app's live slot is neither blue nor green", () => {
        const apps = { billing: { version: "2.0.1", liveSlot: "red" } };
        expect(awsMessages(awsValues({}, apps))).toEqual([
          'services.apps.billing.liveSlot: "red" is not a release slot; use blue or green',
        ]);
      });
    });

    describe("serviceScaling", () => {
      it.each([
        [{ minPerZone: 1, desiredPerZone: 1, maxPerZone: 1, cpuTargetPercent: 10 }, 12],
        [{ minPerZone: 2, desiredPerZone: 3, maxPerZone: 4, cpuTargetPercent: 90 }, 12],
        [{ minPerZone: 50, desiredPerZone: 50, maxPerZone: 50, cpuTargetPercent: 60 }, 150],
      ])("reads %j (with host class maxSize %i)", (serviceScaling, maxSize) => {
        const config = awsConfigOf({ serviceScaling, hostClasses: appClass({ maxSize }) });
        expect(config.aws?.serviceScaling).toEqual(serviceScaling);
      });

      it("defaults each setting it does not write", () => {
        expect(awsConfigOf({ serviceScaling: { desiredPerZone: 3 } }).aws?.serviceScaling).toEqual({
          desiredPerZone: 3,
          minPerZone: 2,
          maxPerZone: 4,
          cpuTargetPercent: 60,
        });
      });

      const S = "aws.serviceScaling";
      it.each([
        [{ minPerZone: 0 }, [`${S}.minPerZone: 0 is not a whole number from 1 to 50`]],
        [{ maxPerZone: 51 }, [`${S}.maxPerZone: 51 is not a whole number from 1 to 50`]],
        [{ desiredPerZone: 2.5 }, [`${S}.desiredPerZone: 2.5 is not a whole number from 1 to 50`]],
        [{ desiredPerZone: "2" }, [`${S}.desiredPerZone: "2" is not a whole number from 1 to 50`]],
        [
          { cpuTargetPercent: 95 },
          [`${S}.cpuTargetPercent: 95 is not a whole number from 10 to 90`],
        ],
        [{ cpuTargetPercent: 5 }, [`${S}.cpuTargetPercent: 5 is not a whole number from 10 to 90`]],
        [
          { minPerZone: 3 },
          [
            `${S}.minPerZone: 3 is more than desiredPerZone 2 (the default); lower minPerZone or raise desiredPerZone`,
          ],
        ],
        [
          { desiredPerZone: 1 },
          [
            `${S}.desiredPerZone: 1 is less than minPerZone 2 (the default); raise desiredPerZone or lower minPerZone`,
          ],
        ],
        [
          { desiredPerZone: 5 },
          [
            `${S}.desiredPerZone: 5 is more than maxPerZone 4 (the default); lower desiredPerZone or raise maxPerZone`,
          ],
        ],
        [
          { maxPerZone: 1 },
          [
            `${S}.maxPerZone: 1 is less than desiredPerZone 2 (the default); raise maxPerZone or lower desiredPerZone`,
            `${S}.maxPerZone: 1 is less than minPerZone 2 (the default); raise maxPerZone or lower minPerZone`,
          ],
        ],
        [
          { minPerZone: 3, desiredPerZone: 2, maxPerZone: 4 },
          [
            `${S}.minPerZone: 3 is more than desiredPerZone 2; lower minPerZone or raise desiredPerZone`,
          ],
        ],
        [
          { minPerZone: 5 },
          [
            `${S}.minPerZone: 5 is more than desiredPerZone 2 (the default); lower minPerZone or raise desiredPerZone`,
            `${S}.minPerZone: 5 is more than maxPerZone 4 (the default); lower minPerZone or raise maxPerZone`,
          ],
        ],
        [4, [`${S}: 4 is not a map; write it as a YAML mapping`]],
        [
          { desired: 2 },
          [
            `${S}.desired: is not a known setting; use one of desiredPerZone, minPerZone, maxPerZone, cpuTargetPercent`,
          ],
        ],
      ])("fails on %j", (serviceScaling, expected) => {
        expect(awsMessages(awsValues({ serviceScaling }))).toEqual(expected);
      });
    });

    describe("release", () => {
      it.each([
        { testListenerPort: 8080, bakeMinutes: 10, testTimeoutMinutes: 15, max5xxPerMinute: 5 },
        { testListenerPort: 1, bakeMinutes: 0, testTimeoutMinutes: 60, max5xxPerMinute: 1 },
        { testListenerPort: 65535, bakeMinutes: 1440, testTimeoutMinutes: 1, max5xxPerMinute: 1e5 },
      ])("reads %j", (release) => {
        expect(awsConfigOf({ release }).aws?.release).toEqual(release);
      });

      const R = "aws.release";
      const listener = (port: number) =>
        `${R}.testListenerPort: ${port} is a production listener's port (every load balancer serves 80, and 443 with a certificate); pick another, such as 8080`;
      it.each([
        [{ testListenerPort: 80 }, listener(80)],
        [{ testListenerPort: 443 }, listener(443)],
        [{ testListenerPort: 0 }, `${R}.testListenerPort: 0 is not a whole number from 1 to 65535`],
        [
          { testListenerPort: 65536 },
          `${R}.testListenerPort: 65536 is not a whole number from 1 to 65535`,
        ],
        [{ bakeMinutes: -1 }, `${R}.bakeMinutes: -1 is not a whole number from 0 to 1440`],
        [{ bakeMinutes: 1441 }, `${R}.bakeMinutes: 1441 is not a whole number from 0 to 1440`],
        [
          { testTimeoutMinutes: 0 },
          `${R}.testTimeoutMinutes: 0 is not a whole number from 1 to 60`,
        ],
        [
          { testTimeoutMinutes: 61 },
          `${R}.testTimeoutMinutes: 61 is not a whole number from 1 to 60`,
        ],
        [{ max5xxPerMinute: 0 }, `${R}.max5xxPerMinute: 0 is not a whole number of 1 or more`],
        [{ max5xxPerMinute: 0.5 }, `${R}.max5xxPerMinute: 0.5 is not a whole number of 1 or more`],
      ])("fails on %j", (release, message) => {
        expect(awsMessages(awsValues({ release }))).toEqual([message]);
      });
    });

    describe("logRetentionDays", () => {
      it("keeps the services' logs 30 days unless it says otherwise", () => {
        expect(awsConfigOf({}).aws?.logRetentionDays).toBe(30);
        expect(awsConfigOf({ logRetentionDays: 14 }).aws?.logRetentionDays).toBe(14);
      });

      it.each([
        [100, 90],
        ["thirty", 30],
      ])("fails on %j, suggesting %i", (days, near) => {
        expect(awsMessages(awsValues({ logRetentionDays: days }))).toEqual([
          `aws.logRetentionDays: ${JSON.stringify(days)} is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (such as ${near})`,
        ]);
      });
    });

    describe("host class sizes", () => {
      it.each([
        [{ minSize: 3, maxSize: 12, targetCapacityPercent: 100 }],
        [{ minSize: 12, maxSize: 12, targetCapacityPercent: 1 }],
        [{ minSize: 6, maxSize: 1000, targetCapacityPercent: 75 }],
      ])("reads %j", (sizes) => {
        expect(awsConfigOf({ hostClasses: appClass(sizes) }).aws?.hostClasses[0]).toMatchObject(
          sizes,
        );
      });

      const H = "aws.hostClasses.app";
      const perZone = (n: number, field: string) =>
        `${H}.${field}: ${n} is fewer than one instance per zone; use 3 or more, since the group spreads over the three zones and every service places tasks in each`;
      it.each([
        [{ minSize: 2 }, [perZone(2, "minSize")]],
        [{ minSize: 0 }, [perZone(0, "minSize")]],
        [{ maxSize: 2 }, [perZone(2, "maxSize")]],
        [{ minSize: -1 }, [`${H}.minSize: -1 is not a whole number from 3 to 1000`]],
        [{ minSize: 4.5 }, [`${H}.minSize: 4.5 is not a whole number from 3 to 1000`]],
        [{ maxSize: 1001 }, [`${H}.maxSize: 1001 is not a whole number from 3 to 1000`]],
        [
          { minSize: 13 },
          [
            `${H}.minSize: 13 is more than maxSize 12 (the default); lower minSize or raise maxSize`,
          ],
        ],
        [
          { minSize: 20, maxSize: 15 },
          [`${H}.minSize: 20 is more than maxSize 15; lower minSize or raise maxSize`],
        ],
        [
          { targetCapacityPercent: 0 },
          [`${H}.targetCapacityPercent: 0 is not a whole number from 1 to 100`],
        ],
        [
          { targetCapacityPercent: 101 },
          [`${H}.targetCapacityPercent: 101 is not a whole number from 1 to 100`],
        ],
        [
          { maxSize: 10 },
          [
            `${H}.maxSize: 10 is fewer than the 12 instances host class app needs when a service scales to aws.serviceScaling.maxPerZone 4 (the default) in each of the three zones: each instance publishes at most one task of a service per release port (static host ports); raise maxSize to 12 or more, or lower aws.serviceScaling.maxPerZone to 3 or less`,
          ],
        ],
      ])("fails on %j", (sizes, expected) => {
        expect(awsMessages(awsValues({ hostClasses: appClass(sizes) }))).toEqual(expected);
      });

      it("fails for every class whose maxSize is below the tasks a service may scale to", () => {
        const hostClasses = {
          ...appClass({ maxSize: 18 }),
          spare: { instanceType: "t3.large", ami: "ami-0123456789abcdef0", services: [] },
        };
        expect(awsMessages(awsValues({ hostClasses, serviceScaling: { maxPerZone: 5 } }))).toEqual([
          "aws.hostClasses.spare.maxSize: 12 (the default) is fewer than the 15 instances host class spare needs when a service scales to aws.serviceScaling.maxPerZone 5 in each of the three zones: each instance publishes at most one task of a service per release port (static host ports); raise maxSize to 15 or more, or lower aws.serviceScaling.maxPerZone to 4 or less",
        ]);
      });

      it("fails without an AMI, asking for the region's ECS-optimised one", () => {
        const hostClasses = {
          app: { instanceType: "t3.large", services: ["billing"] },
        };
        expect(awsMessages(awsValues({ hostClasses }))).toEqual([
          "aws.hostClasses.app.ami: is required; set the region's ECS-optimised AMI id, such as ami-0123456789abcdef0 (aws ssm get-parameter --name /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id gives the current one)",
        ]);
      });
    });

    it("fails without the registry password the tasks pull with", () => {
      const values = awsValues();
      delete (values as Record<string, unknown>)["registryPullPassword"];
      expect(messages(values, [])).toEqual([
        "registryPullPassword: is required (the registry password of the user production tasks pull images as (aws.registryUser)); set it with: pulumi config set --secret registryPullPassword <value>",
      ]);
    });

    it("fails when adminCidr is missing, saying it is the test listeners' range", () => {
      const values = awsValues();
      delete (values.aws as Record<string, unknown>)["adminCidr"];
      expect(awsMessages(values)).toEqual([
        "aws.adminCidr: is required; set the operators' range (VPN or office) that may reach the load balancers' test listeners, such as 10.255.0.0/24",
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
