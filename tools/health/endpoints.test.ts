import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  SERVICE_CATALOG,
  type AppEntry,
  type CatalogEntry,
} from "../../components/catalog/catalog";
import {
  ciHostAddress,
  endpointsFromDocument,
  endpointsFromMap,
  endpointsFromOutputs,
  type Endpoint,
} from "./endpoints";

const app = (name: string, healthPath: string): AppEntry => ({
  kind: "app",
  name,
  repository: "r",
  branch: "main",
  dependsOn: [],
  healthPath,
  memoryMb: 64,
  cpus: "0.5",
  pidsLimit: 64,
});
const catalog: CatalogEntry[] = [app("api", "/health"), app("auth", "/healthz")];

const services = {
  auth: { hostPort: 5523, dnsName: "auth.us-east-1.example.com" },
  api: { hostPort: 5060, dnsName: "api.us-east-1.example.com" },
};
const ciHost = (dockerHost: string) => ({
  dockerHost,
  devEndpoints: { redis: "127.0.0.1:6379" },
  nodeEndpoints: {},
});

describe("endpointsFromOutputs", () => {
  it.each<[string, Record<string, unknown>, Endpoint[]]>([
    [
      "a local engine (unix://): 127.0.0.1 and the host port",
      {
        kind: "ci-host",
        services,
        ciHosts: { "ci-testing-1": ciHost("unix:///var/run/docker.sock") },
      },
      [
        { service: "api", url: "http://127.0.0.1:5060/health" },
        { service: "auth", url: "http://127.0.0.1:5523/healthz" },
      ],
    ],
    [
      "an ssh:// engine: the SSH host's name, the app's port (not SSH's)",
      {
        kind: "ci-host",
        services,
        ciHosts: { "ci-staging-1": ciHost("ssh://deploy@ci-staging-1.example.com:2222") },
      },
      [
        { service: "api", url: "http://ci-staging-1.example.com:5060/health" },
        { service: "auth", url: "http://ci-staging-1.example.com:5523/healthz" },
      ],
    ],
    [
      "several CI hosts: every app on every host, named <app>@<host>",
      {
        kind: "ci-host",
        services: { api: services.api },
        ciHosts: {
          "ci-2": ciHost("ssh://deploy@10.0.0.7"),
          "ci-1": ciHost("unix:///run/docker.sock"),
        },
      },
      [
        { service: "api@ci-1", url: "http://127.0.0.1:5060/health" },
        { service: "api@ci-2", url: "http://10.0.0.7:5060/health" },
      ],
    ],
    [
      "production (aws): the service's DNS name, through its load balancer on port 80",
      {
        kind: "aws",
        services: {
          api: { ...services.api, loadBalancer: "prod-api-alb.elb.amazonaws.com" },
          auth: { ...services.auth, loadBalancer: "prod-auth-alb.elb.amazonaws.com" },
        },
        vpcId: "vpc-1",
      },
      [
        { service: "api", url: "http://api.us-east-1.example.com/health" },
        { service: "auth", url: "http://auth.us-east-1.example.com/healthz" },
      ],
    ],
    [
      "no kind: ciHosts means a CI host stack",
      { services: { api: services.api }, ciHosts: { h: ciHost("unix:///s.sock") } },
      [{ service: "api", url: "http://127.0.0.1:5060/health" }],
    ],
    [
      "an app the catalog does not know: the default /health",
      { kind: "aws", services: { newapp: { hostPort: 5100, dnsName: "newapp.example.com" } } },
      [{ service: "newapp", url: "http://newapp.example.com/health" }],
    ],
  ])("%s", (_name, outputs, expected) => {
    expect(endpointsFromOutputs(outputs, catalog)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      "no services",
      { kind: "aws", services: {} },
      "outputs.services: expected { <app>: { hostPort, dnsName } }, found none",
    ],
    [
      "a service without a host port",
      { kind: "aws", services: { api: { dnsName: "api.example.com" } } },
      'outputs.services.api: {"dnsName":"api.example.com"} lacks a whole-number hostPort and a dnsName',
    ],
    [
      "an unknown kind",
      { kind: "gcp", services },
      'outputs.kind: "gcp" is not a stack kind; expected "ci-host" or "aws"',
    ],
    [
      "a ci-host stack without hosts",
      { kind: "ci-host", services, ciHosts: {} },
      "outputs.ciHosts: a ci-host stack's outputs list no CI hosts",
    ],
    [
      "a docker host that is not a Docker host URL",
      { kind: "ci-host", services, ciHosts: { "ci-1": ciHost("tcp://10.0.0.5:2375") } },
      'outputs.ciHosts.ci-1.dockerHost: "tcp://10.0.0.5:2375" is not a Docker host URL; expected unix:///path or ssh://user@host[:port]',
    ],
  ])("fails on %s", (_name, outputs, message) => {
    expect(() => endpointsFromOutputs(outputs, catalog)).toThrow(message);
  });

  it("derives the testing stack's 25 apps from the real catalog, one URL each", () => {
    const apps = SERVICE_CATALOG.filter((e) => e.kind === "app");
    const outputs = {
      kind: "ci-host",
      services: Object.fromEntries(
        apps.map((a, i) => [a.name, { hostPort: 5001 + i, dnsName: `${a.name}.example.com` }]),
      ),
      ciHosts: { "ci-testing-1": ciHost("unix:///var/run/docker.sock") },
    };
    const endpoints = endpointsFromOutputs(outputs, SERVICE_CATALOG);
    expect(endpoints).toHaveLength(25);
    expect(endpoints[0]).toEqual({ service: "admin", url: "http://127.0.0.1:5002/health" });
  });

  it("gives every (app, host) pair exactly one endpoint, sorted, with unique names and URLs", () => {
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(names, names, (apps, hosts) => {
        const outputs = {
          kind: "ci-host",
          services: Object.fromEntries(
            apps.map((a, i) => [a, { hostPort: 5001 + i, dnsName: `${a}.example.com` }]),
          ),
          ciHosts: Object.fromEntries(
            hosts.map((h) => [h, ciHost(`ssh://deploy@${h}.example.com`)]),
          ),
        };
        const endpoints = endpointsFromOutputs(outputs, []);
        expect(endpoints).toHaveLength(apps.length * hosts.length);
        expect(new Set(endpoints.map((e) => e.service)).size).toBe(endpoints.length);
        expect(new Set(endpoints.map((e) => e.url)).size).toBe(endpoints.length);
        const sorted = [...endpoints.map((e) => e.service)].sort();
        expect(endpoints.map((e) => e.service)).toEqual(sorted);
      }),
    );
  });
});

describe("ciHostAddress", () => {
  it.each([
    ["unix:///var/run/docker.sock", "127.0.0.1"],
    ["ssh://deploy@ci-2.example.com", "ci-2.example.com"],
    ["ssh://deploy@10.0.0.7:2222", "10.0.0.7"],
  ])("%s -> %s", (dockerHost, address) => {
    expect(ciHostAddress("h", { dockerHost })).toBe(address);
  });
});

describe("endpointsFromDocument", () => {
  it("reads a flat { service: url } file, sorted by service", () => {
    expect(
      endpointsFromDocument(
        { web: "http://127.0.0.1:8080/health", api: "https://api.example.com/healthz" },
        catalog,
      ),
    ).toEqual([
      { service: "api", url: "https://api.example.com/healthz" },
      { service: "web", url: "http://127.0.0.1:8080/health" },
    ]);
  });

  it("reads stack outputs, and a whole plan document by its outputs", () => {
    const outputs = { kind: "aws", services: { api: services.api } };
    const expected = [{ service: "api", url: "http://api.us-east-1.example.com/health" }];
    expect(endpointsFromDocument(outputs, catalog)).toEqual(expected);
    expect(endpointsFromDocument({ stack: "production", resources: [], outputs }, catalog)).toEqual(
      expected,
    );
  });

  it.each<[string, unknown, string]>([
    [
      "a JSON array",
      ["http://x/health"],
      'endpoints: expected a JSON object: { "<service>": "http://host:port/health" } or stack outputs',
    ],
    ["an empty map", {}, "endpoints: the file lists no services"],
    [
      "a URL that is not http(s)",
      { api: "ftp://x/health" },
      'endpoints.api: "ftp://x/health" is not an http(s) URL; use "http://host:port/health"',
    ],
    [
      "a value that is not a string",
      { api: 5060 },
      'endpoints.api: 5060 is not an http(s) URL; use "http://host:port/health"',
    ],
  ])("fails on %s", (_name, doc, message) => {
    expect(() => endpointsFromDocument(doc, catalog)).toThrow(message);
  });

  it("keeps two services on the same URL apart", () => {
    expect(endpointsFromMap({ b: "http://h/health", a: "http://h/health" })).toEqual([
      { service: "a", url: "http://h/health" },
      { service: "b", url: "http://h/health" },
    ]);
  });
});
