/**
 * Least privilege for the platform's IAM roles, as pure checks of policy documents and managed
 * policy ARNs (the "iam-least-privilege" rule of `rules.ts` applies them to planned resources).
 * In the offline plan a policy document is the JSON string the program rendered; the policy SDK
 * may hand it over as an object: both are read.
 */

/**
 * Actions the platform's roles may be granted on `Resource: "*"`, each with why: the Service
 * Authorization Reference lists them with no resource type, so AWS grants them on "*" alone
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html,
 * "Resource types" column; each service has its list_<service> page). Everything else names its
 * resources' ARNs. Checked there and NOT on this list, because they take resource ARNs:
 * ecs:DescribeTasks and ecs:StopTask (task), ecs:RunTask (task-definition), ecs:ListTasks
 * (container-instance, or the ecs:cluster condition), ecs:DescribeServices (service),
 * logs:CreateLogStream and logs:PutLogEvents (log-group), secretsmanager:GetSecretValue (secret),
 * iam:PassRole (role), lambda:InvokeFunction (function).
 */
export const STAR_ONLY_ACTIONS: Readonly<Record<string, string>> = {
  "ecs:DescribeTaskDefinition":
    "the hook may read a task definition's revision; ECS defines no resource type for it",
};

/** STAR_ONLY_ACTIONS in lower case: IAM compares action names without regard to case. */
const STAR_ONLY = new Set(Object.keys(STAR_ONLY_ACTIONS).map((a) => a.toLowerCase()));

/**
 * The AWS managed policies a role may have attached, each with why the platform needs it. The
 * rest of a role's grants are inline policies the rules can read.
 */
export const MANAGED_POLICIES: Readonly<Record<string, string>> = {
  "service-role/AmazonEC2ContainerServiceforEC2Role":
    "the container instances' role: the ECS agent registers the instance, polls for tasks and reports their state",
  AmazonECSInfrastructureRolePolicyForLoadBalancers:
    "the role ECS assumes during a blue/green deployment to register targets and move the listener rules' traffic",
};

/** Managed policies that grant (nearly) everything: refused by name, whatever the allow-list says. */
export const REFUSED_MANAGED_POLICIES: readonly string[] = [
  "AdministratorAccess",
  "PowerUserAccess",
  "IAMFullAccess",
];

const AWS_MANAGED = /^arn:aws(?:-[a-z-]+)?:iam::aws:policy\/(.+)$/;

/** What is wrong with attaching the managed policy `arn`, or undefined when it is allowed. */
export function managedPolicyProblem(arn: unknown): string | undefined {
  const name = typeof arn === "string" ? AWS_MANAGED.exec(arn)?.[1] : undefined;
  const allowed = Object.keys(MANAGED_POLICIES).join(" and ");
  if (name !== undefined && REFUSED_MANAGED_POLICIES.includes(name.split("/").pop()!)) {
    return `${JSON.stringify(arn)} grants (nearly) every action in the account; never attach it: grant the few actions the role calls in an inline role policy`;
  }
  if (name !== undefined && name in MANAGED_POLICIES) return undefined;
  return `${arn === undefined ? "not set" : JSON.stringify(arn)} is not an allowed managed policy (${allowed}); grant what the role calls in an inline role policy, scoped to its resources`;
}

interface Statement {
  readonly where: string;
  readonly body: Readonly<Record<string, unknown>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const strings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");

/**
 * A policy document's statements, or a message saying why it cannot be read. `undefined` (not
 * known yet), "" and the offline plan's secret mask yield no statements and no message.
 */
export function policyStatements(
  field: string,
  document: unknown,
): { statements: Statement[]; problem?: string } {
  let doc = document;
  if (typeof doc === "string") {
    // The mask, or "" (an inline policy being removed): nothing to read.
    if (doc === "[secret]" || doc === "") return { statements: [] };
    try {
      doc = JSON.parse(doc) as unknown;
    } catch {
      return {
        statements: [],
        problem: `${field} is not a JSON policy document; render it with JSON.stringify (or aws.iam.getPolicyDocument)`,
      };
    }
  }
  if (doc === undefined) return { statements: [] };
  if (!isRecord(doc)) {
    return { statements: [], problem: `${field} is not a policy document object` };
  }
  const raw = doc["Statement"];
  const list = Array.isArray(raw) ? raw : [raw];
  return {
    statements: list.filter(isRecord).map((body, n) => ({
      where: Array.isArray(raw) ? `${field} Statement[${n}]` : `${field} Statement`,
      body,
    })),
  };
}

const isAllow = (s: Statement): boolean => s.body["Effect"] === "Allow";

/** Whether a resource pattern covers every resource: "*", or an ARN whose resource part is "*". */
function isEveryResource(resource: string): boolean {
  return resource === "*" || /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/.test(resource);
}

/**
 * What an identity policy (inline or customer managed) grants beyond least privilege: NotAction or
 * NotResource in an Allow, every action ("*") or every action of a service ("ecs:*"), and
 * `Resource: "*"` for any action not in STAR_ONLY_ACTIONS. Deny statements narrow and pass.
 */
export function identityPolicyProblems(field: string, document: unknown): string[] {
  const { statements, problem } = policyStatements(field, document);
  const problems = problem ? [problem] : [];
  for (const s of statements.filter(isAllow)) {
    if (s.body["NotAction"] !== undefined) {
      problems.push(
        `${s.where} allows NotAction, i.e. every action but those listed; list the actions the role calls in Action`,
      );
    }
    if (s.body["NotResource"] !== undefined) {
      problems.push(
        `${s.where} allows NotResource, i.e. every resource but those listed; list the resources' ARNs in Resource`,
      );
    }
    const actions = strings(s.body["Action"]);
    const wild = actions.filter((a) => a === "*" || /^[A-Za-z0-9-]+:\*$/.test(a));
    if (wild.length > 0) {
      problems.push(
        `${s.where} allows ${wild.map((a) => JSON.stringify(a)).join(" and ")}, every action of ${wild.includes("*") ? "every service" : "the service"}; list the actions the role calls`,
      );
    }
    const everything = strings(s.body["Resource"]).filter(isEveryResource);
    if (everything.length > 0) {
      const scoped = actions.filter((a) => !wild.includes(a) && !STAR_ONLY.has(a.toLowerCase()));
      if (scoped.length > 0) {
        problems.push(
          `${s.where} allows ${scoped.join(", ")} on ${everything.map((r) => JSON.stringify(r)).join(" and ")}; name the resources' ARNs (only ${Object.keys(STAR_ONLY_ACTIONS).join(", ")}, which AWS grants on "*" alone, may have it)`,
        );
      }
    }
  }
  return problems;
}

/**
 * What a role's trust policy lets assume it beyond the services and accounts it names: a Principal
 * of "*" (or {"AWS": "*"}), or NotPrincipal, in an Allow.
 */
export function trustPolicyProblems(field: string, document: unknown): string[] {
  const { statements, problem } = policyStatements(field, document);
  const problems = problem ? [problem] : [];
  for (const s of statements.filter(isAllow)) {
    const principal = s.body["Principal"];
    const anyone =
      principal === "*" ||
      (isRecord(principal) && Object.values(principal).some((p) => strings(p).includes("*")));
    if (anyone || s.body["NotPrincipal"] !== undefined) {
      problems.push(
        `${s.where} lets ${anyone ? "any principal" : "every principal but those listed (NotPrincipal)"} assume the role; name the service (e.g. {"Service": "ecs-tasks.amazonaws.com"}) or account that assumes it`,
      );
    }
  }
  return problems;
}
