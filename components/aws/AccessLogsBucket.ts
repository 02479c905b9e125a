import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accessLogsBucketPolicy } from "./aws-render";

export interface AccessLogsBucketArgs {
  readonly region: string;
  /** Days access logs are kept before they expire. */
  readonly retentionDays: number;
}

/**
 * The load balancers' access logs: private (all four public-access blocks), encrypted, versioned,
 * protected, and written only by Elastic Load Balancing over TLS.
 */
export class AccessLogsBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: AccessLogsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ciplatform:aws:AccessLogsBucket", name, {}, opts);
    const child = { parent: this };
    const bucket = new aws.s3.Bucket(
      name,
      { forceDestroy: false, tags: { Name: name } },
      { ...child, protect: true },
    );
    const block = new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    // ALB log delivery supports SSE-S3 only, not KMS keys.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      child,
    );
    new aws.s3.BucketVersioning(
      name,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: args.retentionDays },
            noncurrentVersionExpiration: { noncurrentDays: args.retentionDays },
          },
        ],
      },
      child,
    );
    new aws.s3.BucketPolicy(
      name,
      {
        bucket: bucket.id,
        policy: bucket.arn.apply((arn) => accessLogsBucketPolicy(arn, args.region)),
      },
      { ...child, dependsOn: [block] },
    );
    this.bucketName = bucket.bucket;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
