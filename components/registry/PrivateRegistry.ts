import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { containerName } from "../docker/docker-render";
import { applyPidsLimit, hardenedContainerArgs } from "../docker/container-defaults";
import { PLATFORM_LIMITS } from "../docker/container-limits";
import type { HostImages } from "../docker/HostImages";
import { platformNetworkSubnets } from "../catalog/allocation";
import { parseCidr } from "../model/ipv4";
import type { DockerHost, RegistryConfig } from "../config/types";
import {
  NGINX_CONF_PATH,
  NGINX_CONTAINER_LAYOUT,
  REGISTRY_CONFIG_PATH,
  REGISTRY_CONTAINER_LAYOUT,
  renderNginxEntrypoint,
  renderRegistryConfig,
  renderRegistryNginxConf,
} from "./registry-render";
import { REGISTRY_IMAGES } from "../model/pins";

/** The registry's name on its private network, which nginx proxies to. */
const UPSTREAM_ALIAS = "registry";

export interface PrivateRegistryArgs {
  /** Stack name, part of container, network and volume names. */
  readonly stack: string;
  readonly registry: RegistryConfig;
  /** The registry host's platform subnet, which the registry's two networks are carved from. */
  readonly platformSubnet: string;
  /** htpasswd lines with bcrypt hashes. */
  readonly htpasswd: pulumi.Input<string>;
  /** The TLS certificate's private key, PEM. */
  readonly tlsKey: pulumi.Input<string>;
  /** Random string the registry signs upload state with. */
  readonly httpSecret: pulumi.Input<string>;
  /** The registry host, for the commands that apply the containers' PIDs limits. */
  readonly dockerHost: DockerHost;
  readonly provider: docker.Provider;
  readonly images: HostImages;
}

/**
 * A docker distribution registry on a private network with a protected storage volume, and nginx
 * in front of it as the only published port: TLS, bcrypt basic auth, a role per user (pull, push or
 * delete, from `registry.users`), rate limits, HSTS.
 */
export class PrivateRegistry extends pulumi.ComponentResource {
  /** `https://<hostName>:<port>`. */
  public readonly url: pulumi.Output<string>;
  /** `<hostName>:<port>`: the prefix of image names. */
  public readonly address: pulumi.Output<string>;
  /** PEM CA certificate clients trust. */
  public readonly caCert: pulumi.Output<string>;

  constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:registry:PrivateRegistry", name, {}, opts);
    const { registry } = args;
    const child = { parent: this, provider: args.provider };

    const platformSubnet = parseCidr(args.platformSubnet);
    if (!platformSubnet)
      throw new Error(
        `${name}: platformSubnet ${args.platformSubnet} is not a CIDR network address`,
      );
    // Explicit subnets: left to Docker's pool, one could take the backend subnet first.
    const subnets = platformNetworkSubnets(platformSubnet);
    const backNetwork = new docker.Network(
      `${name}-back`,
      {
        name: containerName(args.stack, "registry-back"),
        driver: "bridge",
        internal: true,
        ipamConfigs: [{ subnet: subnets["registry-back"] }],
      },
      { ...child, deleteBeforeReplace: true },
    );
    const frontNetwork = new docker.Network(
      `${name}-front`,
      {
        name: containerName(args.stack, "registry-front"),
        driver: "bridge",
        ipamConfigs: [{ subnet: subnets["registry-front"] }],
      },
      { ...child, deleteBeforeReplace: true },
    );
    const storage = new docker.Volume(
      `${name}-storage`,
      {
        name: containerName(args.stack, "registry-data"),
        labels: [{ label: "ci-platform.role", value: "registry-storage" }],
      },
      { ...child, protect: true, retainOnDelete: true },
    );

    const registryContainer = new docker.Container(
      `${name}-registry`,
      {
        ...hardenedContainerArgs(PLATFORM_LIMITS.registry),
        // The rootfs stays writable: the config is an upload, which Docker refuses to copy into a
        // read-only rootfs (see container-limits.ts).
        name: containerName(args.stack, "registry"),
        image: args.images.ref(REGISTRY_IMAGES.registry),
        uploads: [
          { file: REGISTRY_CONFIG_PATH, content: renderRegistryConfig(REGISTRY_CONTAINER_LAYOUT) },
        ],
        envs: [pulumi.interpolate`REGISTRY_HTTP_SECRET=${args.httpSecret}`],
        volumes: [
          { volumeName: storage.name, containerPath: REGISTRY_CONTAINER_LAYOUT.rootDirectory },
        ],
        networksAdvanced: [{ name: backNetwork.name, aliases: [UPSTREAM_ALIAS] }],
        healthcheck: {
          tests: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:5000/v2/ || exit 1"],
          interval: "15s",
          timeout: "5s",
          retries: 3,
          startPeriod: "10s",
        },
      },
      { ...child, deleteBeforeReplace: true },
    );

    const nginxConf = renderRegistryNginxConf(
      { ...NGINX_CONTAINER_LAYOUT, upstream: `${UPSTREAM_ALIAS}:5000` },
      {
        serverName: registry.hostName,
        publishedPort: registry.port,
        rateLimit: registry.rateLimit,
        users: registry.users,
      },
    );
    const nginxContainer = new docker.Container(
      `${name}-nginx`,
      {
        ...hardenedContainerArgs(PLATFORM_LIMITS.registryNginx),
        // The rootfs stays writable: the config is an upload (see container-limits.ts).
        name: containerName(args.stack, "registry-nginx"),
        image: args.images.ref(REGISTRY_IMAGES.nginx),
        entrypoints: ["sh", "-c"],
        command: [renderNginxEntrypoint(NGINX_CONTAINER_LAYOUT)],
        uploads: [
          { file: NGINX_CONF_PATH, content: nginxConf },
          { file: NGINX_CONTAINER_LAYOUT.tlsCert, content: registry.tlsCert },
        ],
        // Secrets travel in the environment so the reviewable config above stays readable in a
        // preview; anyone who can `docker inspect` on the host is root there anyway.
        envs: [
          pulumi.interpolate`REGISTRY_HTPASSWD=${args.htpasswd}`,
          pulumi.interpolate`REGISTRY_TLS_KEY=${args.tlsKey}`,
        ],
        ports: [
          { internal: 443, external: registry.port, ip: registry.listenAddress, protocol: "tcp" },
        ],
        networksAdvanced: [{ name: backNetwork.name }, { name: frontNetwork.name }],
        healthcheck: {
          // Listening on 443, read from the kernel: no client tool the image may lack.
          tests: [
            "CMD-SHELL",
            "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ':01BB [0-9A-F]*:0000 0A'",
          ],
          interval: "15s",
          timeout: "5s",
          retries: 3,
          startPeriod: "5s",
        },
      },
      { ...child, deleteBeforeReplace: true, dependsOn: [registryContainer] },
    );
    for (const [role, container, limits] of [
      ["registry", registryContainer, PLATFORM_LIMITS.registry],
      ["nginx", nginxContainer, PLATFORM_LIMITS.registryNginx],
    ] as const) {
      const dockerName = containerName(args.stack, role === "nginx" ? "registry-nginx" : role);
      applyPidsLimit(`${name}-${role}-pids`, args.dockerHost, container, dockerName, limits, {
        parent: this,
      });
    }

    this.address = pulumi.output(registry.address);
    this.url = pulumi.output(`https://${registry.address}`);
    this.caCert = pulumi.output(registry.caCert);
    this.registerOutputs({ url: this.url, address: this.address, caCert: this.caCert });
  }
}
