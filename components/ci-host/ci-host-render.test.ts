import { describe, expect, it } from "vitest";
import { containerName, imageSlug, memoryLimits, onlyCapabilities } from "../docker/docker-render";

describe("ci-host names", () => {
  it.each([
    ["mongo:7.0", "mongo-7-0"],
    ["dockurr/dnsmasq:2.91", "dockurr-dnsmasq-2-91"],
    ["registry.example.com:5443/shop/api:1.4.2", "registry-example-com-5443-shop-api-1-4-2"],
  ])("slugs image %s as %s", (image, slug) => expect(imageSlug(image)).toBe(slug));

  it("prefixes container names with the stack so stacks can share an engine", () => {
    expect(containerName("staging", "dnsmasq")).toBe("staging-dnsmasq");
  });

  it("passes MiB through as the provider's MB and turns swap off", () => {
    // The provider multiplies by 1024 * 1024: 256 here is a 256 MiB cgroup limit, not 256 bytes.
    expect(memoryLimits(256)).toEqual({ memory: 256, memorySwap: 256 });
  });

  it.each([0, 5, 2.5, Number.NaN])("fails when a memory limit is %s MB", (mb) => {
    expect(() => memoryLimits(mb)).toThrow(
      `memory limit ${mb} MB is not a whole number of at least 6 MB (Docker's minimum)`,
    );
  });

  it("writes capabilities as Docker reports them back: CAP_-prefixed and sorted", () => {
    expect(onlyCapabilities(["SETUID", "net_bind_service", "CAP_SETGID", "SETUID"])).toEqual({
      drops: ["ALL"],
      adds: ["CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"],
    });
  });
});
