/**
 * Host ports on a CI host are shared by everything the platform publishes there: Jenkins, the
 * registry, the dev-minimal datastores, every app's public port and its two release slots. Each
 * is a claim on a port by some setting; a clash is blamed on the setting the stack file writes,
 * and its message names the other side and whether that one is in the file.
 */

export interface PortClaim {
  /** The port claimed. */
  readonly port: number;
  /** Who holds it, for a message: `Jenkins`, `the dev-minimal redis`, `api's blue release slot`. */
  readonly holder: string;
  /** The setting that decides the port: `jenkins.port`, `services.apps.api.hostPort`. */
  readonly field: string;
  /** The setting's own value, when the port is derived from it (a slot sits above its app's port). */
  readonly value: number;
  /** Whether the stack file sets `field`; when not, `origin` says where the value comes from. */
  readonly written: boolean;
  /** Where an unwritten value comes from: `the default`, `the catalog's pin`. */
  readonly origin: string;
  /** Where to look for a free port to suggest, for the blamed side. */
  readonly range: { readonly min: number; readonly max: number };
  /** Ports above a candidate that must be free too (release slots: +1000, +2000). */
  readonly offsets: readonly number[];
}

export interface PortClash {
  /** The side to fix: the one the stack file writes (the later one when both are). */
  readonly blamed: PortClaim;
  readonly other: PortClaim;
}

/** Every clash among `claims`, in claim order, one per pair of settings (the first port they share). */
export function findPortClashes(claims: readonly PortClaim[]): PortClash[] {
  const holders = new Map<number, PortClaim>();
  const clashes: PortClash[] = [];
  const pairs = new Set<string>();
  for (const claim of claims) {
    const holder = holders.get(claim.port);
    if (holder === undefined) {
      holders.set(claim.port, claim);
      continue;
    }
    if (holder.field === claim.field) continue;
    const pair = [holder.field, claim.field].sort().join(" ");
    if (pairs.has(pair)) continue;
    pairs.add(pair);
    const blameHolder = holder.written && !claim.written;
    clashes.push(blameHolder ? { blamed: holder, other: claim } : { blamed: claim, other: holder });
  }
  return clashes;
}

/** The lowest port in the blamed claim's range that is free with its offsets, or undefined. */
export function freePortFor(claim: PortClaim, claims: readonly PortClaim[]): number | undefined {
  const taken = new Set(claims.filter((c) => c.field !== claim.field).map((c) => c.port));
  for (let port = claim.range.min; port <= claim.range.max; port++) {
    if ([0, ...claim.offsets].every((offset) => !taken.has(port + offset))) return port;
  }
  return undefined;
}

function whereSet(claim: PortClaim): string {
  return claim.written
    ? `${claim.field}, also in this file`
    : `${claim.field}: ${claim.origin}, not set in this file`;
}

/** The message for a clash, without the blamed field's path (the reader adds it). */
export function describeClash(clash: PortClash, claims: readonly PortClaim[]): string {
  const { blamed, other } = clash;
  const what =
    blamed.value === blamed.port
      ? `${blamed.port} is already used by ${other.holder} (${whereSet(other)})`
      : `${blamed.value} puts ${blamed.holder} on ${blamed.port}, already used by ${other.holder} (${whereSet(other)})`;
  const free = freePortFor(blamed, claims);
  const fix =
    free === undefined
      ? `pick a free port from ${blamed.range.min} to ${blamed.range.max}`
      : `pick a free port, such as ${free}`;
  const alsoOther = other.written ? `, or change ${other.field}` : "";
  return `${what}; ${fix}${alsoOther}`;
}
