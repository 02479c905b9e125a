/** Production's pure parts: the VPC's address plan, names, release slots, rendered files. */
import { VPC_SUBNET_PREFIX_BITS } from "../catalog/allocation";
import { formatCidr, parseCidr } from "../config/ipv4";
import { SLOTS, type Slot } from "../release/slots";

export interface ZoneSubnets {
  readonly zone: string;
  /** Load balancers' subnet. */
  readonly publicCidr: string;
  /** Docker hosts' subnet. */
  readonly privateCidr: string;
}

/**
 * Splits the VPC into sixteen equal blocks: public subnets take blocks 0.., private subnets blocks
 * 8.., one each per zone, leaving room for a zone or a subnet tier added later.
 */
export function planZoneSubnets(vpcCidr: string, zones: readonly string[]): ZoneSubnets[] {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) throw new Error(`vpcCidr ${vpcCidr} is not a CIDR network address`);
  if (zones.length > 8)
    throw new Error(`at most 8 zones fit the address plan, got ${zones.length}`);
  const prefix = vpc.prefix + VPC_SUBNET_PREFIX_BITS;
  const blockSize = 2 ** (32 - prefix);
  const block = (i: number): string => formatCidr({ network: vpc.network + i * blockSize, prefix });
  return zones.map((zone, i) => ({ zone, publicCidr: block(i), privateCidr: block(8 + i) }));
}

/** Tags every production resource carries, so inventory and cost come from tags. */
export function baseTags(stack: string, project: string): Record<string, string> {
  return {
    "ci-platform:environment": stack,
    "ci-platform:project": project,
    "managed-by": "pulumi",
  };
}

/** A host's name: class, zone and ordinal, such as `app-us-east-1a-2`. */
export function hostName(hostClass: string, zone: string, ordinal: number): string {
  return `${hostClass}-${zone}-${ordinal}`;
}

export interface UserDataSettings {
  /** The engine's daemon.json, the same hardening as on the CI hosts. */
  readonly daemonJson: string;
  /** `<host>:<port>` of the private registry. */
  readonly registry: string;
  readonly registryCaCert: string;
}

/**
 * Cloud-init user data for a Docker host: Debian's Docker engine, the hardened daemon.json and the
 * private registry's CA. Deterministic: a change here replaces hosts, so it must only change on purpose.
 */
export function renderUserData(settings: UserDataSettings): string {
  return `#!/bin/bash
# Rendered by ci-platform: a production Docker host.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q docker.io
install -d -m 0755 /etc/docker "/etc/docker/certs.d/${settings.registry}"
cat > /etc/docker/daemon.json <<'CI_PLATFORM_EOF'
${settings.daemonJson.trimEnd()}
CI_PLATFORM_EOF
cat > "/etc/docker/certs.d/${settings.registry}/ca.crt" <<'CI_PLATFORM_EOF'
${settings.registryCaCert.trimEnd()}
CI_PLATFORM_EOF
systemctl enable docker
systemctl restart docker
`;
}

/**
 * Who may write ALB access logs to a bucket: the region's Elastic Load Balancing account where AWS
 * documents one, else the log-delivery service principal (regions opened since August 2022).
 */
export function elbLogDeliveryPrincipal(region: string): { AWS: string } | { Service: string } {
  const accounts: Readonly<Record<string, string>> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
    "ap-southeast-1": "114774131450",
    "ap-northeast-1": "582318560864",
  };
  const account = accounts[region];
  return account
    ? { AWS: `arn:aws:iam::${account}:root` }
    : { Service: "logdelivery.elasticloadbalancing.amazonaws.com" };
}

/** The access-log bucket's policy: log delivery may write, and nothing may read or write over plain HTTP. */
export function accessLogsBucketPolicy(bucketArn: string, region: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AlbAccessLogs",
        Effect: "Allow",
        Principal: elbLogDeliveryPrincipal(region),
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

/** Trust policy letting a service assume a role. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** What decides an app's release slots: the stack config's versions and live slot. */
export interface SlotRelease {
  readonly name: string;
  /** The live slot's image tag. */
  readonly version: string | undefined;
  readonly liveSlot: Slot;
  /** The idle slot's image tag. @default none: the idle slot runs nothing */
  readonly idleVersion: string | undefined;
}

export interface SlotVersion {
  readonly slot: Slot;
  readonly version: string;
}

/**
 * The slots that run a container, each with its image tag: the live slot at `version`, the idle
 * slot at `idleVersion` when it is set. Blue before green whichever slot is live, so a switch
 * (liveSlot flipped, version and idleVersion swapped) leaves every slot at the tag it had.
 */
export function slotVersions(app: SlotRelease): SlotVersion[] {
  if (app.version === undefined) {
    throw new Error(
      `services.apps.${app.name}.version is not set; the live ${app.liveSlot} slot needs an image version, such as 1.4.2`,
    );
  }
  const tags: Record<Slot, string | undefined> =
    app.liveSlot === "blue"
      ? { blue: app.version, green: app.idleVersion }
      : { blue: app.idleVersion, green: app.version };
  return SLOTS.flatMap((slot) => {
    const version = tags[slot];
    return version === undefined ? [] : [{ slot, version }];
  });
}
