/**
 * The dashboard's memory: the last N probe results per service in fixed-size ring buffers, so a
 * dashboard left running for weeks holds the same amount as one started a minute ago. Pure: no I/O
 * (the caller passes the clock's reading).
 */
import { summarize, type HealthStatus, type HealthSummary, type ProbeResult } from "./classify";
import { sortEndpoints, type Endpoint } from "./endpoints";

/** A fixed-capacity FIFO: pushing onto a full buffer drops the oldest item. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(public readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`ring buffer capacity ${capacity} is not a whole number of at least 1`);
    }
    this.items = new Array<T | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Oldest first. */
  toArray(): T[] {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    return Array.from(
      { length: this.count },
      (_, i) => this.items[(start + i) % this.capacity] as T,
    );
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.count === 0
      ? undefined
      : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }
}

/** One probe as the history keeps it. */
export interface HistoryEntry {
  readonly status: HealthStatus;
  readonly detail: string;
  readonly latencyMs: number;
  /** When the probe round finished, ISO 8601. */
  readonly at: string;
}

/** One service's row in `/api/status` and on the page. */
export interface ServiceStatus extends Endpoint {
  /** The newest probe, or null before the first round finished. */
  readonly current: HistoryEntry | null;
  /** Oldest first, at most the history's capacity. */
  readonly history: readonly HistoryEntry[];
}

/** The `/api/status` document. */
export interface StatusDocument {
  readonly stack: string;
  /** Probe rounds finished so far. */
  readonly rounds: number;
  /** When the newest round finished, ISO 8601; null before the first. */
  readonly updatedAt: string | null;
  /** How long the newest round took. */
  readonly lastRoundMs: number | null;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly historySize: number;
  /** Counts over the current statuses. */
  readonly summary: HealthSummary;
  /** Sorted by service. */
  readonly services: readonly ServiceStatus[];
}

export interface HistorySettings {
  readonly stack: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Probes kept per service. */
  readonly historySize: number;
}

/** Per-endpoint ring buffers for a fixed set of endpoints (bounded: endpoints x historySize). */
export class HealthHistory {
  private readonly buffers = new Map<string, RingBuffer<HistoryEntry>>();
  private readonly endpoints: readonly Endpoint[];
  private rounds = 0;
  private updatedAt: string | null = null;
  private lastRoundMs: number | null = null;

  constructor(
    endpoints: readonly Endpoint[],
    private readonly settings: HistorySettings,
  ) {
    this.endpoints = sortEndpoints(endpoints);
    for (const e of this.endpoints) {
      this.buffers.set(key(e), new RingBuffer<HistoryEntry>(settings.historySize));
    }
  }

  /** Records one round's results (results for unknown endpoints are ignored). */
  record(results: readonly ProbeResult[], at: Date, roundMs: number): void {
    const iso = at.toISOString();
    for (const r of results) {
      this.buffers.get(key(r))?.push({
        status: r.status,
        detail: r.detail,
        latencyMs: r.latencyMs,
        at: iso,
      });
    }
    this.rounds++;
    this.updatedAt = iso;
    this.lastRoundMs = Math.round(roundMs);
  }

  snapshot(): StatusDocument {
    const services = this.endpoints.map((e): ServiceStatus => {
      const buffer = this.buffers.get(key(e))!;
      return {
        service: e.service,
        url: e.url,
        current: buffer.last() ?? null,
        history: buffer.toArray(),
      };
    });
    return {
      stack: this.settings.stack,
      rounds: this.rounds,
      updatedAt: this.updatedAt,
      lastRoundMs: this.lastRoundMs,
      intervalMs: this.settings.intervalMs,
      timeoutMs: this.settings.timeoutMs,
      historySize: this.settings.historySize,
      summary: summarize(services.flatMap((s) => (s.current ? [s.current] : []))),
      services,
    };
  }
}

const key = (e: Endpoint): string => `${e.service}\n${e.url}`;
