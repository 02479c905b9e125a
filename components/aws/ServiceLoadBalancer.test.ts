/**
 * One service's load balancer under mocks, on its own: the HTTPS variant the committed production
 * file does not use, and where each listener's traffic may come from.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_CATALOG, type AppEntry } from "../catalog/catalog";
import type { StackApp } from "../config/types";
import { slotPorts } from "../model/slots";
import { evaluateProgram, type Evaluation, type PlannedResource } from "../../lib/evaluate";
import { ServiceLoadBalancer } from "./ServiceLoadBalancer";

const CERTIFICATE =
  "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const LISTENER = "aws:lb/listener:Listener";
const RULE = "aws:lb/listenerRule:ListenerRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const GROUP = "aws:lb/targetGroup:TargetGroup";

const api: StackApp = {
  ...SERVICE_CATALOG.find((e): e is AppEntry => e.name === "api")!,
  version: "1.4.2",
  hostPort: 5060,
  slotPorts: slotPorts(5060),
  liveSlot: "green",
  previousVersion: "1.4.1",
};

function balancer(certificateArn: string | undefined): Promise<Evaluation> {
  return evaluateProgram(
    { project: "ci-platform", config: {}, secretKeys: [], placeholderSecrets: [] },
    "production",
    () => {
      new ServiceLoadBalancer("prod-api", {
        app: api,
        vpcId: "vpc-1",
        publicSubnetIds: ["subnet-a", "subnet-b", "subnet-c"],
        hostSecurityGroupId: "sg-hosts",
        ingressCidrs: ["0.0.0.0/0"],
        testListenerPort: 8080,
        adminCidr: "10.255.0.0/24",
        natPublicIps: { "us-east-1a": pulumi.output("198.51.100.7") },
        certificateArn,
        accessLogsBucket: "logs",
      });
      return Promise.resolve({});
    },
  );
}

const find = (plan: Evaluation, type: string, name: string): PlannedResource => {
  const found = plan.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
};
const arn = (type: string, name: string): string => `arn:mock:${type}:${name}`;

describe("ServiceLoadBalancer with a certificate", () => {
  let plan: Evaluation;
  beforeAll(async () => {
    plan = await balancer(CERTIFICATE);
  });

  it("puts the production rule on 443 and redirects 80 to it", () => {
    expect(find(plan, LISTENER, "prod-api-https").inputs).toMatchObject({
      port: 443,
      protocol: "HTTPS",
      certificateArn: CERTIFICATE,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(find(plan, LISTENER, "prod-api-http").inputs["defaultActions"]).toEqual([
      { type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } },
    ]);
    expect(find(plan, RULE, "prod-api-production-rule").inputs["listenerArn"]).toBe(
      arn(LISTENER, "prod-api-https"),
    );
  });

  it("sends traffic first to the live slot's group, here green's", () => {
    expect(find(plan, RULE, "prod-api-production-rule").inputs["actions"]).toEqual([
      {
        type: "forward",
        forward: {
          targetGroups: [
            { arn: arn(GROUP, "prod-api-targets-green"), weight: 100 },
            { arn: arn(GROUP, "prod-api-targets-blue"), weight: 0 },
          ],
        },
      },
    ]);
    expect(find(plan, LISTENER, "prod-api-https").ignoreChanges).toEqual(["defaultActions"]);
  });

  it("lets the NAT address reach 443 (post-tests) and 8080 (pre-tests), the admin range 8080 only", () => {
    const sources = (port: number): string[] =>
      plan.resources
        .filter((r) => r.type === INGRESS && r.inputs["fromPort"] === port)
        .map((r) => String(r.inputs["cidrIpv4"] ?? r.inputs["referencedSecurityGroupId"]))
        .sort();
    expect(sources(443)).toEqual(["0.0.0.0/0", "198.51.100.7/32"]);
    expect(sources(80)).toEqual(["0.0.0.0/0"]);
    expect(sources(8080)).toEqual(["10.255.0.0/24", "198.51.100.7/32"]);
  });
});

describe("ServiceLoadBalancer without a certificate", () => {
  it("serves the production rule on 80, and has no 443 listener", async () => {
    const plan = await balancer(undefined);
    expect(plan.resources.filter((r) => r.type === LISTENER).map((r) => r.name)).toEqual([
      "prod-api-http",
      "prod-api-test",
    ]);
    expect(find(plan, RULE, "prod-api-production-rule").inputs["listenerArn"]).toBe(
      arn(LISTENER, "prod-api-http"),
    );
  });
});
