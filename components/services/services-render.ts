/** Health checks and container settings derived from catalog entries. */
import type { DatastoreEntry } from "../catalog/catalog";

export interface HealthcheckSpec {
  readonly tests: string[];
  readonly interval: string;
  readonly timeout: string;
  readonly retries: number;
  readonly startPeriod: string;
}

/** The catalog's health check with the platform's timings, or undefined when the image has none. */
export function datastoreHealthcheck(entry: DatastoreEntry): HealthcheckSpec | undefined {
  if (!entry.healthcheck) return undefined;
  return {
    tests: [...entry.healthcheck],
    interval: "10s",
    timeout: "5s",
    retries: 5,
    startPeriod: "30s",
  };
}
