/**
 * Every version and image the platform pins for its own software, in one place: an `up` installs
 * exactly these, and a bump is a reviewed change. (Catalog services and datastores pin theirs in
 * the catalog.)
 */

/** Jenkins LTS installed on every CI host (Debian package `jenkins`). */
export const JENKINS_LTS_VERSION = "2.580.1";

/**
 * Debian package providing the Java runtime Jenkins runs on. The 2.555.x and later LTS lines run
 * on Java 21 or 25 only; Debian 13 has this package in main (Debian 12 has only Java 17).
 */
export const JAVA_PACKAGE = "openjdk-21-jre-headless";

/** Images of the platform's own infrastructure containers. */
export const PLATFORM_IMAGES = {
  /** Any image with `dnsmasq` on its PATH; the program passes the command and the config. */
  dnsmasq: "dockurr/dnsmasq:2.91",
} as const;

/** Images of the registry and its front; any nginx image with `sh` works. */
export const REGISTRY_IMAGES = {
  registry: "registry:2.8.3",
  nginx: "nginx:1.27-alpine",
} as const;

/**
 * The ports of every production load balancer's listeners: 80, and 443 with a certificate. The
 * only ports the world may reach, and the ones a test listener may not take.
 */
export const PRODUCTION_LISTENER_PORTS = { http: 80, https: 443 } as const;
