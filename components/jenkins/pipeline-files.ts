/** The pipeline's shell scripts, shipped to every CI host from this repository. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const PIPELINE_SOURCE_DIR = join(__dirname, "pipeline");

/** Every `*.sh` of the pipeline directory, sorted by name, with its content. */
export function readPipelineScripts(
  dir: string = PIPELINE_SOURCE_DIR,
): { name: string; content: string }[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".sh"))
    .sort()
    .map((name) => ({ name, content: readFileSync(join(dir, name), "utf8") }));
}
