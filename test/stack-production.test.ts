/**
 * The production stack under mocks at full scale, with the real Pulumi.production.yaml:
 * 25 services x 2 hosts x 3 zones.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation, PlannedResource } from "../tools/plan/evaluate";
import { evaluateStack, findResource } from "./mocks";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const SERVICES = 25;
const HOSTS = 2 * ZONES.length;
const NODES = 8;

const ofType = (plan: Evaluation, type: string): PlannedResource[] =>
  plan.resources.filter((r) => r.type === type);

describe("production stack under mocks, with Pulumi.production.yaml", () => {
  let plan: Evaluation;
  beforeAll(async () => {
    plan = await evaluateStack("production");
  }, 60_000);

  it("declares the full estate: exact counts per resource type", () => {
    const counts = (type: string): number => ofType(plan, type).length;
    expect(counts("aws:ec2/instance:Instance")).toBe(HOSTS);
    expect(counts("aws:lb/loadBalancer:LoadBalancer")).toBe(SERVICES);
    expect(counts("aws:lb/targetGroup:TargetGroup")).toBe(SERVICES);
    expect(counts("aws:lb/listener:Listener")).toBe(SERVICES);
    expect(counts("aws:lb/targetGroupAttachment:TargetGroupAttachment")).toBe(SERVICES * HOSTS);
    expect(counts("aws:route53/record:Record")).toBe(SERVICES + NODES);
    expect(counts("docker:index/container:Container")).toBe(SERVICES * HOSTS);
    expect(counts("docker:index/remoteImage:RemoteImage")).toBe(SERVICES * HOSTS);
    expect(counts("pulumi:providers:docker")).toBe(HOSTS);
    expect(counts("aws:ec2/subnet:Subnet")).toBe(2 * ZONES.length);
    expect(counts("aws:ec2/natGateway:NatGateway")).toBe(ZONES.length);
    expect(counts("aws:ec2/flowLog:FlowLog")).toBe(1);
  });

  it("requires IMDSv2 with hop limit 1 and encrypted volumes on every instance and template", () => {
    for (const r of [
      ...ofType(plan, "aws:ec2/instance:Instance"),
      ...ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate"),
    ]) {
      expect(r.inputs["metadataOptions"], r.name).toMatchObject({
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
      });
    }
    for (const r of ofType(plan, "aws:ec2/instance:Instance")) {
      expect(r.inputs["rootBlockDevice"], r.name).toMatchObject({ encrypted: true });
    }
    for (const r of ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate")) {
      const [mapping] = r.inputs["blockDeviceMappings"] as { ebs: { encrypted: string } }[];
      expect(mapping?.ebs.encrypted).toBe("true");
    }
  });

  it("maps every listener's port 80 to its own service's host port", () => {
    const services = plan.outputs["services"] as Record<string, { hostPort: number }>;
    for (const listener of ofType(plan, "aws:lb/listener:Listener")) {
      const service = /^prod-(.+)-http$/.exec(listener.name)![1]!;
      expect(listener.inputs["port"]).toBe(80);
      const targets = findResource(
        plan,
        "aws:lb/targetGroup:TargetGroup",
        `prod-${service}-targets`,
      );
      expect(targets.inputs["port"]).toBe(services[service]!.hostPort);
      expect(listener.inputs["defaultActions"]).toEqual([
        {
          targetGroupArn: `arn:mock:aws:lb/targetGroup:TargetGroup:prod-${service}-targets`,
          type: "forward",
        },
      ]);
      expect(targets.inputs["healthCheck"]).toMatchObject({ path: "/health", matcher: "200" });
    }
    expect(new Set(Object.values(services).map((s) => s.hostPort)).size).toBe(SERVICES);
  });

  it("names every record <name>.<region>.<domain> in a protected private zone", () => {
    for (const record of ofType(plan, "aws:route53/record:Record")) {
      expect(record.inputs["name"]).toMatch(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.us-east-1\.example\.com$/,
      );
    }
    expect(
      findResource(plan, "aws:route53/record:Record", "prod-dns-mongodb-cluster-a-node-1").inputs,
    ).toMatchObject({
      name: "mongodb-cluster-a-node-1.us-east-1.example.com",
      records: ["10.20.192.11"],
    });
    expect(findResource(plan, "aws:route53/zone:Zone", "prod-dns-zone")).toMatchObject({
      protect: true,
      inputs: { name: "us-east-1.example.com" },
    });
  });

  it("opens nothing to 0.0.0.0/0 but the load balancers' listeners", () => {
    const open = ofType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
      (r) => r.inputs["cidrIpv4"] === "0.0.0.0/0",
    );
    expect(open).toHaveLength(SERVICES);
    for (const rule of open) {
      expect(rule.name).toMatch(/^prod-[a-z0-9-]+-lb-80-0$/);
      expect(rule.inputs).toMatchObject({ fromPort: 80, toPort: 80 });
    }
    const ssh = findResource(
      plan,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      "prod-hosts-ssh",
    );
    expect(ssh.inputs).toMatchObject({ fromPort: 22, cidrIpv4: "10.255.0.0/24" });
    const fromLb = findResource(
      plan,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      "prod-api-hosts-from-lb",
    );
    expect(fromLb.inputs).toMatchObject({
      fromPort: 5060,
      toPort: 5060,
      referencedSecurityGroupId: "prod-api-lb-id",
    });
  });

  it("runs each service's image at its configured version on every host, published on its host port", () => {
    const api = findResource(plan, "docker:index/container:Container", "prod-app-us-east-1b-2-api");
    expect(api.inputs).toMatchObject({
      name: "api",
      image: "registry.example.com:5443/api:1.4.2@sha256:mock",
      ports: [{ external: 5060, internal: 5000, ip: "0.0.0.0", protocol: "tcp" }],
      dnsSearches: ["us-east-1.example.com"],
      envs: ["APP_ENV=production"],
      restart: "unless-stopped",
    });
    expect(api.provider).toBe("prod-app-us-east-1b-2-docker");
    const provider = findResource(plan, "pulumi:providers:docker", "prod-app-us-east-1b-2-docker");
    expect(provider.inputs["sshOpts"]).toEqual([
      "-o",
      "BatchMode=yes",
      "-o",
      "ProxyJump=admin@bastion.us-east-1.example.com",
    ]);
    expect(provider.inputs["registryAuth"]).toBe("[secret]");
  });

  it("keeps the access-log bucket private, encrypted, versioned and protected", () => {
    expect(findResource(plan, "aws:s3/bucket:Bucket", "prod-lb-logs").protect).toBe(true);
    expect(
      findResource(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "prod-lb-logs")
        .inputs,
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      findResource(plan, "aws:s3/bucketVersioning:BucketVersioning", "prod-lb-logs").inputs,
    ).toMatchObject({
      versioningConfiguration: { status: "Enabled" },
    });
    for (const lb of ofType(plan, "aws:lb/loadBalancer:LoadBalancer")) {
      expect(lb.inputs["accessLogs"]).toMatchObject({ bucket: "prod-lb-logs", enabled: true });
    }
  });

  it("puts the region domain in the hosts' resolver search path", () => {
    expect(
      findResource(plan, "aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "prod-dhcp").inputs,
    ).toMatchObject({
      domainName: "us-east-1.example.com",
    });
  });
});
