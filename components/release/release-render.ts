/**
 * The CI hosts' release proxy: one nginx on the host network with a server per service on its
 * public port, proxying to the live slot's port. Which slot is live is one small file per service
 * in a directory nginx includes; switching rewrites that file and reloads nginx gracefully, so
 * requests in flight finish on the old slot and new ones go to the new slot, none refused.
 */
import { shellQuote, shellWord } from "../docker/shell";
import type { Slot, SlotPorts } from "../model/slots";

/** Where things are for the proxy's nginx. */
export interface ProxyLayout {
  /** The main config file. */
  readonly conf: string;
  /** Directory of `<service>.conf` files naming each service's live slot (state: on a volume). */
  readonly liveDir: string;
  readonly pid: string;
  readonly tempDir: string;
  readonly errorLog: string;
}

/** The layout inside the proxy container the program runs. */
export const PROXY_CONTAINER_LAYOUT: ProxyLayout = {
  conf: "/etc/ci-platform/release-proxy.conf",
  liveDir: "/var/lib/release-proxy/live",
  pid: "/tmp/release-proxy.pid",
  tempDir: "/tmp/release-proxy",
  errorLog: "/dev/stderr",
};

export interface ProxiedService {
  readonly name: string;
  /** The public port the proxy listens on. */
  readonly hostPort: number;
  readonly slotPorts: SlotPorts;
}

/** The address slots publish on and the proxy listens on: the host's loopback. */
export const RELEASE_LISTEN_ADDRESS = "127.0.0.1";

/**
 * Where the proxy keeps its servers (one per service) when they are installed by command rather
 * than built into the main config: beside the live files, on the same volume. No service is named
 * with a leading `_` (names are DNS labels), so it never collides with a live file.
 */
export function serversFile(layout: ProxyLayout): string {
  return `${layout.liveDir}/_servers.conf`;
}

/** One nginx server per service, each proxying its public port to its live slot. */
export function renderReleaseProxyServers(
  layout: ProxyLayout,
  services: readonly ProxiedService[],
  listenAddress: string = RELEASE_LISTEN_ADDRESS,
): string {
  return [...services]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (s) => `
  # ${s.name}: blue slot on ${s.slotPorts.blue}, green slot on ${s.slotPorts.green}
  server {
    listen ${listenAddress}:${s.hostPort};
    set $live_slot blue;
    set $live_upstream ${listenAddress}:${s.slotPorts.blue};
    include ${layout.liveDir}/${s.name}.con[f];
    location / {
      proxy_pass http://$live_upstream;
      add_header X-Release-Slot $live_slot always;
    }
  }`,
    )
    .join("\n");
}

/**
 * nginx.conf of the proxy. Each server starts with the blue slot as live and then includes its
 * live file (a glob, so a missing file is not an error) which may say otherwise. Servers come
 * inline from `services` and from the installed servers file, if there is one: the program's
 * container keeps its main config fixed and installs the servers by command, so a port change
 * reloads nginx instead of replacing the container.
 */
export function renderReleaseProxyConf(
  layout: ProxyLayout,
  services: readonly ProxiedService[],
  listenAddress: string = RELEASE_LISTEN_ADDRESS,
): string {
  const servers = renderReleaseProxyServers(layout, services, listenAddress);
  const installed = serversFile(layout).replace(/f$/, "[f]");
  return `# Rendered by ci-platform: each service's public port, proxied to its live release slot.
worker_processes 1;
pid ${layout.pid};
error_log ${layout.errorLog} warn;

events {
  worker_connections 1024;
}

http {
  server_tokens off;
  access_log off;
  client_body_temp_path ${layout.tempDir}/client_body;
  proxy_temp_path ${layout.tempDir}/proxy;
  fastcgi_temp_path ${layout.tempDir}/fastcgi;
  uwsgi_temp_path ${layout.tempDir}/uwsgi;
  scgi_temp_path ${layout.tempDir}/scgi;
  client_max_body_size 64m;

  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_connect_timeout 2s;
  proxy_read_timeout 60s;
  include ${installed};
${servers}
}
`;
}

/** A service's live file: which slot is live, and where it listens. */
export function renderLiveSlotConf(
  slot: Slot,
  ports: SlotPorts,
  listenAddress: string = RELEASE_LISTEN_ADDRESS,
): string {
  return `set $live_slot ${slot};\nset $live_upstream ${listenAddress}:${ports[slot]};\n`;
}

export interface LiveSlotAssignment extends ProxiedService {
  readonly liveSlot: Slot;
}

/**
 * The script, run inside the proxy container, that makes `assignment.liveSlot` live for its
 * service: replaces the service's live file by an atomic rename, checks the config, and reloads
 * nginx gracefully.
 */
export function renderSwitchScript(
  layout: ProxyLayout,
  assignment: LiveSlotAssignment,
  listenAddress: string = RELEASE_LISTEN_ADDRESS,
): string {
  // The service's name is part of the path; quoted only when it needs it, so a switch command
  // keeps its text (re-running it would reset a slot the pipeline switched since).
  const file = shellWord(`${layout.liveDir}/${assignment.name}.conf`);
  const tmp = shellWord(`${layout.liveDir}/${assignment.name}.conf.tmp`);
  const content = renderLiveSlotConf(assignment.liveSlot, assignment.slotPorts, listenAddress);
  return [
    "set -eu",
    `mkdir -p ${layout.liveDir}`,
    `printf '%s' ${shellQuote(content)} > ${tmp}`,
    `mv ${tmp} ${file}`,
    `nginx -q -t -c ${layout.conf}`,
    `nginx -s reload -c ${layout.conf}`,
    "",
  ].join("\n");
}

/**
 * The host command that runs `script` with `sh -c` in the release proxy container `container`,
 * passing its stdin on when `stdin` is set. The container's name carries the stack name: both are
 * quoted for the host's shell, which parses the command once (the name only when it needs it, so
 * the commands of existing stacks keep their text and are not re-run).
 */
export function proxyExecCommand(container: string, script: string, stdin = false): string {
  return `docker exec${stdin ? " -i" : ""} ${shellWord(container)} sh -c ${shellQuote(script)}`;
}

/**
 * The script, run inside the proxy container with the servers on stdin, that installs them by an
 * atomic rename, checks the config and reloads nginx gracefully; a config nginx refuses is put
 * back as it was.
 */
export function renderInstallServersScript(layout: ProxyLayout): string {
  const file = serversFile(layout);
  return [
    "set -eu",
    `mkdir -p ${layout.liveDir}`,
    `cat > ${file}.new`,
    `if [ -f ${file} ]; then cp ${file} ${file}.old; fi`,
    `mv ${file}.new ${file}`,
    `if ! nginx -q -t -c ${layout.conf}; then`,
    `  if [ -f ${file}.old ]; then mv ${file}.old ${file}; else rm -f ${file}; fi`,
    "  exit 1",
    "fi",
    `rm -f ${file}.old`,
    `nginx -s reload -c ${layout.conf}`,
    "",
  ].join("\n");
}

/** The proxy container's entrypoint: its temp dirs, then nginx in the foreground. */
export function renderProxyEntrypoint(layout: ProxyLayout): string {
  return `set -eu
mkdir -p ${layout.tempDir} ${layout.liveDir}
exec nginx -c ${layout.conf} -g 'daemon off;'
`;
}
