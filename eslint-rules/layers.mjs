/**
 * `layers/one-way`: imports under components/ run one way, from the estate down to the shared
 * model, so no two folders depend on each other (DEVELOPMENT.md, "Layers"). A file may import its
 * own folder and any folder of a LOWER layer; an import of its own layer's other folders, of a
 * higher layer, or of tools/, test/ or lib/ is an error naming both layers. Tests are exempt.
 */
import path from "node:path";

/** Folder under components/ -> layer; files directly in components/ (platform.ts) are the top. */
export const LAYERS = {
  model: 0,
  catalog: 1,
  config: 2,
  docker: 3,
  dns: 4,
  registry: 4,
  jenkins: 5,
  release: 5,
  services: 5,
  "ci-host": 6,
  aws: 6,
};
const TOP = 7;
const LAYER_NAMES = [
  "model",
  "catalog",
  "config",
  "docker helpers",
  "capabilities",
  "capabilities",
  "hosts and estates",
  "platform",
];

/** `components/<folder>/...` -> folder, `components/x.ts` -> "", anything else -> undefined. */
function componentsFolder(root, file) {
  const rel = path.relative(path.join(root, "components"), file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  return parts.length === 1 ? "" : parts[0];
}

const layerOf = (folder) => (folder === "" ? TOP : LAYERS[folder]);

export const oneWay = {
  meta: {
    type: "problem",
    docs: {
      description: "imports under components/ run one way, from the estate down to the model",
    },
    schema: [],
  },
  create(context) {
    const root = context.cwd;
    const file = context.filename;
    const from = componentsFolder(root, file);
    // Tests sit on top of everything they test, like the tools.
    if (from === undefined || /\.test\.[cm]?ts$/.test(file)) return {};
    const fromLayer = layerOf(from);
    const check = (node, source) => {
      if (typeof source !== "string" || !source.startsWith(".")) return;
      const target = path.resolve(path.dirname(file), source);
      const to = componentsFolder(root, target);
      if (to === undefined) {
        context.report({
          node,
          message: `components/ must not import ${path.relative(root, target)}: tools, tests and the library sit on top of the components`,
        });
        return;
      }
      if (to === from) return;
      const toLayer = layerOf(to);
      if (toLayer === undefined) {
        context.report({
          node,
          message: `components/${to} has no layer: add it to LAYERS in eslint-rules/layers.mjs`,
        });
      } else if (fromLayer === undefined) {
        context.report({
          node,
          message: `components/${from} has no layer: add it to LAYERS in eslint-rules/layers.mjs`,
        });
      } else if (toLayer >= fromLayer) {
        const where = from === "" ? "components/" : `components/${from}`;
        context.report({
          node,
          message: `${where} (${LAYER_NAMES[fromLayer]}) must not import components/${to || ""} (${LAYER_NAMES[toLayer]}): imports run model ← catalog ← config ← docker helpers ← capabilities ← hosts and estates ← platform; move what both need into the lower layer`,
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === "Literal" && check(node, node.source.value),
    };
  },
};

export default { rules: { "one-way": oneWay } };
