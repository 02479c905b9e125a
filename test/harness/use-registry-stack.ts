/** Vitest glue for a real nginx + registry stack (kept apart so `registry.ts` runs outside vitest). */
import * as path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startRegistryStack, type RegistryStack, type RegistryStackOptions } from "./registry";
import { makeOciImage, type OciImage, type OciImageSpec } from "./registry-images";

/** Starts a registry stack for the enclosing `describe` and stops it afterwards, also on failure. */
export function useRegistryStack(options: RegistryStackOptions = {}) {
  let stack: RegistryStack | undefined;
  let images = 0;
  beforeAll(async () => {
    stack = await startRegistryStack(options);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);
  const current = (): RegistryStack => {
    if (!stack) throw new Error("the registry stack is not running (did its beforeAll fail?)");
    return stack;
  };
  return {
    stack: current,
    /** A fresh OCI image layout in the stack's scratch dir (removed with the stack). */
    image: (spec: OciImageSpec): Promise<OciImage> =>
      makeOciImage(path.join(current().dir, "work", `image-${++images}`), spec),
    /** A fresh directory name in the stack's scratch dir, e.g. a pull destination. */
    scratch: (name: string): string => path.join(current().dir, "work", `${name}-${++images}`),
  };
}
