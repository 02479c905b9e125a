/** Vitest glue for the private dockerd (kept apart so `dockerd.ts` runs outside vitest too). */
import { afterAll, beforeAll } from "vitest";
import { startDockerd, type PrivateDockerd, type StartDockerdOptions } from "./dockerd";

/**
 * Vitest glue: starts a private dockerd in `beforeAll` and stops it in `afterAll`. Call at the
 * top of a file or `describe`; the returned getter gives the running daemon inside tests.
 */
export function useDockerd(options: StartDockerdOptions = {}): () => PrivateDockerd {
  let daemon: PrivateDockerd | undefined;
  beforeAll(
    async () => {
      daemon = await startDockerd(options);
    },
    (options.startTimeoutMs ?? 60_000) + 60_000,
  );
  afterAll(async () => {
    await daemon?.stop();
  }, 120_000);
  return () => {
    if (!daemon) throw new Error("the private dockerd is not running (did its beforeAll fail?)");
    return daemon;
  };
}
