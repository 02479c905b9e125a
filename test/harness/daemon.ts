/** A foreground daemon for tests: its output appended to a log file, its exit tracked. */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";

export interface SpawnedDaemon {
  readonly child: ChildProcess;
  /** Resolves when the process has exited (or failed to start). */
  readonly exited: Promise<void>;
  /** How it ended (`code 0`, `signal SIGTERM`, `spawn error ...`), or undefined while it runs. */
  exitStatus(): string | undefined;
  /** Forgets the last-resort kill at the test process's exit: call once the daemon is stopped. */
  release(): void;
}

/**
 * Spawns `command` with stdout and stderr appended to `logPath`. If the test process exits
 * without stopping it, the daemon gets `lastResort` (SIGTERM lets dockerd shut down cleanly).
 */
export function spawnDaemon(
  command: string,
  args: readonly string[],
  options: {
    readonly logPath: string;
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly lastResort: NodeJS.Signals;
  },
): SpawnedDaemon {
  const fd = openSync(options.logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      status = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
    child.once("error", (e) => {
      status = `spawn error ${e.message}`;
      resolve();
    });
  });
  const onExit = (): void => {
    if (status === undefined && child.pid !== undefined) child.kill(options.lastResort);
  };
  process.on("exit", onExit);
  return {
    child,
    exited,
    exitStatus: () => status,
    release: () => {
      process.removeListener("exit", onExit);
    },
  };
}

/** Resolves true when `p` settles within `ms`, false otherwise. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
