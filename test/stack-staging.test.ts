import { beforeAll, describe, expect, it } from "vitest";
import type { Evaluation } from "../lib/evaluate";
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
    const containers = resourceList(plan).filter(
      (r) => r.startsWith("docker:index/container:Container") && r.includes(" ci-staging-1-"),
    );
    // dev-minimal, production-like nodes, resolver, release proxy
    expect(containers).toHaveLength(3 + 8 + 1 + 1);
    const names = plan.resources
      .filter((r) => r.type === "docker:index/container:Container")
      .map((r) => r.inputs["name"] as string);
    expect(names.every((n) => n.startsWith("staging-"))).toBe(true);
  });

  it("runs the private registry behind nginx on the staging host, with protected storage", () => {
    expect(resourceList(plan).filter((r) => / registry(-|$)/.test(r))).toEqual(
      [
        "ciplatform:registry:PrivateRegistry registry",
        "docker:index/network:Network registry-back",
        "docker:index/network:Network registry-front",
        "docker:index/volume:Volume registry-storage",
        "docker:index/container:Container registry-registry",
        "docker:index/container:Container registry-nginx",
        // The containers' PIDs limits, which the docker provider has no input for.
        "command:remote:Command registry-registry-pids",
        "command:remote:Command registry-nginx-pids",
      ].sort(),
    );
    expect(findResource(plan, "docker:index/volume:Volume", "registry-storage")).toMatchObject({
      protect: true,
      retainOnDelete: true,
      provider: "ci-staging-1-docker",
    });
    const registry = findResource(plan, "docker:index/container:Container", "registry-registry");
    expect(registry.inputs["ports"]).toBeUndefined();
    expect(registry.inputs["networksAdvanced"]).toEqual([
      { aliases: ["registry"], name: "staging-registry-back" },
    ]);
    expect(
      findResource(plan, "docker:index/network:Network", "registry-back").inputs["internal"],
    ).toBe(true);
  });

  it("publishes only nginx, on an explicit address, with the reviewed config visible and secrets masked", () => {
    const nginx = findResource(plan, "docker:index/container:Container", "registry-nginx");
    expect(nginx.inputs["ports"]).toEqual([
      { external: 5443, internal: 443, ip: "0.0.0.0", protocol: "tcp" },
    ]);
    expect(nginx.inputs["envs"]).toBe("[secret]");
    const [conf, cert] = nginx.inputs["uploads"] as { file: string; content: string }[];
    expect(conf?.file).toBe("/etc/ci-platform/nginx.conf");
    for (const line of [
      "server_tokens off;",
      "ssl_protocols TLSv1.2 TLSv1.3;",
      "client_max_body_size 0;",
      "chunked_transfer_encoding on;",
      "add_header Docker-Distribution-Api-Version $docker_distribution_api_version always;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header Host $http_host;",
      "proxy_read_timeout 900s;",
      'auth_basic "registry";',
      "limit_req zone=registry_auth burst=200 nodelay;",
      'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;',
      "error_page 497 =301 https://$host:5443$request_uri;",
      "jenkins push;",
      "deploy pull;",
      "prune delete;",
      "auth_request /_registry/access;",
    ]) {
      expect(conf?.content).toContain(line);
    }
    expect(cert?.content).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const json = JSON.stringify(plan.resources);
    expect(json).not.toContain("offline-plan-secret");
    expect(json).not.toContain("PRIVATE KEY");
  });

  it("makes the staging host's engine trust the registry's CA", () => {
    const prep = findResource(plan, "command:remote:Command", "ci-staging-1-prep-daemon-json");
    expect(prep.inputs["create"]).toContain(
      "REGISTRY_CA_PATH='/etc/docker/certs.d/registry.example.com:5443/ca.crt'",
    );
    // The command provider treats connection details as secret: the plan masks them whole.
    expect(prep.inputs["connection"]).toBe("[secret]");
  });

  it("exports the registry URL and the CA to trust", () => {
    expect(plan.outputs["registry"]).toMatchObject({ url: "https://registry.example.com:5443" });
    expect((plan.outputs["registry"] as { caCert: string }).caCert).toMatch(
      /^-----BEGIN CERTIFICATE-----/,
    );
  });

  it("uses its configured backend subnet and a resolver inside it", () => {
    const network = findResource(
      plan,
      "docker:index/network:Network",
      "ci-staging-1-prodlike-network",
    );
    expect(network.inputs["ipamConfigs"]).toEqual([
      { gateway: "172.19.0.1", ipRange: "172.19.128.0/17", subnet: "172.19.0.0/16" },
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
