/** Loopback ports for the daemons tests start. */
import { createServer } from "node:net";

/** Distinct TCP ports that were free on 127.0.0.1 a moment ago (all held at once while chosen). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (typeof address !== "object" || !address) throw new Error("no port");
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  const [port] = await freeLoopbackPorts(1);
  return port!;
}

/**
 * `docker run` arguments for a throwaway client on the testing stack's backend network that
 * resolves names through its dnsmasq, as a deployed build does, and runs `script` in `sh`.
 */
export function backendClientArgs(script: string, searchDomain: string): string[] {
  return [
    "run",
    "--rm",
    "--network",
    "testing-backend",
    "--dns",
    "172.18.0.2",
    "--dns-search",
    searchDomain,
    "mongo:7.0",
    "sh",
    "-c",
    script,
  ];
}
