/**
 * The datastore stand-ins enforce the real images' start-up contracts (see the table in
 * test/harness/datastore-images.ts): what the real image refuses, they refuse; where it listens,
 * they listen.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SERVICE_CATALOG, type DatastoreEntry } from "../../components/catalog/catalog";
import { buildDatastoreStandIn, standInBody } from "../harness/datastore-images";
import { waitFor } from "../harness/process";
import { useDockerd } from "../harness/use-dockerd";

const datastore = (name: string): DatastoreEntry =>
  SERVICE_CATALOG.find((e): e is DatastoreEntry => e.kind === "datastore" && e.name === name)!;

const NETWORK = "standin-net";
const SUBNET = "10.250.7.0/24";

describe("datastore stand-ins honour the real images' contracts", { timeout: 120_000 }, () => {
  const dockerd = useDockerd();
  let probe = 0;

  beforeAll(async () => {
    for (const name of ["mongodb", "postgres", "redis"])
      await buildDatastoreStandIn(dockerd(), datastore(name));
    await dockerd().dockerOk(["network", "create", "--subnet", SUBNET, NETWORK]);
  }, 180_000);

  /** Starts a container on the test network and returns its address. */
  const start = async (name: string, args: readonly string[]): Promise<string> => {
    await dockerd().dockerOk(["run", "-d", "--name", name, "--network", NETWORK, ...args]);
    return dockerd().dockerOk([
      "inspect",
      "-f",
      `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`,
      name,
    ]);
  };

  /** Fetches `url` from another container on the network: the body, or the error wget printed. */
  const fromNeighbour = async (url: string): Promise<string> => {
    probe += 1;
    const result = await dockerd().docker(
      [
        "run",
        "--rm",
        "--name",
        `probe-${probe}`,
        "--network",
        NETWORK,
        "redis:7.2",
        "sh",
        "-c",
      ].concat(`timeout 5 wget -q -O - ${url} || echo failed`),
      { timeoutMs: 30_000 },
    );
    return result.stdout;
  };

  /** Fetches 127.0.0.1:`port` inside the container itself (bounded retries while it starts). */
  const fromInside = (name: string, port: number): Promise<string> =>
    waitFor(
      `${name} answering on its own 127.0.0.1:${port}`,
      async () => {
        const r = await dockerd().docker(
          ["exec", name, "timeout", "3", "wget", "-q", "-O", "-", `http://127.0.0.1:${port}/`],
          { timeoutMs: 10_000 },
        );
        return r.code === 0 ? r.stdout : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );

  /** The container's exit code and log once it stopped, bounded. */
  const exited = async (name: string): Promise<{ code: string; log: string }> => {
    const code = await waitFor(
      `${name} to exit`,
      async () => {
        const state = await dockerd().dockerOk([
          "inspect",
          "-f",
          "{{.State.Status}} {{.State.ExitCode}}",
          name,
        ]);
        return state.startsWith("exited") ? state.split(" ")[1] : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const log = await dockerd().docker(["logs", name]);
    return { code: code, log: log.stdout + log.stderr };
  };

  it("postgres refuses to start on an empty data dir without a password", async () => {
    await dockerd().dockerOk([
      "run",
      "-d",
      "--name",
      "pg-nopass",
      "--network",
      NETWORK,
      "postgres:16",
    ]);
    const { code, log } = await exited("pg-nopass");
    expect(code).toBe("1");
    expect(log).toContain(
      "Error: Database is uninitialized and superuser password is not specified.",
    );
  });

  it("postgres listens on every interface by default, on 127.0.0.1 only with listen_addresses", async () => {
    const open = await start("pg-open", ["--env", "POSTGRES_PASSWORD=pw", "postgres:16"]);
    const closed = await start("pg-local", [
      "--env",
      "POSTGRES_PASSWORD=pw",
      "postgres:16",
      ...datastore("postgres").loopbackCommand,
    ]);
    expect(await fromNeighbour(`http://${open}:5432/`)).toBe(
      standInBody("postgres:16", "0.0.0.0", 5432),
    );
    // Up and answering on its own loopback, and only there.
    expect(await fromInside("pg-local", 5432)).toBe(standInBody("postgres:16", "127.0.0.1", 5432));
    expect(await fromNeighbour(`http://${closed}:5432/`)).toContain("failed");
  });

  it("mongo binds every interface unless --bind_ip is given, as its entrypoint adds --bind_ip_all", async () => {
    const open = await start("mongo-open", ["mongo:7.0"]);
    const closed = await start("mongo-local", [
      "mongo:7.0",
      ...datastore("mongodb").loopbackCommand,
    ]);
    expect(await fromNeighbour(`http://${open}:27017/`)).toBe(
      standInBody("mongo:7.0", "0.0.0.0", 27017),
    );
    // Up and answering on its own loopback, and only there.
    expect(await fromInside("mongo-local", 27017)).toBe(
      standInBody("mongo:7.0", "127.0.0.1", 27017),
    );
    expect(await fromNeighbour(`http://${closed}:27017/`)).toContain("failed");
  });

  it("redis binds every interface without --bind and refuses a directive it does not know", async () => {
    const open = await start("redis-open", ["redis:7.2"]);
    expect(await fromNeighbour(`http://${open}:6379/`)).toBe(
      standInBody("redis:7.2", "0.0.0.0", 6379),
    );
    await dockerd().dockerOk([
      "run",
      "-d",
      "--name",
      "redis-bad",
      "--network",
      NETWORK,
      "redis:7.2",
      "--bind-address",
      "x",
    ]);
    const { code, log } = await exited("redis-bad");
    expect(code).toBe("1");
    expect(log).toContain("Bad directive or wrong number of arguments");
  });
});
