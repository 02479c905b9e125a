import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../tools/plan/evaluate";
import { evaluateStack, findResource, resourceList } from "./mocks";

describe("staging stack under mocks, with Pulumi.staging.yaml", () => {
  let plan: Evaluation;
  beforeAll(async () => {
    plan = await evaluateStack("staging");
  });

  it("reaches its CI host's engine over SSH, without a password prompt", () => {
    const provider = findResource(plan, "pulumi:providers:docker", "ci-staging-1-docker");
    expect(provider.inputs).toMatchObject({
      host: "ssh://deploy@ci-staging-1.example.com",
      sshOpts: ["-o", "BatchMode=yes", "-p", "22"],
    });
  });

  it("declares the same sets as testing, under its own host and container names", () => {
    const containers = resourceList(plan).filter((r) =>
      r.startsWith("docker:index/container:Container"),
    );
    expect(containers).toHaveLength(3 + 8 + 1);
    expect(containers.every((c) => c.includes(" ci-staging-1-"))).toBe(true);
    const names = plan.resources
      .filter((r) => r.type === "docker:index/container:Container")
      .map((r) => r.inputs["name"] as string);
    expect(names.every((n) => n.startsWith("staging-"))).toBe(true);
  });

  it("uses its configured backend subnet and a resolver inside it", () => {
    const network = findResource(
      plan,
      "docker:index/network:Network",
      "ci-staging-1-prodlike-network",
    );
    expect(network.inputs["ipamConfigs"]).toEqual([
      { gateway: "172.19.0.1", subnet: "172.19.0.0/16" },
    ]);
    const dnsmasq = findResource(
      plan,
      "docker:index/container:Container",
      "ci-staging-1-prodlike-dns-dnsmasq",
    );
    expect(dnsmasq.inputs["networksAdvanced"]).toEqual([
      { ipv4Address: "172.19.0.2", name: "staging-backend" },
    ]);
  });
});
