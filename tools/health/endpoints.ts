/**
 * Which URL answers each service's health check: derived from a stack's outputs (the shape
 * `pulumi stack output --json` and the offline plan's `outputs` share), or read from a flat
 * `{ "<service>": "<url>" }` file. Pure: no I/O.
 */
import type { CatalogEntry } from "../../components/catalog/catalog";
import { parseDockerHost } from "../../components/config/validate";

/** One health check to run. */
export interface Endpoint {
  /** Unique display name: the app, or `<app>@<host>` when the stack has several CI hosts. */
  readonly service: string;
  /** Absolute http(s) URL a GET is sent to. */
  readonly url: string;
}

/** The health path used for an app the catalog does not know (outputs of a newer catalog). */
export const DEFAULT_HEALTH_PATH = "/health";

/** Sorted by service, then URL: the order every report uses. */
export function sortEndpoints<T extends Endpoint>(endpoints: readonly T[]): T[] {
  return [...endpoints].sort((a, b) => compare(a.service, b.service) || compare(a.url, b.url));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Endpoints from a parsed JSON document: a flat `{ service: url }` map, a stack's outputs
 * (`{ kind, services, ciHosts? }`), or a whole plan document (`{ outputs: {...} }`).
 * Throws with the field and the fix when the document is neither.
 */
export function endpointsFromDocument(doc: unknown, catalog: readonly CatalogEntry[]): Endpoint[] {
  if (!isRecord(doc)) {
    throw new Error(
      'endpoints: expected a JSON object: { "<service>": "http://host:port/health" } or stack outputs',
    );
  }
  if (isRecord(doc["outputs"]) && !("services" in doc)) {
    return endpointsFromOutputs(doc["outputs"], catalog);
  }
  if ("services" in doc) return endpointsFromOutputs(doc, catalog);
  return endpointsFromMap(doc);
}

/** A flat `{ service: url }` map; every value must be an http(s) URL. */
export function endpointsFromMap(map: Readonly<Record<string, unknown>>): Endpoint[] {
  const entries = Object.entries(map);
  if (entries.length === 0) throw new Error("endpoints: the file lists no services");
  return sortEndpoints(
    entries.map(([service, url]) => {
      if (typeof url !== "string" || !isHttpUrl(url)) {
        throw new Error(
          `endpoints.${service}: ${JSON.stringify(url)} is not an http(s) URL; use "http://host:port/health"`,
        );
      }
      return { service, url };
    }),
  );
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

interface ServiceOutput {
  readonly hostPort: number;
  readonly dnsName: string;
}

/**
 * Endpoints from a stack's outputs. Production (`kind: aws`): `http://<dnsName><healthPath>`,
 * through the service's load balancer on port 80. CI hosts (`kind: ci-host`): every app on every
 * host, `http://127.0.0.1:<hostPort><healthPath>` for a local engine (`unix://`), and
 * `http://<ssh host>:<hostPort><healthPath>` for an `ssh://` one.
 */
export function endpointsFromOutputs(
  outputs: Readonly<Record<string, unknown>>,
  catalog: readonly CatalogEntry[],
): Endpoint[] {
  const services = readServices(outputs["services"]);
  const healthPath = (app: string): string => {
    const entry = catalog.find((e) => e.kind === "app" && e.name === app);
    return entry?.kind === "app" ? entry.healthPath : DEFAULT_HEALTH_PATH;
  };
  const kind = outputs["kind"] ?? (outputs["ciHosts"] === undefined ? "aws" : "ci-host");
  if (kind === "aws") {
    return sortEndpoints(
      services.map(([app, s]) => ({ service: app, url: `http://${s.dnsName}${healthPath(app)}` })),
    );
  }
  if (kind !== "ci-host") {
    throw new Error(
      `outputs.kind: ${JSON.stringify(kind)} is not a stack kind; expected "ci-host" or "aws"`,
    );
  }
  const ciHosts = outputs["ciHosts"];
  if (!isRecord(ciHosts) || Object.keys(ciHosts).length === 0) {
    throw new Error("outputs.ciHosts: a ci-host stack's outputs list no CI hosts");
  }
  const hosts = Object.entries(ciHosts).map(([name, value]) => [name, ciHostAddress(name, value)]);
  const several = hosts.length > 1;
  return sortEndpoints(
    hosts.flatMap(([host, address]) =>
      services.map(([app, s]) => ({
        service: several ? `${app}@${host}` : app,
        url: `http://${address}:${s.hostPort}${healthPath(app)}`,
      })),
    ),
  );
}

function readServices(value: unknown): [string, ServiceOutput][] {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    throw new Error("outputs.services: expected { <app>: { hostPort, dnsName } }, found none");
  }
  return Object.entries(value).map(([app, s]) => {
    if (
      !isRecord(s) ||
      typeof s["hostPort"] !== "number" ||
      !Number.isInteger(s["hostPort"]) ||
      typeof s["dnsName"] !== "string"
    ) {
      throw new Error(
        `outputs.services.${app}: ${JSON.stringify(s)} lacks a whole-number hostPort and a dnsName`,
      );
    }
    return [app, { hostPort: s["hostPort"], dnsName: s["dnsName"] }];
  });
}

/** The address a CI host's published ports answer on, from its Docker host URL. */
export function ciHostAddress(name: string, value: unknown): string {
  const url = isRecord(value) ? value["dockerHost"] : undefined;
  const parsed = typeof url === "string" ? parseDockerHost(url) : undefined;
  if (!parsed) {
    throw new Error(
      `outputs.ciHosts.${name}.dockerHost: ${JSON.stringify(url)} is not a Docker host URL; expected unix:///path or ssh://user@host[:port]`,
    );
  }
  // The SSH port is the engine's, not the apps': they are published on the host's own address.
  return parsed.scheme === "unix" ? "127.0.0.1" : parsed.host;
}
