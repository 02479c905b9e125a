/** Shell quoting for commands the program runs on hosts: everything a command needs is in its text. */

/** Quotes a value for POSIX sh: `it's` -> `'it'\''s'`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line that runs `script` under `<shell> -c` with `env` set, variables in sorted order.
 * The environment is inlined rather than passed through SSH, which servers drop unless they AcceptEnv.
 */
export function commandLine(
  env: Readonly<Record<string, string>>,
  script: string,
  shell: "sh" | "bash" = "sh",
): string {
  const assignments = Object.keys(env)
    .sort()
    .map((name) => `${name}=${shellQuote(env[name]!)}`);
  return [...assignments, shell, "-c", shellQuote(script)].join(" ");
}
