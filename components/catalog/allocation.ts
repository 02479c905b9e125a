/**
 * Deterministic allocation of host ports and node IPs. The same names give the same slots whatever
 * order they arrive in, and a name keeps its slot when others are added unless they collide on it,
 * so adding a service rarely moves another one.
 */
import {
  cidrContains,
  cidrSize,
  formatCidr,
  formatIpv4,
  parseIpv4,
  type Cidr,
} from "../model/ipv4";

/** FNV-1a, 32 bit: a stable, dependency-free hash for choosing a name's preferred slot. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * Gives each name one of `slotCount` slots (0-based). Pinned names keep their slot; the others, in
 * sorted order, take their hashed slot or the next free one, never a `blocked` one. Throws when
 * there are more names than free slots.
 */
export function allocateSlots(
  names: readonly string[],
  slotCount: number,
  pinned: ReadonlyMap<string, number> = new Map(),
  blocked: ReadonlySet<number> = new Set(),
): Map<string, number> {
  const unique = [...new Set(names)].sort();
  const taken = new Set<number>([...blocked].filter((slot) => slot >= 0 && slot < slotCount));
  const result = new Map<string, number>();
  for (const name of unique) {
    const slot = pinned.get(name);
    if (slot !== undefined) {
      result.set(name, slot);
      taken.add(slot);
    }
  }
  const free = unique.filter((name) => !result.has(name));
  if (taken.size + free.length > slotCount) {
    throw new Error(`cannot allocate ${unique.length} names into ${slotCount} slots`);
  }
  for (const name of free) {
    let slot = fnv1a(name) % slotCount;
    while (taken.has(slot)) slot = (slot + 1) % slotCount;
    result.set(name, slot);
    taken.add(slot);
  }
  return result;
}

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Host port per service: pinned ports are kept, the rest allocated inside `range`, avoiding
 * `reserved` ports (those other processes on the same hosts listen on).
 */
export function allocateHostPorts(
  services: readonly { readonly name: string; readonly hostPort?: number | undefined }[],
  range: PortRange,
  reserved: ReadonlySet<number> = new Set(),
): Map<string, number> {
  const pinned = new Map<string, number>();
  for (const s of services) {
    if (s.hostPort !== undefined) pinned.set(s.name, s.hostPort - range.min);
  }
  const slots = allocateSlots(
    services.map((s) => s.name),
    range.max - range.min + 1,
    pinned,
    new Set([...reserved].map((port) => port - range.min)),
  );
  return new Map([...slots].map(([name, slot]) => [name, range.min + slot]));
}

/**
 * Addresses at the start of a backend subnet kept for the platform itself: the gateway (.1),
 * the dnsmasq resolver (.2) and room for later infrastructure containers.
 */
export const RESERVED_LEADING_ADDRESSES = 16;

/** The platform's own small networks, in the order they are carved from a host's platform subnet. */
export const PLATFORM_NETWORKS = ["registry-back", "registry-front"] as const;
export type PlatformNetwork = (typeof PLATFORM_NETWORKS)[number];

/** Each platform network's prefix length: a /27 has room for 29 containers. */
export const PLATFORM_NETWORK_PREFIX = 27;

/**
 * Explicit subnets for the platform's own networks, carved in a fixed order from `platformSubnet`,
 * so none is left to Docker's address pool, which could hand one the backend subnet.
 */
export function platformNetworkSubnets(platformSubnet: Cidr): Record<PlatformNetwork, string> {
  const size = 2 ** (32 - PLATFORM_NETWORK_PREFIX);
  if (cidrSize(platformSubnet) < size * PLATFORM_NETWORKS.length) {
    throw new Error(
      `platform subnet ${formatCidr(platformSubnet)} has no room for ${PLATFORM_NETWORKS.length} /${PLATFORM_NETWORK_PREFIX} networks`,
    );
  }
  return Object.fromEntries(
    PLATFORM_NETWORKS.map((role, i) => [
      role,
      formatCidr({ network: platformSubnet.network + i * size, prefix: PLATFORM_NETWORK_PREFIX }),
    ]),
  ) as Record<PlatformNetwork, string>;
}

/** The resolver's address on a backend subnet. */
export function resolverAddress(subnet: Cidr): string {
  return formatIpv4(subnet.network + 2);
}

/** The gateway's address on a backend subnet (Docker's choice for a bridge network). */
export function gatewayAddress(subnet: Cidr): string {
  return formatIpv4(subnet.network + 1);
}

/**
 * The lower half of a backend subnet holds the nodes' fixed addresses (after the reserved ones);
 * the upper half is the network's `ipRange`, from which Docker addresses containers itself (the
 * pipeline's deployed apps), so a dynamic address can never take a node's.
 */
export function nodeAddressCount(subnet: Cidr): number {
  return Math.max(0, cidrSize(subnet) / 2 - RESERVED_LEADING_ADDRESSES);
}

/** The first and last address nodes may have in a backend subnet. */
export function nodeAddressRange(subnet: Cidr): { readonly first: number; readonly last: number } {
  return {
    first: subnet.network + RESERVED_LEADING_ADDRESSES,
    last: subnet.network + cidrSize(subnet) / 2 - 1,
  };
}

/** The upper half of a backend subnet: where Docker gives containers addresses it chooses. */
export function dynamicAddressRange(subnet: Cidr): string {
  return formatCidr({ network: subnet.network + cidrSize(subnet) / 2, prefix: subnet.prefix + 1 });
}

/**
 * Node slots whose address ends in .0 or .255: valid inside a subnet larger than /24, but they trip
 * up people and some tools, so allocation skips them (a pin may still use one).
 */
function awkwardSlots(subnet: Cidr): Set<number> {
  const first = subnet.network + RESERVED_LEADING_ADDRESSES;
  const awkward = new Set<number>();
  if (subnet.prefix >= 24) return awkward;
  for (let slot = 0; slot < nodeAddressCount(subnet); slot++) {
    const lastOctet = (first + slot) % 256;
    if (lastOctet === 0 || lastOctet === 255) awkward.add(slot);
  }
  return awkward;
}

/** How many nodes allocation can place in a subnet. */
export function nodeCapacity(subnet: Cidr): number {
  return nodeAddressCount(subnet) - awkwardSlots(subnet).size;
}

/**
 * IP per node inside `subnet`, skipping the reserved leading addresses and the broadcast address.
 * `pinned` addresses must already be validated to lie in the node range.
 */
export function allocateNodeIps(
  nodes: readonly string[],
  subnet: Cidr,
  pinned: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const first = subnet.network + RESERVED_LEADING_ADDRESSES;
  const pinnedSlots = new Map<string, number>();
  for (const [node, ip] of pinned) {
    const address = parseIpv4(ip);
    if (address === undefined || !cidrContains(subnet, address)) {
      throw new Error(`pinned address ${ip} of ${node} is not inside the subnet`);
    }
    pinnedSlots.set(node, address - first);
  }
  const slots = allocateSlots(nodes, nodeAddressCount(subnet), pinnedSlots, awkwardSlots(subnet));
  return new Map([...slots].map(([node, slot]) => [node, formatIpv4(first + slot)]));
}

/** The VPC is cut into 2^4 = sixteen equal subnets (public and private, per zone). */
export const VPC_SUBNET_PREFIX_BITS = 4;
