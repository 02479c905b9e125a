/**
 * Runs the real program under Pulumi mocks and records every resource it declares, with its
 * options and resolved inputs: the offline plan's and the stack tests' view of the program.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackFileConfig } from "./stack-file";

export interface PlannedResource {
  readonly type: string;
  readonly name: string;
  /** Parent's `type::name`, or undefined for the stack's own children. */
  readonly parent: string | undefined;
  /** Explicit provider's `name`, or undefined for the default provider. */
  readonly provider: string | undefined;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  /**
   * Inputs an `up` leaves as they were after creation (`ignoreChanges`), sorted: what a service
   * such as ECS or auto scaling owns from then on.
   */
  readonly ignoreChanges: readonly string[];
  /** Resolved inputs, secrets replaced by "[secret]". */
  readonly inputs: Record<string, unknown>;
}

export interface Evaluation {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
  readonly outputs: Record<string, unknown>;
}

export const SECRET_MASK = "[secret]";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces every secret-wrapped value by the mask and orders keys, for deterministic output. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG] === SECRET_SIG_VALUE) return SECRET_MASK;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .filter((k) => record[k] !== undefined)
        .map((k) => [k, maskSecrets(record[k])]),
    );
  }
  return value;
}

/** Unwraps secret-wrapped values, for tests that must apply them. */
function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG] === SECRET_SIG_VALUE) return revealSecrets(record["value"]);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

/** Plausible provider-computed outputs, so dependent inputs resolve to readable values. */
function computedState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  switch (type) {
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `${String(inputs["name"])}@sha256:mock` };
    case "docker:index/network:Network":
    case "docker:index/container:Container":
    case "docker:index/volume:Volume":
      return { name: inputs["name"] ?? name };
    case "aws:lb/loadBalancer:LoadBalancer":
      return {
        arn: `arn:mock:elasticloadbalancing:${name}`,
        arnSuffix: `app/${name}/mock`,
        dnsName: `${name}.elb.mock`,
        zoneId: "ZMOCKELB",
      };
    case "aws:ec2/eip:Eip":
      return { arn: `arn:mock:${type}:${name}`, publicIp: mockPublicIp(name) };
    case "aws:ecs/cluster:Cluster": {
      const cluster = typeof inputs["name"] === "string" ? inputs["name"] : name;
      // Shaped like the real ARN, so what is derived from it (task ARNs in policies) reads true.
      return { arn: `arn:aws:ecs:mock-region:000000000000:cluster/${cluster}`, name: cluster };
    }
    case "aws:ecs/taskDefinition:TaskDefinition": {
      const family = String(inputs["family"]);
      const arn = `arn:aws:ecs:mock-region:000000000000:task-definition/${family}`;
      return { arn: `${arn}:1`, arnWithoutRevision: arn, revision: 1 };
    }
    case "aws:ec2/instance:Instance":
      return { privateIp: mockPrivateIp(name) };
    case "aws:s3/bucket:Bucket":
      return { bucket: name, arn: `arn:aws:s3:::${name}` };
    case "aws:route53/zone:Zone":
      return { zoneId: `Z${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}` };
    default:
      return type.startsWith("aws:")
        ? { arn: `arn:mock:${type}:${name}`, ...(inputs["name"] === undefined ? { name } : {}) }
        : {};
  }
}

/** A stable 32-bit hash of a resource name, for stand-in addresses that read the same every run. */
function nameHash(name: string): number {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash;
}

/** A stable stand-in public address, from the documentation range (RFC 5737 TEST-NET-2). */
function mockPublicIp(name: string): string {
  return `198.51.100.${(nameHash(name) % 254) + 1}`;
}

/** A stable stand-in private address, so a plan shows where each host's engine is reached. */
function mockPrivateIp(name: string): string {
  const hash = nameHash(name);
  return `10.255.${(hash >>> 8) % 256}.${(hash % 254) + 1}`;
}

const key = (type: string, name: string): string => `${type}::${name}`;

/** Provider inputs travel JSON-encoded; decode them so a plan shows lists and maps as such. */
function decodeProviderInputs(
  type: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  if (!type.startsWith("pulumi:providers:")) return inputs;
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => {
      if (typeof v !== "string" || !/^[[{]/.test(v)) return [k, v];
      try {
        return [k, JSON.parse(v) as unknown];
      } catch {
        return [k, v];
      }
    }),
  );
}

/**
 * Evaluates the program for one stack's config. `loadProgram` imports the program's entry module;
 * it must be a fresh module instance (one evaluation per process or test file).
 */
export interface EvaluateOptions {
  /**
   * Keep secret values in the recorded inputs instead of masking them: only for tests that apply
   * the declared resources to a test engine. @default false
   */
  readonly revealSecrets?: boolean;
}

export async function evaluateProgram(
  stackConfig: StackFileConfig,
  stack: string,
  loadProgram: () => Promise<Record<string, unknown>>,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const mask = options.revealSecrets ? revealSecrets : maskSecrets;
  // The SDK captures a stack trace for every Output it creates (most of an evaluation's cost, see
  // `npm run bench:plan`); the plan needs none of them. Restored when the evaluation ends.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await evaluateWith(stackConfig, stack, loadProgram, mask);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function evaluateWith(
  stackConfig: StackFileConfig,
  stack: string,
  loadProgram: () => Promise<Record<string, unknown>>,
  mask: (value: unknown) => unknown,
): Promise<Evaluation> {
  const inputsByKey = new Map<string, Record<string, unknown>>();
  const providerByKey = new Map<string, string>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        inputsByKey.set(key(args.type, args.name), inputs);
        // A provider reference is `<urn>::<id>`, and a URN ends in `::<type>::<name>`.
        const providerName = args.provider?.split("::").at(-2);
        if (providerName) providerByKey.set(key(args.type, args.name), providerName);
        return {
          id: args.custom ? `${args.name}-id` : undefined,
          state: { ...inputs, ...computedState(args.type, args.name, inputs) },
        };
      },
      call: (args) => {
        throw new Error(
          `the offline plan makes no provider calls, but the program invoked ${args.token}`,
        );
      },
    },
    stackConfig.project,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);

  const declared: {
    type: string;
    name: string;
    opts: pulumi.ResourceOptions;
    resource: pulumi.Resource;
  }[] = [];
  const identity = new Map<pulumi.Resource, { type: string; name: string; protect: boolean }>();
  // The stack's own copy of the exports has secrets unwrapped; keep the program's, with their Outputs.
  let exports: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const parent = args.opts.parent ? identity.get(args.opts.parent) : undefined;
      const protect = args.opts.protect ?? parent?.protect ?? false;
      identity.set(args.resource, { type: args.type, name: args.name, protect });
      declared.push({ type: args.type, name: args.name, opts: args.opts, resource: args.resource });
      return undefined;
    });
    exports = programExports(await loadProgram());
    return exports;
  });
  await pulumi.runtime.disconnect();

  const resources = declared.map(({ type, name, opts, resource }): PlannedResource => {
    const parent = opts.parent ? identity.get(opts.parent) : undefined;
    return {
      type,
      name,
      parent: parent ? key(parent.type, parent.name) : undefined,
      provider: providerByKey.get(key(type, name)),
      protect: identity.get(resource)?.protect ?? false,
      retainOnDelete: opts.retainOnDelete ?? false,
      deleteBeforeReplace: (opts as pulumi.CustomResourceOptions).deleteBeforeReplace ?? false,
      ignoreChanges: [...(opts.ignoreChanges ?? [])].sort(),
      inputs: mask(decodeProviderInputs(type, inputsByKey.get(key(type, name)) ?? {})) as Record<
        string,
        unknown
      >,
    };
  });
  return { project: stackConfig.project, stack, resources, outputs: await resolveOutputs(exports) };
}

/**
 * The program's stack outputs as the engine sees them (`module.exports`): dynamic `import()` of a
 * CommonJS module that uses `export =` wraps them in a namespace's `default`.
 */
function programExports(mod: Record<string, unknown>): Record<string, unknown> {
  const wrapped = mod["default"];
  if (typeof wrapped !== "object" || wrapped === null) return mod;
  const inner = wrapped as Record<string, unknown>;
  const onlyWrapper = Object.keys(mod).every((k) => k === "default" || k in inner);
  return onlyWrapper ? inner : mod;
}

/** Resolves exported values; a secret export shows as the mask. */
async function resolveOutputs(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(exports).sort()) {
    const output: pulumi.Output<unknown> = pulumi.output(exports[name]);
    const secret = await (output as unknown as { isSecret: Promise<boolean> }).isSecret;
    const value = await new Promise<unknown>((resolve) => output.apply((v: unknown) => resolve(v)));
    if (value !== undefined) result[name] = secret ? SECRET_MASK : maskSecrets(value);
  }
  return result;
}
