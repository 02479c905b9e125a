/** Reads untyped config values, recording every issue instead of stopping at the first. */
import { X509Certificate } from "node:crypto";
import { pathProblem, type PathRole } from "./paths";
import type { ConfigIssue } from "./types";

/** Small reader that records issues instead of throwing, so every bad field is reported. */
export class Reader {
  readonly issues: ConfigIssue[] = [];

  /**
   * `refused`: paths already reported. Nothing at, under or above them is reported again: what
   * holds a refused value is incomplete, so its own problems would only be echoes of that one.
   */
  constructor(private readonly refused: ReadonlySet<string> = new Set()) {}

  fail(path: string, message: string): undefined {
    if (!this.isRefused(path)) this.issues.push({ path, message: `${path}: ${message}` });
    return undefined;
  }

  /** Records an issue found outside this reader (its message already names its path). */
  add(issue: ConfigIssue): void {
    this.issues.push(issue);
  }

  private isRefused(path: string): boolean {
    for (const refused of this.refused) {
      if (isWithin(path, refused) || isWithin(refused, path)) return true;
    }
    return false;
  }

  /**
   * A map of settings: every key not in `allowed` is reported, a key of `removed` (a setting an
   * earlier version read) with what replaced it, any other as unknown. The caller reads only
   * `allowed` keys, so a removed setting's value is never judged as something it no longer is.
   */
  object(
    path: string,
    value: unknown,
    allowed: readonly string[],
    removed: ReadonlyMap<string, string> = new Map(),
  ): Record<string, unknown> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(path, `${show(value)} is not a map; write it as a YAML mapping`);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) {
      const replaced = removed.get(key);
      if (replaced !== undefined) {
        this.fail(`${path}.${key}`, `is no longer a setting: ${replaced}`);
      } else if (!allowed.includes(key)) {
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

/** Values longer than this are cut in messages: a message names a value, it does not echo a file. */
export const MAX_SHOWN_LENGTH = 80;

/** Whether `path` is `outer` or a setting inside it. */
function isWithin(path: string, outer: string): boolean {
  return path === outer || path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`);
}

/** A value as a message shows it: JSON, cut to MAX_SHOWN_LENGTH characters with its full length. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  if (text.length <= MAX_SHOWN_LENGTH) return text;
  const length = typeof value === "string" ? value.length : text.length;
  return `${text.slice(0, MAX_SHOWN_LENGTH)}… (${length} characters)`;
}

export function positiveInteger(
  r: Reader,
  path: string,
  value: unknown,
  fallback: number,
  max: number,
): number {
  return wholeNumber(r, path, value, fallback, 1, max) ?? fallback;
}

/**
 * A whole number from `min` to `max` (no upper bound when `max` is undefined), `fallback` when
 * unset, or undefined after reporting a bad value, so checks that compare it with other settings
 * can skip it instead of judging a stand-in.
 */
export function wholeNumber(
  r: Reader,
  path: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < min ||
    (max !== undefined && value > max)
  ) {
    const range = max === undefined ? `of ${min} or more` : `from ${min} to ${max}`;
    return r.fail(path, `${show(value)} is not a whole number ${range}`);
  }
  return value;
}

/** A path setting on a CI host: plain, absolute, and not something the system owns (see paths.ts). */
export function hostPath(
  r: Reader,
  path: string,
  value: unknown,
  fallback: string,
  role: PathRole,
): string {
  if (value === undefined) return fallback;
  const text = r.string(path, value);
  if (text === undefined) return fallback;
  const problem = pathProblem(text, role);
  if (problem !== undefined) {
    r.fail(path, `${show(text)} ${problem}; use one such as ${fallback}`);
    return fallback;
  }
  return text;
}

const PEM_CERT = /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$/;

/** One PEM certificate that parses as X.509: what nginx, Docker and EC2's cloud-init will load. */
export function isPemCertificate(text: string): boolean {
  const pem = `${text.trim()}\n`;
  if (!PEM_CERT.test(pem)) return false;
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
