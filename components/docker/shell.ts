/**
 * Shell quoting for commands the program runs on hosts: everything a command needs is in its text,
 * and every value in that text is quoted, so no value is ever read as shell syntax. A command for
 * an SSH host is parsed once by the remote user's login shell (sshd runs `<shell> -c <command>`
 * with ssh's arguments joined by spaces), which must be POSIX: the quoting is POSIX sh's.
 */

/**
 * Quotes a value for POSIX sh as one word of exactly that value: `it's` -> `'it'\''s'`. Inside
 * single quotes nothing is special (no `$`, backtick, backslash or line break), so only a single
 * quote needs ending the quotes, an escaped quote, and quoting again.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Like `shellQuote`, but leaves a word bare when no character of it is special to sh (letters,
 * digits and `@%+:,./_-`: shlex.quote's set less `=`, which could make a first word an assignment): a command holding only such values keeps the
 * text it had before its values were quoted, so an existing command is not re-run for quoting.
 */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9@%+:,./_-]+$/.test(value) ? value : shellQuote(value);
}

/** `NAME='value' ...` for `env`, in sorted order; names are the program's own constants. */
function assignments(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env)
    .sort()
    .map((name) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new Error(`${JSON.stringify(name)} is not an environment variable name`);
      return `${name}=${shellQuote(env[name]!)}`;
    });
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
  return [...assignments(env), shell, "-c", shellQuote(script)].join(" ");
}

/**
 * A command line that runs the program `argv[0]` with exactly the arguments `argv[1..]` and `env`
 * set: every word quoted, so a shell parsing it once runs that argv and nothing else.
 */
export function argvCommandLine(
  env: Readonly<Record<string, string>>,
  argv: readonly [string, ...string[]],
): string {
  return [...assignments(env), ...argv.map(shellQuote)].join(" ");
}
