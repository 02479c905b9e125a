/**
 * Jenkins and its plugins, pinned: an `up` installs exactly these, and a bump is a reviewed change.
 * Versions are the update center's identifiers; bump them together with the LTS line.
 */

/** Jenkins LTS installed on every CI host (Debian package `jenkins`). */
export const JENKINS_LTS_VERSION = "2.492.3";

/** Debian package providing the Java runtime Jenkins runs on. */
export const JAVA_PACKAGE = "openjdk-17-jre-headless";

/** Plugin id -> version, for the plugin installation manager's plugins.txt. */
export const JENKINS_PLUGINS: Readonly<Record<string, string>> = {
  "configuration-as-code": "1932.v75cb_b_f1b_698d",
  "job-dsl": "1.91",
  "workflow-aggregator": "600.vb_57cdd26fdd7",
  git: "5.7.0",
  "credentials-binding": "687.v619cb_15e923f",
  "command-launcher": "118.v72741845c17a_",
  timestamper: "1.28",
  "build-timeout": "1.35",
  "ws-cleanup": "0.48",
};
