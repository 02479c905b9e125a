/**
 * The policy rules as Pulumi resource-validation policies, for `policy/index.ts`. Kept apart from
 * the `PolicyPack` itself, which starts serving the engine as soon as it is constructed.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { appliesTo, RULES, type PolicyRule } from "./rules";

/** One rule as a mandatory policy over each resource the engine registers. */
export function toPolicy(rule: PolicyRule): ResourceValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (!appliesTo(rule, args.type)) return;
      const resource = {
        type: args.type,
        name: args.name,
        inputs: args.props as Record<string, unknown>,
        protect: args.opts.protect,
      };
      for (const message of rule.check(resource)) reportViolation(message);
    },
  };
}

/**
 * The rules the engine can run. `secrets-not-plain` is not among them: the policy SDK hands
 * policies secret values already unwrapped, so a secret and a plain value look alike there; it
 * runs over the offline plan (`npm run policy`, the policy tests), where secrets are "[secret]".
 */
export const POLICIES: ResourceValidationPolicy[] = RULES.filter((r) => !r.needsSecretMask).map(
  toPolicy,
);
