/**
 * Docker Compose for integration tests: the CLI plugin `.ci/build-compose.sh` builds from Go
 * modules (Debian's docker.io 20.10 ships none), installed into one private dockerd's own
 * DOCKER_CONFIG so `dockerd.docker(["compose", ...])` runs it through Debian's docker CLI.
 */
import { constants, promises as fs } from "node:fs";
import * as path from "node:path";
import type { PrivateDockerd } from "./dockerd";

/** Where `.ci/build-compose.sh` puts the plugin, relative to the repository root. */
export const COMPOSE_PLUGIN_PATH = ".cache/tools/docker-compose/docker-compose";

/**
 * The compose plugin binary: `CI_DOCKER_COMPOSE` if set, else the one `.ci/build-compose.sh`
 * built; fails with the command to run when neither exists.
 */
export async function composePluginBinary(): Promise<string> {
  const binary =
    process.env.CI_DOCKER_COMPOSE ?? path.resolve(__dirname, "../..", COMPOSE_PLUGIN_PATH);
  try {
    await fs.access(binary, constants.X_OK);
  } catch {
    throw new Error(
      `docker compose plugin ${binary} is missing: run \`bash .ci/build-compose.sh\` (or set CI_DOCKER_COMPOSE)`,
    );
  }
  return binary;
}

/**
 * Links the compose plugin into `dockerd`'s DOCKER_CONFIG (`<config>/cli-plugins/docker-compose`,
 * where the docker CLI looks first) and resolves to what `docker compose version --short` says.
 * The link goes with the daemon's temp dir.
 */
export async function installComposePlugin(dockerd: PrivateDockerd): Promise<string> {
  const config = dockerd.env["DOCKER_CONFIG"];
  if (!config) throw new Error("the private dockerd has no DOCKER_CONFIG for its CLI");
  const plugins = path.join(config, "cli-plugins");
  await fs.mkdir(plugins, { recursive: true });
  const link = path.join(plugins, "docker-compose");
  await fs.rm(link, { force: true });
  await fs.symlink(await composePluginBinary(), link);
  return dockerd.dockerOk(["compose", "version", "--short"], { timeoutMs: 15_000 });
}
