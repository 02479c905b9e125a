/** Builds the estate a stack describes: CI hosts, or the production environment on AWS. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { baseTags } from "./aws/aws-render";
import { ProductionNetwork } from "./aws/ProductionNetwork";
import { CiHost } from "./ci-host/CiHost";
import type { LoadedConfig } from "./config/load";
import type { PlatformConfig } from "./config/types";
import type { PlatformSecrets } from "./config/load";
import { PrivateRegistry } from "./registry/PrivateRegistry";

/** What `pulumi stack output` shows: where things are, for people and for the tools in this repo. */
export interface PlatformOutputs {
  readonly kind: string;
  readonly ciHosts?: Record<string, pulumi.Output<unknown>>;
  readonly services: Record<string, { readonly hostPort: number; readonly dnsName: string }>;
  readonly vpcId?: pulumi.Output<string>;
  readonly registry?: {
    readonly url: pulumi.Output<string>;
    readonly caCert: pulumi.Output<string>;
  };
}

export function buildPlatform({ config, secrets }: LoadedConfig): PlatformOutputs {
  const services = Object.fromEntries(
    config.apps.map((app) => [
      app.name,
      { hostPort: app.hostPort, dnsName: `${app.name}.${config.regionDomain}` },
    ]),
  );
  return config.kind === "ci-host"
    ? buildCiHosts(config, secrets, services)
    : buildAws(config, services);
}

function buildCiHosts(
  config: PlatformConfig,
  secrets: PlatformSecrets,
  services: PlatformOutputs["services"],
): PlatformOutputs {
  const ciHosts: Record<string, pulumi.Output<unknown>> = {};
  const built = new Map<string, CiHost>();
  const trustedRegistry = config.registry && {
    address: config.registry.address,
    caCert: config.registry.caCert,
  };
  for (const host of config.ciHosts) {
    const ciHost = new CiHost(host.name, {
      host,
      stack: config.stack,
      datastores: config.datastores,
      regionDomain: config.regionDomain,
      trustedRegistry,
    });
    built.set(host.name, ciHost);
    ciHosts[host.name] = pulumi.output({
      dockerHost: ciHost.dockerHost,
      resolverIp: ciHost.resolverIp,
      backendNetwork: ciHost.backendNetwork,
      devEndpoints: ciHost.devEndpoints,
      nodeEndpoints: ciHost.nodeEndpoints,
    });
  }
  const registryHost = config.registry && built.get(config.registry.host);
  const registry =
    config.registry && registryHost
      ? new PrivateRegistry("registry", {
          stack: config.stack,
          registry: config.registry,
          htpasswd: required(secrets.registryHtpasswd, "registryHtpasswd"),
          tlsKey: required(secrets.registryTlsKey, "registryTlsKey"),
          httpSecret: required(secrets.registryHttpSecret, "registryHttpSecret"),
          provider: registryHost.provider,
          images: registryHost.images,
        })
      : undefined;
  return {
    kind: config.kind,
    ciHosts,
    services,
    ...(registry ? { registry: { url: registry.url, caCert: registry.caCert } } : {}),
  };
}

/** Validation already required these; this only narrows the type. */
function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`secret ${name} missing after validation`);
  return value;
}

function buildAws(config: PlatformConfig, services: PlatformOutputs["services"]): PlatformOutputs {
  const awsConfig = config.aws!;
  const provider = new aws.Provider("aws", {
    region: config.region as aws.Region,
    defaultTags: { tags: baseTags(config.stack, config.project) },
  });
  const network = new ProductionNetwork(
    "production",
    {
      vpcCidr: awsConfig.vpcCidr,
      availabilityZones: awsConfig.availabilityZones,
      regionDomain: config.regionDomain,
      tags: baseTags(config.stack, config.project),
    },
    { providers: [provider] },
  );
  return { kind: config.kind, services, vpcId: network.vpcId };
}
