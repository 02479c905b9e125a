/** Production's pure parts: the VPC's address plan, tags, bucket and trust policies. */
import { VPC_SUBNET_PREFIX_BITS } from "../catalog/allocation";
import { formatCidr, parseCidr } from "../model/ipv4";

export interface ZoneSubnets {
  readonly zone: string;
  /** Load balancers' subnet. */
  readonly publicCidr: string;
  /** ECS container instances' subnet. */
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
