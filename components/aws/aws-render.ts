/** Address plan of the production VPC, pure so it is tested directly. */
import { formatCidr, parseCidr } from "../config/ipv4";

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
  const prefix = vpc.prefix + 4;
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
