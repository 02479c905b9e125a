/**
 * A small aws stack for the release and promotion tests: two apps, comments beside the versions,
 * and only the settings every aws stack must have, so the tests read exact edits and do not follow
 * every change to the committed Pulumi.production.yaml.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..");

export const SMALL_PRODUCTION = `# Production on ECS: a release is one edit of a service's version here.
config:
  aws:region: us-east-1
  ci-platform:kind: aws
  ci-platform:region: us-east-1
  ci-platform:domain: example.com
  ci-platform:services:
    datastores: [mongodb, postgres, redis]
    apps:
      # The public API; keep it first.
      api:
        version: "1.4.2" # released 2026-11-20
      billing:
        version: "2.0.1"
  ci-platform:aws:
    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]
    vpcCidr: 10.20.0.0/16
    adminCidr: 10.255.0.0/24
    registry: registry.example.com:5443
    registryUser: deploy
    registryCaCert: |
      -----BEGIN CERTIFICATE-----
      MIIBtDCCAVqgAwIBAgIUQS8kUCJO0iLRW7EkehmCTKl/BIkwCgYIKoZIzj0EAwIw
      HzEdMBsGA1UEAwwUcmVnaXN0cnkuZXhhbXBsZS5jb20wHhcNMjYxMTI1MTQ1ODMz
      WhcNMzYxMTIyMTQ1ODMzWjAfMR0wGwYDVQQDDBRyZWdpc3RyeS5leGFtcGxlLmNv
      bTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLiqOFGcW3BXN6IDDxzbrJ9qyFnk
      0Du5O8P3kLWwfvzJ3YBIcXyACaz9bhAanS4WB6n9Nj83Vy7MJsrZwM0tzdKjdDBy
      MB0GA1UdDgQWBBRzqH2eDhDlClUo029nAhK/SnvS7DAfBgNVHSMEGDAWgBRzqH2e
      DhDlClUo029nAhK/SnvS7DAPBgNVHRMBAf8EBTADAQH/MB8GA1UdEQQYMBaCFHJl
      Z2lzdHJ5LmV4YW1wbGUuY29tMAoGCCqGSM49BAMCA0gAMEUCIQCVma/DhT+0Q9PA
      /BSIhN72tVK1THTjOWzEBTYVrRoCuQIgVd5IZsKPP705gqwNAAOjh+O6/Ub5mWb4
      0xSQUShcXPs=
      -----END CERTIFICATE-----
    hostClasses:
      app:
        instanceType: t3.xlarge
        ami: ami-0c7217cdde317cfec
        services: [api, billing]
    nodeIps:
      mongodb-cluster-a-node-1: 10.20.192.11
      mongodb-cluster-a-node-2: 10.20.193.11
      mongodb-cluster-a-node-3: 10.20.194.11
      postgres-cluster-a-node-1: 10.20.192.21
      postgres-cluster-a-node-2: 10.20.193.21
      redis-cluster-a-node-1: 10.20.192.31
      redis-cluster-a-node-2: 10.20.193.31
      redis-cluster-a-node-3: 10.20.194.31
`;

/** A temporary project root with Pulumi.yaml and the small Pulumi.production.yaml. */
export function smallProject(): string {
  const root = mkdtempSync(join(tmpdir(), "release-project-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
  writeFileSync(join(root, "Pulumi.production.yaml"), SMALL_PRODUCTION);
  return root;
}

/** The project's stack file as it is now. */
export function stackFile(root: string, stack = "production"): string {
  return readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8");
}
