/**
 * A new CI host over SSH, end to end: a second machine in a network namespace of the test's own
 * (sshd and a private dockerd in it, see test/harness/ssh-host.ts), reached only as
 * `ssh://root@10.231.0.2`. The testing stack gets one more `ciHosts` block pointing at it, and
 * everything the program declares for that host is applied over SSH: the docker resources with
 * `docker -H ssh://...` (the provider's transport), the remote commands (daemon.json, Jenkins'
 * install with stand-ins for apt and systemd on the remote side, the release proxy's switches)
 * through `ssh` with their declared connection. Then `npm run release` on that host, the SSH
 * failures users hit, and removing the block.
 */
import { promises as fs, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument, type YAMLMap } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_CATALOG, type DatastoreEntry } from "../../components/catalog/catalog";
import { jenkinsLayout } from "../../components/jenkins/jenkins-render";
import { JENKINS_LTS_VERSION } from "../../components/model/pins";
import type { Evaluation, PlannedResource } from "../../lib/evaluate";
import { readStackFile } from "../../lib/stack-file";
import { run, type RunResult } from "../../lib/process";
import {
  applyPlan,
  declaredNodes,
  destroyResources,
  rerunCommand,
  type AppliedPlan,
} from "../harness/apply-plan";
import { buildDatastoreStandIn, standInBody } from "../harness/datastore-images";
import { buildDnsmasqImage, buildNginxImage } from "../harness/images";
import { buildNodeBaseImage, NODE_BASE_IMAGE, SAMPLE_SERVICE_DIR } from "../harness/pipeline";
import type { PollReport } from "../harness/poller";
import { sleep, waitFor } from "../harness/process";
import { startSshHost, type SshHost } from "../harness/ssh-host";
import { evaluateStack, PROJECT_ROOT, withSecrets } from "../mocks";
import { backendClientArgs } from "../harness/net";

const HOST = "ci-testing-2";
const DOMAIN = "us-east-1.example.com";
const CLI = path.join(PROJECT_ROOT, "tools/cli.ts");
const POLLER_CLI = path.join(PROJECT_ROOT, "test/harness/poller-cli.ts");
const DATASTORES = SERVICE_CATALOG.filter((e): e is DatastoreEntry => e.kind === "datastore");
const WHO = `ciHosts.${HOST} (root@10.231.0.2:22)`;

describe("a new CI host provisioned over SSH from one config block", { timeout: 240_000 }, () => {
  let host: SshHost;
  let root = "";
  let plan: Evaluation;
  let hostResources: PlannedResource[];
  let applied: AppliedPlan;
  let provisionSeconds = 0;
  let daemonJsonPath = "";
  let certsDir = "";
  let registryCa = "";
  let reloadLog = "";
  let calls = "";
  let jenkinsHome = "";

  beforeAll(async () => {
    host = await startSshHost();
    console.info(`SSH host: namespace, sshd and dockerd up in ${host.startupMs} ms`);
    root = await fs.realpath(await fs.mkdtemp(path.join(tmpdir(), "ssh-host-")));
    // The remote machine's own paths: the namespace shares this machine's filesystem, so the
    // files the program installs "there" go under a directory of the test's.
    const remote = path.join(host.dir, "machine");
    daemonJsonPath = path.join(remote, "etc/docker/daemon.json");
    certsDir = path.join(remote, "etc/docker/certs.d");
    reloadLog = path.join(remote, "reloads");
    calls = path.join(remote, "calls.log");
    jenkinsHome = path.join(remote, "jenkins");
    await fs.mkdir(remote, { recursive: true });
    await writeRemoteStandIns(host.remoteBin, remote, calls);

    // The images the host would pull, built on it over SSH.
    const engine = host.engine;
    const imagesStarted = Date.now();
    for (const d of DATASTORES) await buildDatastoreStandIn(engine, d);
    await buildDnsmasqImage(engine, "dockurr/dnsmasq:2.91");
    await buildNginxImage(engine, "nginx:1.27-alpine");
    await buildNodeBaseImage(engine, NODE_BASE_IMAGE);
    const build = (args: string[]) =>
      engine.dockerOk(["build", "-q", ...args], { timeoutMs: 300_000 });
    await build([
      "-t",
      "sample-service:base",
      "--build-arg",
      `BASE_IMAGE=${NODE_BASE_IMAGE}`,
      SAMPLE_SERVICE_DIR,
    ]);
    for (const version of ["1.0.0", "2.0.0"]) {
      const context = path.join(root, `api-${version}`);
      await fs.mkdir(context);
      await fs.writeFile(
        path.join(context, "Dockerfile"),
        `FROM sample-service:base\nENV GIT_REVISION=${version}\nLABEL org.opencontainers.image.revision=${version}\n`,
      );
      await build(["-t", `api:${version}`, context]);
    }
    console.info(
      `images built on the SSH host in ${((Date.now() - imagesStarted) / 1000).toFixed(1)} s`,
    );

    // The stack file: the testing stack narrowed to api, plus one block for the new host.
    await fs.copyFile(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    const doc = parseDocument(
      await fs.readFile(path.join(PROJECT_ROOT, "Pulumi.testing.yaml"), "utf8"),
    );
    doc.setIn(["config", "ci-platform:services", "apps"], doc.createNode({ api: {} }));
    doc.setIn(
      ["config", "ci-platform:ciHosts", HOST],
      doc.createNode({
        dockerHost: host.dockerHost,
        // The key ssh-keyscan would print: the host commands' SSH client verifies it.
        sshHostKey: (await fs.readFile(path.join(host.dir, "host_key.pub"), "utf8"))
          .split(" ")
          .slice(0, 2)
          .join(" "),
        pullImages: false,
        // Test-only: the remote machine's /etc is this machine's, so point the install elsewhere.
        hostPrep: { daemonJsonPath, certsDir, reloadCommand: `echo reloaded >> ${reloadLog}` },
      }),
    );
    doc.setIn(
      ["config", "ci-platform:jenkins"],
      doc.createNode({
        home: jenkinsHome,
        systemdDir: path.join(remote, "systemd"),
        restartCommand: `echo restart >> ${path.join(remote, "restarts")}`,
        aptSource:
          "deb [signed-by=/usr/share/keyrings/jenkins.asc] https://pkg.example.com/debian binary/",
        aptSourcesDir: path.join(remote, "apt"),
      }),
    );
    // The staging stack's registry (on the first host): the new host's engine must trust its CA.
    const staging = parseDocument(
      await fs.readFile(path.join(PROJECT_ROOT, "Pulumi.staging.yaml"), "utf8"),
    );
    const registry = staging.getIn(["config", "ci-platform:registry"], true) as YAMLMap;
    registry.set("host", "ci-testing-1");
    registryCa = String(registry.get("tlsCert"));
    doc.setIn(["config", "ci-platform:registry"], registry);
    await fs.writeFile(path.join(root, "Pulumi.testing.yaml"), doc.toString());

    plan = await evaluateStack(
      "testing",
      withSecrets(readStackFile(root, "testing"), {
        datastorePassword: "dev-password",
        jenkinsAdminPassword: "admin",
        jenkinsRegistryPassword: "push-password",
      }),
      { revealSecrets: true },
    );
    // Everything the block added, except the Jenkins agents' networkholder image: its build
    // starts from an image this machine cannot pull.
    hostResources = plan.resources.filter(
      (r) => r.name.startsWith(`${HOST}-`) && r.type !== "docker:index/image:Image",
    );
    const started = Date.now();
    applied = await applyPlan({ ...plan, resources: hostResources }, engine, () => true);
    provisionSeconds = (Date.now() - started) / 1000;
    console.info(
      `provisioned ${HOST} over SSH in ${provisionSeconds.toFixed(1)} s: ${applied.containers.length} containers, ${applied.networks.length} networks, ${applied.volumes.length} volumes, ${applied.commands.length} remote commands`,
    );
  }, 900_000);

  afterAll(async () => {
    const errors: string[] = [];
    if (host) {
      await host.stop().catch((e: Error) => errors.push(e.message));
      // Everything the harness made is gone: the namespace, the veth pair, every process.
      const namespaces = await run("ip", ["netns", "list"]);
      if (namespaces.stdout.includes(host.netns)) errors.push(`${host.netns} is still there`);
      const links = await run("ip", ["-o", "link"]);
      if (links.stdout.includes(host.netns.replace("cissh-", "vsc")))
        errors.push("the veth pair is still there");
      const left = await run("pgrep", ["-f", host.dir]);
      if (left.stdout.trim() !== "") errors.push(`processes left: ${left.stdout.trim()}`);
    }
    if (root) await fs.rm(root, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(errors.join("\n"));
  }, 120_000);

  const inHost = (argv: string[], timeoutMs = 30_000): Promise<RunResult> =>
    host.inNamespace(argv, { timeoutMs });
  const onBackend = (script: string) =>
    host.engine.docker(backendClientArgs(script, DOMAIN), { timeoutMs: 60_000 });
  const nodes = () => declaredNodes(hostResources, HOST);

  it("declares the host's commands as command:remote with the block's connection, and applies them over SSH", async () => {
    const commands = hostResources.filter((r) => r.type.startsWith("command:"));
    expect(new Set(commands.map((r) => r.type))).toEqual(new Set(["command:remote:Command"]));
    for (const c of commands)
      expect(c.inputs["connection"], c.name).toMatchObject({
        host: "10.231.0.2",
        user: "root",
        port: 22,
        hostKey: expect.stringMatching(/^ssh-ed25519 AAAA\S+$/),
      });
    expect(applied.commands).toHaveLength(commands.length);
    // Every declared container runs on the SSH host's engine, and nothing else.
    expect(applied.containers).toHaveLength(13);
    const running = await host.engine.dockerOk(["ps", "--format", "{{.Names}}"]);
    expect(running.split("\n").sort()).toEqual([...applied.containers].sort());
    const sshdLog = readFileSync(path.join(host.dir, "sshd.log"), "utf8");
    const logins = sshdLog.match(/Accepted publickey for root from 10\.231\.0\.1/g) ?? [];
    console.info(`sshd accepted ${logins.length} logins so far`);
    expect(logins.length).toBeGreaterThan(commands.length);
  });

  it("resolves every node's plain name and FQDN through the host's dnsmasq", async () => {
    const list = nodes();
    expect(list).toHaveLength(8);
    const script = list.map((n) => `nslookup ${n.name}; nslookup ${n.name}.${DOMAIN}`).join("; ");
    const result = await onBackend(script);
    const found = [...result.stdout.matchAll(/^Name:\s*(\S+)\s*\nAddress:\s*(\S+)\s*$/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    for (const n of list) expect(found).toContain(`${n.name}.${DOMAIN} ${n.ip}`);
    expect(found).toHaveLength(list.length * 2);
  });

  it("answers on every node's service port by its plain name", async () => {
    const list = nodes();
    const result = await onBackend(
      list.map((n) => `timeout 5 wget -q -O - http://${n.name}:${n.port}/`).join("; "),
    );
    expect(result.stdout).toBe(list.map((n) => standInBody(n.image, "0.0.0.0", n.port)).join(""));
  });

  it("serves dev-minimal on the remote host's 127.0.0.1 only", async () => {
    for (const d of DATASTORES) {
      const body = await waitFor(
        `dev-minimal ${d.name} on the host's 127.0.0.1:${d.port}`,
        async () => {
          const r = await inHost(["curl", "-sS", "--max-time", "3", `http://127.0.0.1:${d.port}/`]);
          return r.code === 0 ? r.stdout : undefined;
        },
        { timeoutMs: 15_000 },
      );
      expect(body).toBe(standInBody(d.image, "127.0.0.1", d.port));
      // Not on the host's network address, seen from inside the host or from this machine.
      const inside = await inHost([
        "curl",
        "-sS",
        "--max-time",
        "3",
        `http://10.231.0.2:${d.port}/`,
      ]);
      // curl's exit 7: the connection was refused (a timeout would be 28).
      expect(inside.code, `${d.name}: ${inside.stderr}`).toBe(7);
      expect(inside.stderr).toMatch(
        new RegExp(
          `^curl: \\(7\\) Failed to connect to 10\\.231\\.0\\.2 port ${d.port} after \\d+ ms: Couldn't connect to server\\n$`,
        ),
      );
      const outside = await run("curl", ["-sS", "--max-time", "3", `http://10.231.0.2:${d.port}/`]);
      expect(outside.code, `${d.name}: ${outside.stderr}`).toBe(7);
    }
  });

  it("installs daemon.json and the registry's CA once over SSH: a second apply changes nothing", async () => {
    expect(JSON.parse(readFileSync(daemonJsonPath, "utf8"))).toMatchObject({
      "live-restore": true,
      "userland-proxy": false,
    });
    expect(readFileSync(path.join(certsDir, "registry.example.com:5443/ca.crt"), "utf8")).toBe(
      registryCa,
    );
    expect(readFileSync(reloadLog, "utf8")).toBe("reloaded\n");
    const again = await rerunCommand(plan, `${HOST}-prep-daemon-json`, host.engine.env);
    expect(again).toContain("is up to date");
    expect(readFileSync(reloadLog, "utf8")).toBe("reloaded\n");
  });

  it("ran Jenkins' install on the host, with the remote side's stand-ins for apt and systemd", async () => {
    const log = readFileSync(calls, "utf8").split("\n");
    expect(
      log.some((l) => l.startsWith("apt-get ") && l.includes(`jenkins=${JENKINS_LTS_VERSION}`)),
    ).toBe(true);
    expect(log.filter((l) => l.startsWith("usermod "))).toEqual(["usermod -aG docker jenkins"]);
    const layout = jenkinsLayout(jenkinsHome, path.join(host.dir, "machine/systemd"));
    expect(existsSync(path.join(layout.pipelineDir, "release.sh"))).toBe(true);
    // A second apply installs nothing.
    const before = log.length;
    await rerunCommand(plan, `${HOST}-jenkins-install`, host.engine.env);
    const after = readFileSync(calls, "utf8").split("\n");
    expect(after.slice(before - 1).filter((l) => l.startsWith("apt-get "))).toEqual([]);
  });

  const release = (...argv: string[]): Promise<RunResult> =>
    run(
      "npx",
      ["tsx", CLI, "release", "api", ...argv, "--stack", "testing", "--root", root, "--host", HOST],
      { cwd: PROJECT_ROOT, env: host.clientEnv, timeoutMs: 180_000 },
    );
  const sshCheck = (): Promise<RunResult> =>
    run("npx", ["tsx", CLI, "ssh-check", "--stack", "testing", "--root", root, "--host", HOST], {
      cwd: PROJECT_ROOT,
      env: host.clientEnv,
      timeoutMs: 60_000,
    });
  const served = async (): Promise<string> => {
    const r = await inHost([
      "curl",
      "-sS",
      "--max-time",
      "3",
      "-D",
      "-",
      "http://127.0.0.1:5060/health",
    ]);
    return `${/x-release-slot: (\w+)/i.exec(r.stdout)?.[1]} ${/"revision":"([^"]+)"/.exec(r.stdout)?.[1]}`;
  };
  const recordedSlot = async (): Promise<string | undefined> =>
    /\n {6}api:\n {8}liveSlot: (\w+)\n/.exec(
      await fs.readFile(path.join(root, "Pulumi.testing.yaml"), "utf8"),
    )?.[1];

  it("releases on the host over SSH with its own release.sh, with no failed request from a client inside the namespace", async () => {
    const check = await sshCheck();
    expect(check.stdout).toMatch(
      new RegExp(
        `^ok: ${WHO.replace(/[.()]/g, "\\$&")} logs in and reaches Docker 20\\.10\\.\\S+ \\(\\d+\\.\\d s\\)\\n$`,
      ),
    );
    const first = await release("1.0.0", "--grace", "2");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`api 1.0.0 on ${HOST}: live in the green slot`);
    expect(await served()).toBe("green 1.0.0");

    const stopFile = path.join(host.dir, "poller.stop");
    const poller = inHost(
      [process.execPath, "--import", "tsx", POLLER_CLI, "http://127.0.0.1:5060/health", stopFile],
      240_000,
    );
    try {
      // Let the client's first requests land on the live slot before the switch.
      await sleep(1_500);
      const second = await release("2.0.0", "--grace", "2");
      expect(second.code, second.stdout + second.stderr).toBe(0);
    } finally {
      await fs.writeFile(stopFile, "");
    }
    const polled = await poller;
    expect(polled.code, polled.stderr).toBe(0);
    const report = JSON.parse(polled.stdout) as PollReport;
    console.info(
      `release 2.0.0 over SSH: ${report.requests} requests from inside the namespace in ${report.seconds.toFixed(1)} s, ${report.failed} failed`,
    );
    expect(report.failures).toEqual([]);
    expect(report.revisions).toEqual(["1.0.0", "2.0.0"]);
    expect(report.requests).toBeGreaterThan(50);
    expect(await served()).toBe("blue 2.0.0");
    expect(await recordedSlot()).toBe("blue");
  });

  /** Runs `npm run release` and `npm run ssh-check` against the broken host; both must refuse. */
  const refusals = async (problem: string, maxSeconds: number): Promise<void> => {
    const started = Date.now();
    const check = await sshCheck();
    const seconds = (Date.now() - started) / 1000;
    expect(check.code).toBe(1);
    expect(check.stdout).toBe(
      `FAILED: ${problem}\nfix the above, then rerun: npm run ssh-check -- --stack testing; nothing was changed on any host\n`,
    );
    expect(seconds).toBeLessThan(maxSeconds);
    const refused = await release("1.0.0", "--grace", "2");
    expect(refused.code).toBe(2); // a refusal: exit 2 by the CLI's exit-code rule
    expect(refused.stderr).toBe(
      `release refused: ${problem}; nothing was run on ${HOST}: rerun the release once npm run ssh-check -- --stack testing passes\n`,
    );
    // Nothing half-done: the recorded slot is as it was.
    expect(await recordedSlot()).toBe("blue");
  };

  it("refuses a host whose host key changed, naming the host and the fix", async () => {
    await host.replaceHostKey();
    try {
      // The host commands refuse it too: the block's sshHostKey is the only key they accept.
      await expect(rerunCommand(plan, `${HOST}-prep-daemon-json`, host.engine.env)).rejects.toThrow(
        /Host key verification failed/,
      );
      await refusals(
        `${WHO} offered a different SSH host key from the one in known_hosts: if the host was rebuilt, confirm its new key's fingerprint with whoever rebuilt it, then run ssh-keygen -R 10.231.0.2 and connect once to record the new key; otherwise do not connect`,
        15,
      );
    } finally {
      await host.restoreHostKey();
    }
  });

  it("refuses when the host refuses the key", async () => {
    const keys = path.join(host.dir, "authorized_keys");
    const original = await fs.readFile(keys, "utf8");
    await fs.writeFile(keys, "");
    try {
      await refusals(
        `${WHO} refused every SSH key offered: add your public key to ~root/.ssh/authorized_keys on the host, or load the right key into your agent (ssh-add; SSH_AUTH_SOCK must be set)`,
        15,
      );
    } finally {
      await fs.writeFile(keys, original);
    }
  });

  it("refuses a host whose sshd is stopped", async () => {
    await host.stopSshd();
    try {
      await refusals(
        `${WHO} refused the connection on port 22: start sshd on the host, or fix the port in ciHosts.${HOST}.dockerHost`,
        15,
      );
    } finally {
      await host.startSshd();
    }
  });

  it("refuses a host that is down within the connect timeout", async () => {
    await host.partition();
    try {
      // ConnectTimeout=10 for the check; tsx's start-up is the rest.
      await refusals(
        `${WHO} did not answer on port 22 within 10 s: check that the host is up and reachable from this machine (network, VPN, firewall)`,
        25,
      );
    } finally {
      await host.heal();
    }
    expect((await sshCheck()).code).toBe(0);
  });

  it("removes what the block created when it is removed, except the protected volumes", async () => {
    const doc = parseDocument(await fs.readFile(path.join(root, "Pulumi.testing.yaml"), "utf8"));
    doc.deleteIn(["config", "ci-platform:ciHosts", HOST]);
    await fs.writeFile(path.join(root, "Pulumi.testing.yaml"), doc.toString());
    const without = await evaluateStack("testing", readStackFile(root, "testing"));
    expect(without.resources.filter((r) => r.name.startsWith(`${HOST}-`))).toEqual([]);
    // What `up` deletes: everything the block declared (the release's slots are release.sh's).
    await host.engine.dockerOk(["rm", "--force", "testing-api-blue", "testing-api-green"]);
    const { removed, kept } = await destroyResources(hostResources, host.engine);
    const protectedVolumes = hostResources
      .filter((r) => r.type === "docker:index/volume:Volume" && (r.protect || r.retainOnDelete))
      .map((r) => String(r.inputs["name"]))
      .sort();
    console.info(`removed ${removed.length} resources, kept ${kept.length}: ${kept.join(", ")}`);
    expect(kept.every((k) => k.startsWith("docker:index/volume:Volume "))).toBe(true);
    expect(protectedVolumes.length).toBeGreaterThan(0);
    expect(await host.engine.dockerOk(["ps", "-a", "--format", "{{.Names}}"])).toBe("");
    expect(
      await host.engine.dockerOk([
        "network",
        "ls",
        "--filter",
        "type=custom",
        "--format",
        "{{.Name}}",
      ]),
    ).toBe("");
    const volumes = (await host.engine.dockerOk(["volume", "ls", "--format", "{{.Name}}"]))
      .split("\n")
      .filter(Boolean)
      .sort();
    expect(volumes).toEqual(protectedVolumes);
  });
});

/** The Jenkins install's system tools on the remote side, logging each call (as jenkins-install.test.ts). */
async function writeRemoteStandIns(bin: string, state: string, calls: string): Promise<void> {
  const stub = async (name: string, body: string): Promise<void> => {
    await fs.writeFile(
      path.join(bin, name),
      `#!/bin/sh\necho "${name} $*" >> "${calls}"\n${body}\n`,
    );
    await fs.chmod(path.join(bin, name), 0o755);
  };
  await stub(
    "dpkg-query",
    `for a; do pkg=$a; done; f="${state}/pkg-$pkg"; [ -f "$f" ] || exit 0; case "$*" in *Status*) printf installed;; *) cat "$f";; esac`,
  );
  await stub(
    "apt-get",
    `for a in "$@"; do case "$a" in jenkins=*) printf '%s' "\${a#jenkins=}" > "${state}/pkg-jenkins";; openjdk-*) printf 17 > "${state}/pkg-$a";; esac; done`,
  );
  await stub("apt-mark", "");
  await stub("jenkins-plugin-cli", "");
  await stub("id", `cat "${state}/groups" 2>/dev/null || echo jenkins`);
  await stub("usermod", `echo "jenkins docker" > "${state}/groups"`);
  await stub("chown", "");
}
