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
  /** CPU limit, a decimal number of CPUs as the docker provider reads it back (`0.5`, `1.0`). */
  readonly cpus: string;
  /** Most processes and threads the container may run at once. */
  readonly pidsLimit: number;
  /** Where the datastore keeps its data inside the container: a protected volume on production-like nodes. */
  readonly dataPath: string;
  /**
   * Paths the image writes outside its `VOLUME`s (which Docker backs with a volume even on a
   * read-only rootfs) -> tmpfs options: with these the container runs with a read-only rootfs.
   */
  readonly tmpfs: Readonly<Record<string, string>>;
  /** Health check run inside the container, when the image has a client for one. */
  readonly healthcheck?: readonly string[];
  /**
   * The container command that makes the image listen on 127.0.0.1 only. Dev-minimal containers
   * share the host's network, where the images' defaults (every interface) would publish an
   * unauthenticated datastore to the host's neighbours.
   */
  readonly loopbackCommand: readonly string[];
  /**
   * The environment variable the image refuses to start without: the superuser's password, set
   * from the stack secret `datastorePassword`. @default none: the image starts without one
   */
  readonly passwordEnv?: string;
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
  /** CPU limit, a decimal number of CPUs as the docker provider reads it back (`0.5`, `1.0`). */
  readonly cpus: string;
  /** Most processes and threads the container may run at once. */
  readonly pidsLimit: number;
  /** Base image the service's Dockerfile builds on (its `BASE_IMAGE` build argument). @default DEFAULT_APP_BASE_IMAGE */
  readonly baseImage?: string;
}

/** The base image application services build on unless their entry says otherwise. */
export const DEFAULT_APP_BASE_IMAGE = "node:20-bookworm-slim";

export type CatalogEntry = DatastoreEntry | AppEntry;

/** Every application service listens on this port inside its container. */
export const APP_CONTAINER_PORT = 5000;

/** Host ports application services are published on. */
export const APP_HOST_PORT_RANGE = { min: 5001, max: 5999 } as const;

/** An application entry with the shop's conventions: repository by name, branch main, /health. */
function app(name: string, dependsOn: readonly string[], extra: Partial<AppEntry> = {}): AppEntry {
  return {
    kind: "app",
    name,
    repository: `https://git.example.com/shop/${name}.git`,
    branch: "main",
    dependsOn,
    healthPath: "/health",
    memoryMb: 256,
    cpus: "0.5",
    // Node.js: the main thread, V8's and libuv's pools (about a dozen), and the health check.
    pidsLimit: 128,
    ...extra,
  };
}

export const SERVICE_CATALOG: readonly CatalogEntry[] = [
  {
    kind: "datastore",
    name: "mongodb",
    image: "mongo:7.0",
    port: 27017,
    clusters: { "cluster-a": 3 },
    memoryMb: 1024,
    cpus: "1.0",
    // mongod runs a thread per connection, plus about 30 of its own.
    pidsLimit: 512,
    dataPath: "/data/db",
    // The image's VOLUMEs are /data/db and /data/configdb; mongod's socket is /tmp/mongodb-27017.sock
    // (net.unixDomainSocket.pathPrefix) and the entrypoint's temporary config goes to /tmp too.
    tmpfs: { "/tmp": "size=64m" },
    healthcheck: ["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"],
    // The image's entrypoint adds --bind_ip_all unless --bind_ip is given.
    loopbackCommand: ["mongod", "--bind_ip", "127.0.0.1"],
  },
  {
    kind: "datastore",
    name: "redis",
    image: "redis:7.2",
    port: 6379,
    clusters: { "cluster-a": 3 },
    memoryMb: 256,
    cpus: "0.5",
    // The main thread, a few background (bio and I/O) threads, a forked child per save.
    pidsLimit: 64,
    dataPath: "/data",
    // The image's VOLUME and WORKDIR /data is all redis writes (dump.rdb, appendonly files).
    tmpfs: {},
    healthcheck: ["CMD", "redis-cli", "ping"],
    // Without a config file redis listens on every interface, and the image turns protected mode off.
    loopbackCommand: ["redis-server", "--bind", "127.0.0.1"],
  },
  {
    kind: "datastore",
    name: "postgres",
    image: "postgres:16",
    port: 5432,
    clusters: { "cluster-a": 2 },
    memoryMb: 512,
    cpus: "1.0",
    // A backend process per connection (max_connections 100) and about ten background workers.
    pidsLimit: 256,
    dataPath: "/var/lib/postgresql/data",
    // PGDATA is the image's VOLUME; the socket and its lock file go to /var/run/postgresql.
    tmpfs: { "/var/run/postgresql": "size=1m" },
    healthcheck: ["CMD", "pg_isready", "-U", "postgres"],
    // The image's postgresql.conf sets listen_addresses = '*'.
    loopbackCommand: ["postgres", "-c", "listen_addresses=127.0.0.1"],
    passwordEnv: "POSTGRES_PASSWORD",
  },
  app("api", ["mongodb", "redis"], { hostPort: 5060 }),
  app("admin", ["postgres"], { memoryMb: 128 }),
  app("analytics", ["mongodb"], { memoryMb: 512 }),
  app("auth", ["postgres", "redis"]),
  app("billing", ["postgres"]),
  app("cart", ["redis"]),
  app("catalog", ["mongodb"]),
  app("checkout", ["postgres", "redis"]),
  app("email", ["redis"], { memoryMb: 128 }),
  app("inventory", ["postgres"]),
  app("media", ["mongodb"], { memoryMb: 512 }),
  app("notifications", ["redis"], { memoryMb: 128 }),
  app("orders", ["postgres", "redis"]),
  app("payments", ["postgres"]),
  app("pricing", ["redis"]),
  app("promotions", ["mongodb"]),
  app("recommendations", ["mongodb", "redis"], { memoryMb: 512 }),
  app("reporting", ["postgres"], { memoryMb: 512 }),
  app("reviews", ["mongodb"]),
  app("search", ["mongodb"], { memoryMb: 512 }),
  app("sessions", ["redis"], { memoryMb: 128 }),
  app("shipping", ["postgres"]),
  app("sms", ["redis"], { memoryMb: 128 }),
  app("users", ["postgres", "redis"]),
  app("webhooks", ["postgres"], { memoryMb: 128 }),
];
