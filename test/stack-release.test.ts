/**
 * The CI hosts' blue-green release proxy as the testing stack declares it, and what a reviewed
 * switch of one service's live slot changes in the plan.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Evaluation } from "../lib/evaluate";
import { renderPlanJson } from "../lib/plan-render";
import type { StackFileConfig } from "../lib/stack-file";
import { diffPlans } from "../lib/plan-diff";
import { parsePlanDocument } from "../lib/plan-files";
import { editedStackConfig, evaluateStack, findResource } from "./mocks";

const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";
const HOST = "ci-testing-1";

/** A fresh module registry per evaluation: the program runs on its module's first import only. */
async function evaluateTesting(config?: StackFileConfig): Promise<Evaluation> {
  vi.resetModules();
  return evaluateStack("testing", config);
}

function withLiveSlot(app: string, slot: string): StackFileConfig {
  return editedStackConfig("testing", (doc) => {
    const services = doc.config["ci-platform:services"] as { apps: Record<string, object> };
    services.apps[app] = { ...services.apps[app], liveSlot: slot };
  });
}

function withHostPort(app: string, hostPort: number): StackFileConfig {
  return editedStackConfig("testing", (doc) => {
    const services = doc.config["ci-platform:services"] as { apps: Record<string, object> };
    services.apps[app] = { ...services.apps[app], hostPort };
  });
}

describe("the testing stack's release proxy", () => {
  let plan: Evaluation;
  let switched: Evaluation;
  let moved: Evaluation;
  beforeAll(async () => {
    plan = await evaluateTesting();
    switched = await evaluateTesting(withLiveSlot("api", "green"));
    moved = await evaluateTesting(withHostPort("cart", 5901));
  }, 90_000);

  it("runs nginx on the host network with a server on every service's public port", () => {
    const proxy = findResource(plan, CONTAINER, `${HOST}-release-nginx`);
    expect(proxy.inputs).toMatchObject({
      name: "testing-release-proxy",
      networkMode: "host",
      restart: "unless-stopped",
      securityOpts: ["no-new-privileges:true"],
      volumes: [
        { volumeName: "testing-release-proxy-live", containerPath: "/var/lib/release-proxy/live" },
      ],
    });
    expect(proxy.deleteBeforeReplace).toBe(true);
    const [upload] = proxy.inputs["uploads"] as { file: string; content: string }[];
    expect(upload!.file).toBe("/etc/ci-platform/release-proxy.conf");
    // The main config names no service: the servers are installed by a command.
    expect(upload!.content).not.toMatch(/listen /);
    expect(upload!.content).toContain("include /var/lib/release-proxy/live/_servers.con[f];");
    const servers = findResource(plan, COMMAND, `${HOST}-release-servers`);
    const stdin = String(servers.inputs["stdin"]);
    const listens = [...stdin.matchAll(/listen 127\.0\.0\.1:(\d+);/g)].map((m) => m[1]);
    expect(listens).toHaveLength(25);
    expect(stdin).toContain(
      "listen 127.0.0.1:5060;\n    set $live_slot blue;\n    set $live_upstream 127.0.0.1:6060;",
    );
    expect(servers.inputs["triggers"]).toEqual([stdin]);
    expect(String(servers.inputs["create"])).toContain(
      "docker exec -i testing-release-proxy sh -c",
    );
  });

  it("moves a service's public port with a reload: the proxy container is not replaced", () => {
    const diff = diffPlans(
      parsePlanDocument(renderPlanJson(plan), "committed"),
      parsePlanDocument(renderPlanJson(moved), "moved"),
    );
    const proxyChanges = diff.resources
      .filter((c) => c.name.startsWith(`${HOST}-release-`))
      .map((c) => `${c.kind} ${c.type} ${c.name}`)
      .sort();
    expect(proxyChanges).toEqual([
      `replace ${COMMAND} ${HOST}-release-servers`,
      // Its live file names the slot's new port; with no update command, an update runs create.
      `update ${COMMAND} ${HOST}-release-live-cart`,
    ]);
    expect(
      String(findResource(moved, COMMAND, `${HOST}-release-servers`).inputs["stdin"]),
    ).toContain("listen 127.0.0.1:5901;");
  });

  it("keeps the live files on a volume that survives the container and the stack", () => {
    const volume = findResource(plan, "docker:index/volume:Volume", `${HOST}-release-live`);
    expect(volume.protect).toBe(true);
    expect(volume.retainOnDelete).toBe(true);
  });

  it("switches each service with its own command, triggered by its live slot only", () => {
    const commands = plan.resources.filter(
      (r) => r.type === COMMAND && r.name.startsWith(`${HOST}-release-live-`),
    );
    expect(commands).toHaveLength(25);
    const command = findResource(plan, COMMAND, `${HOST}-release-live-api`);
    expect(command.inputs["triggers"]).toEqual(["blue"]);
    const create = String(command.inputs["create"]);
    expect(create).toMatch(
      /^DOCKER_HOST='unix:\/\/\/var\/run\/docker\.sock' sh -c 'docker exec testing-release-proxy sh -c /,
    );
    expect(create).toContain("nginx -s reload -c /etc/ci-platform/release-proxy.conf");
  });

  it("switches one service by review: only the switch command runs again", () => {
    const diff = diffPlans(
      parsePlanDocument(renderPlanJson(plan), "committed"),
      parsePlanDocument(renderPlanJson(switched), "switched"),
    );
    const changed = diff.resources.map((c) => `${c.kind} ${c.type} ${c.name}`);
    // A command whose triggers change is replaced: it runs its create script once more.
    expect(changed).toEqual([`replace ${COMMAND} ${HOST}-release-live-api`]);
    const command = findResource(switched, COMMAND, `${HOST}-release-live-api`);
    expect(command.inputs["triggers"]).toEqual(["green"]);
    expect(String(command.inputs["create"])).toContain("set $live_slot green;");
    // The container is unchanged: a switch never restarts the proxy.
    expect(findResource(switched, CONTAINER, `${HOST}-release-nginx`).inputs).toEqual(
      findResource(plan, CONTAINER, `${HOST}-release-nginx`).inputs,
    );
  });
});
