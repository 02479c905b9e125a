/**
 * Hostile and careless edits of the real stack files, read exactly as the program reads them from
 * the engine (stack file -> engine config -> plain values -> validation): each gets the exact
 * message, at the field the file writes, once.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parsePlanArgs } from "../tools/plan/cli-args";
import { readProjectName, stackConfigFromYaml } from "../lib/stack-file";
import { validateStackFile } from "../lib/stack-config";

const ROOT = join(__dirname, "..");
const PROJECT = readProjectName(ROOT);
type Stack = "testing" | "staging" | "production";
type Config = Record<string, unknown>;

/** The stack file's `config:` block, parsed fresh. */
function stackDocument(stack: Stack): { config: Config } {
  return parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Config };
}

/** A setting of the project (`ci-platform:<key>`) as a mutable map. */
function block(config: Config, key: string): Config {
  return config[`${PROJECT}:${key}`] as Config;
}

function validate(stack: Stack, edit: (config: Config) => void, stackName: string = stack) {
  const doc = stackDocument(stack);
  edit(doc.config);
  return validateStackFile(stackConfigFromYaml(PROJECT, doc, `Pulumi.${stack}.yaml`), stackName);
}

/** The messages of an edit the program must refuse. */
function problems(stack: Stack, edit: (config: Config) => void, stackName?: string): string[] {
  const result = validate(stack, edit, stackName);
  if (result.ok) throw new Error("expected the edited stack file to be refused");
  return result.issues.map((i) => i.message);
}

const testingHost = (config: Config): Config => block(config, "ciHosts")["ci-testing-1"] as Config;
const awsBlock = (config: Config): Config => block(config, "aws");

describe("stack names (5)", () => {
  it("refuses a stack name Pulumi would not accept, before reading any file", () => {
    expect(() => parsePlanArgs(["--stack", "testing;id"])).toThrow(
      `stack name "testing;id" is not one Pulumi accepts; use up to 100 letters, digits, '-', '_' and '.', starting with a letter or digit`,
    );
    expect(() => parsePlanArgs(["--stack", "../etc/passwd"])).toThrow("is not one Pulumi accepts");
  });

  it("refuses it in the program too, where it starts every container name", () => {
    expect(problems("testing", () => {}, "$(id)")).toEqual([
      `stack name "$(id)" is not one Pulumi accepts; use up to 100 letters, digits, '-', '_' and '.', starting with a letter or digit`,
    ]);
  });
});

describe("host paths (7)", () => {
  const plain =
    "is not a plain absolute path (letters, digits and . _ + - between single slashes; no spaces, quotes, %, .. or trailing slash)";
  it.each([
    ["jenkins.home", "/", '"/" is a system directory; use one such as /var/lib/jenkins'],
    [
      "jenkins.home",
      "/etc/jenkins",
      '"/etc/jenkins" is inside /etc, which the system owns; use one such as /var/lib/jenkins',
    ],
    [
      "jenkins.home",
      "/var/lib",
      '"/var/lib" is a system directory; use one such as /var/lib/jenkins',
    ],
    [
      "jenkins.home",
      "/var/lib/jenkins;touch /tmp/owned",
      `"/var/lib/jenkins;touch /tmp/owned" ${plain}; use one such as /var/lib/jenkins`,
    ],
    [
      "jenkins.home",
      "/var/lib/jen kins",
      `"/var/lib/jen kins" ${plain}; use one such as /var/lib/jenkins`,
    ],
    ["jenkins.home", "/var/lib/%h", `"/var/lib/%h" ${plain}; use one such as /var/lib/jenkins`],
    [
      "jenkins.home",
      '/var/lib/"j"',
      `"/var/lib/\\"j\\"" ${plain}; use one such as /var/lib/jenkins`,
    ],
    [
      "jenkins.home",
      "/var/lib/../..",
      `"/var/lib/../.." ${plain}; use one such as /var/lib/jenkins`,
    ],
    [
      "jenkins.home",
      "/var/lib/jenkins/",
      `"/var/lib/jenkins/" ${plain}; use one such as /var/lib/jenkins`,
    ],
    ["jenkins.systemdDir", "/", '"/" is a system directory; use one such as /etc/systemd/system'],
    [
      "jenkins.systemdDir",
      "/etc",
      '"/etc" is a system directory; use one such as /etc/systemd/system',
    ],
    [
      "jenkins.aptSourcesDir",
      "/etc/apt",
      '"/etc/apt" is a system directory; use one such as /etc/apt/sources.list.d',
    ],
  ])("refuses %s: %j", (field, value, message) => {
    const key = field.split(".")[1]!;
    expect(
      problems("testing", (config) => {
        config[`${PROJECT}:jenkins`] = { [key]: value };
      }),
    ).toEqual([`${field}: ${message}`]);
  });

  it.each([
    [
      "daemonJsonPath",
      "/etc/passwd",
      '"/etc/passwd" is not a file named daemon.json; use one such as /etc/docker/daemon.json',
    ],
    ["certsDir", "/", '"/" is a system directory; use one such as /etc/docker/certs.d'],
    [
      "certsDir",
      "/etc/docker",
      '"/etc/docker" is a system directory; use one such as /etc/docker/certs.d',
    ],
  ])("refuses hostPrep.%s: %j", (key, value, message) => {
    expect(
      problems("testing", (config) => {
        testingHost(config)["hostPrep"] = { [key]: value };
      }),
    ).toEqual([`ciHosts.ci-testing-1.hostPrep.${key}: ${message}`]);
  });

  it("accepts the defaults' neighbours a host may really use", () => {
    const result = validate("testing", (config) => {
      config[`${PROJECT}:jenkins`] = {
        home: "/srv/jenkins",
        systemdDir: "/run/systemd/system",
        aptSourcesDir: "/etc/apt/sources.list.d",
      };
      testingHost(config)["hostPrep"] = {
        daemonJsonPath: "/etc/docker/daemon.json",
        certsDir: "/etc/docker/certs.d",
      };
    });
    expect(result.ok).toBe(true);
  });
});

describe("docker host URLs (4, 7)", () => {
  it.each(["unix:///var/run/docker.sock;id", "unix:///var/run/$(id).sock", "unix:///run/a b.sock"])(
    "refuses a socket path a shell would read specially: %s",
    (url) => {
      expect(
        problems("testing", (config) => {
          testingHost(config)["dockerHost"] = url;
        }),
      ).toEqual([
        `ciHosts.ci-testing-1.dockerHost: ${JSON.stringify(url)} is not a Docker host URL; use unix:///var/run/docker.sock or ssh://user@host[:port]`,
      ]);
    },
  );
});

describe("prototype keys (8)", () => {
  it("refuses __proto__ as a setting, and it changes nothing Jenkins reads", () => {
    expect(
      problems("testing", (config) => {
        config[`${PROJECT}:__proto__`] = { jenkins: { port: 9999, listenAddress: "0.0.0.0" } };
      }),
    ).toEqual([
      "__proto__: is not a known setting of ci-platform; use one of aws, ciHosts, datastorePassword, domain, jenkins, jenkinsAdminPassword, jenkinsRegistryPassword, kind, region, registry, registryHtpasswd, registryHttpSecret, registryPullPassword, registryTlsKey, services",
    ]);
  });

  it.each(["__proto__", "constructor", "prototype"])("refuses %s inside a block", (key) => {
    expect(
      problems("testing", (config) => {
        config[`${PROJECT}:jenkins`] = JSON.parse(`{"${key}": {"port": 9999}}`) as Config;
      }),
    ).toEqual([
      `jenkins.${key}: is not a setting (it is a name JavaScript reserves for objects); remove it`,
    ]);
  });

  it("refuses __proto__ as a host name without adding a host", () => {
    expect(
      problems("testing", (config) => {
        const hosts = block(config, "ciHosts");
        config[`${PROJECT}:ciHosts`] = JSON.parse(
          `{"__proto__": {"dockerHost": "unix:///run/other.sock"}, "ci-testing-1": ${JSON.stringify(hosts["ci-testing-1"])}}`,
        ) as Config;
      }),
    ).toEqual([
      "ciHosts.__proto__: is not a setting (it is a name JavaScript reserves for objects); remove it",
    ]);
  });
});

describe("admin ranges (9)", () => {
  it.each([
    ["0.0.0.0/1", "2,092,957,696"],
    ["1.0.0.0/8", "16,777,216"],
    ["128.0.0.0/2", "1,072,627,712"],
  ])("refuses %s, world-open in all but name", (range, count) => {
    expect(
      problems("production", (config) => {
        awsBlock(config)["adminCidr"] = range;
      }),
    ).toEqual([
      `aws.adminCidr: ${range} covers ${count} internet addresses, which opens the load balancers' test listeners (each release's new revision, before its tests pass) to the internet in all but name; set the VPN or office range (at most 65,536 internet addresses, a /16)`,
    ]);
  });

  it.each(["10.0.0.0/8", "198.51.0.0/16", "203.0.113.7/32"])("accepts %s", (range) => {
    expect(validate("production", (config) => (awsBlock(config)["adminCidr"] = range)).ok).toBe(
      true,
    );
  });
});

describe("addresses that cannot work (10)", () => {
  it.each([
    ["127.0.0.0/16", "loopback space 127.0.0.0/8"],
    ["224.1.0.0/16", "multicast space 224.0.0.0/4"],
    ["169.254.0.0/16", "link-local space 169.254.0.0/16"],
  ])("refuses backend subnet %s", (subnet, space) => {
    expect(
      problems("testing", (config) => {
        testingHost(config)["backendSubnet"] = subnet;
      }),
    ).toEqual([
      `ciHosts.ci-testing-1.backendSubnet: "${subnet}" overlaps ${space}, which no container network can use; use a private range such as 172.18.0.0/16`,
    ]);
  });

  it("refuses a platform subnet in loopback space", () => {
    expect(
      problems("testing", (config) => {
        testingHost(config)["platformSubnet"] = "127.0.0.0/24";
      }),
    ).toEqual([
      'ciHosts.ci-testing-1.platformSubnet: "127.0.0.0/24" overlaps loopback space 127.0.0.0/8, which no container network can use; use one such as 10.222.0.0/24',
    ]);
  });

  it.each(["127.0.0.1", "0.0.0.0", "127.0.0.53", "255.255.255.255"])(
    "refuses DNS upstream %s, a forwarding loop inside the resolver",
    (upstream) => {
      expect(
        problems("testing", (config) => {
          testingHost(config)["dnsUpstream"] = upstream;
        }),
      ).toEqual([
        `ciHosts.ci-testing-1.dnsUpstream: ${upstream} is not a DNS server the resolver container can forward to (inside the container it is the container itself: a forwarding loop); use the address of a DNS server on the network, such as 10.0.0.2`,
      ]);
    },
  );

  it("refuses a DNS upstream inside the backend subnet, where the resolver itself lives", () => {
    expect(
      problems("testing", (config) => {
        testingHost(config)["dnsUpstream"] = "172.18.0.2";
      }),
    ).toEqual([
      "ciHosts.ci-testing-1.dnsUpstream: 172.18.0.2 is inside ciHosts.ci-testing-1.backendSubnet 172.18.0.0/16, where the resolver and the datastore nodes live; use the address of a DNS server outside it, such as 10.0.0.2",
    ]);
  });

  it("refuses a host port whose blue slot lands on the dev-minimal redis", () => {
    expect(
      problems("testing", (config) => {
        block(config, "services")["apps"] = {
          ...(block(config, "services")["apps"] as Config),
          cart: { hostPort: 5379 },
        };
      }),
    ).toEqual([
      "services.apps.cart.hostPort: 5379 puts cart's blue release slot on 6379, already used by the dev-minimal redis (services.datastores: the catalog's port for redis, not set in this file); pick a free port, such as 5001",
    ]);
  });

  it("refuses two CI hosts on one Docker engine", () => {
    expect(
      problems("staging", (config) => {
        block(config, "ciHosts")["ci-staging-2"] = {
          dockerHost: "ssh://ci@CI-STAGING-1.example.com:22",
          backendSubnet: "172.20.0.0/16",
          platformSubnet: "10.223.0.0/24",
        };
      }),
    ).toEqual([
      'ciHosts.ci-staging-2.dockerHost: "ssh://ci@CI-STAGING-1.example.com:22" is the engine of ciHosts.ci-staging-1 too; two CI hosts of one stack on one engine would share every container and network name, so give each its own engine (or keep one host block)',
    ]);
  });
});

describe("values AWS refuses at up (11)", () => {
  const aws = (edit: (a: Config) => void) => problems("production", (c) => edit(awsBlock(c)));
  const appClass = (a: Config): Config => (a["hostClasses"] as Config)["app"] as Config;

  it("refuses a flow-log retention CloudWatch does not offer", () => {
    expect(aws((a) => (a["flowLogRetentionDays"] = 100))).toEqual([
      "aws.flowLogRetentionDays: 100 is not a retention CloudWatch Logs accepts; use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (such as 90)",
    ]);
  });

  it.each([4, 29])("refuses a root volume of %i GiB, smaller than the AMI's snapshot", (size) => {
    expect(aws((a) => (appClass(a)["rootVolumeGb"] = size))).toEqual([
      `aws.hostClasses.app.rootVolumeGb: ${size} GiB is smaller than the ECS-optimised AMI's 30 GiB root snapshot, which EC2 refuses; use 30 or more (images need room: 40 is the default)`,
    ]);
  });

  it.each(["t3large", "t3.huge", "large.t3", "3t.large"])("refuses instance type %s", (type) => {
    expect(aws((a) => (appClass(a)["instanceType"] = type))).toEqual([
      `aws.hostClasses.app.instanceType: "${type}" is not an EC2 instance type, such as t3.large`,
    ]);
  });

  it.each(["t3.large", "c7gn.16xlarge", "m7i.metal-24xl", "u-6tb1.metal", "t4g.nano"])(
    "accepts instance type %s",
    (type) => {
      expect(validate("production", (c) => (appClass(awsBlock(c))["instanceType"] = type)).ok).toBe(
        true,
      );
    },
  );

  it.each(["registry.example.com:0", "registry.example.com:65536", "registry.example.com:99999"])(
    "refuses registry address %s",
    (address) => {
      expect(aws((a) => (a["registry"] = address))).toEqual([
        `aws.registry: "${address}" is not <host>:<port>; use one such as registry.example.com:5443`,
      ]);
    },
  );

  it.each(["10.20.192.0", "10.20.192.3", "10.20.207.255"])(
    "refuses node address %s, one AWS reserves in its subnet",
    (ip) => {
      expect(aws((a) => ((a["nodeIps"] as Config)["mongodb-cluster-a-node-1"] = ip))).toEqual([
        `aws.nodeIps.mongodb-cluster-a-node-1: ${ip} is one of the five addresses AWS reserves in its subnet (the first four and the last); pick another address of the subnet`,
      ]);
    },
  );

  it("refuses a repeated ingress range", () => {
    expect(aws((a) => (a["ingressCidrs"] = ["0.0.0.0/0", "10.0.0.0/8", "0.0.0.0/0"]))).toEqual([
      "aws.ingressCidrs[2]: 0.0.0.0/0 is already listed as aws.ingressCidrs[0]; list each range once",
    ]);
  });

  it.each(["deploy:x", "deploy\nroot", "Deploy"])("refuses registry user %j", (user) => {
    expect(aws((a) => (a["registryUser"] = user))).toEqual([
      `aws.registryUser: ${JSON.stringify(user)} is not a registry user name; use lower-case letters, digits, '.', '_' and '-', such as deploy`,
    ]);
  });

  it("refuses a CA certificate that is PEM-shaped but not a certificate", () => {
    expect(
      aws(
        (a) =>
          (a["registryCaCert"] =
            "-----BEGIN CERTIFICATE-----\nMIIBtDCCAVqgAwIBAgIU\n-----END CERTIFICATE-----\n"),
      ),
    ).toEqual([
      "aws.registryCaCert: is not a PEM certificate; paste one starting with -----BEGIN CERTIFICATE-----",
    ]);
  });
});

describe("settings production on ECS replaced", () => {
  const aws = (edit: (a: Config) => void) => problems("production", (c) => edit(awsBlock(c)));
  const appClass = (a: Config): Config => (a["hostClasses"] as Config)["app"] as Config;
  const NO_HOSTS =
    "is no longer a setting: production runs on ECS, and Pulumi no longer connects to hosts; remove it";

  it("refuses the old SSH settings without judging their values", () => {
    expect(
      aws((a) => {
        a["sshUser"] = "admin";
        a["bastion"] = "bastion.us-east-1.example.com:22; id";
      }),
    ).toEqual([`aws.bastion: ${NO_HOSTS}`, `aws.sshUser: ${NO_HOSTS}`]);
  });

  it("refuses countPerZone beside the sizes that replaced it, translating its value", () => {
    expect(aws((a) => (appClass(a)["countPerZone"] = 2))).toEqual([
      "aws.hostClasses.app.countPerZone: is no longer a setting: minSize and maxSize replaced it, the Auto Scaling group's bounds over all three zones (countPerZone 2 is minSize 6); set them and remove countPerZone",
    ]);
  });

  it("refuses idleVersion, naming previousVersion and the rollback command", () => {
    expect(
      problems("production", (config) => {
        const apps = block(config, "services")["apps"] as Record<string, Config>;
        apps["api"]!["idleVersion"] = "1.5.0";
      }),
    ).toEqual([
      "services.apps.api.idleVersion: is no longer a setting: ECS runs the old and new revisions during a release and rolls back by itself; remove it (previousVersion records the rollback target for npm run release -- api --rollback)",
    ]);
  });

  it("accepts a release as the release command writes it: version, previousVersion, other slot", () => {
    const result = validate("production", (config) => {
      const apps = block(config, "services")["apps"] as Record<string, Config>;
      Object.assign(apps["api"]!, {
        version: "1.5.0",
        previousVersion: "1.4.2",
        liveSlot: "green",
      });
    });
    expect(result.ok && result.config.apps.find((a) => a.name === "api")).toMatchObject({
      version: "1.5.0",
      previousVersion: "1.4.2",
      liveSlot: "green",
    });
  });

  it("refuses a host class too small for the tasks a service may scale to", () => {
    expect(aws((a) => (appClass(a)["maxSize"] = 11))).toEqual([
      "aws.hostClasses.app.maxSize: 11 is fewer than the 12 instances host class app needs when a service scales to aws.serviceScaling.maxPerZone 4 in each of the three zones: each instance publishes at most one task of a service per release port (static host ports); raise maxSize to 12 or more, or lower aws.serviceScaling.maxPerZone to 3 or less",
    ]);
    expect(aws((a) => ((a["serviceScaling"] as Config)["maxPerZone"] = 7))).toEqual([
      "aws.hostClasses.app.maxSize: 18 is fewer than the 21 instances host class app needs when a service scales to aws.serviceScaling.maxPerZone 7 in each of the three zones: each instance publishes at most one task of a service per release port (static host ports); raise maxSize to 21 or more, or lower aws.serviceScaling.maxPerZone to 6 or less",
    ]);
  });

  it.each([80, 443])("refuses test listener port %i, a production listener's", (port) => {
    expect(aws((a) => ((a["release"] as Config)["testListenerPort"] = port))).toEqual([
      `aws.release.testListenerPort: ${port} is a production listener's port (every load balancer serves 80, and 443 with a certificate); pick another, such as 8080`,
    ]);
  });
});

describe("no follow-on errors (12)", () => {
  it("reports a broken services block once, and nothing about the data refresh that names it", () => {
    expect(
      problems("testing", (config) => {
        config[`${PROJECT}:services`] = "mongodb, postgres";
      }),
    ).toEqual([`services: "mongodb, postgres" is not a map; write it as a YAML mapping`]);
  });

  it.each([
    ["us-east-1(", '"us-east-1(" is not a region name; use one such as us-east-1'],
    ["us-east-[1", '"us-east-[1" is not a region name; use one such as us-east-1'],
    [null, "null is not a non-empty string"],
  ])("reports a bad region %j once, without zone errors or a crash", (region, message) => {
    expect(
      problems("production", (config) => {
        config[`${PROJECT}:region`] = region;
      }),
    ).toEqual([`region: ${message}`]);
  });

  it("reports a value nested too deeply once, at its field", () => {
    expect(
      problems("testing", (config) => {
        let deep: unknown = "x";
        for (let i = 0; i < 40; i++) deep = [deep];
        testingHost(config)["backendSubnet"] = deep;
      }),
    ).toEqual([
      "ciHosts.ci-testing-1.backendSubnet[0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nests values more than 16 levels deep; no setting is nested that deeply, so check the brackets",
    ]);
  });
});

describe("blame the field the file writes (13)", () => {
  it("blames registry.port, not the default jenkins.port it meets", () => {
    expect(
      problems("staging", (config) => {
        block(config, "registry")["port"] = 8080;
      }),
    ).toEqual([
      "registry.port: 8080 is already used by Jenkins (jenkins.port: the default 8080, not set in this file); pick a free port, such as 5443",
    ]);
  });

  it("blames the written port, naming the catalog pin it meets", () => {
    expect(
      problems("staging", (config) => {
        block(config, "registry")["port"] = 5060;
      }),
    ).toEqual([
      "registry.port: 5060 is already used by api (services.apps.api.hostPort: the catalog pins api to 5060, not set in this file); pick a free port, such as 5443",
    ]);
  });

  it("names both sides when both are in the file", () => {
    expect(
      problems("staging", (config) => {
        block(config, "registry")["port"] = 8443;
        config[`${PROJECT}:jenkins`] = { port: 8443 };
      }),
    ).toEqual([
      "registry.port: 8443 is already used by Jenkins (jenkins.port, also in this file); pick a free port, such as 5443, or change jenkins.port",
    ]);
  });
});

describe("messages (14)", () => {
  it("cuts a long value, keeping its length", () => {
    expect(
      problems("testing", (config) => {
        config[`${PROJECT}:domain`] = "a".repeat(5_000_000);
      }),
    ).toEqual([
      `domain: "${"a".repeat(79)}… (5000000 characters) is not a lower-case DNS domain; use one such as example.com`,
    ]);
  });

  it("never echoes a value set with --secret", () => {
    const messages = problems("testing", (config) => {
      config[`${PROJECT}:region`] = { secure: "v1:c2VjcmV0LXJlZ2lvbg==" };
    });
    expect(messages).toEqual([
      "region: holds a value set with --secret, but region is not read as a secret (the secret settings are datastorePassword, jenkinsAdminPassword, jenkinsRegistryPassword, registryHtpasswd, registryHttpSecret, registryPullPassword, registryTlsKey); set it without --secret, and keep credentials a command needs in a file on the host",
    ]);
  });
});

describe("secrets under structured config (15)", () => {
  it("refuses a secret set with --path inside ciHosts, before its value reaches a command", () => {
    const messages = problems("testing", (config) => {
      const refresh = testingHost(config)["dataRefresh"] as Record<string, Config>;
      refresh["mongodb"]!["command"] = { secure: "v1:bW9uZ29yZXN0b3JlIC0tcGFzc3dvcmQ=" };
    });
    expect(messages).toEqual([
      "ciHosts: holds a value set with --secret, but ciHosts is not read as a secret (the secret settings are datastorePassword, jenkinsAdminPassword, jenkinsRegistryPassword, registryHtpasswd, registryHttpSecret, registryPullPassword, registryTlsKey); set it without --secret, and keep credentials a command needs in a file on the host",
    ]);
  });
});
