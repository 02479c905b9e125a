import { describe, expect, it } from "vitest";
import type { StatusDocument } from "./history";
import { escapeHtml, renderDashboard, STATUS_COLORS } from "./html";

const at = "2026-11-25T10:00:05.000Z";
const doc: StatusDocument = {
  stack: "testing",
  rounds: 2,
  updatedAt: at,
  lastRoundMs: 12,
  intervalMs: 5000,
  timeoutMs: 3000,
  historySize: 20,
  summary: { up: 1, down: 1, timeout: 1 },
  services: [
    {
      service: "api",
      url: "http://127.0.0.1:5060/health",
      current: { status: "up", detail: "HTTP 200", latencyMs: 3, at },
      history: [
        { status: "down", detail: "HTTP 503", latencyMs: 2, at: "2026-11-25T10:00:00.000Z" },
        { status: "up", detail: "HTTP 200", latencyMs: 3, at },
      ],
    },
    {
      service: "auth",
      url: "http://127.0.0.1:5523/health",
      current: { status: "down", detail: "ECONNREFUSED", latencyMs: 1, at },
      history: [{ status: "down", detail: "ECONNREFUSED", latencyMs: 1, at }],
    },
    {
      service: "search",
      url: "http://127.0.0.1:5383/health",
      current: { status: "timeout", detail: "no answer in 3000 ms", latencyMs: 3000, at },
      history: [{ status: "timeout", detail: "no answer in 3000 ms", latencyMs: 3000, at }],
    },
  ],
};

const row = (html: string, service: string): string =>
  new RegExp(`<tr [^>]*data-service="${service}"[^>]*>.*?</tr>`).exec(html)?.[0] ?? "";

describe("escapeHtml", () => {
  it.each([
    ["plain", "plain"],
    [`<script>alert("x")</script>`, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"],
    ["a&b 'c'", "a&amp;b &#39;c&#39;"],
  ])("%s -> %s", (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped);
  });
});

describe("renderDashboard", () => {
  const html = renderDashboard(doc);

  it.each([
    ["api", "up"],
    ["auth", "down"],
    ["search", "timeout"],
  ])("marks %s as %s on its row, its badge and its newest tick", (service, status) => {
    const r = row(html, service);
    expect(r).toContain(`class="svc ${status}"`);
    expect(r).toContain(`data-status="${status}"`);
    expect(r).toContain(`<span class="badge ${status}">${status}</span>`);
    expect(r).toMatch(new RegExp(`<span class="tick ${status}"[^>]*></span></span></td>`));
  });

  it("paints down and timeout red and up green", () => {
    expect(STATUS_COLORS.down).toBe("rgb(220, 0, 0)");
    expect(STATUS_COLORS.timeout).toBe(STATUS_COLORS.down);
    expect(html).toContain(`.badge.down, .tick.down { background: ${STATUS_COLORS.down}; }`);
    expect(html).toContain(`.badge.timeout, .tick.timeout { background: ${STATUS_COLORS.down}; }`);
    expect(html).toContain(`.badge.up, .tick.up { background: ${STATUS_COLORS.up}; }`);
  });

  it("draws the history strip oldest first, one tick per probe, with its time in the title", () => {
    expect(row(html, "api")).toContain(
      '<span class="strip"><span class="tick down" title="10:00:00 UTC: down (HTTP 503), 2 ms"></span>' +
        '<span class="tick up" title="10:00:05 UTC: up (HTTP 200), 3 ms"></span></span>',
    );
  });

  it("summarizes, and refreshes itself once per probe interval", () => {
    expect(html).toContain('<span class="summary" id="summary">1 up, 1 down, 1 timeout</span>');
    expect(html).toContain('<meta http-equiv="refresh" content="5">');
    expect(renderDashboard({ ...doc, intervalMs: 200 })).toContain(
      '<meta http-equiv="refresh" content="1">',
    );
  });

  it("is self-contained: no scripts, no external stylesheets, images or fonts", () => {
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(html).not.toMatch(/href="http/);
  });

  it("escapes service names, URLs and details", () => {
    const evil = renderDashboard({
      ...doc,
      stack: "<b>stack</b>",
      services: [
        {
          service: `x"><script>alert(1)</script>`,
          url: `http://h/<img src=x onerror=alert(1)>`,
          current: { status: "down", detail: "<i>reset</i>", latencyMs: 1, at },
          history: [{ status: "down", detail: `"'<>`, latencyMs: 1, at }],
        },
      ],
    });
    expect(evil).not.toContain("<script>");
    expect(evil).not.toContain("<img");
    expect(evil).not.toContain("<i>");
    expect(evil).not.toContain("<b>stack");
    expect(evil).toContain('data-service="x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(evil).toContain("http://h/&lt;img src=x onerror=alert(1)&gt;");
    expect(evil).toContain("down (&quot;&#39;&lt;&gt;)");
  });

  it("shows pending rows before the first round", () => {
    const first = renderDashboard({
      ...doc,
      rounds: 0,
      updatedAt: null,
      lastRoundMs: null,
      summary: { up: 0, down: 0, timeout: 0 },
      services: doc.services.map((s) => ({ ...s, current: null, history: [] })),
    });
    expect(first).toContain("waiting for the first probe round");
    expect(row(first, "api")).toContain('<span class="badge pending">pending</span>');
  });

  it("renders the same bytes for the same snapshot", () => {
    expect(renderDashboard(doc)).toBe(html);
  });
});
