/** The service's logic, pure so the unit tests cover it without a server. */

export const MAX_NAME_LENGTH = 64;

/**
 * The greeting for `name`: "hello, <name>" with surrounding whitespace trimmed, "hello, world" when
 * the name is missing or blank. Throws a RangeError for names over MAX_NAME_LENGTH characters.
 */
export function greeting(name) {
  const who = typeof name === "string" ? name.trim() : "";
  if (who.length > MAX_NAME_LENGTH) {
    throw new RangeError(`name is ${who.length} characters, over ${MAX_NAME_LENGTH}`);
  }
  return `hello, ${who === "" ? "world" : who}`;
}
