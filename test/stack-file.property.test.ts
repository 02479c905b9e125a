/**
 * Over a thousand random mutations of the three real stack files: the program either accepts the
 * file or refuses it with messages that each name a field of the file, carry no crash text, echo
 * no long value and no secret. A sample of them runs the whole program under mocks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPlatformConfig } from "../components/config/load";
import { buildPlatform } from "../components/platform";
import { evaluateProgram } from "../lib/evaluate";
import { StackFileError, stackConfigFromYaml } from "../lib/stack-file";
import { validateStackFile } from "../lib/stack-config";
import { PROJECT_ROOT } from "./mocks";
import {
  applyEdits,
  CRASH_TEXT,
  LONG_ECHO,
  LONG_VALUE,
  mutation,
  namesFieldInFile,
  plausibleMutation,
  SECRET_MARKER,
  stackDocument,
  type Edit,
  type StackName,
} from "./stack-file-mutations";

/** The edited file as the engine would hand it to the program, or the file-level refusal. */
function mutated(stack: StackName, edits: readonly Edit[]) {
  const doc = stackDocument(PROJECT_ROOT, stack);
  applyEdits(doc, edits);
  try {
    return { doc, file: stackConfigFromYaml("ci-platform", doc, `Pulumi.${stack}.yaml`) };
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    return { doc, refusal: err.message };
  }
}

/** Accepted mutations run through the whole program: about a second each. */
const PLANNED = 12;

function expectCleanRefusal(messages: readonly string[], config: Record<string, unknown>): void {
  expect(messages.length).toBeGreaterThan(0);
  for (const message of messages) {
    expect(message).not.toMatch(CRASH_TEXT);
    expect(message).not.toContain(SECRET_MARKER);
    expect(message).not.toContain(LONG_VALUE.slice(0, LONG_ECHO));
    expect(namesFieldInFile(message, config), `names no field of the file: ${message}`).toBe(true);
  }
}

describe("mutated stack files", () => {
  it("are accepted or refused with clean messages at fields of the file (validation)", () => {
    fc.assert(
      fc.property(mutation(), ({ stack, edits }) => {
        const { doc, file, refusal } = mutated(stack, edits);
        if (refusal !== undefined) {
          expect(refusal).toMatch(new RegExp(`^Pulumi\\.${stack}\\.yaml(:| is not valid YAML)`));
          expect(refusal).not.toMatch(CRASH_TEXT);
          return;
        }
        const result = validateStackFile(file, stack);
        if (!result.ok)
          expectCleanRefusal(
            result.issues.map((i) => i.message),
            doc.config,
          );
      }),
      { numRuns: 1200 },
    );
  });

  // Refusals are the validation above, which the program runs as its first step; what it
  // accepts must then be declared by every component without an error.
  it("that validate are planned by the real program under mocks", async () => {
    const seed = Date.now();
    const accepted = fc
      .sample(plausibleMutation(["testing", "staging"]), { numRuns: 500, seed })
      .map(({ stack, edits }) => ({ stack, edits, ...mutated(stack, edits) }))
      .filter((m) => m.file !== undefined && validateStackFile(m.file, m.stack).ok)
      .slice(0, PLANNED);
    expect(accepted.length, `seed ${seed}`).toBe(PLANNED);
    for (const { stack, edits, file } of accepted) {
      const evaluation = await evaluateProgram(file!, stack, () =>
        Promise.resolve(buildPlatform(loadPlatformConfig()) as unknown as Record<string, unknown>),
      ).catch((err: unknown) => {
        throw new Error(`seed ${seed}: ${stack} ${JSON.stringify(edits)}: ${String(err)}`);
      });
      expect(evaluation.resources.length).toBeGreaterThan(1);
    }
  }, 180_000);
});
