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
} from "./ipv4";
import { isRegistryUser } from "../registry/htpasswd";
import { isDnsLabel, isDomainName, DNS_LABEL_RULE } from "./names";
import { isPemCertificate, positiveInteger, Reader, show } from "./reader";
import type { AwsConfig, HostClassConfig } from "./types";
import type { Selection } from "./validate";

export const DEFAULT_VPC_CIDR = "10.0.0.0/16";

const AWS_SETTINGS = [
  "availabilityZones",
  "vpcCidr",
  "natGateways",
  "ingressCidrs",
  "adminCidr",
  "sshUser",
  "bastion",
  "certificateArn",
  "registry",
  "registryCaCert",
  "registryUser",
  "hostClasses",
  "nodeIps",
  "flowLogRetentionDays",
];

const AMI = /^ami-[0-9a-f]{8,17}$/;
/** `<family><generation><attributes>.<size>`, such as t3.large, c7gn.16xlarge, m7i.metal-24xl. */
const INSTANCE_TYPE =
  /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|\d+xlarge|metal(-\d+xl)?)$/;
/** Debian's official AMIs have an 8 GiB root snapshot; EC2 refuses a smaller root volume. */
export const MIN_ROOT_VOLUME_GB = 8;
/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];
const CERT_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;
const REGISTRY_ADDRESS = /^([a-z0-9.-]+):(\d{1,5})$/;
const SSH_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

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
  const aws = r.object("aws", value, AWS_SETTINGS);
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
          "is required; set the range SSH may come from (VPN or bastion), such as 10.255.0.0/24",
        )
      : cidr(r, "aws.adminCidr", aws["adminCidr"]);
  const admin = adminCidr === undefined ? undefined : parseCidr(adminCidr);
  if (admin && isWorldOpen(admin))
    r.fail(
      "aws.adminCidr",
      `${adminCidr} covers ${publicAddressCount(admin).toLocaleString("en-US")} internet addresses, which opens SSH to the internet in all but name; set the VPN or bastion range (at most ${MAX_ADMIN_PUBLIC_ADDRESSES.toLocaleString("en-US")} internet addresses, a /16)`,
    );

  const sshUser = aws["sshUser"] === undefined ? "admin" : r.string("aws.sshUser", aws["sshUser"]);
  if (sshUser !== undefined && !SSH_USER.test(sshUser))
    r.fail("aws.sshUser", `${show(sshUser)} is not a Unix user name`);
  const bastion =
    aws["bastion"] === undefined ? undefined : r.string("aws.bastion", aws["bastion"]);
  if (bastion !== undefined && !isDomainName(bastion) && parseIpv4(bastion) === undefined) {
    r.fail("aws.bastion", `${show(bastion)} is not a host name or IPv4 address`);
  }
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

  const hostClasses = readHostClasses(r, aws["hostClasses"], selection);
  const nodeIps = readNodeIps(r, aws["nodeIps"], selection, vpc && formatCidr(vpc));
  const flowLogRetentionDays = readRetention(r, aws["flowLogRetentionDays"]);

  if (
    r.issues.length > before ||
    zones === undefined ||
    !vpc ||
    adminCidr === undefined ||
    sshUser === undefined ||
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
    sshUser,
    bastion,
    certificateArn,
    registry,
    registryCaCert: `${caText.trim()}\n`,
    registryUser,
    hostClasses,
    nodeIps,
    flowLogRetentionDays,
  };
}

function readHostClasses(
  r: Reader,
  value: unknown,
  selection: Selection | undefined,
): HostClassConfig[] {
  if (value === undefined) {
    r.fail(
      "aws.hostClasses",
      "is required; define at least one class, such as app: {instanceType: t3.large, ami: ami-..., countPerZone: 2, services: [api]}",
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
    const c = r.object(path, classes[name], [
      "instanceType",
      "ami",
      "countPerZone",
      "rootVolumeGb",
      "services",
    ]);
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
            "is required; set the Debian AMI id of the region, such as ami-0123456789abcdef0",
          )
        : r.string(`${path}.ami`, c["ami"]);
    if (ami !== undefined && !AMI.test(ami))
      r.fail(`${path}.ami`, `${show(ami)} is not an AMI id, such as ami-0123456789abcdef0`);
    const countPerZone = positiveInteger(r, `${path}.countPerZone`, c["countPerZone"], 1, 50);
    const rootVolumeGb = positiveInteger(r, `${path}.rootVolumeGb`, c["rootVolumeGb"], 40, 16_384);
    if (rootVolumeGb < MIN_ROOT_VOLUME_GB)
      r.fail(
        `${path}.rootVolumeGb`,
        `${rootVolumeGb} GiB is smaller than the AMI's ${MIN_ROOT_VOLUME_GB} GiB root snapshot, which EC2 refuses; use ${MIN_ROOT_VOLUME_GB} or more (images need room: 40 is the default)`,
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
    if (instanceType !== undefined && ami !== undefined && services !== undefined) {
      result.push({
        name,
        instanceType,
        ami,
        countPerZone,
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

function readRetention(r: Reader, value: unknown): number {
  if (value === undefined) return 90;
  if (typeof value !== "number" || !LOG_RETENTION_DAYS.includes(value)) {
    const near =
      typeof value === "number"
        ? LOG_RETENTION_DAYS.reduce((best, d) =>
            Math.abs(d - value) < Math.abs(best - value) ? d : best,
          )
        : 90;
    r.fail(
      "aws.flowLogRetentionDays",
      `${show(value)} is not a retention CloudWatch Logs accepts; use one of ${LOG_RETENTION_DAYS.join(", ")} (such as ${near})`,
    );
    return 90;
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
