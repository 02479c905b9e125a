import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DatastoreEntry } from "../catalog/catalog";
import type { CiHostConfig } from "../config/types";
import { DevServices } from "../services/DevServices";
import { ProductionLikeServices } from "../services/ProductionLikeServices";
import { HostImages } from "../docker/HostImages";
import { HostPreparation, type TrustedRegistry } from "./HostPreparation";

export interface CiHostArgs {
  /** The host's validated config block. */
  readonly host: CiHostConfig;
  /** Stack name, part of every container's name. */
  readonly stack: string;
  /** Datastores the stack selected. */
  readonly datastores: readonly DatastoreEntry[];
  /** `<region>.<domain>`, the resolver's search domain. */
  readonly regionDomain: string;
  /** The private registry the engine must trust. @default none */
  readonly trustedRegistry?: TrustedRegistry | undefined;
  /** Superuser password of the datastores whose image requires one. @default none */
  readonly datastorePassword?: pulumi.Input<string> | undefined;
}

/**
 * One CI host: its Docker engine (local socket or SSH), the dev-minimal set and the
 * production-like set with its resolver.
 */
export class CiHost extends pulumi.ComponentResource {
  public readonly dockerHost: pulumi.Output<string>;
  public readonly provider: docker.Provider;
  /** The host's images, pulled once each; other components on the host use them too. */
  public readonly images: HostImages;
  /** Datastore type -> host endpoint of the dev-minimal set. */
  public readonly devEndpoints: pulumi.Output<Record<string, string>>;
  /** Node name -> endpoint on the production-like network. */
  public readonly nodeEndpoints: pulumi.Output<Record<string, string>>;
  public readonly resolverIp: pulumi.Output<string | undefined>;
  public readonly backendNetwork: pulumi.Output<string | undefined>;

  constructor(name: string, args: CiHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:ci-host:CiHost", name, {}, opts);
    const { host } = args;
    this.provider = new docker.Provider(
      `${name}-docker`,
      {
        host: host.dockerHost.url,
        ...(host.dockerHost.scheme === "ssh"
          ? { sshOpts: ["-o", "BatchMode=yes", "-p", String(host.dockerHost.port)] }
          : {}),
      },
      { parent: this },
    );
    if (host.hostPrep.enabled) {
      new HostPreparation(
        `${name}-prep`,
        { host: host.dockerHost, prep: host.hostPrep, trustedRegistry: args.trustedRegistry },
        { parent: this },
      );
    }
    this.images = new HostImages(
      `${name}-images`,
      { provider: this.provider, pull: host.pullImages },
      { parent: this },
    );
    const images = this.images;

    const dev = host.devMinimal
      ? new DevServices(
          `${name}-dev`,
          {
            stack: args.stack,
            datastores: args.datastores,
            dockerHost: host.dockerHost,
            provider: this.provider,
            images,
            datastorePassword: args.datastorePassword,
          },
          { parent: this },
        )
      : undefined;

    const productionLike = host.productionLike
      ? new ProductionLikeServices(
          `${name}-prodlike`,
          {
            stack: args.stack,
            datastores: args.datastores,
            nodes: host.nodes,
            subnet: host.backendSubnet,
            resolverIp: host.resolverIp,
            regionDomain: args.regionDomain,
            dnsUpstream: host.dnsUpstream,
            dataRefresh: host.dataRefresh,
            dockerHost: host.dockerHost,
            provider: this.provider,
            images,
            datastorePassword: args.datastorePassword,
          },
          { parent: this },
        )
      : undefined;

    this.dockerHost = pulumi.output(host.dockerHost.url);
    this.devEndpoints = dev?.endpoints ?? pulumi.output<Record<string, string>>({});
    this.nodeEndpoints = productionLike?.endpoints ?? pulumi.output<Record<string, string>>({});
    this.resolverIp = productionLike?.resolverIp ?? pulumi.output(undefined);
    this.backendNetwork = productionLike?.networkName ?? pulumi.output(undefined);
    this.registerOutputs({
      dockerHost: this.dockerHost,
      devEndpoints: this.devEndpoints,
      nodeEndpoints: this.nodeEndpoints,
      resolverIp: this.resolverIp,
      backendNetwork: this.backendNetwork,
    });
  }
}
