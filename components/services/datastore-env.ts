import * as pulumi from "@pulumi/pulumi";
import type { DatastoreEntry } from "../catalog/catalog";

/**
 * The environment a datastore's image needs to start: its superuser password where the image
 * requires one. The whole `envs` property is then secret in a preview, which holds nothing else.
 */
export function datastoreEnvs(
  entry: DatastoreEntry,
  password: pulumi.Input<string> | undefined,
): { envs?: pulumi.Output<string>[] } {
  if (entry.passwordEnv === undefined) return {};
  if (password === undefined) {
    throw new Error(
      `datastore ${entry.name} needs the stack secret datastorePassword for ${entry.passwordEnv}`,
    );
  }
  return { envs: [pulumi.interpolate`${entry.passwordEnv}=${pulumi.secret(password)}`] };
}
