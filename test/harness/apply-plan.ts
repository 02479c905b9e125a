/**
 * Applies an evaluated plan to a private Docker engine: networks, volumes and containers through
 * the docker CLI exactly as declared (over `ssh://` when the engine is an SSH host's), local
 * commands through `sh -c` and remote ones through `ssh` with their declared connection, in
 * declaration order (which
 * is dependency order in this program). This stands in for `pulumi up` where the docker provider
 * cannot run; it refuses resource types it cannot apply faithfully.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SERVICE_CATALOG, type DatastoreEntry } from "../../components/catalog/catalog";
import type { Evaluation, PlannedResource } from "../../lib/evaluate";
import type { PrivateDockerd } from "./dockerd";
import { containerPlan, networkCreateArgs, volumeCreateArgs } from "./docker-translate";
import { run, runOk } from "./process";

/** Types that only group or configure others: nothing to apply. */
const STRUCTURAL = (type: string): boolean =>
  type === "pulumi:pulumi:Stack" ||
  type.startsWith("ciplatform:") ||
  type.startsWith("pulumi:providers:");

export interface AppliedCommand {
  readonly name: string;
  readonly stdout: string;
}

export interface AppliedPlan {
  readonly containers: string[];
  readonly networks: string[];
  readonly volumes: string[];
  readonly commands: AppliedCommand[];
}

/** Puts `files` into a created (not yet started) container through a tar stream. */
async function upload(
  dockerd: PrivateDockerd,
  container: string,
  files: readonly { file: string; content: string }[],
): Promise<void> {
  if (files.length === 0) return;
  const staging = await mkdtemp(join(tmpdir(), "upload-"));
  try {
    for (const f of files) {
      const target = join(staging, f.file);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, f.content);
    }
    const tarball = await runTar(staging);
    await dockerd.dockerOk(["cp", "-", `${container}:/`], { input: tarball });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function runTar(dir: string): Promise<Buffer> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn("tar", ["-C", dir, "--owner=0", "--group=0", "-cf", "-", "."], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (b: Buffer) => chunks.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new Error(`tar exited ${code}`));
    });
  });
}

/** A remote command's declared connection: the fields `command:remote` dials with. */
interface RemoteConnection {
  readonly host: string;
  readonly user: string;
  readonly port: number;
}

/**
 * The `ssh` argv that runs a declared `command:remote:Command`'s create on its connection's host:
 * the same user, port and host, with `BatchMode=yes` as every SSH tool of the program uses.
 * (The provider authenticates with the agent or a declared key; the client's ssh config supplies
 * the test's key.) Needs the plan evaluated with secrets revealed: the connection is a secret.
 */
export function remoteCommandArgv(resource: PlannedResource, knownHostsFile?: string): string[] {
  const connection = resource.inputs["connection"] as Partial<RemoteConnection> | string;
  const create = resource.inputs["create"];
  if (typeof connection !== "object" || connection === null || typeof connection.host !== "string")
    throw new Error(
      `command ${resource.name} has no readable connection; evaluate the plan with revealSecrets`,
    );
  if (typeof create !== "string") throw new Error(`command ${resource.name} has no create command`);
  return [
    "-o",
    "BatchMode=yes",
    // A declared hostKey is the only key the provider accepts; without one it accepts any.
    ...(knownHostsFile === undefined
      ? []
      : ["-o", `UserKnownHostsFile=${knownHostsFile}`, "-o", "StrictHostKeyChecking=yes"]),
    "-p",
    String(connection.port ?? 22),
    "-l",
    String(connection.user ?? "root"),
    "--",
    connection.host,
    create,
  ];
}

/** Runs a declared remote command through `ssh` with `env` (whose PATH finds the client's ssh). */
async function runRemote(
  resource: PlannedResource,
  env: Readonly<Record<string, string>>,
): Promise<string> {
  const stdin = resource.inputs["stdin"];
  const connection = resource.inputs["connection"] as { host?: string; hostKey?: string };
  const scratch = await mkdtemp(join(tmpdir(), "remote-command-"));
  let result;
  try {
    let knownHosts: string | undefined;
    if (typeof connection?.hostKey === "string") {
      knownHosts = join(scratch, "known_hosts");
      await writeFile(knownHosts, `${connection.host} ${connection.hostKey}\n`);
    }
    result = await run("ssh", remoteCommandArgv(resource, knownHosts), {
      timeoutMs: 60_000,
      env,
      ...(typeof stdin === "string" ? { input: stdin } : {}),
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (result.code !== 0)
    throw new Error(`command ${resource.name} exited ${result.code}:\n${result.stderr}`);
  return result.stdout;
}

/** Creates and starts one declared container, then checks it is running (the provider's `mustRun`). */
export async function applyContainer(
  dockerd: PrivateDockerd,
  resource: PlannedResource,
): Promise<string> {
  const plan = containerPlan(resource.inputs);
  await dockerd.dockerOk(plan.create);
  const name = plan.create[plan.create.indexOf("--name") + 1]!;
  for (const connect of plan.connect) await dockerd.dockerOk(connect);
  await upload(dockerd, name, plan.uploads);
  await dockerd.dockerOk(["start", name]);
  const state = await dockerd.dockerOk(["inspect", "--format", "{{.State.Status}}", name]);
  if (state !== "running") {
    const logs = await dockerd.docker(["logs", "--tail", "20", name]);
    throw new Error(`container ${name} is ${state} after start:\n${logs.stdout}${logs.stderr}`);
  }
  return name;
}

/** Whether `resource` sits below a component of type `componentType`. */
export function descendsFrom(
  evaluation: Evaluation,
  resource: PlannedResource,
  componentType: string,
): boolean {
  const byKey = new Map(evaluation.resources.map((r) => [`${r.type}::${r.name}`, r]));
  for (let parent = resource.parent; parent !== undefined; parent = byKey.get(parent)?.parent) {
    if (parent.startsWith(`${componentType}::`)) return true;
  }
  return false;
}

/**
 * Applies the plan's resources that `include` accepts. Commands run on this machine, so the
 * default leaves out Jenkins' install (it runs apt; its own test runs it against stand-in tools).
 */
export async function applyPlan(
  evaluation: Evaluation,
  dockerd: PrivateDockerd,
  include: (resource: PlannedResource) => boolean = (r) =>
    !descendsFrom(evaluation, r, "ciplatform:jenkins:JenkinsHost"),
): Promise<AppliedPlan> {
  const applied: AppliedPlan = { containers: [], networks: [], volumes: [], commands: [] };
  for (const resource of evaluation.resources) {
    if (STRUCTURAL(resource.type) || !include(resource)) continue;
    switch (resource.type) {
      case "docker:index/network:Network":
        await dockerd.dockerOk(networkCreateArgs(resource.inputs));
        applied.networks.push(String(resource.inputs["name"]));
        break;
      case "docker:index/volume:Volume":
        await dockerd.dockerOk(volumeCreateArgs(resource.inputs));
        applied.volumes.push(String(resource.inputs["name"]));
        break;
      case "docker:index/container:Container":
        applied.containers.push(await applyContainer(dockerd, resource));
        break;
      case "command:local:Command": {
        const create = resource.inputs["create"];
        if (typeof create !== "string")
          throw new Error(`command ${resource.name} has no create command`);
        const stdin = resource.inputs["stdin"];
        const result = await run("sh", ["-c", create], {
          timeoutMs: 60_000,
          ...(typeof stdin === "string" ? { input: stdin } : {}),
        });
        if (result.code !== 0)
          throw new Error(`command ${resource.name} exited ${result.code}:\n${result.stderr}`);
        applied.commands.push({ name: resource.name, stdout: result.stdout });
        break;
      }
      case "command:remote:Command":
        applied.commands.push({
          name: resource.name,
          stdout: await runRemote(resource, dockerd.env),
        });
        break;
      default:
        throw new Error(
          `the harness cannot apply ${resource.type} ${resource.name}; configure the stack so it is not declared (e.g. pullImages: false)`,
        );
    }
  }
  return applied;
}

/**
 * Runs a declared command again, as a second `up` would after its triggers changed: a local one
 * through `sh -c`, a remote one through `ssh` with `env` (the SSH host's client environment).
 */
export async function rerunCommand(
  evaluation: Evaluation,
  name: string,
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  const remote = evaluation.resources.find(
    (r) => r.type === "command:remote:Command" && r.name === name,
  );
  if (remote) return runRemote(remote, env);
  const resource = evaluation.resources.find(
    (r) => r.type === "command:local:Command" && r.name === name,
  );
  if (!resource) throw new Error(`no local or remote command ${name} in the plan`);
  return runOk("sh", ["-c", String(resource.inputs["create"])], { timeoutMs: 60_000 });
}

export interface DestroyedPlan {
  /** `type name` of what was removed. */
  readonly removed: string[];
  /** `type name` of what stays: protected or retained on delete (volumes with data). */
  readonly kept: string[];
}

/**
 * Removes `resources` (a plan's, e.g. the ones a removed config block declared) the way
 * `pulumi up` deletes them: in reverse declaration order, containers and networks removed,
 * volumes removed unless `protect`ed or `retainOnDelete`, commands' `delete` run if they declare
 * one. Protected resources are kept (Pulumi refuses to delete them; the user unprotects first).
 */
export async function destroyResources(
  resources: readonly PlannedResource[],
  dockerd: PrivateDockerd,
): Promise<DestroyedPlan> {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const resource of [...resources].reverse()) {
    if (STRUCTURAL(resource.type)) continue;
    const id = `${resource.type} ${resource.name}`;
    if (resource.protect || resource.retainOnDelete) {
      kept.push(id);
      continue;
    }
    const name = String(resource.inputs["name"]);
    switch (resource.type) {
      case "docker:index/container:Container":
        await dockerd.dockerOk(["rm", "--force", "--volumes", name]);
        break;
      case "docker:index/network:Network":
        await dockerd.dockerOk(["network", "rm", name]);
        break;
      case "docker:index/volume:Volume":
        await dockerd.dockerOk(["volume", "rm", name]);
        break;
      case "command:remote:Command":
      case "command:local:Command": {
        const del = resource.inputs["delete"];
        if (typeof del !== "string") break;
        if (resource.type === "command:local:Command")
          await runOk("sh", ["-c", del], { timeoutMs: 60_000 });
        else
          await runRemote(
            { ...resource, inputs: { ...resource.inputs, create: del } },
            dockerd.env,
          );
        break;
      }
      default:
        throw new Error(`the harness cannot delete ${id}`);
    }
    removed.push(id);
  }
  return { removed, kept };
}

/** A production-like node as a host declares it: its name, address and the datastore it runs. */
export interface DeclaredNode {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly image: string;
}

/** The production-like nodes `host` declares among `resources` (its dnsmasq is not one). */
export function declaredNodes(resources: readonly PlannedResource[], host: string): DeclaredNode[] {
  const datastores = SERVICE_CATALOG.filter((e): e is DatastoreEntry => e.kind === "datastore");
  return resources
    .filter(
      (r) =>
        r.type === "docker:index/container:Container" &&
        r.name.startsWith(`${host}-prodlike-`) &&
        !r.name.endsWith("-dnsmasq"),
    )
    .map((r) => {
      const datastore = datastores.find((d) => r.inputs["image"] === d.image)!;
      const [attachment] = r.inputs["networksAdvanced"] as { ipv4Address: string }[];
      return {
        name: String(r.inputs["hostname"]),
        ip: attachment!.ipv4Address,
        port: datastore.port,
        image: datastore.image,
      };
    });
}
