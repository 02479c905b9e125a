/**
 * The platform's Pulumi policy pack: `pulumi preview --policy-pack policy` (or `up`) runs the rules
 * of `policy/rules.ts` on every resource the program registers and blocks on any violation.
 * Unknown values (outputs of resources not created yet) make a rule advisory for that preview.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./pack";

new PolicyPack("ci-platform", { policies: POLICIES });
