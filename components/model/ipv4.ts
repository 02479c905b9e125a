/** IPv4 address and CIDR arithmetic, enough for subnet validation and node allocation. */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  /** Prefix length, 0-32. */
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a dotted-quad IPv4 address, or returns undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Parses `a.b.c.d/n` whose address is the network address itself (host bits zero),
 * or returns undefined.
 */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const network = parseIpv4(match[1]!);
  const prefix = Number(match[2]);
  if (network === undefined || prefix > 32) return undefined;
  if (network % cidrSize({ network: 0, prefix }) !== 0) return undefined;
  return { network, prefix };
}

export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrContains(cidr: Cidr, address: number): boolean {
  return address >= cidr.network && address < cidr.network + cidrSize(cidr);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

/** Docker's default bridge, which a user-defined network must not overlap. */
export const DOCKER_DEFAULT_BRIDGE: Cidr = { network: parseIpv4("172.17.0.0")!, prefix: 16 };

/** Link-local space: no container network may use it, though a host may reach a DNS server there. */
export const LINK_LOCAL: Cidr = parseCidr("169.254.0.0/16")!;

/** Address blocks a container network can never use (RFC 6890). */
export const UNUSABLE_RANGES: readonly { readonly cidr: Cidr; readonly name: string }[] = [
  { cidr: parseCidr("0.0.0.0/8")!, name: '"this network" space 0.0.0.0/8' },
  { cidr: parseCidr("127.0.0.0/8")!, name: "loopback space 127.0.0.0/8" },
  { cidr: LINK_LOCAL, name: "link-local space 169.254.0.0/16" },
  { cidr: parseCidr("224.0.0.0/4")!, name: "multicast space 224.0.0.0/4" },
  { cidr: parseCidr("240.0.0.0/4")!, name: "reserved space 240.0.0.0/4" },
];

/** The unusable block `cidr` overlaps, by name, or undefined. */
export function unusableRangeOf(cidr: Cidr): string | undefined {
  return UNUSABLE_RANGES.find((u) => cidrsOverlap(u.cidr, cidr))?.name;
}

/** Private and shared address space (RFC 1918, RFC 6598): not reachable from the internet. */
export const NON_PUBLIC_RANGES: readonly Cidr[] = [
  ...UNUSABLE_RANGES.map((u) => u.cidr),
  parseCidr("10.0.0.0/8")!,
  parseCidr("100.64.0.0/10")!,
  parseCidr("172.16.0.0/12")!,
  parseCidr("192.168.0.0/16")!,
];

/** How many internet (public) addresses `cidr` covers. */
export function publicAddressCount(cidr: Cidr): number {
  // The non-public blocks do not overlap one another, so their overlaps with `cidr` add up.
  const hidden = NON_PUBLIC_RANGES.reduce((sum, block) => {
    if (!cidrsOverlap(block, cidr)) return sum;
    return sum + Math.min(cidrSize(block), cidrSize(cidr));
  }, 0);
  return cidrSize(cidr) - hidden;
}

/**
 * The most internet addresses an admin range may cover: a /16, wider than any VPN's or office's
 * egress range; a wider one is world-open in all but name.
 */
export const MAX_ADMIN_PUBLIC_ADDRESSES = 2 ** 16;

/** Whether `cidr` opens a port to so much of the internet that it counts as open to the world. */
export function isWorldOpen(cidr: Cidr): boolean {
  return publicAddressCount(cidr) > MAX_ADMIN_PUBLIC_ADDRESSES;
}
