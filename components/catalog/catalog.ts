/**
 * The one service catalog every stack draws from. Adding a service is one entry here;
 * a stack's `services` config then selects it and sets its per-stack values.
 */

/** A backing datastore: named clusters of nodes, each node one container on the production-like set. */
export interface DatastoreEntry {
  readonly kind: "datastore";
  /** Datastore type, a DNS label: `mongodb`. */
  readonly name: string;
  /** Image the dev-minimal and production-like containers run. */
  readonly image: string;
  /** The port the datastore listens on inside its container and, on dev-minimal, on the host. */
  readonly port: number;
  /** Cluster name -> node count; nodes are named `<name>-<cluster>-node-<n>`. */
  readonly clusters: Readonly<Record<string, number>>;
  /** Container memory limit in MiB. */
  readonly memoryMb: number;
  /** Where the datastore keeps its data inside the container: a protected volume on production-like nodes. */
  readonly dataPath: string;
  /** Health check run inside the container, when the image has a client for one. */
  readonly healthcheck?: readonly string[];
}

/** An application microservice: listens on 5000 in its container, published on a unique host port. */
export interface AppEntry {
  readonly kind: "app";
  /** Service name, a DNS label: `api`. */
  readonly name: string;
  /** Git repository Jenkins builds the service from. */
  readonly repository: string;
  /** Branch Jenkins builds. */
  readonly branch: string;
  /** Datastore types the service talks to (names of catalog datastores). */
  readonly dependsOn: readonly string[];
  /** Host port the service is published on. @default allocated from the service name */
  readonly hostPort?: number;
  /** HTTP path answering 200 while the service is healthy. */
  readonly healthPath: string;
  /** Container memory limit in MiB. */
  readonly memoryMb: number;
}

export type CatalogEntry = DatastoreEntry | AppEntry;

/** Every application service listens on this port inside its container. */
export const APP_CONTAINER_PORT = 5000;

/** Host ports application services are published on. */
export const APP_HOST_PORT_RANGE = { min: 5001, max: 5999 } as const;

export const SERVICE_CATALOG: readonly CatalogEntry[] = [
  {
    kind: "datastore",
    name: "mongodb",
    image: "mongo:7.0",
    port: 27017,
    clusters: { "cluster-a": 3 },
    memoryMb: 1024,
    dataPath: "/data/db",
    healthcheck: ["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"],
  },
  {
    kind: "datastore",
    name: "redis",
    image: "redis:7.2",
    port: 6379,
    clusters: { "cluster-a": 3 },
    memoryMb: 256,
    dataPath: "/data",
    healthcheck: ["CMD", "redis-cli", "ping"],
  },
  {
    kind: "datastore",
    name: "postgres",
    image: "postgres:16",
    port: 5432,
    clusters: { "cluster-a": 2 },
    memoryMb: 512,
    dataPath: "/var/lib/postgresql/data",
    healthcheck: ["CMD", "pg_isready", "-U", "postgres"],
  },
  {
    kind: "app",
    name: "api",
    repository: "https://git.example.com/shop/api.git",
    branch: "main",
    dependsOn: ["mongodb", "redis"],
    hostPort: 5060,
    healthPath: "/health",
    memoryMb: 256,
  },
  {
    kind: "app",
    name: "billing",
    repository: "https://git.example.com/shop/billing.git",
    branch: "main",
    dependsOn: ["postgres"],
    healthPath: "/health",
    memoryMb: 256,
  },
  {
    kind: "app",
    name: "catalog",
    repository: "https://git.example.com/shop/catalog.git",
    branch: "main",
    dependsOn: ["mongodb"],
    healthPath: "/health",
    memoryMb: 256,
  },
  {
    kind: "app",
    name: "notifications",
    repository: "https://git.example.com/shop/notifications.git",
    branch: "main",
    dependsOn: ["redis"],
    healthPath: "/health",
    memoryMb: 128,
  },
  {
    kind: "app",
    name: "users",
    repository: "https://git.example.com/shop/users.git",
    branch: "main",
    dependsOn: ["postgres", "redis"],
    healthPath: "/health",
    memoryMb: 256,
  },
];
