import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { applyPidsLimit, hardenedContainerArgs } from "../docker/container-defaults";
import { PLATFORM_LIMITS } from "../docker/container-limits";
import type { DockerHost } from "../config/types";
import { containerName, onlyCapabilities } from "../docker/docker-render";
import { DNSMASQ_CONF_PATH } from "./dns-render";
import { PLATFORM_IMAGES } from "../model/pins";
import type { HostImages } from "../docker/HostImages";
import { renderDnsmasqConf, type DnsRecord } from "./dns-render";

export interface ServiceDnsArgs {
  /** Stack name, part of the container's name. */
  readonly stack: string;
  /** Records to serve: plain node name -> container IP. */
  readonly records: readonly DnsRecord[];
  /** `<region>.<domain>`: the suffix every name also answers under. */
  readonly regionDomain: string;
  /** DNS server for names outside the set. @default the container's own resolver */
  readonly upstream?: string | undefined;
  /** The bridge network the resolver joins. */
  readonly network: docker.Network;
  /** The resolver's fixed address on that network. */
  readonly address: string;
  /** The host, for the command that applies the container's PIDs limit. */
  readonly dockerHost: DockerHost;
  readonly provider: docker.Provider;
  readonly images: HostImages;
}

/** A dnsmasq container answering the production-like set's plain names with their container IPs. */
export class ServiceDns extends pulumi.ComponentResource {
  public readonly address: pulumi.Output<string>;
  public readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: ServiceDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:dns:ServiceDns", name, {}, opts);
    const conf = renderDnsmasqConf(args.records, args.regionDomain, args.upstream);
    const dockerName = containerName(args.stack, "dnsmasq");
    const container = new docker.Container(
      `${name}-dnsmasq`,
      {
        ...hardenedContainerArgs(PLATFORM_LIMITS.dnsmasq),
        // The rootfs stays writable: the config is an upload, which Docker refuses to copy into a
        // read-only rootfs (see container-limits.ts).
        name: dockerName,
        image: args.images.ref(PLATFORM_IMAGES.dnsmasq),
        entrypoints: ["dnsmasq"],
        command: ["--keep-in-foreground", "--log-facility=-", `--conf-file=${DNSMASQ_CONF_PATH}`],
        uploads: [{ file: DNSMASQ_CONF_PATH, content: conf }],
        networksAdvanced: [{ name: args.network.name, ipv4Address: args.address }],
        capabilities: onlyCapabilities(["NET_BIND_SERVICE", "NET_RAW", "SETGID", "SETUID"]),
        healthcheck: {
          tests: [
            "CMD-SHELL",
            `nslookup ${args.records[0]?.name ?? "localhost"} 127.0.0.1 || exit 1`,
          ],
          interval: "30s",
          timeout: "5s",
          retries: 3,
          startPeriod: "5s",
        },
      },
      { parent: this, provider: args.provider, deleteBeforeReplace: true },
    );
    applyPidsLimit(
      `${name}-dnsmasq-pids`,
      args.dockerHost,
      container,
      dockerName,
      PLATFORM_LIMITS.dnsmasq,
      { parent: this },
    );
    this.address = pulumi.output(args.address);
    this.containerName = container.name;
    this.registerOutputs({ address: this.address, containerName: this.containerName });
  }
}
