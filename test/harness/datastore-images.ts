/**
 * Stand-ins for the catalog's datastore images that honour the start-up contract of the real
 * image, so a declaration the real image would refuse, or would expose, fails here too. Each is a
 * busybox rootfs whose entrypoint reads its arguments and environment the way the official
 * image's entrypoint and server do, then serves a small HTTP page (busybox httpd) on the address
 * and port the real server would listen on. Health commands (`mongosh`, `redis-cli`,
 * `pg_isready`) succeed while that port answers on 127.0.0.1, whatever their arguments.
 *
 * | image       | contract enforced                                                                              | source |
 * | ----------- | ---------------------------------------------------------------------------------------------- | ------ |
 * | mongo:7.0   | `-x` first argument means `mongod -x`; without `--bind_ip`/`--bind_ip_all` the entrypoint adds `--bind_ip_all` (every interface); `--port` moves 27017; an unknown option stops mongod (exit 2) | docker-library/mongo `7.0/docker-entrypoint.sh`; mongod's options |
 * | redis:7.2   | `-x` or `*.conf` first argument means `redis-server ...`; without `--bind` redis listens on every interface (no config file: `bind * -::*`) and the entrypoint turns protected mode off; `--port` moves 6379; an unknown directive stops it (exit 1) | docker-library/redis `docker-entrypoint.sh`; redis.conf |
 * | postgres:16 | `-x` first argument means `postgres -x`; an uninitialised data dir needs `POSTGRES_PASSWORD`, `POSTGRES_PASSWORD_FILE` or `POSTGRES_HOST_AUTH_METHOD`, else exit 1 with the image's message; `listen_addresses` defaults to `*` (the image's postgresql.conf), `-c listen_addresses=` and `-c port=`/`-p` move it | docker-library/postgres `16/bookworm/docker-entrypoint.sh` (`docker_verify_minimum_env`) and Dockerfile |
 *
 * What each image writes, so a read-only rootfs without the tmpfs or volume it needs fails here
 * as the real server would (each stand-in refuses to start, naming the path, unless every one of
 * them is writable). The stand-ins declare the same `VOLUME`s as the real Dockerfiles, which Docker
 * backs with anonymous volumes even on a read-only rootfs:
 *
 * | image       | writes                                                                                   | source |
 * | ----------- | ---------------------------------------------------------------------------------------- | ------ |
 * | mongo:7.0   | `/data/db` and `/data/configdb` (`VOLUME`s; the entrypoint chowns both), `/tmp` (mongod's socket `/tmp/mongodb-<port>.sock`, `net.unixDomainSocket.pathPrefix`; the entrypoint's temporary config) | docker-library/mongo `7.0/Dockerfile`, `7.0/docker-entrypoint.sh`; mongod's configuration options |
 * | redis:7.2   | `/data` only (`VOLUME` and `WORKDIR`: dump.rdb, appendonly files)                         | docker-library/redis `7.2/debian/Dockerfile`, `docker-entrypoint.sh` |
 * | postgres:16 | `PGDATA` `/var/lib/postgresql/data` (`VOLUME`, initdb), `/var/run/postgresql` (socket and its lock file; the entrypoint's `docker_create_db_directories`) | docker-library/postgres `16/bookworm/Dockerfile`, `docker-entrypoint.sh` |
 */
import type { DatastoreEntry } from "../../components/catalog/catalog";
import type { PrivateDockerd } from "./dockerd";
import { buildRootfsImage, type BuiltImage } from "./images";

const BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The server side of every stand-in: refuse to start unless every path the real image writes is
 * writable, then serve on `$bind:$port` until TERM, like a real server. The page lives in the data
 * directory, which the real server writes anyway.
 */
const SERVE = `require_writable() {
  for dir in "$@"; do
    # touch, not a redirection: a failed redirection of a builtin ends the shell before the message.
    if ! mkdir -p "$dir" 2>/dev/null || ! touch "$dir/.stand-in-write-probe" 2>/dev/null; then
      echo "$IMAGE stand-in: cannot write $dir (Read-only file system?); the real image writes there: mount a volume or tmpfs on it" >&2
      exit 1
    fi
    rm -f "$dir/.stand-in-write-probe"
  done
}
serve() {
  # "$1" is the address the real server would bind, "$2" its port, "$3" its data directory.
  echo "listening on $1:$2"
  mkdir -p "$3/.stand-in-page"
  echo "stand-in $IMAGE on $1:$2" > "$3/.stand-in-page/index.html"
  trap 'exit 0' TERM INT
  httpd -f -p "$1:$2" -h "$3/.stand-in-page" &
  wait
}`;

const MONGO_ENTRYPOINT = `#!/bin/sh
set -eu
IMAGE=mongo:7.0
${SERVE}
case "\${1:-}" in -*) set -- mongod "$@" ;; esac
[ "\${1:-}" = mongod ] || exec "$@"
shift
bind=""
port=27017
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bind_ip) bind=$2; shift 2 ;;
    --bind_ip=*) bind=\${1#--bind_ip=}; shift ;;
    --bind_ip_all) bind=0.0.0.0; shift ;;
    --port) port=$2; shift 2 ;;
    --port=*) port=\${1#--port=}; shift ;;
    --dbpath|--replSet|--keyFile) shift 2 ;;
    --auth|--quiet) shift ;;
    *) echo "Error parsing command line: unrecognised option '$1'" >&2; exit 2 ;;
  esac
done
# The entrypoint appends --bind_ip_all when no bind address was given.
[ -n "$bind" ] || bind=0.0.0.0
case "$bind" in *,*) echo "stand-in: several bind addresses are not modelled: $bind" >&2; exit 2 ;; esac
require_writable /data/db /data/configdb /tmp
: > "/tmp/mongodb-$port.sock"
serve "$bind" "$port" /data/db
`;

const REDIS_ENTRYPOINT = `#!/bin/sh
set -eu
IMAGE=redis:7.2
${SERVE}
case "\${1:-}" in -*|*.conf) set -- redis-server "$@" ;; esac
[ "\${1:-}" = redis-server ] || exec "$@"
shift
bind=""
port=6379
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bind) bind=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --protected-mode|--appendonly|--save|--maxmemory|--maxmemory-policy|--requirepass) shift 2 ;;
    *)
      echo "*** FATAL CONFIG FILE ERROR (Redis 7.2) ***" >&2
      echo ">>> '$1' Bad directive or wrong number of arguments" >&2
      exit 1 ;;
  esac
done
# No config file: redis 7 binds every interface (bind * -::*).
[ -n "$bind" ] || bind=0.0.0.0
case "$bind" in *" "*) echo "stand-in: several bind addresses are not modelled: $bind" >&2; exit 1 ;; esac
require_writable /data
serve "$bind" "$port" /data
`;

const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -eu
IMAGE=postgres:16
${SERVE}
case "\${1:-}" in -*) set -- postgres "$@" ;; esac
[ "\${1:-}" = postgres ] || exec "$@"
shift
PGDATA=\${PGDATA:-/var/lib/postgresql/data}
require_writable "$PGDATA" /var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "\${POSTGRES_PASSWORD:-}" ] && [ -z "\${POSTGRES_PASSWORD_FILE:-}" ] && [ -z "\${POSTGRES_HOST_AUTH_METHOD:-}" ]; then
    cat >&2 <<'EOF'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
EOF
    exit 1
  fi
  mkdir -p "$PGDATA"
  echo 16 > "$PGDATA/PG_VERSION"
fi
listen='*'
port=5432
while [ "$#" -gt 0 ]; do
  case "$1" in
    -c) setting=$2; shift 2 ;;
    -c*) setting=\${1#-c}; shift ;;
    -p) setting="port=$2"; shift 2 ;;
    *) echo "postgres: invalid argument: \\"$1\\"" >&2; exit 1 ;;
  esac
  case "$setting" in
    listen_addresses=*) listen=\${setting#listen_addresses=} ;;
    port=*) port=\${setting#port=} ;;
  esac
done
listen=$(echo "$listen" | tr -d "'")
: > "/var/run/postgresql/.s.PGSQL.$port.lock"
case "$listen" in
  '*'|0.0.0.0) serve 0.0.0.0 "$port" "$PGDATA" ;;
  localhost) serve 127.0.0.1 "$port" "$PGDATA" ;;
  '') echo "no TCP listener: listen_addresses is empty" >&2; trap 'exit 0' TERM INT; while :; do sleep 1; done ;;
  *,*) echo "stand-in: several listen addresses are not modelled: $listen" >&2; exit 1 ;;
  *) serve "$listen" "$port" "$PGDATA" ;;
esac
`;

interface StandInSpec {
  readonly entrypoint: string;
  /** The image's default command, as the real image's Dockerfile sets it. */
  readonly cmd: string;
  /** Client tools the catalog's health checks call. */
  readonly healthCommands: readonly string[];
  /** The real Dockerfile's `VOLUME`s. */
  readonly volumes: readonly string[];
  /** Further directories the real image has (owned by its server's user there). */
  readonly dirs: readonly string[];
}

const STAND_INS: Readonly<Record<string, StandInSpec>> = {
  "mongo:7.0": {
    entrypoint: MONGO_ENTRYPOINT,
    cmd: "mongod",
    healthCommands: ["mongosh"],
    volumes: ["/data/db", "/data/configdb"],
    dirs: [],
  },
  "redis:7.2": {
    entrypoint: REDIS_ENTRYPOINT,
    cmd: "redis-server",
    healthCommands: ["redis-cli"],
    volumes: ["/data"],
    dirs: [],
  },
  "postgres:16": {
    entrypoint: POSTGRES_ENTRYPOINT,
    cmd: "postgres",
    healthCommands: ["pg_isready", "psql", "pg_restore"],
    volumes: ["/var/lib/postgresql/data"],
    // /var/run is a link to /run in the stand-in's rootfs, as in Debian's.
    dirs: ["/run/postgresql"],
  },
};

/** The page a stand-in serves at `/`: which image, and the address it bound, as the real one would. */
export function standInBody(image: string, bind: string, port: number): string {
  return `stand-in ${image} on ${bind}:${port}\n`;
}

/** Builds the stand-in for a catalog datastore's image, tagged as that image. */
export function buildDatastoreStandIn(
  dockerd: PrivateDockerd,
  entry: DatastoreEntry,
): Promise<BuiltImage> {
  const spec = STAND_INS[entry.image];
  if (!spec) {
    throw new Error(
      `no stand-in for ${entry.image}: add its contract to test/harness/datastore-images.ts`,
    );
  }
  // Debian's busybox 1.35 wget segfaults with -T; bound it with the timeout applet instead.
  const probe = `#!/bin/sh\nexec timeout 3 wget -q -O /dev/null http://127.0.0.1:${entry.port}/\n`;
  return buildRootfsImage(dockerd, {
    tag: entry.image,
    dirs: [entry.dataPath, ...spec.volumes, ...spec.dirs],
    files: [
      { path: "/usr/local/bin/docker-entrypoint.sh", mode: 0o755, content: spec.entrypoint },
      ...spec.healthCommands.map((name) => ({
        path: `/usr/local/bin/${name}`,
        mode: 0o755,
        content: probe,
      })),
    ],
    changes: [
      `ENV PATH=${BASE_PATH}`,
      `EXPOSE ${entry.port}/tcp`,
      `VOLUME ${JSON.stringify(spec.volumes)}`,
      'ENTRYPOINT ["docker-entrypoint.sh"]',
      `CMD ["${spec.cmd}"]`,
    ],
  });
}
