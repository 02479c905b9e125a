import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DatastoreEntry } from "../catalog/catalog";
import { dynamicAddressRange, gatewayAddress } from "../catalog/allocation";
import { containerName } from "../docker/docker-render";
import { applyPidsLimit, hardenedContainerArgs } from "../docker/container-defaults";
import { readOnlyRootfs } from "../docker/container-limits";
import type { HostImages } from "../docker/HostImages";
import { parseCidr } from "../model/ipv4";
import type { DataRefreshConfig, DockerHost, PlacedNode } from "../config/types";
import { hostCommand } from "../docker/HostCommand";
import { commandLine } from "../docker/shell";
import { ServiceDns } from "../dns/ServiceDns";
import { datastoreEnvs } from "./datastore-env";
import { datastoreHealthcheck } from "./services-render";

export interface ProductionLikeServicesArgs {
  /** Stack name, part of each container's and the network's name. */
  readonly stack: string;
  /** Datastore types whose nodes run here. */
  readonly datastores: readonly DatastoreEntry[];
  /** Every node with its fixed IP. */
  readonly nodes: readonly PlacedNode[];
  /** The bridge network's subnet. */
  readonly subnet: string;
  /** The dnsmasq resolver's address on it. */
  readonly resolverIp: string;
  /** `<region>.<domain>`, the search domain every node container gets. */
  readonly regionDomain: string;
  /** DNS server for names outside the set. @default Docker's embedded resolver */
  readonly dnsUpstream?: string | undefined;
  /** Data refresh per datastore. @default none: nodes start empty */
  readonly dataRefresh?: readonly DataRefreshConfig[];
  /** The host the refresh commands run on. */
  readonly dockerHost: DockerHost;
  readonly provider: docker.Provider;
  readonly images: HostImages;
  /** Superuser password for the datastores whose image requires one. @default none selected needs one */
  readonly datastorePassword?: pulumi.Input<string> | undefined;
}

/**
 * The production-like set: every catalog node in its own container with its own IP on a bridge
 * network, resolved by name through a dnsmasq container, so application config is the same as in
 * production.
 */
export class ProductionLikeServices extends pulumi.ComponentResource {
  public readonly networkName: pulumi.Output<string>;
  public readonly resolverIp: pulumi.Output<string>;
  /** Node name -> `<ip>:<port>`. */
  public readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(
    name: string,
    args: ProductionLikeServicesArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("ciplatform:services:ProductionLikeServices", name, {}, opts);
    const byName = new Map(args.datastores.map((d) => [d.name, d]));
    const subnet = parseCidr(args.subnet);
    if (!subnet) throw new Error(`${name}: subnet ${args.subnet} is not a CIDR network address`);

    const network = new docker.Network(
      `${name}-network`,
      {
        name: containerName(args.stack, "backend"),
        driver: "bridge",
        // Nodes have fixed addresses in the lower half; Docker picks from the upper half only.
        ipamConfigs: [
          {
            subnet: args.subnet,
            gateway: gatewayAddress(subnet),
            ipRange: dynamicAddressRange(subnet),
          },
        ],
        options: { "com.docker.network.bridge.enable_icc": "true" },
      },
      { parent: this, provider: args.provider, deleteBeforeReplace: true },
    );

    const dns = new ServiceDns(
      `${name}-dns`,
      {
        stack: args.stack,
        records: args.nodes.map((n) => ({ name: n.name, ip: n.ip })),
        regionDomain: args.regionDomain,
        upstream: args.dnsUpstream,
        network,
        address: args.resolverIp,
        dockerHost: args.dockerHost,
        provider: args.provider,
        images: args.images,
      },
      { parent: this },
    );

    for (const node of args.nodes) {
      const entry = byName.get(node.datastore);
      if (!entry)
        throw new Error(
          `${name}: node ${node.name} belongs to unselected datastore ${node.datastore}`,
        );
      const healthcheck = datastoreHealthcheck(entry);
      // The node's data outlives its container: replacing the container keeps it, `up` never deletes it.
      const volume = new docker.Volume(
        `${name}-${node.name}-data`,
        {
          name: containerName(args.stack, `${node.name}-data`),
          labels: [{ label: "ci-platform.node", value: node.name }],
        },
        { parent: this, provider: args.provider, protect: true, retainOnDelete: true },
      );
      const dockerName = containerName(args.stack, node.name);
      const container = new docker.Container(
        `${name}-${node.name}`,
        {
          ...hardenedContainerArgs(entry, [
            { label: "ci-platform.node", value: node.name },
            { label: "ci-platform.datastore", value: node.datastore },
          ]),
          ...readOnlyRootfs(entry.tmpfs),
          name: dockerName,
          hostname: node.name,
          image: args.images.ref(entry.image),
          networksAdvanced: [{ name: network.name, ipv4Address: node.ip, aliases: [node.name] }],
          volumes: [{ volumeName: volume.name, containerPath: entry.dataPath }],
          dns: [args.resolverIp],
          dnsSearches: [args.regionDomain],
          ...datastoreEnvs(entry, args.datastorePassword),
          ...(healthcheck ? { healthcheck } : {}),
        },
        { parent: this, provider: args.provider, deleteBeforeReplace: true },
      );
      applyPidsLimit(`${name}-${node.name}-pids`, args.dockerHost, container, dockerName, entry, {
        parent: this,
      });
      const refresh = args.dataRefresh?.find((r) => r.datastore === node.datastore);
      if (refresh) {
        hostCommand(
          `${name}-${node.name}-refresh`,
          args.dockerHost,
          {
            create: commandLine(
              {
                // A local command talks to the same engine as the provider; on an SSH host, its own.
                ...(args.dockerHost.scheme === "unix" ? { DOCKER_HOST: args.dockerHost.url } : {}),
                CONTAINER_NAME: containerName(args.stack, node.name),
                DATASTORE: node.datastore,
                NODE_NAME: node.name,
                SNAPSHOT_ID: refresh.snapshotId,
              },
              refresh.command,
            ),
            triggers: [refresh.snapshotId],
          },
          { parent: this, dependsOn: [container] },
        );
      }
    }

    this.networkName = network.name;
    this.resolverIp = dns.address;
    this.endpoints = pulumi.output(
      Object.fromEntries(
        args.nodes.map((n) => [n.name, `${n.ip}:${byName.get(n.datastore)!.port}`]),
      ),
    );
    this.registerOutputs({
      networkName: this.networkName,
      resolverIp: this.resolverIp,
      endpoints: this.endpoints,
    });
  }
}
