/**
 * The platform's policy rules: pure checks of one planned resource ({type, name, inputs, protect})
 * that return what is wrong with it. The same rules run over the offline plan
 * (`npm run policy`, where secrets are the string "[secret]") and, through `policy/index.ts`,
 * as a Pulumi policy pack during `pulumi preview --policy-pack policy`.
 */
import {
  MAX_PIDS_LIMIT,
  nanoCpus,
  PIDS_LIMIT_LABEL,
  readBackCpus,
} from "../components/docker/container-limits";

import { isWorldOpen, parseCidr } from "../components/model/ipv4";
import { PRODUCTION_LISTENER_PORTS } from "../components/model/pins";
import { identityPolicyProblems, managedPolicyProblem, trustPolicyProblems } from "./iam-policy";

/** A resource as the offline plan (and, for the rules it can run, the policy pack) sees it. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  /** Inputs; in the offline plan a secret is the string "[secret]". */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly protect: boolean;
}

export interface PolicyRule {
  /** Policy name: lower-case words joined by hyphens. */
  readonly name: string;
  readonly description: string;
  /** Resource types the rule looks at. @default every type */
  readonly types?: readonly string[];
  /**
   * Whether the rule tells secrets from plain values by the "[secret]" mask: only the offline plan
   * has it (the policy SDK hands policies secret values unwrapped).
   */
  readonly needsSecretMask?: boolean;
  /** What is wrong with `resource`, one message each; empty when it complies. */
  readonly check: (resource: PolicyResource) => string[];
}

export interface Violation {
  readonly rule: string;
  readonly type: string;
  readonly name: string;
  readonly message: string;
}

export const SECRET_MASK = "[secret]";

export const T = {
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  dockerVolume: "docker:index/volume:Volume",
  zone: "aws:route53/zone:Zone",
  ebsVolume: "aws:ebs/volume:Volume",
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  subnet: "aws:ec2/subnet:Subnet",
  autoScalingGroup: "aws:autoscaling/group:Group",
  capacityProvider: "aws:ecs/capacityProvider:CapacityProvider",
  ecsService: "aws:ecs/service:Service",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
} as const;

const show = (value: unknown): string => (value === undefined ? "not set" : JSON.stringify(value));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** (a) Stateful resources: what a user stored must survive an `up` that would replace or drop them. */
const statefulProtected: PolicyRule = {
  name: "stateful-resources-protected",
  description:
    "Docker volumes, Route 53 zones and EBS volumes hold data: they must be protected (protect: true, ideally with retainOnDelete: true).",
  types: [T.dockerVolume, T.zone, T.ebsVolume],
  check: (r) =>
    r.protect
      ? []
      : [
          "holds data but is not protected; declare it with { protect: true, retainOnDelete: true }",
        ],
};

/** (b) No privileged container: Docker containers, and the containers of ECS task definitions. */
const noPrivileged: PolicyRule = {
  name: "no-privileged-containers",
  description:
    "No container (Docker, or in an ECS task definition) runs privileged; grant single capabilities instead.",
  types: [T.container, T.taskDefinition],
  check: (r) => {
    if (r.type === T.taskDefinition) {
      return ecsContainers(r).flatMap((c, n) =>
        c["privileged"] === true
          ? [
              `${containerWhere(c, n)} runs privileged; remove privileged and add only the capabilities it needs (linuxParameters.capabilities)`,
            ]
          : [],
      );
    }
    return r.inputs["privileged"] === true
      ? ["runs privileged; remove privileged and add only the capabilities it needs"]
      : [];
  },
};

/** A container limit above this many MB (256 GiB) is a value in bytes given to an MB field. */
const MAX_PLAUSIBLE_MEMORY_MB = 262_144;

/** Restart policies that bring a long-running container back. */
const RESTART_POLICIES = ["always", "unless-stopped", "on-failure"];

/**
 * (c) Every long-running container (all but one-shot ones: `attach: true` or `rm: true`) restarts,
 * has a memory limit in MB (the docker provider's unit) with `memorySwap` equal to it, and rotates
 * its logs (`logOpts` max-size and max-file; a container with
 * `logDriver: "none"` keeps no logs and needs no rotation).
 */
const containerLimits: PolicyRule = {
  name: "containers-restart-memory-log-rotation",
  description:
    "Long-running containers restart (not 'no'), have a memory limit in MB (> 0, at most 256 GiB) with memorySwap equal to it, and rotate logs (logOpts max-size and max-file).",
  types: [T.container],
  check: (r) => {
    const i = r.inputs;
    if (i["attach"] === true || i["rm"] === true) return [];
    const problems: string[] = [];
    if (typeof i["restart"] !== "string" || !RESTART_POLICIES.includes(i["restart"])) {
      problems.push(`restart is ${show(i["restart"])}; set it to "unless-stopped"`);
    }
    const memory = i["memory"];
    if (typeof memory !== "number" || !(memory > 0)) {
      problems.push(`memory is ${show(memory)}; set a limit in MB (the docker provider's unit)`);
    } else if (memory > MAX_PLAUSIBLE_MEMORY_MB) {
      problems.push(
        `memory is ${memory} MB, over ${MAX_PLAUSIBLE_MEMORY_MB} MB: the docker provider's unit is MB, not bytes; set ${Math.max(1, Math.round(memory / 1024 / 1024))} for ${memory} bytes`,
      );
    } else if (i["memorySwap"] !== memory) {
      problems.push(
        `memorySwap is ${show(i["memorySwap"])}; set it equal to memory (${memory}, no swap): unset, Docker reads it back as twice the memory and every preview shows a diff`,
      );
    }
    if (i["logDriver"] !== "none") {
      const opts = record(i["logOpts"]);
      const missing = ["max-size", "max-file"].filter((k) => typeof opts[k] !== "string");
      if (missing.length > 0) {
        problems.push(
          `logOpts has no ${missing.join(" or ")}; rotate logs with logOpts {"max-size": "10m", "max-file": "3"}`,
        );
      }
    }
    return problems;
  },
};

/** Labels of the containers that may share the host's network, and why each needs it. */
export const HOST_NETWORK_ROLES: Readonly<Record<string, string>> = {
  "dev-datastore":
    "dev-minimal: tests and laptops reach each datastore at 127.0.0.1:<default port>, bound to loopback only",
  "release-proxy":
    "the release proxy listens on the host's 127.0.0.1 per service and reaches the slots' published ports",
};

/**
 * Containers that keep a writable rootfs, each with its reason: those with `uploads` (the docker
 * provider copies uploads into `/` before the start, which Docker refuses on a read-only rootfs).
 * The services' own images run on ECS in production, and on CI hosts from the pipeline.
 */
function writableRootfsReason(inputs: Readonly<Record<string, unknown>>): string | undefined {
  return list(inputs["uploads"]).length > 0 ? "uploads" : undefined;
}

function labelValue(inputs: Readonly<Record<string, unknown>>, label: string): string | undefined {
  const found = list(inputs["labels"])
    .map(record)
    .find((l) => l["label"] === label);
  return typeof found?.["value"] === "string" ? found["value"] : undefined;
}

/**
 * (c2) Every container has a PIDs limit (the `ci-platform.pids-limit` label, which the program's
 * `docker update` applies: the provider has no input for it), a CPU limit (`cpus`, written as the
 * provider reads it back) and, unless the allow-list above names its reason, a read-only rootfs;
 * host networking only on the roles of HOST_NETWORK_ROLES.
 */
const containerIsolation: PolicyRule = {
  name: "containers-pids-cpu-readonly-network",
  description:
    "Containers have a PIDs limit (label ci-platform.pids-limit), a CPU limit (cpus, as the provider reads it back), a read-only rootfs unless they have uploads or are a service slot, and use the host network only as dev-minimal datastores or the release proxy.",
  types: [T.container],
  check: (r) => {
    const i = r.inputs;
    const problems: string[] = [];
    const pids = labelValue(i, PIDS_LIMIT_LABEL);
    if (pids === undefined || !/^[1-9][0-9]*$/.test(pids) || Number(pids) > MAX_PIDS_LIMIT) {
      problems.push(
        `label ${PIDS_LIMIT_LABEL} is ${show(pids)}; set a PIDs limit from 1 to ${MAX_PIDS_LIMIT} (hardenedContainerArgs) and apply it with applyPidsLimit`,
      );
    }
    const cpus = i["cpus"];
    const nano = typeof cpus === "string" ? nanoCpus(cpus) : undefined;
    if (nano === undefined || nano <= 0) {
      problems.push(`cpus is ${show(cpus)}; set a CPU limit such as "0.5" or "1.0"`);
    } else if (readBackCpus(nano) !== cpus) {
      problems.push(
        `cpus ${show(cpus)} reads back as ${show(readBackCpus(nano))}: a replacement on every preview; write the read-back form`,
      );
    }
    if (i["readOnly"] !== true && writableRootfsReason(i) === undefined) {
      problems.push(
        "readOnly is not true; run the rootfs read-only, with tmpfs or volumes for what the image writes",
      );
    }
    if (i["networkMode"] === "host") {
      const role = labelValue(i, "ci-platform.role");
      if (role === undefined || !(role in HOST_NETWORK_ROLES)) {
        problems.push(
          `networkMode is "host" with ci-platform.role ${show(role)}; only ${Object.keys(HOST_NETWORK_ROLES).join(" and ")} containers share the host's network: use a bridge network`,
        );
      }
    }
    return problems;
  },
};

/**
 * Why an image reference is not pinned, or undefined when it is: a tag other than `latest`, or a
 * digest (`name@sha256:...`, whatever the tag).
 */
export function imageReferenceProblem(ref: string): string | undefined {
  if (/@[A-Za-z][A-Za-z0-9+._-]*:[A-Za-z0-9=_-]+$/.test(ref)) return undefined;
  const name = ref.slice(ref.lastIndexOf("/") + 1);
  const colon = name.indexOf(":");
  if (colon === -1) return `${JSON.stringify(ref)} has no tag, so it pulls latest`;
  if (name.slice(colon + 1) === "latest") return `${JSON.stringify(ref)} is on latest`;
  return undefined;
}

/**
 * (d) Images are pinned: a container's image, a pulled image's name and the image of each container
 * of an ECS task definition have a tag (not latest) or a digest.
 */
const imagesPinned: PolicyRule = {
  name: "images-pinned",
  description:
    "Container images, pulled images and ECS task definitions' images name a version tag other than latest, or a digest.",
  types: [T.container, T.remoteImage, T.taskDefinition],
  check: (r) => {
    if (r.type === T.taskDefinition) {
      return ecsContainers(r).flatMap((c, n) => {
        const problem =
          typeof c["image"] === "string" ? imageReferenceProblem(c["image"]) : undefined;
        return problem
          ? [`${containerWhere(c, n)} image ${problem}; pin a version tag or a digest`]
          : [];
      });
    }
    const field = r.type === T.container ? "image" : "name";
    const ref = r.inputs[field];
    if (typeof ref !== "string") return [];
    const problem = imageReferenceProblem(ref);
    return problem ? [`${field} ${problem}; pin a version tag or a digest`] : [];
  },
};

const isTrue = (v: unknown): boolean => v === true || v === "true";

function imdsProblem(inputs: Readonly<Record<string, unknown>>): string[] {
  const options = record(inputs["metadataOptions"]);
  const tokens = options["httpTokens"];
  const hops = options["httpPutResponseHopLimit"];
  const problems =
    tokens === "required"
      ? []
      : [`metadataOptions.httpTokens is ${show(tokens)}; set "required" (IMDSv2 only)`];
  if (hops !== 1 && hops !== "1") {
    problems.push(
      `metadataOptions.httpPutResponseHopLimit is ${show(hops)}; set 1, so containers on a bridge network cannot reach the instance's metadata and its role's credentials (unset, the AMI's default applies: 2 on Amazon Linux 2023 AMIs)`,
    );
  }
  return problems;
}

/**
 * (e) IMDSv2 and encrypted volumes: instances and launch templates require session tokens for the
 * metadata service, with a response hop limit of 1 (a container behind the Docker bridge is a hop
 * further, so it cannot fetch the instance role's credentials); an instance's root and EBS block
 * devices, every EBS mapping of a launch template (which must declare at least one, for the root
 * volume) and every EBS volume are encrypted.
 */
const imdsv2Encrypted: PolicyRule = {
  name: "instances-imdsv2-encrypted",
  description:
    "Instances and launch templates require IMDSv2 (metadataOptions.httpTokens 'required') with httpPutResponseHopLimit 1, and encrypt every volume.",
  types: [T.instance, T.launchTemplate, T.ebsVolume],
  check: (r) => {
    const i = r.inputs;
    if (r.type === T.ebsVolume) {
      return isTrue(i["encrypted"]) ? [] : [`encrypted is ${show(i["encrypted"])}; set true`];
    }
    const problems = imdsProblem(i);
    if (r.type === T.instance) {
      const root = record(i["rootBlockDevice"])["encrypted"];
      if (!isTrue(root)) problems.push(`rootBlockDevice.encrypted is ${show(root)}; set true`);
      list(i["ebsBlockDevices"]).forEach((d, n) => {
        const encrypted = record(d)["encrypted"];
        if (!isTrue(encrypted))
          problems.push(`ebsBlockDevices[${n}].encrypted is ${show(encrypted)}; set true`);
      });
    } else {
      const mappings = list(i["blockDeviceMappings"]);
      const ebs = mappings.map((m) => record(m)["ebs"]).filter(isRecord);
      if (ebs.length === 0) {
        problems.push(
          "blockDeviceMappings declares no EBS volume, so the root volume is the AMI's unencrypted default; map the root device with ebs.encrypted true",
        );
      }
      mappings.forEach((m, n) => {
        const mapping = record(m)["ebs"];
        if (isRecord(mapping) && !isTrue(mapping["encrypted"])) {
          problems.push(
            `blockDeviceMappings[${n}].ebs.encrypted is ${show(mapping["encrypted"])}; set "true"`,
          );
        }
      });
    }
    return problems;
  },
};

/**
 * Whether an ingress source is open to the world: any IPv4 range covering more internet addresses
 * than an admin range may (a /16; `0.0.0.0/1` and `1.0.0.0/8` count, not only `0.0.0.0/0`), or an
 * IPv6 range wider than a /16 (all of global unicast is one /3).
 */
function isWorldSource(source: string): boolean {
  const v4 = parseCidr(source);
  if (v4) return isWorldOpen(v4);
  const v6 = /^[0-9a-fA-F:]+\/(\d{1,3})$/.exec(source);
  return v6 !== null && Number(v6[1]) < 16;
}
/** Ports a load balancer's production listeners may open to the world. */
export const LISTENER_PORTS: readonly number[] = Object.values(PRODUCTION_LISTENER_PORTS);
/**
 * A load balancer's security group is named `<something>-lb`. A rule resource opens one of its
 * production listeners when it is named after that group and the listener's port:
 * `<group>-<port>` or `<group>-<port>-<suffix>` (`prod-api-lb-80-0`). Any other rule of the group,
 * such as the test listener's, is not a production listener, whatever its port.
 */
const LB_GROUP = /-lb$/;
const LB_LISTENER_RULE = /-lb-(\d+)(?:-|$)/;

interface Ingress {
  readonly where: string;
  readonly sources: readonly string[];
  readonly protocol: unknown;
  readonly fromPort: unknown;
  readonly toPort: unknown;
}

function ingressesOf(r: PolicyResource): Ingress[] {
  const i = r.inputs;
  const strings = (v: unknown): string[] =>
    list(v).filter((s): s is string => typeof s === "string");
  if (r.type === T.securityGroup) {
    return list(i["ingress"]).map((rule, n) => {
      const x = record(rule);
      return {
        where: `ingress[${n}]`,
        sources: [...strings(x["cidrBlocks"]), ...strings(x["ipv6CidrBlocks"])],
        protocol: x["protocol"],
        fromPort: x["fromPort"],
        toPort: x["toPort"],
      };
    });
  }
  if (r.type === T.securityGroupRule) {
    if (i["type"] !== "ingress") return [];
    return [
      {
        where: "the rule",
        sources: [...strings(i["cidrBlocks"]), ...strings(i["ipv6CidrBlocks"])],
        protocol: i["protocol"],
        fromPort: i["fromPort"],
        toPort: i["toPort"],
      },
    ];
  }
  return [
    {
      where: "the rule",
      sources: [i["cidrIpv4"], i["cidrIpv6"]].filter((s): s is string => typeof s === "string"),
      protocol: i["ipProtocol"],
      fromPort: i["fromPort"],
      toPort: i["toPort"],
    },
  ];
}

const isTcp = (protocol: unknown): boolean =>
  protocol === "tcp" || protocol === "6" || protocol === 6;
const isAllProtocols = (protocol: unknown): boolean =>
  protocol === "-1" || protocol === -1 || protocol === "all";

/** The one TCP port an ingress opens, or undefined when it opens another protocol or a range. */
function singleTcpPort(ing: Ingress): number | undefined {
  return isTcp(ing.protocol) && typeof ing.fromPort === "number" && ing.fromPort === ing.toPort
    ? ing.fromPort
    : undefined;
}

/**
 * (f) No ingress from anywhere (see isWorldSource), except a load balancer's production listener:
 * TCP 80 or 443, alone, on a security group named `*-lb` (inline ingress) or on a rule resource
 * named after its group and that port (`*-lb-80-*`, `*-lb-443-*`). A test listener's rule is named
 * otherwise, so it is never world-open, whatever port it is on.
 */
const noWorldIngress: PolicyRule = {
  name: "no-world-ingress-except-lb",
  description:
    "No security-group ingress from the world (0.0.0.0/0, ::/0, or any range covering more than a /16 of internet addresses), except a load balancer's production listener: TCP 80/443 on its group (named *-lb), or on a rule resource named after the group and the port (*-lb-80-*, *-lb-443-*). Test listeners are never world-open.",
  types: [T.securityGroup, T.securityGroupRule, T.ingressRule],
  check: (r) => {
    const listenerPort = (ing: Ingress): boolean => {
      const port = singleTcpPort(ing);
      if (port === undefined || !LISTENER_PORTS.includes(port)) return false;
      if (r.type === T.securityGroup) return LB_GROUP.test(r.name);
      return Number(LB_LISTENER_RULE.exec(r.name)?.[1]) === port;
    };
    return ingressesOf(r).flatMap((ing) => {
      const world = ing.sources.filter(isWorldSource);
      if (world.length === 0 || listenerPort(ing)) return [];
      const ports = `${show(ing.protocol)} ports ${show(ing.fromPort)}-${show(ing.toPort)}`;
      return [
        `${ing.where} allows ${world.join(" and ")} on ${ports}; only a load balancer's production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only`,
      ];
    });
  },
};

/** The SSH port: production hosts take no SSH at all. */
export const SSH_PORT = 22;

/**
 * (f2) No SSH: no ingress that opens TCP port 22, from any source (a range, another security group
 * or a prefix list), on any security group. Production runs its tasks through ECS, and Pulumi no
 * longer connects to hosts; all protocols, or a TCP range over 22, open it too.
 */
const noSshIngress: PolicyRule = {
  name: "no-ssh-ingress",
  description:
    "No security-group ingress opens port 22 (TCP 22, a TCP range over it, or all protocols), from any source: production hosts take no SSH.",
  types: [T.securityGroup, T.securityGroupRule, T.ingressRule],
  check: (r) =>
    ingressesOf(r).flatMap((ing) => {
      const overSsh =
        isAllProtocols(ing.protocol) ||
        (isTcp(ing.protocol) &&
          typeof ing.fromPort === "number" &&
          typeof ing.toPort === "number" &&
          ing.fromPort <= SSH_PORT &&
          SSH_PORT <= ing.toPort);
      if (!overSsh) return [];
      return [
        `${ing.where} opens port ${SSH_PORT} (${show(ing.protocol)} ports ${show(ing.fromPort)}-${show(ing.toPort)}); production hosts take no SSH (ECS runs the tasks, Pulumi no longer connects to hosts): remove it, or open only the ports the load balancers reach`,
      ];
    }),
};

/**
 * (h) No public IPs: every network interface of a launch template says
 * `associatePublicIpAddress: "false"`, and a template declares at least one (without, the subnet's
 * setting decides); an instance does not ask for one; no subnet gives one to what it launches.
 */
const noPublicIps: PolicyRule = {
  name: "no-public-ips",
  description:
    "Launch templates declare network interfaces, each with associatePublicIpAddress false; instances do not ask for a public IP; subnets do not map one on launch (the load balancers are what the internet reaches).",
  types: [T.launchTemplate, T.instance, T.subnet],
  check: (r) => {
    const i = r.inputs;
    if (r.type === T.subnet) {
      return isTrue(i["mapPublicIpOnLaunch"])
        ? [
            `mapPublicIpOnLaunch is ${show(i["mapPublicIpOnLaunch"])}; set false: nothing the platform launches takes a public IP (the load balancers face the internet, the hosts reach it through NAT)`,
          ]
        : [];
    }
    if (r.type === T.instance) {
      return isTrue(i["associatePublicIpAddress"])
        ? [
            `associatePublicIpAddress is ${show(i["associatePublicIpAddress"])}; set false and launch it in a private subnet`,
          ]
        : [];
    }
    const interfaces = list(i["networkInterfaces"]);
    if (interfaces.length === 0) {
      return [
        'networkInterfaces is not set, so the subnet decides whether instances get a public IP; declare the interface with associatePublicIpAddress "false" (and its security groups)',
      ];
    }
    return interfaces.flatMap((ni, n) => {
      const value = record(ni)["associatePublicIpAddress"];
      return value === false || value === "false"
        ? []
        : [`networkInterfaces[${n}].associatePublicIpAddress is ${show(value)}; set "false"`];
    });
  },
};

/** Lifecycle stages of a blue/green deployment that must run the service's tests, and which. */
export const REQUIRED_HOOK_STAGES: Readonly<Record<string, string>> = {
  POST_TEST_TRAFFIC_SHIFT: "pre-integration tests on the test listener",
  POST_PRODUCTION_TRAFFIC_SHIFT: "post-integration tests through the production listener",
};

const nonEmpty = (v: unknown): boolean => typeof v === "string" && v !== "";

/**
 * (i) Every ECS service releases blue/green with tests and rolls back by itself: the deployment
 * circuit breaker and CloudWatch alarms (at least one) both with rollback, strategy BLUE_GREEN
 * under the ECS deployment controller, every load balancer with its advanced configuration (an
 * alternate target group other than the live one, the production and test listener rules, the
 * role ECS moves traffic with), and lifecycle hooks at REQUIRED_HOOK_STAGES.
 */
const ecsServicesBlueGreen: PolicyRule = {
  name: "ecs-services-blue-green-rollback",
  description:
    "ECS services deploy BLUE_GREEN (ECS controller) with circuit breaker and alarms that roll back, a load balancer with alternate target group and production and test listener rules, and lifecycle hooks running the tests after test and after production traffic shifts.",
  types: [T.ecsService],
  check: (r) => {
    const i = r.inputs;
    const problems: string[] = [];
    const breaker = record(i["deploymentCircuitBreaker"]);
    if (breaker["enable"] !== true || breaker["rollback"] !== true) {
      problems.push(
        `deploymentCircuitBreaker is ${show(i["deploymentCircuitBreaker"])}; set { enable: true, rollback: true }, so a revision whose tasks fail to start rolls back`,
      );
    }
    const alarms = record(i["alarms"]);
    if (alarms["enable"] !== true || alarms["rollback"] !== true) {
      problems.push(
        `alarms is ${show(i["alarms"])}; set { alarmNames: [...], enable: true, rollback: true }, so a revision that raises the service's alarms rolls back`,
      );
    } else if (list(alarms["alarmNames"]).filter(nonEmpty).length === 0) {
      problems.push(
        "alarms.alarmNames is empty; name the service's CloudWatch alarms (its target and load balancer 5xx) that roll a deployment back",
      );
    }
    const controller = record(i["deploymentController"])["type"];
    if (controller !== undefined && controller !== "ECS") {
      problems.push(
        `deploymentController.type is ${show(controller)}; leave it unset (ECS): ECS's own blue/green runs only under the ECS controller`,
      );
    }
    const deployment = record(i["deploymentConfiguration"]);
    if (deployment["strategy"] !== "BLUE_GREEN") {
      problems.push(
        `deploymentConfiguration.strategy is ${show(deployment["strategy"])}; set "BLUE_GREEN", so a release is tested on the test listener before traffic moves`,
      );
    }
    const balancers = list(i["loadBalancers"]).map(record);
    if (balancers.length === 0) {
      problems.push(
        "loadBalancers is not set; attach the service's target group with its advancedConfiguration (alternate target group, production and test listener rules)",
      );
    }
    balancers.forEach((lb, n) => {
      const advanced = record(lb["advancedConfiguration"]);
      const missing = [
        "alternateTargetGroupArn",
        "productionListenerRule",
        "testListenerRule",
        "roleArn",
      ].filter((k) => !nonEmpty(advanced[k]));
      if (missing.length > 0) {
        problems.push(
          `loadBalancers[${n}].advancedConfiguration has no ${missing.join(", ")}; blue/green needs the alternate target group, the production and test listener rules and the role ECS moves traffic with`,
        );
      } else if (advanced["alternateTargetGroupArn"] === lb["targetGroupArn"]) {
        problems.push(
          `loadBalancers[${n}].advancedConfiguration.alternateTargetGroupArn is the live target group ${show(lb["targetGroupArn"])}; use the service's other target group`,
        );
      }
    });
    const hooks = list(deployment["lifecycleHooks"]).map(record);
    for (const [stage, purpose] of Object.entries(REQUIRED_HOOK_STAGES)) {
      const hook = hooks.find((h) => list(h["lifecycleStages"]).includes(stage));
      if (hook === undefined) {
        problems.push(
          `deploymentConfiguration.lifecycleHooks has no hook at ${stage}; add one that runs the ${purpose} (hookTargetArn, roleArn)`,
        );
      } else if (!nonEmpty(hook["hookTargetArn"]) || !nonEmpty(hook["roleArn"])) {
        problems.push(
          `the ${stage} lifecycle hook has hookTargetArn ${show(hook["hookTargetArn"])} and roleArn ${show(hook["roleArn"])}; set the hook function and the role ECS invokes it with`,
        );
      }
    }
    return problems;
  },
};

/** Distinct subnets an ECS Auto Scaling group spreads over: one per zone. */
export const MIN_ZONE_SUBNETS = 3;

/**
 * (j) ECS capacity: every Auto Scaling group (all of the platform's back an ECS capacity provider)
 * protects its instances from scale-in, which managed termination protection requires, spreads
 * over at least MIN_ZONE_SUBNETS subnets, and carries the AmazonECSManaged tag ECS adds itself;
 * every capacity provider has managed scaling and managed termination protection ENABLED.
 */
const ecsCapacity: PolicyRule = {
  name: "ecs-capacity-managed",
  description:
    "Auto Scaling groups protect instances from scale-in, span at least three subnets and carry the AmazonECSManaged tag; capacity providers enable managed scaling and managed termination protection.",
  types: [T.autoScalingGroup, T.capacityProvider],
  check: (r) => {
    const i = r.inputs;
    const problems: string[] = [];
    if (r.type === T.capacityProvider) {
      const provider = record(i["autoScalingGroupProvider"]);
      const scaling = record(provider["managedScaling"])["status"];
      if (scaling !== "ENABLED") {
        problems.push(
          `autoScalingGroupProvider.managedScaling.status is ${show(scaling)}; set "ENABLED", so the group grows and shrinks with the tasks ECS has to place`,
        );
      }
      const termination = provider["managedTerminationProtection"];
      if (termination !== "ENABLED") {
        problems.push(
          `autoScalingGroupProvider.managedTerminationProtection is ${show(termination)}; set "ENABLED", so scale-in never stops an instance that still runs tasks`,
        );
      }
      return problems;
    }
    if (!isTrue(i["protectFromScaleIn"])) {
      problems.push(
        `protectFromScaleIn is ${show(i["protectFromScaleIn"])}; set true: the capacity provider's managed termination protection needs it`,
      );
    }
    const subnets = new Set(list(i["vpcZoneIdentifiers"]).filter(nonEmpty));
    if (subnets.size < MIN_ZONE_SUBNETS) {
      problems.push(
        `vpcZoneIdentifiers lists ${subnets.size} subnet${subnets.size === 1 ? "" : "s"}; list the private subnet of each of the ${MIN_ZONE_SUBNETS} zones, so a zone outage leaves capacity`,
      );
    }
    const tag = list(i["tags"])
      .map(record)
      .find((t) => t["key"] === "AmazonECSManaged");
    if (tag === undefined || !isTrue(tag["propagateAtLaunch"])) {
      problems.push(
        'tags has no { key: "AmazonECSManaged", value: "", propagateAtLaunch: true }; ECS managed scaling adds it, so declare it or every preview shows a diff',
      );
    }
    return problems;
  },
};

/**
 * Task definition families that may carry a task role, each with the AWS access its app needs.
 * None today: the tasks reach only their datastores and each other, and the execution role (not
 * the task's) pulls the image and writes the logs.
 */
export const TASK_ROLE_FAMILIES: Readonly<Record<string, string>> = {};

/** A task definition's containers, or why they cannot be read (undefined input: none, no message). */
function containerDefinitions(inputs: Readonly<Record<string, unknown>>): {
  containers: Record<string, unknown>[];
  problem?: string;
} {
  let defs = inputs["containerDefinitions"];
  if (defs === SECRET_MASK) {
    return {
      containers: [],
      problem:
        "containerDefinitions is a secret, so a secret was rendered into it, where anyone who may describe task definitions reads it; pass secrets as secrets[].valueFrom (Secrets Manager) and repositoryCredentials",
    };
  }
  if (typeof defs === "string") {
    try {
      defs = JSON.parse(defs) as unknown;
    } catch {
      return {
        containers: [],
        problem: "containerDefinitions is not JSON; render it with JSON.stringify",
      };
    }
  }
  if (defs === undefined) return { containers: [] };
  if (!Array.isArray(defs)) {
    return { containers: [], problem: "containerDefinitions is not a JSON array of containers" };
  }
  return { containers: defs.map(record) };
}

/** How a container is called in messages: `containerDefinitions[0] (app)`. */
const containerWhere = (c: Record<string, unknown>, n: number): string =>
  `containerDefinitions[${n}]${typeof c["name"] === "string" ? ` (${c["name"]})` : ""}`;

/**
 * (k) ECS task definitions: no task role unless TASK_ROLE_FAMILIES names the family; not on the
 * host's network (where containers reach the instance metadata despite hop limit 1); readable
 * container definitions, each with a memory limit, CloudWatch logs (awslogs) and no secret-named
 * environment variable in plain text (ECS `secrets` take a valueFrom instead).
 */
const ecsTaskDefinitions: PolicyRule = {
  name: "ecs-task-definitions",
  description:
    "ECS task definitions carry no task role unless allow-listed, do not use host networking, and give each container a memory limit, awslogs logging and secrets through valueFrom rather than plain environment values.",
  types: [T.taskDefinition],
  check: (r) => {
    const i = r.inputs;
    const problems: string[] = [];
    const family = typeof i["family"] === "string" ? i["family"] : r.name;
    if (nonEmpty(i["taskRoleArn"]) && !(family in TASK_ROLE_FAMILIES)) {
      problems.push(
        `taskRoleArn is ${show(i["taskRoleArn"])}; remove it (the execution role pulls the image and writes the logs), or add family ${family} to TASK_ROLE_FAMILIES with the AWS access its app needs`,
      );
    }
    if (i["networkMode"] === "host") {
      problems.push(
        'networkMode is "host"; use "bridge": on the host\'s network containers reach the instance metadata, and its role\'s credentials, despite hop limit 1',
      );
    }
    const { containers, problem } = containerDefinitions(i);
    if (problem) problems.push(problem);
    containers.forEach((c, n) => {
      const where = containerWhere(c, n);
      const memory = c["memory"] ?? c["memoryReservation"];
      if (typeof memory !== "number" || !(memory > 0)) {
        problems.push(
          `${where} memory is ${show(memory)}; set a limit in MiB (the catalog's memory)`,
        );
      }
      const driver = record(c["logConfiguration"])["logDriver"];
      if (driver !== "awslogs") {
        problems.push(
          `${where} logConfiguration.logDriver is ${show(driver)}; log to CloudWatch with "awslogs" and the stack's log group (kept logRetentionDays)`,
        );
      }
      list(c["environment"])
        .map(record)
        .forEach((e, k) => {
          if (
            typeof e["name"] === "string" &&
            isSecretName(e["name"]) &&
            holdsPlainValue(e["value"])
          ) {
            problems.push(
              `${where} environment[${k}] sets ${e["name"]} in plain text; pass it in secrets as { name, valueFrom: <Secrets Manager ARN> }`,
            );
          }
        });
    });
    return problems;
  },
};

/** The ECS containers of a task definition, as other rules read them (unreadable: none). */
function ecsContainers(r: PolicyResource): Record<string, unknown>[] {
  return r.type === T.taskDefinition ? containerDefinitions(r.inputs).containers : [];
}

/**
 * (l) Least-privilege roles: inline role policies and customer managed policies grant no NotAction
 * or NotResource, no "*" or "<service>:*" action, and "*" resources only for the actions of
 * STAR_ONLY_ACTIONS; a role's trust policy names who assumes it; only the AWS managed policies of
 * MANAGED_POLICIES are attached (see iam-policy.ts).
 */
const iamLeastPrivilege: PolicyRule = {
  name: "iam-least-privilege",
  description:
    "IAM roles grant named actions on named resources (no '*', '<service>:*', NotAction or NotResource; Resource '*' only for actions AWS grants on '*' alone), trust named principals, and attach only allow-listed AWS managed policies (never AdministratorAccess, PowerUserAccess or IAMFullAccess).",
  types: [T.role, T.rolePolicy, T.iamPolicy, T.rolePolicyAttachment, T.policyAttachment],
  check: (r) => {
    const i = r.inputs;
    if (r.type === T.rolePolicy || r.type === T.iamPolicy) {
      return identityPolicyProblems("policy", i["policy"]);
    }
    if (r.type === T.rolePolicyAttachment || r.type === T.policyAttachment) {
      const problem = managedPolicyProblem(i["policyArn"]);
      return problem ? [`policyArn ${problem}`] : [];
    }
    return [
      ...trustPolicyProblems("assumeRolePolicy", i["assumeRolePolicy"]),
      ...list(i["inlinePolicies"]).flatMap((p, n) =>
        identityPolicyProblems(`inlinePolicies[${n}].policy`, record(p)["policy"]),
      ),
      ...list(i["managedPolicyArns"]).flatMap((arn, n) => {
        const problem = managedPolicyProblem(arn);
        return problem ? [`managedPolicyArns[${n}] ${problem}`] : [];
      }),
    ];
  },
};

/** Nouns that make a setting secret when its name ends in one: `jenkinsAdminPassword`, `REGISTRY_HTTP_SECRET`. */
const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "htpasswd",
  "credential",
  "credentials",
  "apikey",
  "privatekey",
]);
/** Qualifiers that make a trailing `key` key material: `REGISTRY_TLS_KEY`, `privateKey`. */
const SECRET_KEY_QUALIFIERS = new Set([
  "private",
  "api",
  "access",
  "tls",
  "ssh",
  "signing",
  "auth",
]);
/**
 * Trailing words that only say how the secret is written: `privateKeyPem`, `PASSWORD_B64`, a
 * Secrets Manager version's `secretString`.
 */
const ENCODING_WORDS = new Set([
  "pem",
  "value",
  "data",
  "text",
  "content",
  "string",
  "base64",
  "b64",
]);

/**
 * Whether a setting or variable name says it holds a secret: it ends in a secret noun (optionally
 * followed by an encoding word). `passwordFile`, `tokenUrl`, `httpTokens` and
 * `skipCredentialsValidation` name something else.
 */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.length > 1 && ENCODING_WORDS.has(words[words.length - 1]!)) words.pop();
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (SECRET_WORDS.has(last)) return true;
  return last === "key" && words.length > 1 && SECRET_KEY_QUALIFIERS.has(words[words.length - 2]!);
}

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const ENV_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;

/** Whether `value` holds readable data: a non-empty string other than the mask, or a number. */
function holdsPlainValue(value: unknown): boolean {
  if (typeof value === "string") return value !== "" && value !== SECRET_MASK;
  if (typeof value === "number") return true;
  if (Array.isArray(value)) return value.some(holdsPlainValue);
  if (isRecord(value)) return Object.values(value).some(holdsPlainValue);
  return false;
}

/**
 * (g) No secret in a plain input: an input whose name says secret (password, secret, token, private
 * or TLS key, ...), an `X_PASSWORD=...` entry of a list, and PEM private key material anywhere must
 * be "[secret]" in the plan. Needs the offline plan's mask.
 */
const secretsNotPlain: PolicyRule = {
  name: "secrets-not-plain",
  description:
    "Inputs named like secrets, NAME=value entries with secret names, and private keys are secret values, never plain text.",
  needsSecretMask: true,
  check: (r) => {
    const problems: string[] = [];
    const walk = (path: string, value: unknown): void => {
      if (typeof value === "string") {
        if (value !== SECRET_MASK && PRIVATE_KEY_PEM.test(value)) {
          problems.push(`${path} holds a private key in plain text; pass it as a secret`);
        }
      } else if (Array.isArray(value)) {
        value.forEach((v, n) => {
          const assignment = typeof v === "string" ? ENV_ASSIGNMENT.exec(v) : null;
          if (assignment && isSecretName(assignment[1]!) && assignment[2] !== "") {
            problems.push(
              `${path}[${n}] sets ${assignment[1]} in plain text; pass the whole list as a secret`,
            );
          } else {
            walk(`${path}[${n}]`, v);
          }
        });
      } else if (isRecord(value)) {
        for (const key of Object.keys(value).sort()) {
          const child = value[key];
          if (isSecretName(key) && holdsPlainValue(child)) {
            problems.push(
              `${path}.${key} looks secret but is plain text; pass it as a secret (pulumi.secret, config.requireSecret)`,
            );
          } else {
            walk(`${path}.${key}`, child);
          }
        }
      }
    };
    walk("inputs", r.inputs);
    return problems;
  },
};

export const RULES: readonly PolicyRule[] = [
  statefulProtected,
  noPrivileged,
  containerLimits,
  containerIsolation,
  imagesPinned,
  imdsv2Encrypted,
  noWorldIngress,
  noSshIngress,
  noPublicIps,
  iamLeastPrivilege,
  ecsServicesBlueGreen,
  ecsCapacity,
  ecsTaskDefinitions,
  secretsNotPlain,
];

/** Whether `rule` looks at resources of `type`. */
export function appliesTo(rule: PolicyRule, type: string): boolean {
  return rule.types === undefined || rule.types.includes(type);
}

/** Every violation of `rules` by `resources`, in resource order. */
export function checkResources(
  resources: readonly PolicyResource[],
  rules: readonly PolicyRule[] = RULES,
): Violation[] {
  return resources.flatMap((r) =>
    rules
      .filter((rule) => appliesTo(rule, r.type))
      .flatMap((rule) =>
        rule.check(r).map((message) => ({ rule: rule.name, type: r.type, name: r.name, message })),
      ),
  );
}

/** Violations as lines: `[rule] type name: message`. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `  [${v.rule}] ${v.type} ${v.name}: ${v.message}`).join("\n");
}
