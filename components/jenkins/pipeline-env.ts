/**
 * The pipeline scripts' environment contract: every variable the program hands to
 * `components/jenkins/pipeline/*.sh`, built in one place for each context that runs them — a
 * Jenkins build (the Jenkinsfile's `environment`, and the tests that run the steps as Jenkins
 * does) and a release outside a build (`npm run release` running `release.sh`). Pure: no Pulumi,
 * no files. `pipeline-env.test.ts` reads every script's `require_env` lines and checks that the
 * contexts running it provide each variable it requires.
 */
import type { SlotPorts } from "../model/slots";

/** A service as the pipeline deploys it: its names, ports and the deployed container's limits. */
export interface PipelineServiceContext {
  readonly service: string;
  /** The public port the host's release proxy serves the service on. */
  readonly appHostPort: number;
  /** Host ports of the service's blue and green release slots. */
  readonly slotPorts: SlotPorts;
  /** The deployed container's memory limit, such as `256m`. */
  readonly memory: string;
  /** The deployed container's CPU limit, as `docker run --cpus` takes it, such as `0.5`. */
  readonly cpus: string;
  /** The deployed container's PIDs limit. */
  readonly pidsLimit: number;
}

/** The stack's CI host as the pipeline sees it. */
export interface PipelineHostContext {
  readonly stack: string;
  /** The production-like network the slots join. */
  readonly backendNetwork: string;
  /** The stack's dnsmasq on that network. */
  readonly resolverIp: string;
  /** The region domain the slots search. */
  readonly searchDomain: string;
  /** The host's release proxy container, which deploys switch. */
  readonly proxyContainer: string;
}

/** What a build's job adds: where its code comes from and how it is built, tested and published. */
export interface PipelineBuildContext {
  readonly kind: "build";
  readonly service: PipelineServiceContext;
  readonly host: PipelineHostContext;
  readonly gitUrl: string;
  readonly gitBranch: string;
  /** Host ports of the dev-minimal datastores the service depends on, which redir forwards. */
  readonly devPorts: readonly number[];
  readonly baseImage: string;
  /** Image of the integration tests' network holder (redir). */
  readonly networkholderImage: string;
  /** Where the pipeline's scripts are installed on the host. */
  readonly pipelineDir: string;
  /** `<host>:<port>` of the private registry when the stack publishes (staging). @default none */
  readonly registry?: string | undefined;
  /** Where the engine trusts the registry's CA. @default none (the system's trust) */
  readonly registryCertDir?: string | undefined;
}

/** A release or rollback of one service outside a build (`release.sh`). */
export interface PipelineReleaseContext {
  readonly kind: "release";
  readonly service: PipelineServiceContext;
  readonly host: PipelineHostContext;
  readonly action: "release" | "rollback";
  /** The image a release deploys; required by `release`, absent for `rollback`. */
  readonly image?: string | undefined;
  /** The service's health check path. */
  readonly healthPath: string;
  /** Where the proxy keeps each service's live file, and its nginx config, in its container. */
  readonly proxyLayout: { readonly liveDir: string; readonly conf: string };
  /** Seconds the old slot keeps serving after a switch. @default the script's (RELEASE_GRACE) */
  readonly graceSeconds?: number | undefined;
}

export type PipelineContext = PipelineBuildContext | PipelineReleaseContext;

/** One variable of the environment: name and value, in the order the contract lists them. */
export type PipelineVariable = readonly [name: string, value: string];

/** Set by Jenkins itself for every build: its number, and (by the Jenkinsfile's `sh` lines) the checkout. */
export const JENKINS_BUILD_VARIABLES = ["BUILD_NUMBER", "WORKSPACE"] as const;

/** Set by the Jenkinsfile's `withCredentials` for the publish step, when the stack publishes. */
export const REGISTRY_CREDENTIAL_VARIABLES = {
  user: "REGISTRY_USER",
  password: "REGISTRY_PASSWORD",
} as const;

/**
 * The variables the program gives the scripts in `context`, in a fixed order (the Jenkinsfile's,
 * so its bytes stay the same). Not included: what Jenkins sets itself (JENKINS_BUILD_VARIABLES and,
 * for the publish step, REGISTRY_CREDENTIAL_VARIABLES) and what a caller adds for its own engine
 * (DOCKER_HOST).
 */
export function pipelineEnv(context: PipelineContext): PipelineVariable[] {
  const { service: s, host: h } = context;
  const ports: PipelineVariable[] = [
    ["APP_HOST_PORT", String(s.appHostPort)],
    ["BLUE_PORT", String(s.slotPorts.blue)],
    ["GREEN_PORT", String(s.slotPorts.green)],
    ["PROXY_CONTAINER", h.proxyContainer],
  ];
  const limits: PipelineVariable[] = [
    ["APP_MEMORY", s.memory],
    ["APP_CPUS", s.cpus],
    ["APP_PIDS_LIMIT", String(s.pidsLimit)],
  ];
  const network: PipelineVariable[] = [
    ["BACKEND_NETWORK", h.backendNetwork],
    ["RESOLVER_IP", h.resolverIp],
    ["SEARCH_DOMAIN", h.searchDomain],
  ];
  if (context.kind === "build") {
    return [
      ["SERVICE", s.service],
      ["GIT_URL", context.gitUrl],
      ["GIT_BRANCH", context.gitBranch],
      ...ports,
      ["DEV_PORTS", context.devPorts.join(" ")],
      ["BASE_IMAGE", context.baseImage],
      ...limits,
      ["NETWORKHOLDER_IMAGE", context.networkholderImage],
      ["STACK", h.stack],
      ...network,
      ["PIPELINE", context.pipelineDir],
      ["PUBLISH", context.registry ? "true" : "false"],
      ["STRIPPED", "true"],
      ["REGISTRY", context.registry ?? ""],
      ["REGISTRY_CERT_DIR", context.registryCertDir ?? ""],
    ];
  }
  if (context.action === "release" && !context.image)
    throw new Error(`a release of ${s.service} needs an image; a rollback needs none`);
  return [
    ["ACTION", context.action],
    ["SERVICE", s.service],
    ["STACK", h.stack],
    ...ports,
    ["PROXY_LIVE_DIR", context.proxyLayout.liveDir],
    ["PROXY_CONF", context.proxyLayout.conf],
    ...network,
    ["HEALTH_PATH", context.healthPath],
    ...limits,
    ...(context.action === "release" ? [["IMAGE", context.image!] as const] : []),
    ...(context.graceSeconds === undefined
      ? []
      : [["RELEASE_GRACE", String(context.graceSeconds)] as const]),
  ];
}

/** `pipelineEnv(context)` as an object, for a child process's environment. */
export function pipelineEnvRecord(context: PipelineContext): Record<string, string> {
  return Object.fromEntries(pipelineEnv(context));
}
