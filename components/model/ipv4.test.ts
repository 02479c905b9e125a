import { describe, expect, it } from "vitest";
import { cidrContains, cidrsOverlap, formatCidr, formatIpv4, parseCidr, parseIpv4 } from "./ipv4";

describe("parseIpv4", () => {
  it.each([
    ["0.0.0.0", 0],
    ["172.18.0.2", 0xac120002],
    ["255.255.255.255", 0xffffffff],
  ])("parses %s", (text, value) => {
    expect(parseIpv4(text)).toBe(value);
    expect(formatIpv4(value)).toBe(text);
  });

  it.each(["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1.2.3.-4"])(
    "rejects %j",
    (text) => expect(parseIpv4(text)).toBeUndefined(),
  );
});

describe("parseCidr", () => {
  it.each(["172.18.0.0/16", "10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0"])("parses %s", (text) => {
    expect(formatCidr(parseCidr(text)!)).toBe(text);
  });

  it.each(["172.18.0.1/16", "172.18.0.0", "172.18.0.0/33", "172.18.0.0/x", "bogus/16"])(
    "rejects %j",
    (text) => expect(parseCidr(text)).toBeUndefined(),
  );
});

describe("cidr relations", () => {
  it.each([
    ["172.17.0.0/16", "172.17.5.0/24", true],
    ["172.16.0.0/12", "172.17.0.0/16", true],
    ["172.18.0.0/16", "172.17.0.0/16", false],
    ["10.0.0.0/8", "172.17.0.0/16", false],
  ])("%s overlaps %s: %s", (a, b, overlap) => {
    expect(cidrsOverlap(parseCidr(a)!, parseCidr(b)!)).toBe(overlap);
    expect(cidrsOverlap(parseCidr(b)!, parseCidr(a)!)).toBe(overlap);
  });

  it("contains its first and last address and nothing beyond", () => {
    const cidr = parseCidr("172.18.0.0/16")!;
    expect(cidrContains(cidr, parseIpv4("172.18.0.0")!)).toBe(true);
    expect(cidrContains(cidr, parseIpv4("172.18.255.255")!)).toBe(true);
    expect(cidrContains(cidr, parseIpv4("172.19.0.0")!)).toBe(false);
    expect(cidrContains(cidr, parseIpv4("172.17.255.255")!)).toBe(false);
  });
});
