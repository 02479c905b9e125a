/**
 * Jenkins cannot run here, so the install script the program declares for the testing host runs
 * for real against stand-ins for the system tools (apt, dpkg, systemd, the plugin manager), with
 * JENKINS_HOME and the systemd directory under a temp dir: proof that it installs once, writes the
 * rendered files, and does nothing when run again; and, run in the order the program declares
 * them, that the secrets command and the install together restart Jenkins once on a new host.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SECRET_PLACEHOLDER } from "../../lib/stack-file";
import { SERVICE_CATALOG } from "../../components/catalog/catalog";
import {
  credentialFileContent,
  JENKINS_CREDENTIALS,
  jenkinsLayout,
  renderSecretsCommand,
  renderSecretsInput,
} from "../../components/jenkins/jenkins-render";
import { readPipelineScripts } from "../../components/jenkins/pipeline-files";
import { JAVA_PACKAGE, JENKINS_LTS_VERSION } from "../../components/model/pins";
import type { Evaluation } from "../../lib/evaluate";
import { run } from "../harness/process";
import { editedStackConfig, evaluateStack, findResource } from "../mocks";

const scratch = mkdtempSync(join(tmpdir(), "jenkins-install-"));
const home = join(scratch, "jenkins");
const systemd = join(scratch, "systemd");
const bin = join(scratch, "bin");
const calls = join(scratch, "calls.log");
const APT_SOURCE =
  "deb [signed-by=/usr/share/keyrings/jenkins.asc] https://pkg.example.com/debian binary/";

/** Stand-ins that log each call and keep package and group state in files. */
function writeStubs(): void {
  const stub = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${calls}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // dpkg-query -W -f=FORMAT PKG: the version, or with ${db:Status-Status} "installed".
  stub(
    "dpkg-query",
    `for a; do pkg=$a; done; f="${scratch}/pkg-$pkg"; [ -f "$f" ] || exit 0; case "$*" in *Status*) printf installed;; *) cat "$f";; esac`,
  );
  stub(
    "apt-get",
    `for a in "$@"; do case "$a" in jenkins=*) printf '%s' "\${a#jenkins=}" > "${scratch}/pkg-jenkins";; openjdk-*) printf 17 > "${scratch}/pkg-$a";; esac; done`,
  );
  stub("apt-mark", "");
  stub("jenkins-plugin-cli", "");
  stub("id", `cat "${scratch}/groups" 2>/dev/null || echo jenkins`);
  stub("usermod", `echo "jenkins docker" > "${scratch}/groups"`);
  stub("chown", "");
}

function callsOf(name: string): string[] {
  return existsSync(calls)
    ? readFileSync(calls, "utf8")
        .split("\n")
        .filter((l) => l.startsWith(`${name} `))
    : [];
}

describe(
  "Jenkins install script, run for real with stand-in system tools",
  { timeout: 60_000 },
  () => {
    let plan: Evaluation;
    let install: { create: string; stdin: string };
    let secrets: { create: string; stdin: string };
    const restartLog = join(scratch, "restarts");
    const restarts = (): number =>
      existsSync(restartLog) ? readFileSync(restartLog, "utf8").split("\n").length - 1 : 0;
    const withStubs = { PATH: `${bin}:${process.env["PATH"] ?? ""}` };
    const runInstall = () =>
      run("sh", ["-c", install.create], {
        input: install.stdin,
        env: withStubs,
        timeoutMs: 30_000,
      });
    /** Runs a secrets command as the provider does: its text by `sh -c`, the secrets on stdin. */
    const runSecrets = (command = secrets) =>
      run("sh", ["-c", command.create], {
        input: command.stdin,
        env: withStubs,
        timeoutMs: 30_000,
      });

    beforeAll(async () => {
      const config = editedStackConfig("testing", (doc) => {
        doc.config["ci-platform:jenkins"] = {
          home,
          systemdDir: systemd,
          restartCommand: `echo restart >> ${restartLog}`,
          aptSource: APT_SOURCE,
          aptSourcesDir: join(scratch, "apt"),
        };
      });
      // Secrets revealed: the secrets command is run as the program declares it.
      plan = await evaluateStack("testing", config, { revealSecrets: true });
      const inputs = findResource(
        plan,
        "command:local:Command",
        "ci-testing-1-jenkins-install",
      ).inputs;
      // The script arrives on stdin: as one argument it would pass Linux's 128 KiB limit.
      install = { create: String(inputs["create"]), stdin: String(inputs["stdin"]) };
      const declared = findResource(
        plan,
        "command:local:Command",
        "ci-testing-1-jenkins-secrets",
      ).inputs;
      secrets = { create: String(declared["create"]), stdin: String(declared["stdin"]) };
      await run("mkdir", ["-p", bin]);
      writeStubs();
    });
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it("passes shellcheck", async () => {
      // The command's trigger is the script itself.
      const [body] = findResource(plan, "command:local:Command", "ci-testing-1-jenkins-install")
        .inputs["triggers"] as string[];
      const script = join(scratch, "install.sh");
      writeFileSync(script, body!);
      const result = await run("shellcheck", ["-s", "bash", script]);
      expect(result.stdout + result.stderr).toBe("");
      expect(result.code).toBe(0);
    });

    it("has a secrets command that passes shellcheck, with and without the registry's", async () => {
      const layout = jenkinsLayout(home, systemd);
      for (const credentials of [
        [JENKINS_CREDENTIALS.adminPassword],
        [JENKINS_CREDENTIALS.adminPassword, JENKINS_CREDENTIALS.registryPassword],
      ]) {
        const script = join(scratch, "secrets.sh");
        writeFileSync(
          script,
          renderSecretsCommand(layout, credentials, "systemctl restart jenkins"),
        );
        const result = await run("shellcheck", ["-s", "sh", script]);
        expect(result.stdout + result.stderr).toBe("");
        expect(result.code).toBe(0);
      }
    });

    it("declares the secrets only on the command's stdin: the command text holds none", () => {
      expect(secrets.create).not.toContain(SECRET_PLACEHOLDER);
      expect(secrets.create).not.toContain(Buffer.from(SECRET_PLACEHOLDER).toString("base64"));
      expect(secrets.stdin).toBe(
        renderSecretsInput([{ id: JENKINS_CREDENTIALS.adminPassword, value: SECRET_PLACEHOLDER }]),
      );
    });

    it("refuses a stdin without the secret it must place, naming it", async () => {
      const layout = jenkinsLayout(home, systemd);
      const result = await runSecrets({
        create: renderSecretsCommand(layout, [JENKINS_CREDENTIALS.adminPassword], "true"),
        stdin: "",
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `secrets: no value for ${JENKINS_CREDENTIALS.adminPassword} on stdin`,
      );
    });

    it("declares the secrets command before the install, which depends on it", () => {
      const order = plan.resources.map((r) => r.name);
      expect(order.indexOf("ci-testing-1-jenkins-secrets")).toBeGreaterThanOrEqual(0);
      expect(order.indexOf("ci-testing-1-jenkins-secrets")).toBeLessThan(
        order.indexOf("ci-testing-1-jenkins-install"),
      );
    });

    it("installs the pinned packages, writes the rendered files, adds jenkins to docker and, with the secrets placed first, restarts once", async () => {
      // Where versions before the credentials kept the secrets: the install removes it.
      const legacy = join(systemd, "jenkins.service.d/ci-platform-secrets.conf");
      mkdirSync(join(systemd, "jenkins.service.d"), { recursive: true });
      writeFileSync(legacy, '[Service]\nEnvironment="CI_PLATFORM_ADMIN_PASSWORD=old"\n');
      const placed = await runSecrets();
      expect(placed.stderr).toBe("");
      expect(placed.code).toBe(0);
      expect(placed.stdout.trim()).toBe(
        "Jenkins secrets placed: the install starts Jenkins with them",
      );
      expect(restarts()).toBe(0);
      const first = await runInstall();
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(
        callsOf("apt-get").some(
          (c) => c.includes(`jenkins=${JENKINS_LTS_VERSION}`) && c.includes(JAVA_PACKAGE),
        ),
      ).toBe(true);
      expect(callsOf("jenkins-plugin-cli")).toHaveLength(1);
      expect(callsOf("usermod")).toEqual(["usermod -aG docker jenkins"]);
      expect(restarts()).toBe(1);
      expect(existsSync(legacy)).toBe(false);
      expect(first.stdout).toContain(`removed ${legacy}\n`);

      const casc = parse(readFileSync(join(home, "casc_configs/jenkins.yaml"), "utf8")) as {
        jobs: { script: string }[];
      };
      const apps = SERVICE_CATALOG.filter((e) => e.kind === "app")
        .map((e) => e.name)
        .sort();
      expect(apps).toHaveLength(25);
      expect(casc.jobs[0]!.script.match(/pipelineJob\('[^']+'\)/g)).toEqual(
        apps.map((a) => `pipelineJob('${a}')`),
      );
      expect(readFileSync(join(home, "ci-platform/plugins.txt"), "utf8")).toContain(
        "configuration-as-code:",
      );
      const dropIn = readFileSync(join(systemd, "jenkins.service.d/ci-platform.conf"), "utf8");
      expect(dropIn).toContain(
        `Environment="CASC_JENKINS_CONFIG=${home}/casc_configs/jenkins.yaml"`,
      );
      expect(dropIn).toContain(
        `LoadCredential=ci-platform-admin-password:${systemd}/jenkins.service.d/credentials/ci-platform-admin-password\n`,
      );
      // Every pipeline file lands where the Jenkinsfiles call it, lib.sh's concerns included, and
      // a step installed there finds everything it sources (it gets as far as checking its input).
      const installed = join(home, "ci-platform/pipeline");
      for (const script of readPipelineScripts())
        expect(readFileSync(join(installed, script.name), "utf8"), script.name).toBe(
          script.content,
        );
      const step = await run("bash", [join(installed, "05-deploy.sh")], {
        env: { SERVICE: "", BUILD_NUMBER: "" },
      });
      expect(step.code, step.stdout + step.stderr).toBe(2);
      expect(step.stderr).toContain("ERROR: invalid input (");
      expect(step.stderr).toContain("  - SERVICE is not set\n  - BUILD_NUMBER is not set\n");
      expect(readFileSync(join(scratch, "apt/jenkins.list"), "utf8")).toBe(`${APT_SOURCE}\n`);
    });

    it("does nothing on a second run with the same configuration", async () => {
      const before = readFileSync(calls, "utf8");
      const secretsAgain = await runSecrets();
      expect(secretsAgain.code).toBe(0);
      expect(secretsAgain.stdout.trim()).toBe("Jenkins secrets are up to date");
      const second = await runInstall();
      expect(second.code).toBe(0);
      expect(second.stdout.trim()).toBe("Jenkins is up to date");
      const added = readFileSync(calls, "utf8").slice(before.length);
      expect(added).not.toMatch(/^(apt-get|jenkins-plugin-cli|usermod) /m);
      expect(restarts()).toBe(1);
    });

    it("places the admin password in a root-only credential file, and restarts only when it changes", async () => {
      const layout = jenkinsLayout(home, systemd);
      const file = join(layout.credentialsDir, JENKINS_CREDENTIALS.adminPassword);
      const secretsWith = (password: string) => ({
        create: renderSecretsCommand(
          layout,
          [JENKINS_CREDENTIALS.adminPassword],
          `echo restart >> ${restartLog}`,
        ),
        stdin: renderSecretsInput([{ id: JENKINS_CREDENTIALS.adminPassword, value: password }]),
      });
      const first = await runSecrets(secretsWith("s3cret pass'word"));
      expect(first.code).toBe(0);
      expect(first.stdout.trim()).toBe("Jenkins secrets changed: restarting");
      expect(readFileSync(file, "utf8")).toBe("s3cret pass'word");
      expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
      expect((statSync(layout.credentialsDir).mode & 0o777).toString(8)).toBe("700");
      expect(restarts()).toBe(2);
      expect((await runSecrets(secretsWith("s3cret pass'word"))).stdout.trim()).toBe(
        "Jenkins secrets are up to date",
      );
      expect(restarts()).toBe(2);
    });

    /** The drop-ins' text: what systemd reads for the unit. */
    const dropIns = (): Record<string, string> =>
      Object.fromEntries(
        readdirSync(join(systemd, "jenkins.service.d"))
          .filter((f) => f.endsWith(".conf"))
          .sort()
          .map((f) => [f, readFileSync(join(systemd, "jenkins.service.d", f), "utf8")]),
      );

    it.each([
      ["a double quote", 'pa"ss'],
      ["a line break and a unit setting", "x\nExecStartPre=/bin/touch /tmp/x"],
      ["a systemd specifier", "%h%n%%"],
      ["a backslash", "a\\b\\"],
      ["shell syntax", "$(touch pwned) `touch pwned` $HOME ;touch pwned"],
      ["spaces", "  a b  "],
      ["a trailing line break", "pw\n"],
      ["a JCasC variable", "${X}^${Y}"],
      ["64 KiB", "p".repeat(64 * 1024)],
    ])(
      "with a password holding %s: the file has its bytes, mode 0600, and the unit's text is the same",
      async (_, password) => {
        const layout = jenkinsLayout(home, systemd);
        const before = dropIns();
        const placed = await runSecrets({
          create: renderSecretsCommand(layout, [JENKINS_CREDENTIALS.adminPassword], "true"),
          stdin: renderSecretsInput([{ id: JENKINS_CREDENTIALS.adminPassword, value: password }]),
        });
        expect(placed.stderr).toBe("");
        expect(placed.code).toBe(0);
        expect(existsSync(join(scratch, "pwned"))).toBe(false);
        expect(existsSync("/tmp/x")).toBe(false);
        const file = join(layout.credentialsDir, JENKINS_CREDENTIALS.adminPassword);
        // JCasC resolves ${ in what it reads, so only that is escaped (^${); the rest is verbatim.
        expect(readFileSync(file)).toEqual(Buffer.from(credentialFileContent(password), "utf8"));
        if (!password.includes("${")) expect(readFileSync(file, "utf8")).toBe(password);
        expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
        expect(dropIns()).toEqual(before);
        expect(Object.values(dropIns()).join("")).not.toContain(password.trim().slice(0, 6));
      },
    );

    it("installs a drop-in that systemd-analyze verify accepts", async () => {
      // The unit the Debian package ships, reduced to what verify needs; the drop-in beside it.
      const unitDir = join(scratch, "verify");
      mkdirSync(join(unitDir, "jenkins.service.d"), { recursive: true });
      writeFileSync(
        join(unitDir, "jenkins.service"),
        "[Unit]\nDescription=Jenkins\n[Service]\nType=simple\nUser=root\nExecStart=/bin/true\n",
      );
      for (const [name, text] of Object.entries(dropIns()))
        writeFileSync(join(unitDir, "jenkins.service.d", name), text);
      const verify = () =>
        run(
          "systemd-analyze",
          ["verify", "--man=no", "--generators=no", join(unitDir, "jenkins.service")],
          { timeoutMs: 30_000 },
        );
      const result = await verify();
      expect(result.stdout + result.stderr).toBe("");
      expect(result.code).toBe(0);
      // And verify does read the drop-in: a broken line in it is reported.
      writeFileSync(
        join(unitDir, "jenkins.service.d", "zz-broken.conf"),
        '[Service]\nEnvironment="A=b"c"\n',
      );
      expect((await verify()).stderr).toContain('Invalid syntax, ignoring: "A=b"c"');
    });
  },
);
