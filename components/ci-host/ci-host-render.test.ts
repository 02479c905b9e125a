import { describe, expect, it } from "vitest";
import { containerName, imageSlug, mebibytes } from "./ci-host-render";

describe("ci-host names", () => {
  it.each([
    ["mongo:7.0", "mongo-7-0"],
    ["dockurr/dnsmasq:2.91", "dockurr-dnsmasq-2-91"],
    ["registry.example.com:5443/shop/api:1.4.2", "registry-example-com-5443-shop-api-1-4-2"],
  ])("slugs image %s as %s", (image, slug) => expect(imageSlug(image)).toBe(slug));

  it("prefixes container names with the stack so stacks can share an engine", () => {
    expect(containerName("staging", "dnsmasq")).toBe("staging-dnsmasq");
  });

  it("converts MiB to bytes", () => expect(mebibytes(256)).toBe(268_435_456));
});
