import { describe, expect, it } from "vitest";
import { NGINX_CONTAINER_LAYOUT, renderRegistryNginxConf } from "./registry-render";

const LAYOUT = { ...NGINX_CONTAINER_LAYOUT, upstream: "registry:5000" };
const OPTIONS = {
  serverName: "registry.example.com",
  publishedPort: 5443,
  rateLimit: { requestsPerSecond: 20, burst: 200 },
  users: [
    { user: "prune", role: "delete" },
    { user: "jenkins", role: "push" },
    { user: "deploy", role: "pull" },
  ],
} as const;

describe("renderRegistryNginxConf", () => {
  it("maps each user to its role, sorted, so key order makes no diff", () => {
    const conf = renderRegistryNginxConf(LAYOUT, OPTIONS);
    expect(conf).toContain(
      [
        "  map $remote_user $registry_role {",
        '    default "";',
        "    deploy pull;",
        "    jenkins push;",
        "    prune delete;",
        "  }",
      ].join("\n"),
    );
    expect(
      renderRegistryNginxConf(LAYOUT, { ...OPTIONS, users: [...OPTIONS.users].reverse() }),
    ).toBe(conf);
  });

  it("escapes a user named like one of map's own parameters, so it never becomes the default", () => {
    const conf = renderRegistryNginxConf(LAYOUT, {
      ...OPTIONS,
      users: [
        { user: "default", role: "delete" },
        { user: "include", role: "push" },
      ],
    });
    expect(conf).toContain('    default "";\n    \\default delete;\n    \\include push;\n');
  });

  it("checks roles in the access phase, after auth_basic, with no set inside an if", () => {
    const conf = renderRegistryNginxConf(LAYOUT, OPTIONS);
    const v2 = conf.slice(conf.indexOf("location /v2/ {"));
    expect(v2.indexOf("auth_basic_user_file")).toBeLessThan(v2.indexOf("auth_request"));
    expect(v2).toContain(
      "auth_request /_registry/access;\n      error_page 403 /_registry/denied;",
    );
    expect(conf).not.toMatch(/\bset \$/);
    // Every if holds a single return (the only directive safe inside if).
    const ifs = [...conf.matchAll(/if \(([^)]*)\) \{\n\s*(.*)\n\s*\}/g)].map((m) => [m[1], m[2]]);
    expect(ifs).toEqual([
      ["$registry_access != allowed", "return 403;"],
      ["-f $registry_maintenance_probe", "return 405;"],
    ]);
    expect(conf.match(/\bif \(/g)).toHaveLength(2);
  });

  it("redirects plain HTTP to the published port, not the container's", () => {
    const conf = renderRegistryNginxConf(LAYOUT, { ...OPTIONS, publishedPort: 6443 });
    expect(conf).toContain("error_page 497 =301 https://$host:6443$request_uri;");
    expect(conf).not.toContain("$server_port");
  });
});
