/** Builds the estate a stack describes: CI hosts, or the production environment on AWS. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { baseTags } from "./aws/aws-render";
import { AccessLogsBucket } from "./aws/AccessLogsBucket";
import { HostFleet } from "./aws/HostFleet";
import { PrivateDns } from "./aws/PrivateDns";
import { ProductionNetwork } from "./aws/ProductionNetwork";
import { BlueGreenDeployments } from "./aws/BlueGreenDeployments";
import { clusterName } from "./aws/ecs-render";
import { EcsService } from "./aws/EcsService";
import { TaskExecution } from "./aws/TaskExecution";
import { ServiceLoadBalancer } from "./aws/ServiceLoadBalancer";
import { ReleaseProxy } from "./release/ReleaseProxy";
import { CiHost } from "./ci-host/CiHost";
import type { LoadedConfig } from "./config/load";
import type { PlatformConfig } from "./config/types";
import type { PlatformSecrets } from "./config/load";
import { PrivateRegistry } from "./registry/PrivateRegistry";
import { JenkinsHost } from "./jenkins/JenkinsHost";

/** What `pulumi stack output` shows: where things are, for people and for the tools in this repo. */
export interface PlatformOutputs {
  readonly kind: string;
  readonly ciHosts?: Record<string, pulumi.Output<unknown>>;
  readonly services: Record<
    string,
    {
      readonly hostPort: number;
      readonly dnsName: string;
      /** CI hosts: the slot the proxy sends traffic to; aws: the slot port the current version publishes on. */
      readonly liveSlot: string;
      readonly loadBalancer?: pulumi.Output<string>;
    }
  >;
  /** The production ECS cluster's name. */
  readonly cluster?: pulumi.Output<string>;
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
      {
        hostPort: app.hostPort,
        dnsName: `${app.name}.${config.regionDomain}`,
        liveSlot: app.liveSlot,
      },
    ]),
  );
  return config.kind === "ci-host"
    ? buildCiHosts(config, secrets, services)
    : buildAws(config, secrets, services);
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
      datastorePassword: secrets.datastorePassword,
    });
    built.set(host.name, ciHost);
    const jenkins = new JenkinsHost(
      `${host.name}-jenkins`,
      {
        stack: config.stack,
        host,
        jenkins: config.jenkins!,
        apps: config.apps,
        datastores: config.datastores,
        regionDomain: config.regionDomain,
        registry: config.registry,
        adminPassword: required(secrets.jenkinsAdminPassword, "jenkinsAdminPassword"),
        registryPassword: secrets.jenkinsRegistryPassword,
        provider: ciHost.provider,
      },
      { parent: ciHost },
    );
    const releaseProxy = new ReleaseProxy(
      `${host.name}-release`,
      {
        stack: config.stack,
        apps: config.apps,
        dockerHost: host.dockerHost,
        provider: ciHost.provider,
        images: ciHost.images,
      },
      { parent: ciHost },
    );
    ciHosts[host.name] = pulumi.output({
      dockerHost: ciHost.dockerHost,
      resolverIp: ciHost.resolverIp,
      backendNetwork: ciHost.backendNetwork,
      devEndpoints: ciHost.devEndpoints,
      nodeEndpoints: ciHost.nodeEndpoints,
      jenkinsUrl: jenkins.url,
      jenkinsJobs: jenkins.jobs,
      releaseProxy: releaseProxy.containerName,
    });
  }
  const registryHost = config.registry && built.get(config.registry.host);
  const registryHostConfig = config.ciHosts.find((h) => h.name === config.registry?.host);
  const registry =
    config.registry && registryHost && registryHostConfig
      ? new PrivateRegistry("registry", {
          stack: config.stack,
          registry: config.registry,
          platformSubnet: registryHostConfig.platformSubnet,
          htpasswd: required(secrets.registryHtpasswd, "registryHtpasswd"),
          tlsKey: required(secrets.registryTlsKey, "registryTlsKey"),
          httpSecret: required(secrets.registryHttpSecret, "registryHttpSecret"),
          dockerHost: registryHostConfig.dockerHost,
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

function buildAws(
  config: PlatformConfig,
  secrets: PlatformSecrets,
  services: PlatformOutputs["services"],
): PlatformOutputs {
  const settings = config.aws!;
  const provider = new aws.Provider("aws", {
    region: config.region as aws.Region,
    defaultTags: { tags: baseTags(config.stack, config.project) },
  });
  const opts = { providers: [provider] };
  const network = new ProductionNetwork(
    "prod",
    {
      vpcCidr: settings.vpcCidr,
      availabilityZones: settings.availabilityZones,
      regionDomain: config.regionDomain,
      natGateways: settings.natGateways,
      flowLogRetentionDays: settings.flowLogRetentionDays,
    },
    opts,
  );
  const logs = new AccessLogsBucket(
    "prod-lb-logs",
    { region: config.region, retentionDays: 90 },
    opts,
  );
  const fleet = new HostFleet(
    "prod",
    {
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      availabilityZones: settings.availabilityZones,
      hostClasses: settings.hostClasses,
      clusterName: clusterName(config.project, config.stack),
      registry: settings.registry,
      registryCaCert: settings.registryCaCert,
    },
    opts,
  );
  const execution = new TaskExecution(
    "prod-task-execution",
    {
      stack: config.stack,
      apps: config.apps.map((a) => a.name),
      logRetentionDays: settings.logRetentionDays,
      registryUser: settings.registryUser,
      registryPassword: required(secrets.registryPullPassword, "registryPullPassword"),
    },
    opts,
  );
  const deployments = new BlueGreenDeployments(
    "prod-deployments",
    {
      stack: config.stack,
      clusterArn: fleet.clusterArn,
      executionRoleArn: execution.roleArn,
      logRetentionDays: settings.logRetentionDays,
    },
    opts,
  );
  const balancers: Record<string, ServiceLoadBalancer> = {};
  for (const app of config.apps) {
    const lb = new ServiceLoadBalancer(
      `prod-${app.name}`,
      {
        app,
        vpcId: network.vpcId,
        publicSubnetIds: settings.availabilityZones.map((z) => network.publicSubnetIds[z]!),
        hostSecurityGroupId: fleet.securityGroupId,
        ingressCidrs: settings.ingressCidrs,
        testListenerPort: settings.release.testListenerPort,
        adminCidr: settings.adminCidr,
        natPublicIps: network.natPublicIps,
        certificateArn: settings.certificateArn,
        accessLogsBucket: logs.bucketName,
      },
      opts,
    );
    balancers[app.name] = lb;
    const hostClass = settings.hostClasses.find((c) => c.services.includes(app.name))!;
    // The service's own DNS name (its private-zone alias), as its clients use it.
    const dnsName = `${app.name}.${config.regionDomain}`;
    new EcsService(
      `prod-${app.name}`,
      {
        app,
        stack: config.stack,
        region: config.region,
        regionDomain: config.regionDomain,
        testBaseUrl: `http://${dnsName}:${settings.release.testListenerPort}`,
        // With a certificate, 80 only redirects: the post-tests go where clients go.
        productionBaseUrl: settings.certificateArn ? `https://${dnsName}` : `http://${dnsName}`,
        registry: settings.registry,
        clusterArn: fleet.clusterArn,
        clusterName: fleet.clusterName,
        capacityProvider: fleet.capacityProviders[hostClass.name]!,
        zoneCount: settings.availabilityZones.length,
        scaling: settings.serviceScaling,
        release: settings.release,
        execution: {
          roleArn: execution.roleArn,
          registryCredentialsArn: execution.registryCredentialsArn,
          logGroup: execution.logGroups[app.name]!,
        },
        loadBalancer: {
          arnSuffix: lb.arnSuffix,
          liveTargetGroupArn: lb.liveTargetGroupArn,
          standbyTargetGroupArn: lb.standbyTargetGroupArn,
          productionRuleArn: lb.productionRuleArn,
          testRuleArn: lb.testRuleArn,
        },
        deployments: {
          hookArn: deployments.hookArn,
          hookInvokeRoleArn: deployments.hookInvokeRoleArn,
          trafficRoleArn: deployments.trafficRoleArn,
        },
      },
      { ...opts, dependsOn: [fleet.capacityAssociation, execution, deployments] },
    );
  }
  new PrivateDns(
    "prod-dns",
    {
      zoneName: config.regionDomain,
      vpcId: network.vpcId,
      services: Object.fromEntries(
        Object.entries(balancers).map(([name, lb]) => [
          name,
          { dnsName: lb.dnsName, zoneId: lb.zoneId },
        ]),
      ),
      nodes: settings.nodeIps,
    },
    opts,
  );
  return {
    kind: config.kind,
    services: Object.fromEntries(
      Object.entries(services).map(([name, s]) => [
        name,
        { ...s, loadBalancer: balancers[name]!.dnsName },
      ]),
    ),
    vpcId: network.vpcId,
    cluster: fleet.clusterName,
  };
}
