/**
 * The dashboard page: one self-contained HTML document (inline CSS, no scripts, no external
 * assets) rendered from a status snapshot; a meta refresh reloads it once per probe interval.
 * Pure: no I/O. Every service name, URL and detail is escaped.
 */
import type { HealthStatus } from "./classify";
import { summaryText } from "./classify";
import type { HistoryEntry, StatusDocument } from "./history";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Colours: down and timeout share the red, so "anything red" is "anything wrong". */
export const STATUS_COLORS: Readonly<Record<HealthStatus | "pending", string>> = {
  up: "rgb(0, 150, 60)",
  down: "rgb(220, 0, 0)",
  timeout: "rgb(220, 0, 0)",
  pending: "rgb(150, 150, 150)",
};

const STYLE = `
  body { font: 13px/1.35 system-ui, sans-serif; margin: 16px 20px; color: #1b1f24; background: #fff; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  .meta { color: #57606a; margin: 0 0 10px; }
  .summary { font-weight: 600; }
  table { border-collapse: collapse; width: 100%; }
  th { text-align: left; font-weight: 600; color: #57606a; border-bottom: 1px solid #d0d7de; padding: 3px 8px; }
  td { padding: 2px 8px; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
  td.url { font-family: ui-monospace, monospace; font-size: 12px; color: #57606a; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.down td.name, tr.timeout td.name { color: ${STATUS_COLORS.down}; font-weight: 600; }
  .badge { display: inline-block; min-width: 58px; text-align: center; border-radius: 3px; color: #fff; font-weight: 600; padding: 0 6px; }
  .detail { color: #57606a; padding-left: 6px; }
  .strip { display: inline-flex; gap: 2px; vertical-align: middle; }
  .tick { display: inline-block; width: 9px; height: 14px; border-radius: 1px; }
  .badge.up, .tick.up { background: ${STATUS_COLORS.up}; }
  .badge.down, .tick.down { background: ${STATUS_COLORS.down}; }
  .badge.timeout, .tick.timeout { background: ${STATUS_COLORS.timeout}; }
  .badge.pending, .tick.pending { background: ${STATUS_COLORS.pending}; }
`;

export interface DashboardOptions {
  /** Where the page says its JSON lives. @default "/api/status" */
  readonly apiPath?: string;
}

/** `12:00:05 UTC` from an ISO 8601 timestamp. */
function clock(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

function tick(entry: HistoryEntry): string {
  const title = `${clock(entry.at)}: ${entry.status} (${entry.detail}), ${entry.latencyMs} ms`;
  return `<span class="tick ${entry.status}" title="${escapeHtml(title)}"></span>`;
}

/** The whole page for one snapshot. */
export function renderDashboard(doc: StatusDocument, options: DashboardOptions = {}): string {
  const apiPath = options.apiPath ?? "/api/status";
  const refreshSeconds = Math.max(1, Math.round(doc.intervalMs / 1000));
  const summary = doc.rounds === 0 ? "waiting for the first probe round" : summaryText(doc.summary);
  const rows = doc.services.map((s) => {
    const status = s.current?.status ?? "pending";
    const detail = s.current ? escapeHtml(s.current.detail) : "not probed yet";
    const latency = s.current ? `${s.current.latencyMs} ms` : "";
    return [
      `<tr class="svc ${status}" data-service="${escapeHtml(s.service)}" data-status="${status}">`,
      `<td class="name">${escapeHtml(s.service)}</td>`,
      `<td class="url">${escapeHtml(s.url)}</td>`,
      `<td><span class="badge ${status}">${status}</span><span class="detail">${detail}</span></td>`,
      `<td class="num">${latency}</td>`,
      `<td><span class="strip">${s.history.map(tick).join("")}</span></td>`,
      "</tr>",
    ].join("");
  });
  const updated =
    doc.updatedAt === null
      ? ""
      : ` · updated ${clock(doc.updatedAt)}` +
        (doc.lastRoundMs === null ? "" : ` (round took ${doc.lastRoundMs} ms)`);
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="refresh" content="${refreshSeconds}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`${summary} · health of ${doc.stack}`)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<h1>Service health: ${escapeHtml(doc.stack)}</h1>`,
    `<p class="meta"><span class="summary" id="summary">${escapeHtml(summary)}</span>` +
      ` · ${doc.services.length} endpoints · probe every ${doc.intervalMs} ms, timeout ${doc.timeoutMs} ms` +
      `${updated} · <a href="${escapeHtml(apiPath)}">${escapeHtml(apiPath)}</a></p>`,
    "<table>",
    `<thead><tr><th>Service</th><th>Endpoint</th><th>Status</th><th>Latency</th>` +
      `<th>Last ${doc.historySize} probes, oldest first</th></tr></thead>`,
    `<tbody>`,
    ...rows,
    "</tbody>",
    "</table>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
