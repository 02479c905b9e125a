/** Small process helpers shared by tools and the integration harness: bounded runs and waits. */
import { spawn } from "node:child_process";
import { accessSync, constants, promises as fs } from "node:fs";
import * as path from "node:path";

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; -1 when the process was killed by a signal (including the timeout). */
  readonly code: number;
}

export interface RunOptions {
  /** Kill the process with SIGKILL after this long. @default 60_000 */
  readonly timeoutMs?: number;
  /** Written to the process's stdin, which is then closed. @default nothing (stdin is closed) */
  readonly input?: string | Buffer;
  /** Extra environment variables, merged over `process.env`. @default none */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory. @default the current directory */
  readonly cwd?: string;
  /** Also receives stdout and stderr as they arrive (to show progress). @default none */
  readonly onOutput?: (chunk: string) => void;
}

/** Runs `command args` to completion (bounded by `timeoutMs`); never rejects on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => {
      out.push(b);
      options.onOutput?.(b.toString("utf8"));
    });
    child.stderr.on("data", (b: Buffer) => {
      err.push(b);
      options.onOutput?.(b.toString("utf8"));
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: timedOut ? `${stderr}\n[killed after ${timeoutMs} ms]` : stderr,
        code: code ?? -1,
      });
    });
    child.stdin.on("error", () => undefined); // the child may exit before reading its input
    child.stdin.end(options.input ?? "");
  });
}

/** Like `run`, but rejects with the command, exit code and stderr unless it exits 0. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const r = await run(command, args, options);
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${r.code}:\n${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return r.stdout;
}

export interface WaitOptions {
  /** Give up after this long. @default 30_000 */
  readonly timeoutMs?: number;
  /** Pause between attempts. @default 200 */
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it returns a value other than `undefined` (or stops throwing), bounded by
 * `timeoutMs`; the error names `what` and the last failure.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt finished";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = "not ready";
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** System directories root's PATH has on Debian, searched after PATH (dockerd is in /usr/sbin). */
const SYSTEM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The absolute path of an executable, searching PATH and then the system directories. */
export function which(name: string): string {
  if (name.includes("/")) return name;
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found in PATH or ${SYSTEM_DIRS.join(":")}; run .ci/install-deps.sh`);
}

/** Whether `p` exists (any kind of file). */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
