import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../tools/plan/evaluate";
import { evaluateStack, findResource, resourceList } from "./mocks";

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];

describe("production stack under mocks, with Pulumi.production.yaml", () => {
  let plan: Evaluation;
  beforeAll(async () => {
    plan = await evaluateStack("production");
  });

  it("declares exactly the VPC, its DHCP options and a public and private subnet per zone", () => {
    expect(resourceList(plan)).toEqual(
      [
        "pulumi:providers:aws aws",
        "ciplatform:aws:ProductionNetwork production",
        "aws:ec2/vpc:Vpc production-vpc",
        "aws:ec2/vpcDhcpOptions:VpcDhcpOptions production-dhcp",
        "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation production-dhcp-association",
        ...ZONES.flatMap((z) => [
          `aws:ec2/subnet:Subnet production-public-${z}`,
          `aws:ec2/subnet:Subnet production-private-${z}`,
        ]),
      ].sort(),
    );
    expect(resourceList(plan).some((r) => r.startsWith("docker:"))).toBe(false);
  });

  it("puts the region domain in the hosts' resolver search path", () => {
    expect(
      findResource(plan, "aws:ec2/vpcDhcpOptions:VpcDhcpOptions", "production-dhcp").inputs,
    ).toMatchObject({
      domainName: "us-east-1.example.com",
      domainNameServers: ["AmazonProvidedDNS"],
    });
  });

  it("splits the VPC into non-overlapping subnets, one pair per zone", () => {
    expect(findResource(plan, "aws:ec2/vpc:Vpc", "production-vpc").inputs["cidrBlock"]).toBe(
      "10.20.0.0/16",
    );
    const subnets = ZONES.map((z) => [
      findResource(plan, "aws:ec2/subnet:Subnet", `production-public-${z}`).inputs,
      findResource(plan, "aws:ec2/subnet:Subnet", `production-private-${z}`).inputs,
    ]);
    expect(
      subnets.map(([pub, priv]) => [
        pub!["cidrBlock"],
        priv!["cidrBlock"],
        pub!["availabilityZone"],
      ]),
    ).toEqual([
      ["10.20.0.0/20", "10.20.128.0/20", "us-east-1a"],
      ["10.20.16.0/20", "10.20.144.0/20", "us-east-1b"],
      ["10.20.32.0/20", "10.20.160.0/20", "us-east-1c"],
    ]);
  });

  it("uses the explicit aws provider for the region, tagging everything with the environment", () => {
    expect(findResource(plan, "pulumi:providers:aws", "aws").inputs).toMatchObject({
      region: "us-east-1",
      defaultTags: { tags: { "ci-platform:environment": "production", "managed-by": "pulumi" } },
    });
    expect(findResource(plan, "aws:ec2/vpc:Vpc", "production-vpc").provider).toBe("aws");
  });

  it("exports each service's host port and regional DNS name, with its version's stack", () => {
    expect(plan.outputs["services"]).toMatchObject({
      api: { hostPort: 5060, dnsName: "api.us-east-1.example.com" },
      users: { dnsName: "users.us-east-1.example.com" },
    });
  });
});
