/** The pipeline's shell scripts, shipped to every CI host from this repository. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const PIPELINE_SOURCE_DIR = join(__dirname, "pipeline");

/** The folder of the pipeline directory holding the files `lib.sh` sources, one per concern. */
export const PIPELINE_LIB_DIR = "lib";

/**
 * Every `*.sh` of the pipeline directory and of its `lib/` folder, sorted by name, each with its
 * path relative to the pipeline directory (`05-deploy.sh`, `lib/slots.sh`) and its content.
 */
export function readPipelineScripts(
  dir: string = PIPELINE_SOURCE_DIR,
): { name: string; content: string }[] {
  const scripts = (sub: string): string[] =>
    readdirSync(join(dir, sub))
      .filter((name) => name.endsWith(".sh"))
      .map((name) => (sub === "" ? name : `${sub}/${name}`));
  return [...scripts(""), ...scripts(PIPELINE_LIB_DIR)]
    .sort()
    .map((name) => ({ name, content: readFileSync(join(dir, name), "utf8") }));
}
