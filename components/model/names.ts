/** Name rules shared by the catalog, the stack config and the resource names derived from them. */

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** True for a lower-case RFC 1123 label: what a container name, DNS name and host name all accept. */
export function isDnsLabel(name: string): boolean {
  return DNS_LABEL.test(name);
}

export const DNS_LABEL_RULE =
  "use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit";

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** True for a dotted domain name of at least two lower-case labels, such as `example.com`. */
export function isDomainName(name: string): boolean {
  return DNS_NAME.test(name);
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * True for a stack name Pulumi accepts (letters, digits, '-', '_', '.'; at most 100) that also
 * starts like a Docker container name, since every container's name begins with it.
 */
export function isStackName(name: string): boolean {
  return STACK_NAME.test(name);
}

export const STACK_NAME_RULE =
  "use up to 100 letters, digits, '-', '_' and '.', starting with a letter or digit";

const REGISTRY_USER = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** True for a name the registry's htpasswd and role maps accept as a user. */
export function isRegistryUser(user: string): boolean {
  return REGISTRY_USER.test(user);
}
