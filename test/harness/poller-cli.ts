/**
 * `startPoller` as a process, for a client that must run somewhere else (inside a network
 * namespace, with `ip netns exec`): polls `<url>` until `<stop file>` exists (checked every
 * 100 ms, bounded by the poller's own limit), then prints the report as JSON.
 */
import { existsSync } from "node:fs";
import { startPoller } from "./poller";

async function main(): Promise<void> {
  const [url, stopFile] = process.argv.slice(2);
  if (!url || !stopFile) throw new Error("usage: poller-cli <url> <stop file>");
  const poller = startPoller(url);
  const deadline = Date.now() + 180_000;
  while (!existsSync(stopFile) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.stdout.write(`${JSON.stringify(await poller.stop())}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
