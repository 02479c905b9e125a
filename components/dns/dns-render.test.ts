import { describe, expect, it } from "vitest";
import { renderDnsmasqConf } from "./dns-render";

describe("renderDnsmasqConf", () => {
  const records = [
    { name: "redis-cluster-a-node-1", ip: "172.18.3.7" },
    { name: "mongodb-cluster-a-node-1", ip: "172.18.1.20" },
  ];

  it("answers each node by its plain and regional name, and keeps unknown names local", () => {
    expect(renderDnsmasqConf(records, "us-east-1.example.com")).toMatchInlineSnapshot(`
      "# Rendered by ci-platform: names of the production-like backend set.
      no-hosts
      domain-needed
      bogus-priv
      cache-size=1000
      local=/us-east-1.example.com/
      domain=us-east-1.example.com
      host-record=mongodb-cluster-a-node-1,mongodb-cluster-a-node-1.us-east-1.example.com,172.18.1.20
      host-record=redis-cluster-a-node-1,redis-cluster-a-node-1.us-east-1.example.com,172.18.3.7
      "
    `);
  });

  it("renders the same bytes whatever order the records come in", () => {
    expect(renderDnsmasqConf([...records].reverse(), "d.example.com")).toBe(
      renderDnsmasqConf(records, "d.example.com"),
    );
  });
});
