/** Validation of the `aws` block of a production stack. */
import { VPC_SUBNET_PREFIX_BITS } from "../catalog/allocation";
import { datastoreNodes } from "../catalog/nodes";
import {
  cidrContains,
  formatCidr,
  isWorldOpen,
  MAX_ADMIN_PUBLIC_ADDRESSES,
  parseCidr,
  parseIpv4,
  publicAddressCount,
  type Cidr,
} from "../model/ipv4";
import { isRegistryUser } from "../model/names";
import { isDnsLabel, isDomainName, DNS_LABEL_RULE } from "../model/names";
import { isPemCertificate, positiveInteger, Reader, show, wholeNumber } from "./reader";
import { PRODUCTION_LISTENER_PORTS } from "../model/pins";
import type {
  AwsConfig,
  HostClassConfig,
  Selection,
  ReleaseConfig,
  ServiceScalingConfig,
} from "./types";

export const DEFAULT_VPC_CIDR = "10.0.0.0/16";

const AWS_SETTINGS = [
  "availabilityZones",
  "vpcCidr",
  "natGateways",
  "ingressCidrs",
  "adminCidr",
  "certificateArn",
  "registry",
  "registryCaCert",
  "registryUser",
  "hostClasses",
  "nodeIps",
  "flowLogRetentionDays",
  "logRetentionDays",
  "serviceScaling",
  "release",
];

const NO_HOST_CONNECTIONS =
  "production runs on ECS, and Pulumi no longer connects to hosts; remove it";
/** Settings of the aws block that production on ECS no longer reads, with what replaced them. */
const REMOVED_AWS_SETTINGS: ReadonlyMap<string, string> = new Map([
  ["sshUser", NO_HOST_CONNECTIONS],
  ["bastion", NO_HOST_CONNECTIONS],
]);

const HOST_CLASS_SETTINGS = [
  "instanceType",
  "ami",
  "minSize",
  "maxSize",
  "targetCapacityPercent",
  "rootVolumeGb",
  "services",
];

/** Every host class's Auto Scaling group spreads over this many zones (aws.availabilityZones). */
export const ZONE_COUNT = 3;

export const HOST_CLASS_DEFAULTS = {
  /** One instance per zone, so every zone can run every service. */
  minSize: ZONE_COUNT,
  maxSize: 12,
  targetCapacityPercent: 100,
  rootVolumeGb: 40,
} as const;
/** The most instances one host class may scale to. */
export const MAX_HOST_CLASS_SIZE = 1000;

export const SERVICE_SCALING_DEFAULTS: ServiceScalingConfig = {
  desiredPerZone: 2,
  minPerZone: 2,
  maxPerZone: 4,
  cpuTargetPercent: 60,
};
/** The most tasks per zone a service may scale to. */
export const MAX_TASKS_PER_ZONE = 50;

export const RELEASE_DEFAULTS: ReleaseConfig = {
  testListenerPort: 8080,
  bakeMinutes: 10,
  testTimeoutMinutes: 15,
  max5xxPerMinute: 5,
};
/** The ports of every load balancer's production listeners: 80, and 443 with a certificate. */
/** The bake times ECS accepts for a blue/green deployment (bakeTimeInMinutes), in minutes. */
const MAX_BAKE_MINUTES = 1440;
const MAX_TEST_TIMEOUT_MINUTES = 60;

export const DEFAULT_FLOW_LOG_RETENTION_DAYS = 90;
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/**
 * An AMI id. Host classes run the region's ECS-optimised AMI (or one with Docker and the ECS agent),
 * pinned so a new AMI is a reviewed change; the production stack file names the SSM parameter
 * that gives the current one.
 */
const AMI = /^ami-[0-9a-f]{8,17}$/;
/** `<family><generation><attributes>.<size>`, such as t3.large, c7gn.16xlarge, m7i.metal-24xl. */
const INSTANCE_TYPE =
  /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|\d+xlarge|metal(-\d+xl)?)$/;
/** The ECS-optimised AMIs have a 30 GiB root snapshot; EC2 refuses a smaller root volume. */
export const MIN_ROOT_VOLUME_GB = 30;
/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];
const CERT_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;
const REGISTRY_ADDRESS = /^([a-z0-9.-]+):(\d{1,5})$/;

function cidr(r: Reader, path: string, value: unknown): string | undefined {
  const text = r.string(path, value);
  const parsed = text === undefined ? undefined : parseCidr(text);
  if (text !== undefined && !parsed)
    return r.fail(
      path,
      `${show(text)} is not a CIDR network address; use one such as 10.255.0.0/24`,
    );
  return parsed && formatCidr(parsed);
}

export function readAws(
  r: Reader,
  value: unknown,
  region: string | undefined,
  selection: Selection | undefined,
): AwsConfig | undefined {
  if (value === undefined) {
    return r.fail(
      "aws",
      "is required on an aws stack; set aws.availabilityZones to three zones of the region",
    );
  }
  const aws = r.object("aws", value, AWS_SETTINGS, REMOVED_AWS_SETTINGS);
  if (!aws) return undefined;
  const before = r.issues.length;

  const zones =
    aws["availabilityZones"] === undefined
      ? r.fail(
          "aws.availabilityZones",
          "is required; list three zones of the region, such as us-east-1a, us-east-1b, us-east-1c",
        )
      : r.stringList("aws.availabilityZones", aws["availabilityZones"]);
  if (zones !== undefined) {
    if (zones.length !== 3 || new Set(zones).size !== 3) {
      r.fail(
        "aws.availabilityZones",
        `${show(zones)} is not three distinct zones; list three, such as us-east-1a, us-east-1b, us-east-1c`,
      );
    }
    for (const zone of zones) {
      if (region !== undefined && !isZoneOf(zone, region)) {
        r.fail(
          "aws.availabilityZones",
          `${show(zone)} is not a zone of region ${region}; use one such as ${region}a`,
        );
      }
    }
  }

  const vpcCidr =
    aws["vpcCidr"] === undefined ? DEFAULT_VPC_CIDR : r.string("aws.vpcCidr", aws["vpcCidr"]);
  const vpc = vpcCidr === undefined ? undefined : parseCidr(vpcCidr);
  if (vpcCidr !== undefined && (!vpc || vpc.prefix < 16 || vpc.prefix > 20)) {
    r.fail(
      "aws.vpcCidr",
      `${show(vpcCidr)} is not a CIDR network of /16 to /20; use one such as ${DEFAULT_VPC_CIDR}`,
    );
  }

  const nat = aws["natGateways"] ?? "single";
  if (nat !== "single" && nat !== "perZone")
    r.fail("aws.natGateways", `${show(nat)} is not single or perZone`);

  const ingressCidrs =
    aws["ingressCidrs"] === undefined
      ? ["0.0.0.0/0"]
      : (r.stringList("aws.ingressCidrs", aws["ingressCidrs"]) ?? []).map((c, i) =>
          cidr(r, `aws.ingressCidrs[${i}]`, c),
        );
  ingressCidrs.forEach((range, i) => {
    const first = ingressCidrs.indexOf(range);
    // AWS refuses a security group whose rules repeat a range.
    if (range !== undefined && first < i)
      r.fail(
        `aws.ingressCidrs[${i}]`,
        `${range} is already listed as aws.ingressCidrs[${first}]; list each range once`,
      );
  });
  const adminCidr =
    aws["adminCidr"] === undefined
      ? r.fail(
          "aws.adminCidr",
          "is required; set the operators' range (VPN or office) that may reach the load balancers' test listeners, such as 10.255.0.0/24",
        )
      : cidr(r, "aws.adminCidr", aws["adminCidr"]);
  const admin = adminCidr === undefined ? undefined : parseCidr(adminCidr);
  if (admin && isWorldOpen(admin))
    r.fail(
      "aws.adminCidr",
      `${adminCidr} covers ${publicAddressCount(admin).toLocaleString("en-US")} internet addresses, which opens the load balancers' test listeners (each release's new revision, before its tests pass) to the internet in all but name; set the VPN or office range (at most ${MAX_ADMIN_PUBLIC_ADDRESSES.toLocaleString("en-US")} internet addresses, a /16)`,
    );

  const certificateArn =
    aws["certificateArn"] === undefined
      ? undefined
      : r.string("aws.certificateArn", aws["certificateArn"]);
  if (certificateArn !== undefined && !CERT_ARN.test(certificateArn)) {
    r.fail("aws.certificateArn", `${show(certificateArn)} is not an ACM certificate ARN`);
  }

  const registry =
    aws["registry"] === undefined
      ? r.fail(
          "aws.registry",
          "is required; set the private registry's <host>:<port>, such as registry.example.com:5443",
        )
      : r.string("aws.registry", aws["registry"]);
  const address = registry === undefined ? undefined : REGISTRY_ADDRESS.exec(registry);
  if (
    registry !== undefined &&
    !(
      address &&
      isDomainName(address[1]!) &&
      Number(address[2]) >= 1 &&
      Number(address[2]) <= 65535
    )
  ) {
    r.fail(
      "aws.registry",
      `${show(registry)} is not <host>:<port>; use one such as registry.example.com:5443`,
    );
  }
  const caText =
    aws["registryCaCert"] === undefined
      ? r.fail(
          "aws.registryCaCert",
          "is required; paste the registry's CA certificate (the staging stack's registry.caCert output)",
        )
      : r.string("aws.registryCaCert", aws["registryCaCert"]);
  if (caText !== undefined && !isPemCertificate(caText))
    r.fail(
      "aws.registryCaCert",
      "is not a PEM certificate; paste one starting with -----BEGIN CERTIFICATE-----",
    );
  const registryUser =
    aws["registryUser"] === undefined
      ? "deploy"
      : r.string("aws.registryUser", aws["registryUser"]);
  if (registryUser !== undefined && !isRegistryUser(registryUser))
    r.fail(
      "aws.registryUser",
      `${show(registryUser)} is not a registry user name; use lower-case letters, digits, '.', '_' and '-', such as deploy`,
    );

  const scaling = readServiceScaling(r, aws["serviceScaling"]);
  const release = readRelease(r, aws["release"]);
  const hostClasses = readHostClasses(r, aws["hostClasses"], selection, scaling);
  const nodeIps = readNodeIps(r, aws["nodeIps"], selection, vpc && formatCidr(vpc));
  const flowLogRetentionDays = readRetention(
    r,
    "aws.flowLogRetentionDays",
    aws["flowLogRetentionDays"],
    DEFAULT_FLOW_LOG_RETENTION_DAYS,
  );
  const logRetentionDays = readRetention(
    r,
    "aws.logRetentionDays",
    aws["logRetentionDays"],
    DEFAULT_LOG_RETENTION_DAYS,
  );

  if (
    r.issues.length > before ||
    zones === undefined ||
    !vpc ||
    adminCidr === undefined ||
    scaling.config === undefined ||
    release === undefined ||
    registry === undefined ||
    caText === undefined ||
    registryUser === undefined
  ) {
    return undefined;
  }
  return {
    availabilityZones: zones,
    vpcCidr: formatCidr(vpc),
    natGateways: nat as "single" | "perZone",
    ingressCidrs: ingressCidrs.filter((c): c is string => c !== undefined),
    adminCidr,
    certificateArn,
    registry,
    registryCaCert: `${caText.trim()}\n`,
    registryUser,
    hostClasses,
    nodeIps,
    flowLogRetentionDays,
    logRetentionDays,
    serviceScaling: scaling.config,
    release,
  };
}

/** A setting compared with another: its value, and whether the file writes it or it is the default. */
interface Bound {
  readonly name: string;
  readonly path: string;
  readonly value: number;
  readonly written: boolean;
}

function bound(name: string, path: string, value: number | undefined, written: boolean) {
  return value === undefined ? undefined : { name, path, value, written };
}

/**
 * Reports `low` above `high`, naming both, at the one the file writes (`low` when both are), so a
 * default is never blamed for what the file changed.
 */
function inOrder(r: Reader, low: Bound | undefined, high: Bound | undefined): void {
  if (low === undefined || high === undefined || low.value <= high.value) return;
  const other = (b: Bound) => `${b.name} ${b.value}${b.written ? "" : " (the default)"}`;
  if (low.written || !high.written)
    r.fail(
      low.path,
      `${low.value} is more than ${other(high)}; lower ${low.name} or raise ${high.name}`,
    );
  else
    r.fail(
      high.path,
      `${high.value} is less than ${other(low)}; raise ${high.name} or lower ${low.name}`,
    );
}

interface ScalingRead {
  /** The settings, or undefined when one of them is bad (reported). */
  readonly config: ServiceScalingConfig | undefined;
  /** maxPerZone, which every host class must have room for, unless it is bad. */
  readonly maxPerZone: Bound | undefined;
}

/** `aws.serviceScaling`: every app's task count per zone and its CPU target. */
function readServiceScaling(r: Reader, value: unknown): ScalingRead {
  const path = "aws.serviceScaling";
  const given =
    value === undefined ? {} : r.object(path, value, Object.keys(SERVICE_SCALING_DEFAULTS));
  if (!given) return { config: undefined, maxPerZone: undefined };
  const before = r.issues.length;
  const count = (key: "desiredPerZone" | "minPerZone" | "maxPerZone") =>
    bound(
      key,
      `${path}.${key}`,
      wholeNumber(
        r,
        `${path}.${key}`,
        given[key],
        SERVICE_SCALING_DEFAULTS[key],
        1,
        MAX_TASKS_PER_ZONE,
      ),
      given[key] !== undefined,
    );
  const minPerZone = count("minPerZone");
  const desiredPerZone = count("desiredPerZone");
  const maxPerZone = count("maxPerZone");
  const cpuTargetPercent = wholeNumber(
    r,
    `${path}.cpuTargetPercent`,
    given["cpuTargetPercent"],
    SERVICE_SCALING_DEFAULTS.cpuTargetPercent,
    10,
    90,
  );
  inOrder(r, minPerZone, desiredPerZone);
  inOrder(r, desiredPerZone, maxPerZone);
  inOrder(r, minPerZone, maxPerZone);
  const config =
    r.issues.length > before ||
    minPerZone === undefined ||
    desiredPerZone === undefined ||
    maxPerZone === undefined ||
    cpuTargetPercent === undefined
      ? undefined
      : {
          desiredPerZone: desiredPerZone.value,
          minPerZone: minPerZone.value,
          maxPerZone: maxPerZone.value,
          cpuTargetPercent,
        };
  return { config, maxPerZone };
}

/** `aws.release`: how ECS runs a blue/green release with its tests, bake time and alarms. */
function readRelease(r: Reader, value: unknown): ReleaseConfig | undefined {
  const path = "aws.release";
  const given = value === undefined ? {} : r.object(path, value, Object.keys(RELEASE_DEFAULTS));
  if (!given) return undefined;
  const before = r.issues.length;
  const testListenerPort = wholeNumber(
    r,
    `${path}.testListenerPort`,
    given["testListenerPort"],
    RELEASE_DEFAULTS.testListenerPort,
    1,
    65535,
  );
  if (
    testListenerPort !== undefined &&
    Object.values<number>(PRODUCTION_LISTENER_PORTS).includes(testListenerPort)
  )
    r.fail(
      `${path}.testListenerPort`,
      `${testListenerPort} is a production listener's port (every load balancer serves 80, and 443 with a certificate); pick another, such as ${RELEASE_DEFAULTS.testListenerPort}`,
    );
  const bakeMinutes = wholeNumber(
    r,
    `${path}.bakeMinutes`,
    given["bakeMinutes"],
    RELEASE_DEFAULTS.bakeMinutes,
    0,
    MAX_BAKE_MINUTES,
  );
  const testTimeoutMinutes = wholeNumber(
    r,
    `${path}.testTimeoutMinutes`,
    given["testTimeoutMinutes"],
    RELEASE_DEFAULTS.testTimeoutMinutes,
    1,
    MAX_TEST_TIMEOUT_MINUTES,
  );
  const max5xxPerMinute = wholeNumber(
    r,
    `${path}.max5xxPerMinute`,
    given["max5xxPerMinute"],
    RELEASE_DEFAULTS.max5xxPerMinute,
    1,
    undefined,
  );
  if (
    r.issues.length > before ||
    testListenerPort === undefined ||
    bakeMinutes === undefined ||
    testTimeoutMinutes === undefined ||
    max5xxPerMinute === undefined
  )
    return undefined;
  return { testListenerPort, bakeMinutes, testTimeoutMinutes, max5xxPerMinute };
}

/**
 * `countPerZone` was instances per zone; minSize and maxSize bound the class's Auto Scaling group
 * over all three zones. A whole number is translated in the message; anything else gets an example.
 */
function countPerZoneReplaced(hostClass: unknown): string {
  const value =
    typeof hostClass === "object" && hostClass !== null
      ? (hostClass as Record<string, unknown>)["countPerZone"]
      : undefined;
  const n =
    typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 50 ? value : 2;
  const example = n === value ? "" : ", for example,";
  return `minSize and maxSize replaced it, the Auto Scaling group's bounds over all three zones (countPerZone ${n}${example} is minSize ${n * ZONE_COUNT}); set them and remove countPerZone`;
}

/** A host class's group size: whole, at most MAX_HOST_CLASS_SIZE, and at least one per zone. */
function classSize(r: Reader, path: string, value: unknown, fallback: number): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < ZONE_COUNT)
    return r.fail(
      path,
      `${value} is fewer than one instance per zone; use ${ZONE_COUNT} or more, since the group spreads over the three zones and every service places tasks in each`,
    );
  return wholeNumber(r, path, value, fallback, ZONE_COUNT, MAX_HOST_CLASS_SIZE);
}

function readHostClasses(
  r: Reader,
  value: unknown,
  selection: Selection | undefined,
  scaling: ScalingRead,
): HostClassConfig[] {
  if (value === undefined) {
    r.fail(
      "aws.hostClasses",
      "is required; define at least one class, such as app: {instanceType: t3.large, ami: ami-..., minSize: 3, maxSize: 12, services: [api]}",
    );
    return [];
  }
  const classes = r.map("aws.hostClasses", value);
  if (!classes) return [];
  const apps = new Set(selection?.apps.map((a) => a.name) ?? []);
  const placed = new Map<string, string>();
  const result: HostClassConfig[] = [];
  for (const name of Object.keys(classes).sort()) {
    const path = `aws.hostClasses.${name}`;
    if (!isDnsLabel(name))
      r.fail(path, `${show(name)} is not a valid class name; ${DNS_LABEL_RULE}`);
    const removed = new Map([["countPerZone", countPerZoneReplaced(classes[name])]]);
    const c = r.object(path, classes[name], HOST_CLASS_SETTINGS, removed);
    if (!c) continue;
    const instanceType =
      c["instanceType"] === undefined
        ? r.fail(`${path}.instanceType`, "is required, such as t3.large")
        : r.string(`${path}.instanceType`, c["instanceType"]);
    if (instanceType !== undefined && !INSTANCE_TYPE.test(instanceType))
      r.fail(
        `${path}.instanceType`,
        `${show(instanceType)} is not an EC2 instance type, such as t3.large`,
      );
    const ami =
      c["ami"] === undefined
        ? r.fail(
            `${path}.ami`,
            "is required; set the region's ECS-optimised AMI id, such as ami-0123456789abcdef0 (aws ssm get-parameter --name /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id gives the current one)",
          )
        : r.string(`${path}.ami`, c["ami"]);
    if (ami !== undefined && !AMI.test(ami))
      r.fail(
        `${path}.ami`,
        `${show(ami)} is not an AMI id; use the region's ECS-optimised AMI, such as ami-0123456789abcdef0`,
      );
    const minSize = bound(
      "minSize",
      `${path}.minSize`,
      classSize(r, `${path}.minSize`, c["minSize"], HOST_CLASS_DEFAULTS.minSize),
      c["minSize"] !== undefined,
    );
    const maxSize = bound(
      "maxSize",
      `${path}.maxSize`,
      classSize(r, `${path}.maxSize`, c["maxSize"], HOST_CLASS_DEFAULTS.maxSize),
      c["maxSize"] !== undefined,
    );
    inOrder(r, minSize, maxSize);
    const maxPerZone = scaling.maxPerZone;
    if (maxSize && maxPerZone && maxSize.value < maxPerZone.value * ZONE_COUNT) {
      const needed = maxPerZone.value * ZONE_COUNT;
      r.fail(
        maxSize.path,
        `${maxSize.value}${maxSize.written ? "" : " (the default)"} is fewer than the ${needed} instances host class ${name} needs when a service scales to aws.serviceScaling.maxPerZone ${maxPerZone.value}${maxPerZone.written ? "" : " (the default)"} in each of the three zones: each instance publishes at most one task of a service per release port (static host ports); raise maxSize to ${needed} or more, or lower aws.serviceScaling.maxPerZone to ${Math.floor(maxSize.value / ZONE_COUNT)} or less`,
      );
    }
    const targetCapacityPercent = positiveInteger(
      r,
      `${path}.targetCapacityPercent`,
      c["targetCapacityPercent"],
      HOST_CLASS_DEFAULTS.targetCapacityPercent,
      100,
    );
    const rootVolumeGb = positiveInteger(
      r,
      `${path}.rootVolumeGb`,
      c["rootVolumeGb"],
      HOST_CLASS_DEFAULTS.rootVolumeGb,
      16_384,
    );
    if (rootVolumeGb < MIN_ROOT_VOLUME_GB)
      r.fail(
        `${path}.rootVolumeGb`,
        `${rootVolumeGb} GiB is smaller than the ECS-optimised AMI's ${MIN_ROOT_VOLUME_GB} GiB root snapshot, which EC2 refuses; use ${MIN_ROOT_VOLUME_GB} or more (images need room: ${HOST_CLASS_DEFAULTS.rootVolumeGb} is the default)`,
      );
    const services =
      c["services"] === undefined
        ? r.fail(`${path}.services`, "is required; list the apps these hosts run")
        : r.stringList(`${path}.services`, c["services"]);
    // Without a valid selection (reported under services) membership cannot be judged.
    for (const service of selection ? (services ?? []) : []) {
      if (!apps.has(service)) {
        r.fail(
          `${path}.services`,
          `${show(service)} is not an app this stack runs; add it to services.apps or remove it here`,
        );
      } else if (placed.has(service)) {
        r.fail(
          `${path}.services`,
          `${show(service)} already runs on host class ${placed.get(service)}; list each app in one class`,
        );
      } else {
        placed.set(service, name);
      }
    }
    if (
      instanceType !== undefined &&
      ami !== undefined &&
      minSize !== undefined &&
      maxSize !== undefined &&
      services !== undefined
    ) {
      result.push({
        name,
        instanceType,
        ami,
        minSize: minSize.value,
        maxSize: maxSize.value,
        targetCapacityPercent,
        rootVolumeGb,
        services: [...services].sort(),
      });
    }
  }
  for (const app of [...apps].sort()) {
    if (!placed.has(app))
      r.fail("aws.hostClasses", `app ${app} runs on no host class; add it to one class's services`);
  }
  return result;
}

function readNodeIps(
  r: Reader,
  value: unknown,
  selection: Selection | undefined,
  vpcCidr: string | undefined,
): Record<string, string> {
  if (!selection) return {};
  const nodes = selection.datastores.flatMap((d) => datastoreNodes(d).map((n) => n.name));
  const given = value === undefined ? {} : (r.map("aws.nodeIps", value) ?? {});
  const vpc = vpcCidr === undefined ? undefined : parseCidr(vpcCidr);
  const result: Record<string, string> = {};
  const used = new Map<string, string>();
  for (const node of Object.keys(given).sort()) {
    const path = `aws.nodeIps.${node}`;
    const ip = given[node];
    const address = typeof ip === "string" ? parseIpv4(ip) : undefined;
    if (!nodes.includes(node))
      r.fail(path, `${show(node)} is not a node of the selected datastores`);
    else if (typeof ip !== "string" || address === undefined)
      r.fail(path, `${show(ip)} is not an IPv4 address`);
    else if (vpc && !cidrContains(vpc, address))
      r.fail(path, `${ip} is outside the VPC ${vpcCidr}; datastore nodes are reached inside it`);
    else if (vpc && isSubnetReserved(vpc, address))
      r.fail(
        path,
        `${ip} is one of the five addresses AWS reserves in its subnet (the first four and the last); pick another address of the subnet`,
      );
    else if (used.has(ip))
      r.fail(path, `${ip} is already used by ${used.get(ip)}; give each node its own address`);
    else {
      used.set(ip, node);
      result[node] = ip;
    }
  }
  for (const node of nodes) {
    if (!(node in given))
      r.fail(
        "aws.nodeIps",
        `${node} has no production address; add aws.nodeIps.${node}, so its name resolves as on the CI hosts`,
      );
  }
  return result;
}

/** `zone` is `<region><letter>`, such as us-east-1a; compared as text, so no region can break it. */
function isZoneOf(zone: string, region: string): boolean {
  return zone.length === region.length + 1 && zone.startsWith(region) && /[a-z]$/.test(zone);
}

/** Days of a CloudWatch log group's retention: one of those CloudWatch Logs accepts. */
function readRetention(r: Reader, path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !LOG_RETENTION_DAYS.includes(value)) {
    const near =
      typeof value === "number"
        ? LOG_RETENTION_DAYS.reduce((best, d) =>
            Math.abs(d - value) < Math.abs(best - value) ? d : best,
          )
        : fallback;
    r.fail(
      path,
      `${show(value)} is not a retention CloudWatch Logs accepts; use one of ${LOG_RETENTION_DAYS.join(", ")} (such as ${near})`,
    );
    return fallback;
  }
  return value;
}

/**
 * Whether AWS reserves `address` in the subnet that holds it: the VPC is cut into sixteen equal
 * subnets (see planZoneSubnets), and each reserves its first four addresses and its last.
 */
function isSubnetReserved(vpc: Cidr, address: number): boolean {
  const size = 2 ** (32 - (vpc.prefix + VPC_SUBNET_PREFIX_BITS));
  const offset = (address - vpc.network) % size;
  return offset < 4 || offset === size - 1;
}
