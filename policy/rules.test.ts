import { describe, expect, it } from "vitest";
import {
  checkResources,
  formatViolations,
  imageReferenceProblem,
  isSecretName,
  RULES,
  T,
  type PolicyResource,
} from "./rules";

const res = (
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  protect = false,
): PolicyResource => ({ type, name, inputs, protect });

/** A container that complies with every rule. */
const goodContainer = (inputs: Record<string, unknown> = {}): PolicyResource =>
  res(T.container, "api", {
    image: "registry.example.com:5443/api:1.4.2@sha256:0a1b",
    restart: "unless-stopped",
    memory: 256,
    memorySwap: 256,
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    privileged: false,
    cpus: "0.5",
    readOnly: true,
    labels: [{ label: "ci-platform.pids-limit", value: "128" }],
    ...inputs,
  });

const labelled = (...labels: [string, string][]) => ({
  labels: [
    { label: "ci-platform.pids-limit", value: "128" },
    ...labels.map(([label, value]) => ({ label, value })),
  ],
});

const goodInstance = (inputs: Record<string, unknown> = {}): PolicyResource =>
  res(T.instance, "app-1", {
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    rootBlockDevice: { encrypted: true, volumeSize: 60 },
    ...inputs,
  });

/** A launch template as the production host fleet declares one. */
const goodTemplate = (inputs: Record<string, unknown> = {}): PolicyResource =>
  res(T.launchTemplate, "prod-app", {
    imageId: "ami-0c7217cdde317cfec",
    instanceType: "t3.xlarge",
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    },
    blockDeviceMappings: [
      { deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3", volumeSize: 60 } },
    ],
    networkInterfaces: [
      { associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: ["sg-1"] },
    ],
    iamInstanceProfile: { arn: "arn:aws:iam::123456789012:instance-profile/prod-host" },
    userData: "IyEvYmluL2Jhc2gK",
    ...inputs,
  });

const ARN = "arn:aws:ecs:us-east-1:123456789012";
const ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012";

/** An ECS service as the production EcsService component declares one. */
const goodService = (inputs: Record<string, unknown> = {}): PolicyResource =>
  res(T.ecsService, "prod-api", {
    cluster: `${ARN}:cluster/prod`,
    taskDefinition: `${ARN}:task-definition/prod-api:7`,
    desiredCount: 6,
    deploymentConfiguration: {
      strategy: "BLUE_GREEN",
      bakeTimeInMinutes: "10",
      lifecycleHooks: [
        {
          hookTargetArn: "arn:aws:lambda:us-east-1:123456789012:function:prod-integration-hook",
          roleArn: "arn:aws:iam::123456789012:role/prod-integration-hook-invoke",
          lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
          hookDetails: '{"suite":"pre-integration"}',
        },
        {
          hookTargetArn: "arn:aws:lambda:us-east-1:123456789012:function:prod-integration-hook",
          roleArn: "arn:aws:iam::123456789012:role/prod-integration-hook-invoke",
          lifecycleStages: ["POST_PRODUCTION_TRAFFIC_SHIFT"],
          hookDetails: '{"suite":"post-integration"}',
        },
      ],
    },
    deploymentCircuitBreaker: { enable: true, rollback: true },
    alarms: {
      alarmNames: ["prod-api-target-5xx", "prod-api-elb-5xx"],
      enable: true,
      rollback: true,
    },
    loadBalancers: [
      {
        targetGroupArn: `${ELB}:targetgroup/prod-api-targets-blue/1`,
        containerName: "app",
        containerPort: 5000,
        advancedConfiguration: {
          alternateTargetGroupArn: `${ELB}:targetgroup/prod-api-targets-green/2`,
          productionListenerRule: `${ELB}:listener-rule/app/prod-api/1/2/3`,
          testListenerRule: `${ELB}:listener-rule/app/prod-api/1/4/5`,
          roleArn: "arn:aws:iam::123456789012:role/prod-ecs-load-balancers",
        },
      },
    ],
    capacityProviderStrategies: [{ capacityProvider: "prod-app", weight: 1 }],
    orderedPlacementStrategies: [
      { type: "spread", field: "attribute:ecs.availability-zone" },
      { type: "spread", field: "instanceId" },
    ],
    ...inputs,
  });

/** The app container of a production task definition. */
const appContainer = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "app",
  image: "registry.example.com:5443/api:1.4.2",
  memory: 512,
  cpu: 512,
  essential: true,
  portMappings: [{ containerPort: 5000, hostPort: 6060, protocol: "tcp" }],
  environment: [{ name: "APP_ENV", value: "production" }],
  repositoryCredentials: {
    credentialsParameter:
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-registry-credentials-AbCdEf",
  },
  logConfiguration: {
    logDriver: "awslogs",
    options: {
      "awslogs-group": "/ci-platform/production/api",
      "awslogs-region": "us-east-1",
      "awslogs-stream-prefix": "app",
    },
  },
  healthCheck: { command: ["CMD-SHELL", "curl -fs http://localhost:5000/health || exit 1"] },
  dnsSearchDomains: ["us-east-1.example.com"],
  ...overrides,
});

/** A task definition as the offline plan holds it: containerDefinitions is rendered JSON. */
const taskDefinition = (
  containers: Record<string, unknown>[],
  inputs: Record<string, unknown> = {},
  name = "prod-api",
): PolicyResource =>
  res(T.taskDefinition, name, {
    family: name,
    networkMode: "bridge",
    executionRoleArn: "arn:aws:iam::123456789012:role/prod-task-execution",
    requiresCompatibilities: ["EC2"],
    containerDefinitions: JSON.stringify(containers),
    ...inputs,
  });

/** An Auto Scaling group as the production host fleet declares one. */
const goodGroup = (inputs: Record<string, unknown> = {}): PolicyResource =>
  res(T.autoScalingGroup, "prod-app", {
    vpcZoneIdentifiers: ["subnet-a", "subnet-b", "subnet-c"],
    minSize: 3,
    maxSize: 12,
    protectFromScaleIn: true,
    launchTemplate: { id: "lt-1", version: "$Latest" },
    tags: [
      { key: "Name", value: "prod-app", propagateAtLaunch: true },
      { key: "AmazonECSManaged", value: "", propagateAtLaunch: true },
    ],
    ...inputs,
  });

const goodCapacityProvider = (provider: Record<string, unknown> = {}): PolicyResource =>
  res(T.capacityProvider, "prod-app", {
    autoScalingGroupProvider: {
      autoScalingGroupArn:
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/prod-app",
      managedTerminationProtection: "ENABLED",
      managedDraining: "ENABLED",
      managedScaling: { status: "ENABLED", targetCapacity: 100 },
      ...provider,
    },
  });

/** A policy document as the program renders it. */
const doc = (...statements: Record<string, unknown>[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const trust = (service: string): string =>
  doc({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
const rolePolicy = (name: string, ...statements: Record<string, unknown>[]): PolicyResource =>
  res(T.rolePolicy, name, { role: `${name}-id`, policy: doc(...statements) });
const attachment = (policyArn: string): PolicyResource =>
  res(T.rolePolicyAttachment, "prod-host", { role: "prod-host-id", policyArn });
const LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/ci-platform/production/api";
const SECRET =
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-registry-credentials-AbCdEf";
const IAM_FIX = `name the resources' ARNs (only ecs:DescribeTaskDefinition, which AWS grants on "*" alone, may have it)`;
const NO_SSH =
  "production hosts take no SSH (ECS runs the tasks, Pulumi no longer connects to hosts): remove it, or open only the ports the load balancers reach";
const NO_INTERFACES =
  'networkInterfaces is not set, so the subnet decides whether instances get a public IP; declare the interface with associatePublicIpAddress "false" (and its security groups)';
const PRE_HOOK =
  "add one that runs the pre-integration tests on the test listener (hookTargetArn, roleArn)";
const POST_HOOK =
  "add one that runs the post-integration tests through the production listener (hookTargetArn, roleArn)";
const ECS_TAG =
  'tags has no { key: "AmazonECSManaged", value: "", propagateAtLaunch: true }; ECS managed scaling adds it, so declare it or every preview shows a diff';
const NOT_ALLOWED =
  "is not an allowed managed policy (service-role/AmazonEC2ContainerServiceforEC2Role and AmazonECSInfrastructureRolePolicyForLoadBalancers); grant what the role calls in an inline role policy, scoped to its resources";

const ingress = (name: string, inputs: Record<string, unknown>): PolicyResource =>
  res(T.ingressRule, name, { ipProtocol: "tcp", securityGroupId: "sg-1", ...inputs });

/** Messages of `rule` for `resource`, as `checkResources` reports them. */
function messages(rule: string, resource: PolicyResource): string[] {
  return checkResources([resource])
    .filter((v) => v.rule === rule)
    .map((v) => v.message);
}

describe.each<{
  rule: string;
  passing: PolicyResource[];
  failing: [PolicyResource, string[]][];
}>([
  {
    rule: "stateful-resources-protected",
    passing: [
      res(T.dockerVolume, "data", { name: "data" }, true),
      res(T.zone, "zone", { name: "us-east-1.example.com" }, true),
      res(T.ebsVolume, "disk", { encrypted: true }, true),
    ],
    failing: [
      [
        res(T.dockerVolume, "data", { name: "data" }),
        [
          "holds data but is not protected; declare it with { protect: true, retainOnDelete: true }",
        ],
      ],
      [
        res(T.zone, "zone", { name: "x" }),
        [
          "holds data but is not protected; declare it with { protect: true, retainOnDelete: true }",
        ],
      ],
      [
        res(T.ebsVolume, "disk", { encrypted: true }),
        [
          "holds data but is not protected; declare it with { protect: true, retainOnDelete: true }",
        ],
      ],
    ],
  },
  {
    rule: "no-privileged-containers",
    passing: [
      goodContainer(),
      goodContainer({ privileged: undefined }),
      taskDefinition([appContainer()]),
      taskDefinition([appContainer({ privileged: false })]),
    ],
    failing: [
      [
        goodContainer({ privileged: true }),
        ["runs privileged; remove privileged and add only the capabilities it needs"],
      ],
      [
        taskDefinition([appContainer(), appContainer({ name: "sidecar", privileged: true })]),
        [
          "containerDefinitions[1] (sidecar) runs privileged; remove privileged and add only the capabilities it needs (linuxParameters.capabilities)",
        ],
      ],
    ],
  },
  {
    rule: "containers-pids-cpu-readonly-network",
    passing: [
      goodContainer(),
      goodContainer({ cpus: "1.0", tmpfs: { "/tmp": "size=64m" } }),
      // The allow-list: uploads (Docker refuses to copy them into a read-only rootfs).
      goodContainer({ readOnly: undefined, uploads: [{ file: "/etc/x.conf", content: "x" }] }),
      goodContainer({ networkMode: "host", ...labelled(["ci-platform.role", "dev-datastore"]) }),
      goodContainer({ networkMode: "host", ...labelled(["ci-platform.role", "release-proxy"]) }),
    ],
    failing: [
      [
        res(T.container, "bare", { image: "x:1" }),
        [
          "label ci-platform.pids-limit is not set; set a PIDs limit from 1 to 32768 (hardenedContainerArgs) and apply it with applyPidsLimit",
          'cpus is not set; set a CPU limit such as "0.5" or "1.0"',
          "readOnly is not true; run the rootfs read-only, with tmpfs or volumes for what the image writes",
        ],
      ],
      [
        goodContainer({
          cpus: "1",
          labels: [{ label: "ci-platform.pids-limit", value: "0" }],
        }),
        [
          'label ci-platform.pids-limit is "0"; set a PIDs limit from 1 to 32768 (hardenedContainerArgs) and apply it with applyPidsLimit',
          'cpus "1" reads back as "1.0": a replacement on every preview; write the read-back form',
        ],
      ],
      [
        goodContainer({ cpus: 0.5, readOnly: false }),
        [
          'cpus is 0.5; set a CPU limit such as "0.5" or "1.0"',
          "readOnly is not true; run the rootfs read-only, with tmpfs or volumes for what the image writes",
        ],
      ],
      [
        // Production's Docker slots had this exemption; nothing Pulumi declares needs it now.
        goodContainer({ readOnly: false, ...labelled(["ci-platform.slot", "blue"]) }),
        [
          "readOnly is not true; run the rootfs read-only, with tmpfs or volumes for what the image writes",
        ],
      ],
      [
        goodContainer({ networkMode: "host" }),
        [
          'networkMode is "host" with ci-platform.role not set; only dev-datastore and release-proxy containers share the host\'s network: use a bridge network',
        ],
      ],
      [
        goodContainer({ networkMode: "host", ...labelled(["ci-platform.role", "registry"]) }),
        [
          'networkMode is "host" with ci-platform.role "registry"; only dev-datastore and release-proxy containers share the host\'s network: use a bridge network',
        ],
      ],
    ],
  },
  {
    rule: "containers-restart-memory-log-rotation",
    passing: [
      goodContainer(),
      goodContainer({ restart: "on-failure" }),
      goodContainer({ logDriver: "none", logOpts: undefined }),
      // One-shot containers neither restart nor keep logs for long.
      res(T.container, "migrate", { image: "m:1", rm: true }),
      res(T.container, "seed", { image: "s:1", attach: true }),
    ],
    failing: [
      [
        goodContainer({ restart: "no", memory: 0, logOpts: { "max-size": "10m" } }),
        [
          'restart is "no"; set it to "unless-stopped"',
          "memory is 0; set a limit in MB (the docker provider's unit)",
          'logOpts has no max-file; rotate logs with logOpts {"max-size": "10m", "max-file": "3"}',
        ],
      ],
      [
        // 256 MiB written in bytes: the provider would ask Docker for 256 TiB.
        goodContainer({ memory: 268435456, memorySwap: 268435456 }),
        [
          "memory is 268435456 MB, over 262144 MB: the docker provider's unit is MB, not bytes; set 256 for 268435456 bytes",
        ],
      ],
      [
        goodContainer({ memorySwap: undefined }),
        [
          "memorySwap is not set; set it equal to memory (256, no swap): unset, Docker reads it back as twice the memory and every preview shows a diff",
        ],
      ],
      [
        res(T.container, "bare", { image: "x:1" }),
        [
          'restart is not set; set it to "unless-stopped"',
          "memory is not set; set a limit in MB (the docker provider's unit)",
          'logOpts has no max-size or max-file; rotate logs with logOpts {"max-size": "10m", "max-file": "3"}',
        ],
      ],
    ],
  },
  {
    rule: "images-pinned",
    passing: [
      goodContainer({ image: "mongo:7.0" }),
      goodContainer({ image: "mongo@sha256:abc123" }),
      goodContainer({ image: "mongo:latest@sha256:abc123" }),
      res(T.remoteImage, "img", { name: "registry.example.com:5443/api:1.4.2" }),
      taskDefinition([appContainer()]),
    ],
    failing: [
      [
        goodContainer({ image: "mongo:latest" }),
        ['image "mongo:latest" is on latest; pin a version tag or a digest'],
      ],
      [
        res(T.remoteImage, "img", { name: "registry.example.com:5443/api" }),
        [
          'name "registry.example.com:5443/api" has no tag, so it pulls latest; pin a version tag or a digest',
        ],
      ],
      [
        taskDefinition([
          appContainer({ image: "registry.example.com:5443/api" }),
          appContainer({ name: "tests", image: "registry.example.com:5443/api:latest" }),
        ]),
        [
          'containerDefinitions[0] (app) image "registry.example.com:5443/api" has no tag, so it pulls latest; pin a version tag or a digest',
          'containerDefinitions[1] (tests) image "registry.example.com:5443/api:latest" is on latest; pin a version tag or a digest',
        ],
      ],
    ],
  },
  {
    rule: "instances-imdsv2-encrypted",
    passing: [
      goodInstance(),
      goodInstance({ ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }] }),
      goodTemplate(),
      goodTemplate({
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: "1" },
      }),
      res(T.ebsVolume, "disk", { encrypted: true }, true),
    ],
    failing: [
      [
        goodInstance({
          metadataOptions: { httpTokens: "optional" },
          rootBlockDevice: { volumeSize: 60 },
          ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }],
        }),
        [
          'metadataOptions.httpTokens is "optional"; set "required" (IMDSv2 only)',
          "metadataOptions.httpPutResponseHopLimit is not set; set 1, so containers on a bridge network cannot reach the instance's metadata and its role's credentials (unset, the AMI's default applies: 2 on Amazon Linux 2023 AMIs)",
          "rootBlockDevice.encrypted is not set; set true",
          "ebsBlockDevices[0].encrypted is false; set true",
        ],
      ],
      [
        goodTemplate({
          metadataOptions: undefined,
          blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }],
        }),
        [
          'metadataOptions.httpTokens is not set; set "required" (IMDSv2 only)',
          "metadataOptions.httpPutResponseHopLimit is not set; set 1, so containers on a bridge network cannot reach the instance's metadata and its role's credentials (unset, the AMI's default applies: 2 on Amazon Linux 2023 AMIs)",
          'blockDeviceMappings[0].ebs.encrypted is "false"; set "true"',
        ],
      ],
      [
        // Hop limit 2 lets a container behind the Docker bridge fetch the instance role's credentials.
        goodTemplate({
          metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 2,
          },
        }),
        [
          "metadataOptions.httpPutResponseHopLimit is 2; set 1, so containers on a bridge network cannot reach the instance's metadata and its role's credentials (unset, the AMI's default applies: 2 on Amazon Linux 2023 AMIs)",
        ],
      ],
      [
        goodInstance({ metadataOptions: { httpTokens: "required" } }),
        [
          "metadataOptions.httpPutResponseHopLimit is not set; set 1, so containers on a bridge network cannot reach the instance's metadata and its role's credentials (unset, the AMI's default applies: 2 on Amazon Linux 2023 AMIs)",
        ],
      ],
      [
        goodTemplate({ blockDeviceMappings: undefined }),
        [
          "blockDeviceMappings declares no EBS volume, so the root volume is the AMI's unencrypted default; map the root device with ebs.encrypted true",
        ],
      ],
      [res(T.ebsVolume, "disk", {}, true), ["encrypted is not set; set true"]],
    ],
  },
  {
    rule: "no-world-ingress-except-lb",
    passing: [
      // The production listeners' rules, named after their group and port.
      ingress("prod-api-lb-80-0", { cidrIpv4: "0.0.0.0/0", fromPort: 80, toPort: 80 }),
      ingress("prod-api-lb-443-0", { cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 }),
      ingress("web-lb-443", { cidrIpv6: "::/0", fromPort: 443, toPort: 443 }),
      // The test listener answers the admin range and the NAT gateways' addresses.
      ingress("prod-api-lb-test-admin", {
        cidrIpv4: "10.255.0.0/24",
        fromPort: 8080,
        toPort: 8080,
      }),
      ingress("prod-api-lb-test-nat-0", {
        cidrIpv4: "203.0.113.7/32",
        fromPort: 8080,
        toPort: 8080,
      }),
      ingress("prod-api-lb-80-nat-0", { cidrIpv4: "203.0.113.7/32", fromPort: 80, toPort: 80 }),
      // Private space of any width, and an office's public /16, are not the world.
      ingress("prod-api-lb-test-vpn", { cidrIpv4: "10.0.0.0/8", fromPort: 8080, toPort: 8080 }),
      ingress("prod-api-lb-test-office", {
        cidrIpv4: "198.51.0.0/16",
        fromPort: 8080,
        toPort: 8080,
      }),
      res(T.securityGroup, "web-lb", {
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
      }),
      res(T.securityGroupRule, "hosts-egress", {
        type: "egress",
        protocol: "-1",
        fromPort: 0,
        toPort: 0,
        cidrBlocks: ["0.0.0.0/0"],
      }),
    ],
    failing: [
      [
        ingress("hosts-ssh", { cidrIpv4: "0.0.0.0/0", fromPort: 22, toPort: 22 }),
        [
          'the rule allows 0.0.0.0/0 on "tcp" ports 22-22; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
      [
        ingress("hosts-ssh", { cidrIpv4: "0.0.0.0/1", fromPort: 22, toPort: 22 }),
        [
          'the rule allows 0.0.0.0/1 on "tcp" ports 22-22; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
      [
        ingress("hosts-ssh", { cidrIpv4: "1.0.0.0/8", fromPort: 22, toPort: 22 }),
        [
          'the rule allows 1.0.0.0/8 on "tcp" ports 22-22; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
      [
        ingress("hosts-ssh", { cidrIpv6: "2000::/3", fromPort: 22, toPort: 22 }),
        [
          'the rule allows 2000::/3 on "tcp" ports 22-22; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
      [
        ingress("web-lb-8080-0", { cidrIpv4: "0.0.0.0/0", fromPort: 8080, toPort: 8080 }),
        [
          `the rule allows 0.0.0.0/0 on "tcp" ports 8080-8080; only a load balancer's production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only`,
        ],
      ],
      [
        // A test listener on 443 is still a test listener: its rule is not named *-lb-443-*.
        ingress("prod-api-lb-test-0", { cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 }),
        [
          `the rule allows 0.0.0.0/0 on "tcp" ports 443-443; only a load balancer's production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only`,
        ],
      ],
      [
        // Named after the 443 listener, it opens 80.
        ingress("prod-api-lb-443-0", { cidrIpv4: "0.0.0.0/0", fromPort: 80, toPort: 80 }),
        [
          `the rule allows 0.0.0.0/0 on "tcp" ports 80-80; only a load balancer's production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only`,
        ],
      ],
      [
        ingress("prod-api-lb", { cidrIpv6: "::/0", fromPort: 80, toPort: 80 }),
        [
          `the rule allows ::/0 on "tcp" ports 80-80; only a load balancer's production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only`,
        ],
      ],
      [
        res(T.securityGroup, "web-lb", {
          ingress: [{ protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["0.0.0.0/0"] }],
        }),
        [
          `ingress[0] allows 0.0.0.0/0 on "tcp" ports 8080-8080; only a load balancer's production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only`,
        ],
      ],
      [
        ingress("web-lb-admin", { cidrIpv4: "0.0.0.0/0", fromPort: 8080, toPort: 8080 }),
        [
          'the rule allows 0.0.0.0/0 on "tcp" ports 8080-8080; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
      [
        ingress("web-lb-all", { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }),
        [
          'the rule allows 0.0.0.0/0 on "-1" ports not set-not set; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
      [
        res(T.securityGroup, "hosts", {
          ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, ipv6CidrBlocks: ["::/0"] }],
        }),
        [
          'ingress[0] allows ::/0 on "tcp" ports 443-443; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
      [
        res(T.securityGroupRule, "db-open", {
          type: "ingress",
          protocol: "tcp",
          fromPort: 5432,
          toPort: 5432,
          cidrBlocks: ["0.0.0.0/0"],
        }),
        [
          'the rule allows 0.0.0.0/0 on "tcp" ports 5432-5432; only a load balancer\'s production listener may: tcp 80 or 443 on its group (named *-lb) or on a rule named after the group and the port (*-lb-80-*, *-lb-443-*); a test listener answers the admin range and the NAT addresses only',
        ],
      ],
    ],
  },
  {
    rule: "no-ssh-ingress",
    passing: [
      ingress("prod-api-hosts-from-lb-blue", {
        referencedSecurityGroupId: "sg-lb",
        fromPort: 6060,
        toPort: 6060,
      }),
      ingress("prod-hosts-from-lb-range", {
        referencedSecurityGroupId: "sg-lb",
        fromPort: 6000,
        toPort: 7999,
      }),
      ingress("prod-api-lb-80-0", { cidrIpv4: "0.0.0.0/0", fromPort: 80, toPort: 80 }),
      res(T.securityGroup, "prod-hosts", {
        ingress: [{ protocol: "tcp", fromPort: 6060, toPort: 6060, securityGroups: ["sg-lb"] }],
        egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
      }),
      res(T.securityGroupRule, "hosts-egress", {
        type: "egress",
        protocol: "-1",
        fromPort: 0,
        toPort: 0,
        cidrBlocks: ["0.0.0.0/0"],
      }),
    ],
    failing: [
      [
        // Even from the admin range: production hosts take no SSH at all.
        ingress("prod-hosts-ssh", { cidrIpv4: "10.255.0.0/24", fromPort: 22, toPort: 22 }),
        [`the rule opens port 22 ("tcp" ports 22-22); ${NO_SSH}`],
      ],
      [
        ingress("prod-hosts-from-bastion", {
          referencedSecurityGroupId: "sg-bastion",
          fromPort: 22,
          toPort: 22,
        }),
        [`the rule opens port 22 ("tcp" ports 22-22); ${NO_SSH}`],
      ],
      [
        ingress("prod-hosts-from-hosts", {
          ipProtocol: "-1",
          referencedSecurityGroupId: "sg-hosts",
        }),
        [`the rule opens port 22 ("-1" ports not set-not set); ${NO_SSH}`],
      ],
      [
        res(T.securityGroupRule, "prod-hosts-low", {
          type: "ingress",
          protocol: "tcp",
          fromPort: 0,
          toPort: 1024,
          cidrBlocks: ["10.20.0.0/16"],
        }),
        [`the rule opens port 22 ("tcp" ports 0-1024); ${NO_SSH}`],
      ],
      [
        res(T.securityGroup, "prod-hosts", {
          ingress: [{ protocol: "6", fromPort: 22, toPort: 22, cidrBlocks: ["10.255.0.0/24"] }],
        }),
        [`ingress[0] opens port 22 ("6" ports 22-22); ${NO_SSH}`],
      ],
    ],
  },
  {
    rule: "no-public-ips",
    passing: [
      goodTemplate(),
      goodTemplate({
        networkInterfaces: [{ associatePublicIpAddress: false, securityGroups: ["sg-1"] }],
      }),
      res(T.subnet, "prod-private-us-east-1a", {
        cidrBlock: "10.20.128.0/20",
        mapPublicIpOnLaunch: false,
      }),
      res(T.subnet, "prod-public-us-east-1a", { cidrBlock: "10.20.0.0/20" }),
      goodInstance(),
      goodInstance({ associatePublicIpAddress: false }),
    ],
    failing: [
      [goodTemplate({ networkInterfaces: undefined }), [NO_INTERFACES]],
      [goodTemplate({ networkInterfaces: [] }), [NO_INTERFACES]],
      [
        goodTemplate({
          networkInterfaces: [{ associatePublicIpAddress: "true" }, { deviceIndex: 1 }],
        }),
        [
          'networkInterfaces[0].associatePublicIpAddress is "true"; set "false"',
          'networkInterfaces[1].associatePublicIpAddress is not set; set "false"',
        ],
      ],
      [
        res(T.subnet, "prod-public-us-east-1a", { mapPublicIpOnLaunch: true }),
        [
          "mapPublicIpOnLaunch is true; set false: nothing the platform launches takes a public IP (the load balancers face the internet, the hosts reach it through NAT)",
        ],
      ],
      [
        goodInstance({ associatePublicIpAddress: true }),
        ["associatePublicIpAddress is true; set false and launch it in a private subnet"],
      ],
    ],
  },
  {
    rule: "iam-least-privilege",
    passing: [
      res(T.role, "prod-host", { assumeRolePolicy: trust("ec2.amazonaws.com") }),
      res(T.role, "prod-task-execution", { assumeRolePolicy: trust("ecs-tasks.amazonaws.com") }),
      // The task execution role: the registry credentials and the stack's log groups.
      rolePolicy(
        "prod-task-execution",
        { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET },
        {
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [`${LOG_GROUP}:*`],
        },
      ),
      // The hook: the test task definitions, their tasks, the execution role they run with.
      rolePolicy(
        "prod-integration-hook",
        {
          Effect: "Allow",
          Action: "ecs:RunTask",
          Resource: `${ARN}:task-definition/prod-api-tests:*`,
          Condition: { ArnEquals: { "ecs:cluster": `${ARN}:cluster/prod` } },
        },
        {
          Effect: "Allow",
          Action: ["ecs:DescribeTasks", "ecs:StopTask"],
          Resource: `${ARN}:task/prod/*`,
        },
        {
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: "arn:aws:iam::123456789012:role/prod-task-execution",
        },
        // AWS grants it on "*" alone: on the allow-list.
        { Effect: "Allow", Action: "ecs:DescribeTaskDefinition", Resource: "*" },
      ),
      // Deny narrows whatever it names.
      rolePolicy(
        "prod-deny",
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        { Effect: "Allow", Action: "logs:PutLogEvents", Resource: `${LOG_GROUP}:*` },
      ),
      // The SDK may hand the document over as an object, one statement not in a list.
      res(T.rolePolicy, "prod-object", {
        policy: {
          Version: "2012-10-17",
          Statement: { Effect: "Allow", Action: "logs:PutLogEvents", Resource: `${LOG_GROUP}:*` },
        },
      }),
      attachment("arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"),
      attachment("arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"),
      // An empty inline policy entry is how a role drops the inline policies it had.
      res(T.role, "prod-flow-logs", {
        assumeRolePolicy: trust("vpc-flow-logs.amazonaws.com"),
        inlinePolicies: [{}, { name: "gone", policy: "" }],
      }),
      res(T.role, "prod-ecs-load-balancers", {
        assumeRolePolicy: trust("ecs.amazonaws.com"),
        managedPolicyArns: [
          "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
        ],
        inlinePolicies: [
          {
            name: "logs",
            policy: doc({
              Effect: "Allow",
              Action: "logs:PutLogEvents",
              Resource: `${LOG_GROUP}:*`,
            }),
          },
        ],
      }),
    ],
    failing: [
      [
        rolePolicy("prod-admin", { Effect: "Allow", Action: "*", Resource: "*" }),
        [
          'policy Statement[0] allows "*", every action of every service; list the actions the role calls',
        ],
      ],
      [
        rolePolicy("prod-ecs", {
          Effect: "Allow",
          Action: ["ecs:*", "logs:PutLogEvents"],
          Resource: "*",
        }),
        [
          'policy Statement[0] allows "ecs:*", every action of the service; list the actions the role calls',
          `policy Statement[0] allows logs:PutLogEvents on "*"; ${IAM_FIX}`,
        ],
      ],
      [
        // ecs:DescribeTasks takes task ARNs, ecs:ListTasks container instances: not on the allow-list.
        rolePolicy("prod-hook", {
          Effect: "Allow",
          Action: ["ecs:DescribeTasks", "ecs:ListTasks", "ecs:DescribeTaskDefinition"],
          Resource: "*",
        }),
        [`policy Statement[0] allows ecs:DescribeTasks, ecs:ListTasks on "*"; ${IAM_FIX}`],
      ],
      [
        rolePolicy("prod-wide", {
          Effect: "Allow",
          Action: "ecs:RunTask",
          Resource: "arn:aws:ecs:*:*:*",
        }),
        [`policy Statement[0] allows ecs:RunTask on "arn:aws:ecs:*:*:*"; ${IAM_FIX}`],
      ],
      [
        rolePolicy(
          "prod-not",
          { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
          { Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::secrets/*" },
        ),
        [
          "policy Statement[0] allows NotAction, i.e. every action but those listed; list the actions the role calls in Action",
          "policy Statement[1] allows NotResource, i.e. every resource but those listed; list the resources' ARNs in Resource",
        ],
      ],
      [
        res(T.iamPolicy, "prod-custom", {
          policy: {
            Version: "2012-10-17",
            Statement: { Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::prod-lb-logs/*" },
          },
        }),
        [
          'policy Statement allows "s3:*", every action of the service; list the actions the role calls',
        ],
      ],
      [
        res(T.rolePolicy, "prod-bad", { role: "r", policy: "Allow everything" }),
        [
          "policy is not a JSON policy document; render it with JSON.stringify (or aws.iam.getPolicyDocument)",
        ],
      ],
      ...["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"].map(
        (name): [PolicyResource, string[]] => [
          attachment(`arn:aws:iam::aws:policy/${name}`),
          [
            `policyArn "arn:aws:iam::aws:policy/${name}" grants (nearly) every action in the account; never attach it: grant the few actions the role calls in an inline role policy`,
          ],
        ],
      ),
      [
        attachment("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
        [
          `policyArn "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" ${NOT_ALLOWED}`,
        ],
      ],
      [
        // A customer managed policy is opaque to the rules: grant inline instead.
        attachment("arn:aws:iam::123456789012:policy/prod-custom"),
        [`policyArn "arn:aws:iam::123456789012:policy/prod-custom" ${NOT_ALLOWED}`],
      ],
      [
        res(T.role, "prod-open", {
          assumeRolePolicy: doc({
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "sts:AssumeRole",
          }),
          inlinePolicies: [
            { name: "all", policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) },
          ],
          managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
        }),
        [
          'assumeRolePolicy Statement[0] lets any principal assume the role; name the service (e.g. {"Service": "ecs-tasks.amazonaws.com"}) or account that assumes it',
          'inlinePolicies[0].policy Statement[0] allows "*", every action of every service; list the actions the role calls',
          'managedPolicyArns[0] "arn:aws:iam::aws:policy/AdministratorAccess" grants (nearly) every action in the account; never attach it: grant the few actions the role calls in an inline role policy',
        ],
      ],
      [
        res(T.role, "prod-not-principal", {
          assumeRolePolicy: doc({
            Effect: "Allow",
            NotPrincipal: { Service: "ec2.amazonaws.com" },
            Action: "sts:AssumeRole",
          }),
        }),
        [
          'assumeRolePolicy Statement[0] lets every principal but those listed (NotPrincipal) assume the role; name the service (e.g. {"Service": "ecs-tasks.amazonaws.com"}) or account that assumes it',
        ],
      ],
    ],
  },
  {
    rule: "ecs-services-blue-green-rollback",
    passing: [goodService(), goodService({ deploymentController: { type: "ECS" } })],
    failing: [
      [
        res(T.ecsService, "prod-bare", { cluster: "prod", taskDefinition: "prod-api:1" }),
        [
          "deploymentCircuitBreaker is not set; set { enable: true, rollback: true }, so a revision whose tasks fail to start rolls back",
          "alarms is not set; set { alarmNames: [...], enable: true, rollback: true }, so a revision that raises the service's alarms rolls back",
          'deploymentConfiguration.strategy is not set; set "BLUE_GREEN", so a release is tested on the test listener before traffic moves',
          "loadBalancers is not set; attach the service's target group with its advancedConfiguration (alternate target group, production and test listener rules)",
          `deploymentConfiguration.lifecycleHooks has no hook at POST_TEST_TRAFFIC_SHIFT; ${PRE_HOOK}`,
          `deploymentConfiguration.lifecycleHooks has no hook at POST_PRODUCTION_TRAFFIC_SHIFT; ${POST_HOOK}`,
        ],
      ],
      [
        goodService({
          deploymentCircuitBreaker: { enable: true, rollback: false },
          alarms: { alarmNames: [], enable: true, rollback: true },
        }),
        [
          'deploymentCircuitBreaker is {"enable":true,"rollback":false}; set { enable: true, rollback: true }, so a revision whose tasks fail to start rolls back',
          "alarms.alarmNames is empty; name the service's CloudWatch alarms (its target and load balancer 5xx) that roll a deployment back",
        ],
      ],
      [
        goodService({
          alarms: { alarmNames: ["prod-api-elb-5xx"], enable: true, rollback: false },
          deploymentController: { type: "CODE_DEPLOY" },
          deploymentConfiguration: { strategy: "ROLLING" },
        }),
        [
          'alarms is {"alarmNames":["prod-api-elb-5xx"],"enable":true,"rollback":false}; set { alarmNames: [...], enable: true, rollback: true }, so a revision that raises the service\'s alarms rolls back',
          'deploymentController.type is "CODE_DEPLOY"; leave it unset (ECS): ECS\'s own blue/green runs only under the ECS controller',
          'deploymentConfiguration.strategy is "ROLLING"; set "BLUE_GREEN", so a release is tested on the test listener before traffic moves',
          `deploymentConfiguration.lifecycleHooks has no hook at POST_TEST_TRAFFIC_SHIFT; ${PRE_HOOK}`,
          `deploymentConfiguration.lifecycleHooks has no hook at POST_PRODUCTION_TRAFFIC_SHIFT; ${POST_HOOK}`,
        ],
      ],
      [
        goodService({
          loadBalancers: [
            { targetGroupArn: "tg-blue", containerName: "app", containerPort: 5000 },
            {
              targetGroupArn: "tg-blue",
              containerName: "app",
              containerPort: 5000,
              advancedConfiguration: {
                alternateTargetGroupArn: "tg-blue",
                productionListenerRule: "rule-80",
                testListenerRule: "rule-8080",
                roleArn: "role",
              },
            },
            {
              targetGroupArn: "tg-blue",
              containerName: "app",
              containerPort: 5000,
              advancedConfiguration: {
                alternateTargetGroupArn: "tg-green",
                productionListenerRule: "rule-80",
                roleArn: "role",
              },
            },
          ],
        }),
        [
          "loadBalancers[0].advancedConfiguration has no alternateTargetGroupArn, productionListenerRule, testListenerRule, roleArn; blue/green needs the alternate target group, the production and test listener rules and the role ECS moves traffic with",
          'loadBalancers[1].advancedConfiguration.alternateTargetGroupArn is the live target group "tg-blue"; use the service\'s other target group',
          "loadBalancers[2].advancedConfiguration has no testListenerRule; blue/green needs the alternate target group, the production and test listener rules and the role ECS moves traffic with",
        ],
      ],
      [
        goodService({
          deploymentConfiguration: {
            strategy: "BLUE_GREEN",
            bakeTimeInMinutes: "10",
            lifecycleHooks: [
              { hookTargetArn: "fn", lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"] },
              { hookTargetArn: "fn", roleArn: "role", lifecycleStages: ["PRE_SCALE_UP"] },
            ],
          },
        }),
        [
          'the POST_TEST_TRAFFIC_SHIFT lifecycle hook has hookTargetArn "fn" and roleArn not set; set the hook function and the role ECS invokes it with',
          `deploymentConfiguration.lifecycleHooks has no hook at POST_PRODUCTION_TRAFFIC_SHIFT; ${POST_HOOK}`,
        ],
      ],
    ],
  },
  {
    rule: "ecs-capacity-managed",
    passing: [goodGroup(), goodCapacityProvider()],
    failing: [
      [
        goodGroup({
          protectFromScaleIn: false,
          vpcZoneIdentifiers: ["subnet-a", "subnet-a", "subnet-b"],
          tags: [{ key: "Name", value: "prod-app", propagateAtLaunch: true }],
        }),
        [
          "protectFromScaleIn is false; set true: the capacity provider's managed termination protection needs it",
          "vpcZoneIdentifiers lists 2 subnets; list the private subnet of each of the 3 zones, so a zone outage leaves capacity",
          ECS_TAG,
        ],
      ],
      [
        res(T.autoScalingGroup, "prod-bare", {
          availabilityZones: ["us-east-1a"],
          minSize: 1,
          maxSize: 1,
          tags: [{ key: "AmazonECSManaged", value: "", propagateAtLaunch: false }],
        }),
        [
          "protectFromScaleIn is not set; set true: the capacity provider's managed termination protection needs it",
          "vpcZoneIdentifiers lists 0 subnets; list the private subnet of each of the 3 zones, so a zone outage leaves capacity",
          ECS_TAG,
        ],
      ],
      [
        goodCapacityProvider({
          managedTerminationProtection: "DISABLED",
          managedScaling: { status: "DISABLED", targetCapacity: 100 },
        }),
        [
          'autoScalingGroupProvider.managedScaling.status is "DISABLED"; set "ENABLED", so the group grows and shrinks with the tasks ECS has to place',
          'autoScalingGroupProvider.managedTerminationProtection is "DISABLED"; set "ENABLED", so scale-in never stops an instance that still runs tasks',
        ],
      ],
      [
        goodCapacityProvider({
          managedTerminationProtection: undefined,
          managedScaling: undefined,
        }),
        [
          'autoScalingGroupProvider.managedScaling.status is not set; set "ENABLED", so the group grows and shrinks with the tasks ECS has to place',
          'autoScalingGroupProvider.managedTerminationProtection is not set; set "ENABLED", so scale-in never stops an instance that still runs tasks',
        ],
      ],
    ],
  },
  {
    rule: "ecs-task-definitions",
    passing: [
      taskDefinition([appContainer()]),
      // The tests task definition: container "tests", no port mappings.
      taskDefinition(
        [appContainer({ name: "tests", portMappings: undefined, command: ["ci-test", "live"] })],
        {},
        "prod-api-tests",
      ),
      taskDefinition([
        appContainer({
          memory: undefined,
          memoryReservation: 256,
          secrets: [{ name: "DB_PASSWORD", valueFrom: SECRET }],
        }),
      ]),
      // The policy SDK may hand the definitions over unrendered.
      res(T.taskDefinition, "prod-api", {
        family: "prod-api",
        containerDefinitions: [appContainer()],
      }),
    ],
    failing: [
      [
        taskDefinition([appContainer()], {
          taskRoleArn: "arn:aws:iam::123456789012:role/prod-api-task",
        }),
        [
          'taskRoleArn is "arn:aws:iam::123456789012:role/prod-api-task"; remove it (the execution role pulls the image and writes the logs), or add family prod-api to TASK_ROLE_FAMILIES with the AWS access its app needs',
        ],
      ],
      [
        taskDefinition(
          [
            appContainer({
              memory: undefined,
              logConfiguration: undefined,
              environment: [
                { name: "APP_ENV", value: "production" },
                { name: "DB_PASSWORD", value: "hunter2" },
              ],
            }),
          ],
          { networkMode: "host" },
        ),
        [
          'networkMode is "host"; use "bridge": on the host\'s network containers reach the instance metadata, and its role\'s credentials, despite hop limit 1',
          "containerDefinitions[0] (app) memory is not set; set a limit in MiB (the catalog's memory)",
          'containerDefinitions[0] (app) logConfiguration.logDriver is not set; log to CloudWatch with "awslogs" and the stack\'s log group (kept logRetentionDays)',
          "containerDefinitions[0] (app) environment[1] sets DB_PASSWORD in plain text; pass it in secrets as { name, valueFrom: <Secrets Manager ARN> }",
        ],
      ],
      [
        taskDefinition([appContainer({ logConfiguration: { logDriver: "json-file" } })]),
        [
          'containerDefinitions[0] (app) logConfiguration.logDriver is "json-file"; log to CloudWatch with "awslogs" and the stack\'s log group (kept logRetentionDays)',
        ],
      ],
      [
        // The offline plan masks the whole string when a secret was rendered into it.
        res(T.taskDefinition, "prod-api", { family: "prod-api", containerDefinitions: "[secret]" }),
        [
          "containerDefinitions is a secret, so a secret was rendered into it, where anyone who may describe task definitions reads it; pass secrets as secrets[].valueFrom (Secrets Manager) and repositoryCredentials",
        ],
      ],
      [
        res(T.taskDefinition, "prod-api", { family: "prod-api", containerDefinitions: "[{" }),
        ["containerDefinitions is not JSON; render it with JSON.stringify"],
      ],
    ],
  },
  {
    rule: "secrets-not-plain",
    passing: [
      goodContainer({ envs: "[secret]" }),
      goodContainer({ envs: ["LOG_LEVEL=info", "[secret]"] }),
      res("command:local:Command", "c", { environment: { ADMIN_PASSWORD: "[secret]" } }),
      res("pulumi:providers:aws", "aws", { skipCredentialsValidation: "false" }),
      res("x:y:Z", "cert", { tlsCert: "-----BEGIN CERTIFICATE-----\nMIIB\n" }),
      goodInstance(),
      res(T.secretVersion, "prod-registry-credentials", {
        secretId: SECRET,
        secretString: "[secret]",
      }),
      // The registry credentials' ARN is no secret; the definitions are rendered JSON anyway.
      taskDefinition([appContainer()]),
    ],
    failing: [
      [
        res(T.secretVersion, "prod-registry-credentials", {
          secretId: SECRET,
          secretString: '{"username":"deploy","password":"pw"}',
        }),
        [
          "inputs.secretString looks secret but is plain text; pass it as a secret (pulumi.secret, config.requireSecret)",
        ],
      ],
      [
        goodContainer({ envs: ["LOG_LEVEL=info", "REGISTRY_HTTP_SECRET=abc"] }),
        ["inputs.envs[1] sets REGISTRY_HTTP_SECRET in plain text; pass the whole list as a secret"],
      ],
      [
        res("command:local:Command", "c", { environment: { ADMIN_PASSWORD: "hunter2" } }),
        [
          "inputs.environment.ADMIN_PASSWORD looks secret but is plain text; pass it as a secret (pulumi.secret, config.requireSecret)",
        ],
      ],
      [
        res("x:y:Z", "key", { content: "-----BEGIN EC PRIVATE KEY-----\nMHc\n" }),
        ["inputs.content holds a private key in plain text; pass it as a secret"],
      ],
      [
        res("pulumi:providers:docker", "d", {
          registryAuth: [{ address: "r:5443", username: "ci", password: "pw" }],
        }),
        [
          "inputs.registryAuth[0].password looks secret but is plain text; pass it as a secret (pulumi.secret, config.requireSecret)",
        ],
      ],
    ],
  },
])("rule $rule", ({ rule, passing, failing }) => {
  it("is a known rule", () => {
    expect(RULES.map((r) => r.name)).toContain(rule);
  });

  it.each(passing.map((r) => [`${r.type} ${r.name}`, r] as const))("passes %s", (_, r) => {
    expect(messages(rule, r)).toEqual([]);
  });

  it.each(failing.map(([r, m]) => [`${r.type} ${r.name}`, r, m] as const))(
    "fails %s",
    (_, r, expected) => {
      expect(messages(rule, r)).toEqual(expected);
    },
  );
});

describe("helpers", () => {
  it.each([
    ["mongo:7.0", undefined],
    ["registry.example.com:5443/team/api:1.4.2", undefined],
    [
      "registry.example.com:5443/team/api",
      '"registry.example.com:5443/team/api" has no tag, so it pulls latest',
    ],
    ["api", '"api" has no tag, so it pulls latest'],
    ["api:latest", '"api:latest" is on latest'],
    ["api@sha256:0a1b2c", undefined],
  ])("image %s", (ref, problem) => {
    expect(imageReferenceProblem(ref)).toBe(problem);
  });

  it.each([
    ["jenkinsAdminPassword", true],
    ["REGISTRY_HTTP_SECRET", true],
    ["REGISTRY_TLS_KEY", true],
    ["privateKey", true],
    ["sshPrivateKeyPem", true],
    ["secretString", true],
    ["apiToken", true],
    ["registryHtpasswd", true],
    ["httpTokens", false],
    ["passwordFile", false],
    ["skipCredentialsValidation", false],
    ["keyName", false],
    ["kmsKeyId", false],
    ["keepTags", false],
  ])("secret name %s is %s", (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });

  it("passes a production estate in the shapes the ECS components declare", () => {
    const estate = [
      goodTemplate(),
      goodGroup(),
      goodCapacityProvider(),
      goodService(),
      taskDefinition([appContainer()]),
      taskDefinition(
        [appContainer({ name: "tests", portMappings: undefined, command: ["ci-test", "live"] })],
        {},
        "prod-api-tests",
      ),
      res(T.role, "prod-host", { assumeRolePolicy: trust("ec2.amazonaws.com") }),
      attachment("arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"),
      res(T.role, "prod-task-execution", { assumeRolePolicy: trust("ecs-tasks.amazonaws.com") }),
      rolePolicy("prod-task-execution", {
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: SECRET,
      }),
      res(T.secretVersion, "prod-registry-credentials", {
        secretId: SECRET,
        secretString: "[secret]",
      }),
      ingress("prod-api-lb-80-0", { cidrIpv4: "0.0.0.0/0", fromPort: 80, toPort: 80 }),
      ingress("prod-api-lb-test-admin", {
        cidrIpv4: "10.255.0.0/24",
        fromPort: 8080,
        toPort: 8080,
      }),
      ingress("prod-api-hosts-from-lb-blue", {
        referencedSecurityGroupId: "sg-lb",
        fromPort: 6060,
        toPort: 6060,
      }),
      res(T.subnet, "prod-private-us-east-1a", { mapPublicIpOnLaunch: false }),
    ];
    expect(formatViolations(checkResources(estate))).toBe("");
  });

  it("names a rule for every violation and reports resources in order", () => {
    const violations = checkResources([
      goodContainer({ privileged: true }),
      res(T.dockerVolume, "data", {}),
    ]);
    expect(violations.map((v) => `${v.rule} ${v.name}`)).toEqual([
      "no-privileged-containers api",
      "stateful-resources-protected data",
    ]);
  });
});
