/** dnsmasq configuration for the production-like set: plain and regional names of every node. */

export interface DnsRecord {
  /** Plain node name: `mongodb-cluster-a-node-1`. */
  readonly name: string;
  readonly ip: string;
}

/**
 * Renders dnsmasq.conf: each record answers as `<name>` and `<name>.<regionDomain>`; other names in
 * the region domain are NXDOMAIN rather than forwarded; plain unknown names never leave the host;
 * other names go to `upstream` when given.
 * Records are sorted, so the same records give the same bytes.
 */
export function renderDnsmasqConf(
  records: readonly DnsRecord[],
  regionDomain: string,
  upstream?: string,
): string {
  const sorted = [...records].sort((a, b) => a.name.localeCompare(b.name));
  // Without an upstream, dnsmasq forwards other names to the container's own resolver (Docker's).
  const forwarding = upstream === undefined ? [] : ["no-resolv", `server=${upstream}`];
  return [
    "# Rendered by ci-platform: names of the production-like backend set.",
    "no-hosts",
    "domain-needed",
    "bogus-priv",
    "cache-size=1000",
    ...forwarding,
    `local=/${regionDomain}/`,
    `domain=${regionDomain}`,
    ...sorted.map((r) => `host-record=${r.name},${r.name}.${regionDomain},${r.ip}`),
    "",
  ].join("\n");
}

/** Where the rendered dnsmasq configuration is placed inside the resolver container. */
export const DNSMASQ_CONF_PATH = "/etc/ci-platform/dnsmasq.conf";
