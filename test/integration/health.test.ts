/**
 * `npm run health` against stub endpoints on 127.0.0.1: one up (200), one down (a closed port),
 * one slow (answers after the probe's timeout), one wrong (503), one reset mid-request. The CLI's table, JSON and exit
 * code; a stack's 25 services from the outputs shape, timed; and the `--serve` dashboard in real
 * headless Chromium (Debian's `chromium`, from .ci/install-deps.sh, driven by playwright-core): its
 * DOM and a screenshot of the same load, decoded with pngjs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_CATALOG } from "../../components/catalog/catalog";
import { withPage } from "../../tools/health/browser";
import type { ProbeResult } from "../../tools/health/classify";
import type { StatusDocument } from "../../tools/health/history";
import { STATUS_COLORS } from "../../tools/health/html";
import { countPixels, isGreen, isRed } from "../../tools/health/pixels";
import { startStubs, type Stubs } from "../../tools/health/stubs";
import { run, waitFor } from "../harness/process";

const ROOT = resolve(__dirname, "..", "..");
const CLI = ["--stack-trace-limit=0", "--import", "tsx", "tools/cli.ts", "health"];
const TIMEOUT_MS = 500;

/** What `--json` prints. */
interface HealthReport {
  readonly elapsedMs: number;
  readonly summary: { up: number; down: number; timeout: number };
  readonly results: readonly ProbeResult[];
}

function health(args: readonly string[]) {
  return run(process.execPath, [...CLI, ...args], { cwd: ROOT, timeoutMs: 60_000 });
}

/** The table row of one service: the line that starts with its name. */
function tableRow(stdout: string, service: string): string {
  return stdout.split("\n").find((l) => l.startsWith(`${service} `)) ?? `(no row for ${service})`;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** A GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = http.get(url, { headers: { Host: host }, timeout: 5000 }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
  });
}

describe(
  "health CLI and dashboard against stub endpoints on 127.0.0.1",
  { timeout: 120_000 },
  () => {
    let dir: string;
    let stubs: Stubs;
    let fleet: Stubs;
    let mixedFile: string;
    let upFile: string;
    let serve: ChildProcess | undefined;
    let serveExit: Promise<number | null> | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "health-it-"));
      stubs = await startStubs([
        { service: "up", behaviour: { kind: "up" } },
        { service: "down", behaviour: { kind: "closed" } },
        { service: "slow", behaviour: { kind: "slow", delayMs: 10 * TIMEOUT_MS } },
        { service: "wrong", behaviour: { kind: "status", status: 503 } },
        { service: "reset", behaviour: { kind: "reset" } },
      ]);
      const apps = SERVICE_CATALOG.filter((e) => e.kind === "app").map((e) => e.name);
      fleet = await startStubs(apps.map((service) => ({ service, behaviour: { kind: "up" } })));
      mixedFile = join(dir, "mixed.json");
      writeFileSync(
        mixedFile,
        JSON.stringify(Object.fromEntries(stubs.endpoints.map((e) => [e.service, e.url]))),
      );
      upFile = join(dir, "up.json");
      writeFileSync(upFile, JSON.stringify({ up: stubs.endpoints[0]!.url }));
    });

    afterAll(async () => {
      if (serve && serve.exitCode === null && serve.signalCode === null) {
        serve.kill("SIGTERM");
        const exited = await Promise.race([
          serveExit,
          new Promise((r) => setTimeout(() => r("still running"), 10_000)),
        ]);
        if (exited === "still running") serve.kill("SIGKILL");
      }
      await stubs?.close();
      await fleet?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("prints each endpoint's status, sorted, and exits 1 when any is down or timed out", async () => {
      const r = await health([
        "--stack",
        "testing",
        "--file",
        mixedFile,
        "--timeout-ms",
        `${TIMEOUT_MS}`,
      ]);
      expect(r.code, r.stderr).toBe(1);
      const urlOf = (s: string): string => stubs.endpoints.find((e) => e.service === s)!.url;
      expect(tableRow(r.stdout, "up")).toMatch(
        new RegExp(`^up +${urlOf("up")} +up \\(HTTP 200\\) +\\d+ ms$`),
      );
      expect(tableRow(r.stdout, "down")).toMatch(/ down \(ECONNREFUSED\) +\d+ ms$/);
      expect(tableRow(r.stdout, "slow")).toMatch(/ timeout \(no answer in 500 ms\) +\d+ ms$/);
      expect(tableRow(r.stdout, "wrong")).toMatch(/ down \(HTTP 503\) +\d+ ms$/);
      expect(tableRow(r.stdout, "reset")).toMatch(/ down \(ECONNRESET\) +\d+ ms$/);
      const services = r.stdout
        .split("\n")
        .filter((l) => /^(up|down|slow|wrong|reset) /.test(l))
        .map((l) => l.split(" ")[0]);
      expect(services).toEqual(["down", "reset", "slow", "up", "wrong"]);
      expect(r.stdout).toMatch(/^1 up, 3 down, 1 timeout \(5 endpoints in \d+ ms\)$/m);
    });

    it("prints the same results as JSON with --json", async () => {
      const r = await health(["--file", mixedFile, "--timeout-ms", `${TIMEOUT_MS}`, "--json"]);
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout) as HealthReport;
      expect(doc.summary).toEqual({ up: 1, down: 3, timeout: 1 });
      expect(doc.results.map((x) => [x.service, x.status, x.detail])).toEqual([
        ["down", "down", "ECONNREFUSED"],
        ["reset", "down", "ECONNRESET"],
        ["slow", "timeout", "no answer in 500 ms"],
        ["up", "up", "HTTP 200"],
        ["wrong", "down", "HTTP 503"],
      ]);
      // Concurrent, and bounded by the one timeout: not the sum of the probes.
      expect(doc.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(doc.elapsedMs).toBeLessThan(TIMEOUT_MS + 1000);
    });

    it("exits 0 when every endpoint is up", async () => {
      const r = await health(["--stack", "testing", "--file", upFile]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^1 up \(1 endpoint in \d+ ms\)$/m);
    });

    it("probes a stack's 25 services, derived from its outputs, in one short round", async () => {
      // The stack-outputs shape of a CI host on the local engine: 127.0.0.1:<hostPort>/health.
      const outputs = {
        kind: "ci-host",
        services: Object.fromEntries(
          fleet.endpoints.map((e) => [
            e.service,
            {
              hostPort: Number(new URL(e.url).port),
              dnsName: `${e.service}.us-east-1.example.com`,
            },
          ]),
        ),
        ciHosts: { "ci-testing-1": { dockerHost: "unix:///var/run/docker.sock" } },
      };
      const file = join(dir, "outputs.json");
      writeFileSync(file, JSON.stringify(outputs));
      const started = performance.now();
      const r = await health(["--stack", "testing", "--file", file, "--json"]);
      const wallMs = Math.round(performance.now() - started);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as HealthReport;
      expect(doc.summary).toEqual({ up: 25, down: 0, timeout: 0 });
      expect(doc.results.map((x) => x.url).sort()).toEqual(
        fleet.endpoints.map((e) => e.url).sort(),
      );
      expect(doc.elapsedMs).toBeLessThan(2000);
      console.log(
        `health: 25 services probed in ${doc.elapsedMs} ms (the CLI process, tsx start-up included: ${wallMs} ms)`,
      );
    });

    it("serves a dashboard that Chromium shows with the down service in red", async () => {
      const history = 3;
      const child = spawn(
        process.execPath,
        [
          ...CLI,
          "--stack",
          "testing",
          "--file",
          mixedFile,
          "--timeout-ms",
          `${TIMEOUT_MS}`,
          "--serve",
          "0",
          "--interval-ms",
          "300",
          "--history",
          `${history}`,
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
      );
      serve = child;
      serveExit = new Promise((r) => child.once("exit", (code) => r(code)));
      let output = "";
      child.stdout.on("data", (b: Buffer) => (output += b.toString("utf8")));
      child.stderr.on("data", (b: Buffer) => (output += b.toString("utf8")));
      const base = await waitFor(
        "the dashboard's address",
        () =>
          Promise.resolve(
            /health dashboard for testing: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1],
          ),
        { timeoutMs: 30_000, intervalMs: 100 },
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\noutput:\n${output}`);
      });

      // More rounds than the history keeps: the strips stay bounded.
      const status = await waitFor(
        `${history + 2} probe rounds`,
        async () => {
          const doc = await getJson<StatusDocument>(`${base}api/status`);
          return doc.rounds >= history + 2 ? doc : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(status.summary).toEqual({ up: 1, down: 3, timeout: 1 });
      expect(status.services.map((s) => [s.service, s.current?.status, s.history.length])).toEqual([
        ["down", "down", history],
        ["reset", "down", history],
        ["slow", "timeout", history],
        ["up", "up", history],
        ["wrong", "down", history],
      ]);
      expect(await getWithHost(`${base}api/status`, "evil.example.com")).toBe(403);
      expect((await fetch(`${base}nope`, { signal: AbortSignal.timeout(5000) })).status).toBe(404);

      const png = join(dir, "dashboard.png");
      const dom = await withPage(
        base,
        async (page) => {
          await page.screenshot({ path: png });
          return page.content();
        },
        { viewport: { width: 1200, height: 800 }, timeoutMs: 60_000 },
      );
      const row = (service: string): string =>
        new RegExp(`<tr [^>]*data-service="${service}"[^>]*>.*?</tr>`).exec(dom)?.[0] ?? "";
      expect(row("down")).toContain('class="svc down"');
      expect(row("down")).toContain('<span class="badge down">down</span>');
      expect(row("down")).toContain("ECONNREFUSED");
      expect(row("slow")).toContain('<span class="badge timeout">timeout</span>');
      expect(row("wrong")).toContain('<span class="badge down">down</span>');
      expect(row("up")).toContain('<span class="badge up">up</span>');
      expect(dom).toContain(`.badge.down, .tick.down { background: ${STATUS_COLORS.down}; }`);
      expect(dom).toContain("1 up, 3 down, 1 timeout");

      const image = PNG.sync.read(readFileSync(png));
      expect([image.width, image.height]).toEqual([1200, 800]);
      expect(statSync(png).size).toBeGreaterThan(5_000);
      // Four red badges and their strips; one green badge and its strip.
      expect(countPixels(image, isRed)).toBeGreaterThan(1_000);
      expect(countPixels(image, isGreen)).toBeGreaterThan(300);

      child.kill("SIGTERM");
      const code = await Promise.race([
        serveExit,
        new Promise((r) => setTimeout(() => r("no exit in 10 s"), 10_000)),
      ]);
      expect(code).toBe(0);
    });
  },
);
