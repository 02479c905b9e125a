/** The dev-minimal set as a docker-compose.yml for laptops, from the same catalog as the CI hosts. */
import { stringify } from "yaml";
import type { DatastoreEntry } from "../catalog/catalog";
import { CONTAINER_LOG_OPTS, RESTART_POLICY } from "../docker/docker-render";
import { datastoreHealthcheck } from "./services-render";

export function renderDevCompose(datastores: readonly DatastoreEntry[]): string {
  const services: Record<string, unknown> = {};
  for (const entry of [...datastores].sort((a, b) => a.name.localeCompare(b.name))) {
    const health = datastoreHealthcheck(entry);
    services[entry.name] = {
      image: entry.image,
      network_mode: "host",
      command: [...entry.loopbackCommand],
      ...(entry.passwordEnv === undefined
        ? {}
        : {
            // Taken from the developer's environment when compose runs; never written here.
            environment: {
              [entry.passwordEnv]: `\${${entry.passwordEnv}:?set ${entry.passwordEnv} in your environment (any value, for the local ${entry.name})}`,
            },
          }),
      restart: RESTART_POLICY,
      mem_limit: `${entry.memoryMb}m`,
      memswap_limit: `${entry.memoryMb}m`,
      security_opt: ["no-new-privileges:true"],
      logging: { driver: "json-file", options: { ...CONTAINER_LOG_OPTS } },
      ...(health
        ? {
            healthcheck: {
              test: health.tests,
              interval: health.interval,
              timeout: health.timeout,
              retries: health.retries,
              start_period: health.startPeriod,
            },
          }
        : {}),
    };
  }
  return [
    "# Rendered by ci-platform (npm run dev-compose): the dev-minimal set, one empty container per",
    "# datastore on the host network at its default port, on 127.0.0.1 only, as on the CI hosts.",
    stringify({ name: "ci-platform-dev", services }, { lineWidth: 0 }),
  ].join("\n");
}
