/** The process helpers live with the tools that also use them. */
export * from "../../lib/process";
