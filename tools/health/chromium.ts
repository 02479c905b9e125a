/**
 * Debian's headless Chromium, run once per page: `--dump-dom` for the DOM after load, or
 * `--screenshot` for a PNG. Each run gets a fresh profile directory, is bounded in time, and its
 * whole process group (renderer, zygote, ...) is killed when it ends.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { which } from "../../lib/process";

export interface ChromiumOptions {
  /** Kill the browser after this long. @default 60_000 */
  readonly timeoutMs?: number;
  /** Virtual time the page gets to load before the DOM or screenshot is taken; keep it below the page's meta refresh period (a refresh inside the budget never settles). @default 500 */
  readonly virtualTimeBudgetMs?: number;
  /** The browser binary. @default `chromium` from PATH (/usr/bin/chromium on Debian) */
  readonly binary?: string;
}

/** Flags for a quiet, sandbox-less (root in CI), network-frugal headless run. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

interface BrowserRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the browser with a fresh `--user-data-dir`; rejects on timeout or a non-zero exit. */
async function runChromium(args: readonly string[], options: ChromiumOptions): Promise<BrowserRun> {
  const binary = options.binary ?? which("chromium");
  const timeoutMs = options.timeoutMs ?? 60_000;
  const profile = mkdtempSync(join(tmpdir(), "health-chromium-"));
  try {
    const result = await new Promise<BrowserRun>((resolve, reject) => {
      const child = spawn(binary, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const killGroup = (): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // the group is already gone
        }
      };
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${binary}: ${e.message}`));
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        killGroup(); // helpers outliving the browser
        const stderr = Buffer.concat(err).toString("utf8");
        if (timedOut) {
          reject(new Error(`${binary} killed after ${timeoutMs} ms:\n${tail(stderr)}`));
          return;
        }
        resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr });
      });
    });
    if (result.code !== 0) {
      throw new Error(`${binary} exited ${result.code}:\n${tail(result.stderr)}`);
    }
    return result;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-10).join("\n");
}

const budget = (options: ChromiumOptions): string =>
  `--virtual-time-budget=${options.virtualTimeBudgetMs ?? 500}`;

/** The page's DOM, serialized after load. */
export async function dumpDom(url: string, options: ChromiumOptions = {}): Promise<string> {
  const r = await runChromium([budget(options), "--dump-dom", url], options);
  return r.stdout;
}

/** Writes a PNG of the page at `width` x `height` CSS pixels to `file`. */
export async function screenshot(
  url: string,
  file: string,
  size: { readonly width: number; readonly height: number } = { width: 1200, height: 800 },
  options: ChromiumOptions = {},
): Promise<void> {
  await runChromium(
    [
      budget(options),
      "--hide-scrollbars",
      `--screenshot=${file}`,
      `--window-size=${size.width},${size.height}`,
      url,
    ],
    options,
  );
}
