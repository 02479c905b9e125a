/** Reads untyped config values, recording every issue instead of stopping at the first. */
import type { ConfigIssue } from "./types";

/** Small reader that records issues instead of throwing, so every bad field is reported. */
export class Reader {
  readonly issues: ConfigIssue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path, message: `${path}: ${message}` });
    return undefined;
  }

  object(
    path: string,
    value: unknown,
    allowed: readonly string[],
  ): Record<string, unknown> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(path, `${show(value)} is not a map; write it as a YAML mapping`);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) {
      if (!allowed.includes(key)) {
        this.fail(`${path}.${key}`, `is not a known setting; use one of ${allowed.join(", ")}`);
      }
    }
    return record;
  }

  map(path: string, value: unknown): Record<string, unknown> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(path, `${show(value)} is not a map; write it as a YAML mapping`);
    }
    return value as Record<string, unknown>;
  }

  string(path: string, value: unknown): string | undefined {
    if (typeof value !== "string" || value === "") {
      return this.fail(path, `${show(value)} is not a non-empty string`);
    }
    return value;
  }

  boolean(path: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") {
      this.fail(path, `${show(value)} is not true or false`);
      return fallback;
    }
    return value;
  }

  stringList(path: string, value: unknown): string[] | undefined {
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      return this.fail(path, `${show(value)} is not a list of names; write it as a YAML sequence`);
    }
    return value;
  }
}

export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  return JSON.stringify(value);
}

export function positiveInteger(
  r: Reader,
  path: string,
  value: unknown,
  fallback: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    r.fail(path, `${show(value)} is not a whole number from 1 to ${max}`);
    return fallback;
  }
  return value;
}

export function absolutePath(r: Reader, path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  const text = r.string(path, value);
  if (text !== undefined && !/^\/[^\s]*$/.test(text))
    r.fail(
      path,
      `${show(text)} is not an absolute path without spaces; use one such as ${fallback}`,
    );
  return text ?? fallback;
}

export const PEM_CERT =
  /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$/;
