import { describe, expect, it } from "vitest";
import {
  checkResources,
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
    passing: [goodContainer(), goodContainer({ privileged: undefined })],
    failing: [
      [
        goodContainer({ privileged: true }),
        ["runs privileged; remove privileged and add only the capabilities it needs"],
      ],
    ],
  },
  {
    rule: "containers-pids-cpu-readonly-network",
    passing: [
      goodContainer(),
      goodContainer({ cpus: "1.0", tmpfs: { "/tmp": "size=64m" } }),
      // The allow-list: uploads (Docker refuses to copy them into a read-only rootfs), slots.
      goodContainer({ readOnly: undefined, uploads: [{ file: "/etc/x.conf", content: "x" }] }),
      goodContainer({ readOnly: false, ...labelled(["ci-platform.slot", "blue"]) }),
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
    rule: "secrets-not-plain",
    passing: [
      goodContainer({ envs: "[secret]" }),
      goodContainer({ envs: ["LOG_LEVEL=info", "[secret]"] }),
      res("command:local:Command", "c", { environment: { ADMIN_PASSWORD: "[secret]" } }),
      res("pulumi:providers:aws", "aws", { skipCredentialsValidation: "false" }),
      res("x:y:Z", "cert", { tlsCert: "-----BEGIN CERTIFICATE-----\nMIIB\n" }),
      goodInstance(),
    ],
    failing: [
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
