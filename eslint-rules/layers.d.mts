import type { ESLint } from "eslint";

export const LAYERS: Readonly<Record<string, number>>;
declare const plugin: ESLint.Plugin;
export default plugin;
