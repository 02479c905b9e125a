/** A small client for the registry's HTTP API v2 over TLS with basic auth and a private CA. */
import { request } from "node:https";
import { request as plainRequest } from "node:http";

export interface RegistryApiOptions {
  /** `https://registry.example.com:5443` (or `http://` for a registry without nginx). */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** PEM CA to trust instead of the system's. */
  readonly ca?: string;
  /** Per-request timeout. @default 30_000 */
  readonly timeoutMs?: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** Manifest media types the registry may hold; all are asked for, so a HEAD gives the stored digest. */
const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export class RegistryApi {
  constructor(private readonly options: RegistryApiOptions) {}

  call(method: string, path: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const url = new URL(path, this.options.url);
    const auth = Buffer.from(`${this.options.user}:${this.options.password}`).toString("base64");
    const send = url.protocol === "https:" ? request : plainRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers: { Authorization: `Basic ${auth}`, ...headers },
          ...(this.options.ca ? { ca: this.options.ca } : {}),
          timeout: this.options.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
      req.on("error", reject);
      req.end();
    });
  }

  private async json<T>(path: string): Promise<T> {
    const res = await this.call("GET", path);
    if (res.status !== 200)
      throw new Error(`GET ${path}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return JSON.parse(res.body) as T;
  }

  /** Every repository, following the catalog's pagination. */
  async repositories(): Promise<string[]> {
    const repos: string[] = [];
    let last = "";
    for (let page = 0; page < 10_000; page++) {
      const query = `/v2/_catalog?n=1000${last ? `&last=${encodeURIComponent(last)}` : ""}`;
      const { repositories } = await this.json<{ repositories: string[] | null }>(query);
      const batch = repositories ?? [];
      repos.push(...batch);
      if (batch.length < 1000) return repos;
      last = batch[batch.length - 1]!;
    }
    throw new Error("the catalog did not end after 10,000 pages");
  }

  async tags(repository: string): Promise<string[]> {
    const { tags } = await this.json<{ tags: string[] | null }>(`/v2/${repository}/tags/list`);
    return tags ?? [];
  }

  async digest(repository: string, reference: string): Promise<string> {
    const res = await this.call("HEAD", `/v2/${repository}/manifests/${reference}`, {
      Accept: MANIFEST_TYPES,
    });
    const digest = res.headers["docker-content-digest"];
    if (res.status !== 200 || typeof digest !== "string") {
      throw new Error(`HEAD ${repository}:${reference}: HTTP ${res.status}, no digest`);
    }
    return digest;
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    const res = await this.call("DELETE", `/v2/${repository}/manifests/${digest}`);
    if (res.status === 403)
      throw new Error(
        `DELETE ${repository}@${digest}: HTTP 403: ${this.options.user} may not delete; run as a user with the delete role in registry.users`,
      );
    if (res.status !== 202)
      throw new Error(
        `DELETE ${repository}@${digest}: HTTP ${res.status} ${res.body.slice(0, 200)}`,
      );
  }
}
