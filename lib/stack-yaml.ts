/**
 * Edits of a `Pulumi.<stack>.yaml` that keep everything else as written: comments, key order,
 * quoting, flow lists. Pure: text in, text out, through the `yaml` library's Document API.
 */
import { isMap, isScalar, parseDocument, Scalar, type Document, type YAMLMap } from "yaml";

/** The project namespace of the stack files' keys. */
export const DEFAULT_PROJECT = "ci-platform";

/** Printing that reproduces the stack files byte for byte (no folding, `[a, b]` lists). */
const PRINT = { lineWidth: 0, flowCollectionPadding: false } as const;

function parseStack(yamlText: string): Document.Parsed {
  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) {
    throw new Error(`the stack file is not valid YAML: ${doc.errors[0]!.message}`);
  }
  return doc;
}

/** `services.apps` of the stack file; the key may carry the project namespace or not. */
function appsMap(doc: Document.Parsed, project: string): YAMLMap {
  const key = doc.hasIn(["config", `${project}:services`]) ? `${project}:services` : "services";
  const apps = doc.getIn(["config", key, "apps"], true);
  if (!isMap(apps)) throw new Error(`the stack file has no ${project}:services.apps map`);
  return apps;
}

/** A top-level setting of the stack file (`<project>:kind` is `kind`), or undefined when unset. */
export function stackSetting(
  yamlText: string,
  key: string,
  project = DEFAULT_PROJECT,
): string | undefined {
  const value = parseStack(yamlText).getIn(["config", `${project}:${key}`], true);
  if (!isScalar(value) || value.value === null) return undefined;
  return typeof value.value === "string" ? value.value : JSON.stringify(value.value);
}

/** The apps the stack file selects, in file order. */
export function selectedApps(yamlText: string, project = DEFAULT_PROJECT): string[] {
  return appsMap(parseStack(yamlText), project).items.map((pair) =>
    String(isScalar(pair.key) ? pair.key.value : pair.key),
  );
}

/** The version the stack file sets for `service`, or undefined when it sets none. */
export function serviceVersion(
  yamlText: string,
  service: string,
  project = DEFAULT_PROJECT,
): string | undefined {
  return appSetting(yamlText, service, "version", project);
}

/** Fails unless the stack selects `service`: promotion and releases never add a service to a stack. */
export function requireSelected(
  yamlText: string,
  service: string,
  project = DEFAULT_PROJECT,
): void {
  const selected = selectedApps(yamlText, project);
  if (!selected.includes(service))
    throw new Error(
      `${service} is not selected in this stack (services.apps has ${selected.join(", ") || "no apps"}); ` +
        "add it there first: promotion and releases only change a selected service",
    );
}

/** A value to write under `services.apps.<service>`: quoted or plain, or `undefined` to remove the key. */
export interface AppSetting {
  readonly value: string | undefined;
  /** Versions are double-quoted, so `1.10` never reads as a number. @default false */
  readonly quoted?: boolean;
}

/**
 * Sets (or removes) keys of `services.apps.<service>` and returns the new text; every other byte
 * of the file stays as it was, and a comment on a changed value stays with it. Fails when the
 * stack does not select `service`: these edits never add a service to a stack.
 */
export function setAppSettings(
  yamlText: string,
  service: string,
  settings: Readonly<Record<string, AppSetting>>,
  project = DEFAULT_PROJECT,
): string {
  requireSelected(yamlText, service, project);
  const doc = parseStack(yamlText);
  const apps = appsMap(doc, project);
  let app: unknown = apps.get(service, true);
  if (app === null || app === undefined || (isScalar(app) && app.value === null)) {
    const created = doc.createNode({}) as YAMLMap;
    apps.set(service, created);
    app = created;
  }
  if (!isMap(app))
    throw new Error(`services.apps.${service} is not a map; write it as a YAML mapping`);
  // `api: {}` becomes a block map; a flow map with settings stays a flow map.
  if (app.items.length === 0) app.flow = false;
  for (const key of Object.keys(settings)) {
    const { value, quoted = false } = settings[key]!;
    if (value === undefined) {
      app.delete(key);
      continue;
    }
    const current = app.get(key, true);
    if (isScalar(current)) {
      // Change the node in place: a comment on it stays.
      current.value = value;
      current.type = quoted ? Scalar.QUOTE_DOUBLE : Scalar.PLAIN;
    } else {
      const node = new Scalar(value);
      if (quoted) node.type = Scalar.QUOTE_DOUBLE;
      app.set(key, node);
    }
  }
  // A service left with no settings is written `api: {}` again.
  if (app.items.length === 0) app.flow = true;
  return doc.toString(PRINT);
}

/** A setting of `services.apps.<service>` as the stack file writes it, or undefined when unset. */
export function appSetting(
  yamlText: string,
  service: string,
  key: string,
  project = DEFAULT_PROJECT,
): string | undefined {
  const app = appsMap(parseStack(yamlText), project).get(service, true);
  if (!isMap(app)) return undefined;
  const value = app.get(key, true);
  if (!isScalar(value) || value.value === null) return undefined;
  return typeof value.value === "string" ? value.value : JSON.stringify(value.value);
}

/**
 * Sets `services.apps.<service>.version` to `version`, as a double-quoted string, and returns the
 * new text; every other byte of the file stays as it was. Fails when the stack does not select
 * `service`: promotion never adds a service to a stack.
 */
export function setServiceVersion(
  yamlText: string,
  service: string,
  version: string,
  project = DEFAULT_PROJECT,
): string {
  return setAppSettings(yamlText, service, { version: { value: version, quoted: true } }, project);
}
