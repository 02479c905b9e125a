import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { imageSlug } from "./docker-render";

export interface HostImagesArgs {
  /** Provider of the host's Docker engine. */
  readonly provider: docker.Provider;
  /** Pull images from their registries; when false, containers use images already on the host. */
  readonly pull: boolean;
}

/**
 * The images a host's containers run, each pulled once however many containers use it. Pulled
 * images are kept on destroy: other stacks or builds on the host may still use them.
 */
export class HostImages extends pulumi.ComponentResource {
  private readonly pulled = new Map<string, docker.RemoteImage>();

  constructor(
    private readonly name: string,
    private readonly args: HostImagesArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("ciplatform:ci-host:HostImages", name, {}, opts);
    this.registerOutputs({});
  }

  /** The reference a container's `image` should use for `image`. */
  ref(image: string): pulumi.Input<string> {
    if (!this.args.pull) return image;
    let remote = this.pulled.get(image);
    if (!remote) {
      remote = new docker.RemoteImage(
        `${this.name}-${imageSlug(image)}`,
        { name: image, keepLocally: true },
        { parent: this, provider: this.args.provider },
      );
      this.pulled.set(image, remote);
    }
    return remote.imageId;
  }
}
