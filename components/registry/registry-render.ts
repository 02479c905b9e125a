import type { RegistryUser } from "../config/types";

/**
 * The private registry's files: nginx in front (TLS, basic auth, roles, rate limit, maintenance
 * gate) and the registry's own config. Paths come from a layout, so the same renderer serves the containers
 * and the real-daemon tests that run nginx and the registry on 127.0.0.1.
 */

/** Where things are for nginx. */
export interface NginxLayout {
  readonly listen: string;
  readonly upstream: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly htpasswd: string;
  /** While this file exists, the registry is read-only: writes get 405 (garbage collection). */
  readonly maintenanceFlag: string;
  readonly pid: string;
  readonly tempDir: string;
  readonly accessLog: string;
  readonly errorLog: string;
}

/** The layout inside the nginx container the program runs. */
export const NGINX_CONTAINER_LAYOUT: Omit<NginxLayout, "upstream"> = {
  listen: "443",
  tlsCert: "/etc/nginx/tls/registry.crt",
  tlsKey: "/run/registry-secrets/registry.key",
  htpasswd: "/run/registry-secrets/htpasswd",
  maintenanceFlag: "/var/lib/registry-maintenance/readonly",
  pid: "/tmp/nginx.pid",
  tempDir: "/tmp/nginx",
  accessLog: "/dev/stdout",
  errorLog: "/dev/stderr",
};

export const NGINX_CONF_PATH = "/etc/ci-platform/nginx.conf";

export interface RegistryNginxOptions {
  readonly serverName: string;
  /** The port clients connect to (the host port Docker publishes nginx's 443 on). */
  readonly publishedPort: number;
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number };
  /** Each htpasswd user's role; users not listed may authenticate but get 403 for everything. */
  readonly users: readonly RegistryUser[];
}

/**
 * TLS 1.2 suites: ECDHE key exchange with AEAD ciphers only (no CBC, no static RSA key exchange),
 * for an EC and an RSA certificate alike. TLS 1.3's suites are all AEAD; `ssl_ecdh_curve` keeps
 * its key exchange on elliptic curves (OpenSSL would also offer finite-field DHE groups).
 */
export const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
] as const;
export const TLS_CURVES = ["X25519", "prime256v1", "secp384r1"] as const;

/** A repository name as distribution's grammar has it: components of [a-z0-9] joined by separators. */
const NAME_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = `${NAME_COMPONENT}(?:/${NAME_COMPONENT})*`;

/**
 * Role, method and raw request URI → whether nginx lets the request through. The raw URI is what
 * nginx passes to the registry, so the one path-dependent rule matches exactly what the registry
 * will route (no `..`, no percent-escapes). Docker cancels an upload session it opened with a
 * DELETE (after a cross-repository mount the registry declined), so pushing needs that one DELETE.
 */
export const REGISTRY_ACCESS_RULES: readonly (readonly [pattern: string, meaning: string])[] = [
  ["~^(pull|push|delete) (GET|HEAD) ", "every role reads: manifests, blobs, tags, catalog"],
  ["~^push (POST|PUT|PATCH) ", "push uploads blobs and puts manifests"],
  [
    `~^push DELETE /v2/${REPOSITORY}/blobs/uploads/[A-Za-z0-9_=-]+(\\?.*)?$`,
    "push cancels its own upload sessions",
  ],
  ["~^delete DELETE ", "delete removes manifests and blobs (retention)"],
];

/** map keys nginx reads as its own parameters unless escaped with a backslash. */
const MAP_KEYWORDS = new Set(["default", "hostnames", "include", "volatile"]);

function renderRoleMap(users: readonly RegistryUser[]): string {
  const lines = [...users]
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
    .map((u) => `    ${MAP_KEYWORDS.has(u.user) ? "\\" : ""}${u.user} ${u.role};`);
  return ['    default "";', ...lines].join("\n");
}

/** nginx.conf for the registry front: the distribution project's recipe, hardened. */
export function renderRegistryNginxConf(
  layout: NginxLayout,
  options: RegistryNginxOptions,
): string {
  const hsts = 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;';
  const apiVersion =
    "add_header Docker-Distribution-Api-Version $docker_distribution_api_version always;";
  return `# Rendered by ci-platform: TLS, basic auth and rate limits in front of the private registry.
worker_processes 2;
pid ${layout.pid};
error_log ${layout.errorLog} warn;

events {
  worker_connections 1024;
}

http {
  server_tokens off;
  access_log ${layout.accessLog};
  client_body_temp_path ${layout.tempDir}/client_body;
  proxy_temp_path ${layout.tempDir}/proxy;
  fastcgi_temp_path ${layout.tempDir}/fastcgi;
  uwsgi_temp_path ${layout.tempDir}/uwsgi;
  scgi_temp_path ${layout.tempDir}/scgi;

  # Clients need this header on every answer, including errors the registry never saw.
  map $upstream_http_docker_distribution_api_version $docker_distribution_api_version {
    "" "registry/2.0";
  }

  # Every /v2/ request carries credentials: limiting requests limits password guessing. The
  # burst lets a client push many layers in parallel without a 429.
  limit_req_zone $binary_remote_addr zone=registry_auth:10m rate=${options.rateLimit.requestsPerSecond}r/s;
  limit_req_status 429;

  # Roles (registry.users). $remote_user is whatever the Authorization header names, checked or
  # not: these maps are only read by the auth_request below, which runs after auth_basic passed.
  map $remote_user $registry_role {
${renderRoleMap(options.users)}
  }
  map "$registry_role $request_method $request_uri" $registry_access {
    default denied;
${REGISTRY_ACCESS_RULES.map(([pattern, meaning]) => `    # ${meaning}\n    "${pattern}" allowed;`).join("\n")}
  }

  # While the maintenance flag exists, writes get 405; reads probe no path, so never match.
  map $request_method $registry_maintenance_probe {
    GET "";
    HEAD "";
    default ${layout.maintenanceFlag};
  }

  upstream docker-registry {
    server ${layout.upstream};
  }

  server {
    listen ${layout.listen} ssl;
    server_name ${options.serverName};

    ssl_certificate ${layout.tlsCert};
    ssl_certificate_key ${layout.tlsKey};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${TLS12_CIPHERS.join(":")};
    ssl_ecdh_curve ${TLS_CURVES.join(":")};
    ssl_prefer_server_ciphers on;
    ssl_session_cache shared:registry_tls:10m;
    ssl_session_timeout 1h;

    # Plain HTTP sent to this TLS port is redirected to https, on the port clients use (inside the
    # container nginx listens on 443, not on the port Docker publishes).
    error_page 497 =301 https://$host:${options.publishedPort}$request_uri;

    # Layers can be gigabytes: no size limit, streamed, with long timeouts.
    client_max_body_size 0;
    chunked_transfer_encoding on;

    ${hsts}

    location / {
      ${hsts}
      return 404;
    }

    # After auth_basic (a wrong password is 401 whatever the method): the user's role allows the
    # request (204) or not (403). The subrequest sees the client's method and URI.
    location = /_registry/access {
      internal;
      if ($registry_access != allowed) {
        return 403;
      }
      return 204;
    }

    # A refused role, in the registry's own error format.
    location = /_registry/denied {
      internal;
      default_type application/json;
      ${hsts}
      ${apiVersion}
      return 403 '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":null}]}\\n';
    }

    location /v2/ {
      if (-f $registry_maintenance_probe) {
        return 405;
      }

      limit_req zone=registry_auth burst=${options.rateLimit.burst} nodelay;
      auth_basic "registry";
      auth_basic_user_file ${layout.htpasswd};
      auth_request /_registry/access;
      error_page 403 /_registry/denied;

      ${hsts}
      ${apiVersion}

      proxy_pass http://docker-registry;
      # HTTP/1.1 to the registry, or nginx buffers chunked layer uploads to disk in full.
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 900s;
      proxy_send_timeout 900s;
    }
  }
}
`;
}

export interface RegistryLayout {
  /** Address the registry listens on: inside its private network only. */
  readonly addr: string;
  readonly rootDirectory: string;
}

export const REGISTRY_CONTAINER_LAYOUT: RegistryLayout = {
  addr: "0.0.0.0:5000",
  rootDirectory: "/var/lib/registry",
};

export const REGISTRY_CONFIG_PATH = "/etc/docker/registry/config.yml";

/**
 * The registry's config.yml. No debug section: its health and metrics endpoint stays off every
 * address. The HTTP secret comes from REGISTRY_HTTP_SECRET, never this file.
 */
export function renderRegistryConfig(layout: RegistryLayout): string {
  return `# Rendered by ci-platform: docker distribution behind nginx.
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: ${layout.rootDirectory}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: ${layout.addr}
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;
}

/**
 * The nginx container's entrypoint: writes the secrets it is given in its environment to a
 * private tmpfs, then replaces itself with nginx. Secrets never appear in the rendered config.
 */
export function renderNginxEntrypoint(layout: Omit<NginxLayout, "upstream">): string {
  return `set -eu
umask 077
mkdir -p "$(dirname ${layout.htpasswd})" "$(dirname ${layout.tlsKey})" "$(dirname ${layout.maintenanceFlag})" ${layout.tempDir}
# nginx's workers (not root) read htpasswd and test the maintenance flag; the key stays 0600.
chmod 0755 "$(dirname ${layout.htpasswd})" "$(dirname ${layout.maintenanceFlag})"
printf '%s\\n' "$REGISTRY_HTPASSWD" > ${layout.htpasswd}
printf '%s\\n' "$REGISTRY_TLS_KEY" > ${layout.tlsKey}
chmod 0644 ${layout.htpasswd}
unset REGISTRY_HTPASSWD REGISTRY_TLS_KEY
exec nginx -c ${NGINX_CONF_PATH} -g 'daemon off;'
`;
}
