/**
 * Jenkins and its plugins, pinned: an `up` installs exactly these, and a bump is a reviewed change.
 * Versions are the update center's identifiers; bump them together with the LTS line, from the
 * Jenkins project's plugin bill of materials for that line (jenkinsci/bom, module
 * `bom-<line>`), and record what was read in plugin-bom.json, which plugins.test.ts holds this
 * list to.
 */

/**
 * Plugin id -> version, for the plugin installation manager's plugins.txt. The Pipeline plugins
 * are listed one by one (the BOM does not manage the `workflow-aggregator` bundle), one for each
 * thing the rendered seed and Jenkinsfiles use.
 */
export const JENKINS_PLUGINS: Readonly<Record<string, string>> = {
  "configuration-as-code": "2121.v86fe99d4b_b_a_b_",
  "job-dsl": "3732.v9a_c49a_61a_313",
  // pipelineJob { definition { cps { script(...) } } }
  "workflow-job": "1602.v2a_70b_80a_2396",
  "workflow-cps": "4383.v04fa_a_3d67b_d9",
  // pipeline { agent, triggers, options, environment, stages, when }
  "pipeline-model-definition": "2.2293.v6e7193cec599",
  "pipeline-stage-step": "345.va_96187909426",
  // sh
  "workflow-durable-task-step": "1479.v56e587f413a_7",
  // timeout, dir
  "workflow-basic-steps": "1098.v808b_fd7f8cf4",
  git: "5.10.1",
  "credentials-binding": "728.v902a_273b_8947",
  "command-launcher": "141.v9578cf36b_311",
  timestamper: "1.30",
  "build-timeout": "1.41",
  "ws-cleanup": "0.49",
};
