/**
 * Which input changes make the provider replace a resource instead of updating it in place: a small,
 * explicit and conservative table. The offline plan diff uses it to sort updates from replacements;
 * `pulumi preview --diff` against the real providers stays the authority.
 *
 * | type                                    | rule                                                       |
 * | --------------------------------------- | ---------------------------------------------------------- |
 * | docker Container                        | every input replaces, except the in-place ones below       |
 * | docker Volume, Network                  | every input replaces                                       |
 * | docker RemoteImage                      | every input replaces, except keepLocally and forceRemove    |
 * | command local/remote Command            | only `triggers` replaces; other changes re-run the command |
 * | aws ec2 Vpc                             | cidrBlock, instanceTenancy, ipv4IpamPoolId, ipv4NetmaskLength |
 * | aws ec2 Subnet                          | cidrBlock, availabilityZone(Id), vpcId, outpostArn, ipv6Native |
 * | aws ec2 Instance                        | ami, userData(Base64), availabilityZone, subnetId, keyName, privateIp, tenancy, placementGroup, ebsBlockDevices, ephemeralBlockDevices, networkInterfaces |
 * | aws ec2 VpcDhcpOptions                  | every input except tags                                    |
 * | aws ec2 VpcDhcpOptionsAssociation       | vpcId                                                      |
 * | aws ec2 SecurityGroup                   | name, namePrefix, description, vpcId                       |
 * | aws vpc SecurityGroupIngress/EgressRule | securityGroupId                                            |
 * | aws route53 Zone                        | name, delegationSetId                                      |
 * | aws ebs Volume                          | availabilityZone, encrypted, kmsKeyId, snapshotId, outpostArn |
 * | aws ecs TaskDefinition                  | every input except tags, skipDestroy and trackLatest (a new revision) |
 * | aws ecs Service                         | name, cluster, schedulingStrategy, iamRole                 |
 * | aws ecs Cluster, CapacityProvider       | name                                                       |
 * | aws autoscaling Group, ec2 LaunchTemplate | name, namePrefix (a template change is a new version)   |
 * | aws lb Listener / ListenerRule          | loadBalancerArn / listenerArn                              |
 * | aws lb TargetGroup                      | name, namePrefix, port, protocol, protocolVersion, targetType, vpcId |
 * | aws appautoscaling Target / Policy      | resourceId, scalableDimension, serviceNamespace (Policy: and name) |
 * | aws cloudwatch MetricAlarm, LogGroup    | name (LogGroup: and namePrefix)                            |
 * | aws lambda Function                     | name                                                       |
 * | aws iam Role                            | name, namePrefix, path                                     |
 * | aws secretsmanager Secret / SecretVersion | name, namePrefix / secretId, secretString, secretBinary  |
 * | docker and aws providers                | `host` (docker) and `region` (aws): every resource of the provider moves |
 *
 * Every other type, and every other input of a listed type, is an in-place update. Whatever the
 * type, a changed parent or provider is a replacement: the URN or the provider changes.
 */

/** Inputs of a docker Container the provider changes without recreating the container. */
const CONTAINER_IN_PLACE = new Set([
  "restart",
  "maxRetryCount",
  "memory",
  "memorySwap",
  "cpuShares",
  "mustRun",
  "start",
  "attach",
  "logs",
  "rm",
  "wait",
  "waitTimeout",
  "destroyGraceSeconds",
  "containerReadRefreshTimeoutMilliseconds",
]);

type ReplaceRule =
  | { readonly kind: "all-except"; readonly inPlace: ReadonlySet<string> }
  | { readonly kind: "only"; readonly replacing: ReadonlySet<string> };

const allExcept = (...inPlace: string[]): ReplaceRule => ({
  kind: "all-except",
  inPlace: new Set(inPlace),
});
const only = (...replacing: string[]): ReplaceRule => ({
  kind: "only",
  replacing: new Set(replacing),
});

/** The table above, by resource type token. */
export const REPLACE_RULES: Readonly<Record<string, ReplaceRule>> = {
  "docker:index/container:Container": { kind: "all-except", inPlace: CONTAINER_IN_PLACE },
  "docker:index/volume:Volume": allExcept(),
  "docker:index/network:Network": allExcept(),
  "docker:index/remoteImage:RemoteImage": allExcept("keepLocally", "forceRemove"),
  "command:local:Command": only("triggers"),
  "command:remote:Command": only("triggers"),
  "aws:ec2/vpc:Vpc": only("cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"),
  "aws:ec2/subnet:Subnet": only(
    "cidrBlock",
    "availabilityZone",
    "availabilityZoneId",
    "vpcId",
    "outpostArn",
    "ipv6Native",
  ),
  "aws:ec2/instance:Instance": only(
    "ami",
    "userData",
    "userDataBase64",
    "availabilityZone",
    "subnetId",
    "keyName",
    "privateIp",
    "tenancy",
    "placementGroup",
    "ebsBlockDevices",
    "ephemeralBlockDevices",
    "networkInterfaces",
  ),
  "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": allExcept("tags", "tagsAll"),
  "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation": only("vpcId"),
  "aws:ec2/securityGroup:SecurityGroup": only("name", "namePrefix", "description", "vpcId"),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": only("securityGroupId"),
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": only("securityGroupId"),
  "aws:route53/zone:Zone": only("name", "delegationSetId"),
  "aws:ebs/volume:Volume": only(
    "availabilityZone",
    "encrypted",
    "kmsKeyId",
    "snapshotId",
    "outpostArn",
  ),
  "aws:ecs/taskDefinition:TaskDefinition": allExcept(
    "tags",
    "tagsAll",
    "skipDestroy",
    "trackLatest",
  ),
  "aws:ecs/service:Service": only("name", "cluster", "schedulingStrategy", "iamRole"),
  "aws:ecs/cluster:Cluster": only("name"),
  "aws:ecs/capacityProvider:CapacityProvider": only("name"),
  "aws:autoscaling/group:Group": only("name", "namePrefix"),
  "aws:ec2/launchTemplate:LaunchTemplate": only("name", "namePrefix"),
  "aws:lb/listener:Listener": only("loadBalancerArn"),
  "aws:lb/listenerRule:ListenerRule": only("listenerArn"),
  "aws:lb/targetGroup:TargetGroup": only(
    "name",
    "namePrefix",
    "port",
    "protocol",
    "protocolVersion",
    "targetType",
    "vpcId",
  ),
  "aws:appautoscaling/target:Target": only("resourceId", "scalableDimension", "serviceNamespace"),
  "aws:appautoscaling/policy:Policy": only(
    "name",
    "resourceId",
    "scalableDimension",
    "serviceNamespace",
  ),
  "aws:cloudwatch/metricAlarm:MetricAlarm": only("name"),
  "aws:cloudwatch/logGroup:LogGroup": only("name", "namePrefix"),
  "aws:lambda/function:Function": only("name"),
  "aws:iam/role:Role": only("name", "namePrefix", "path"),
  "aws:secretsmanager/secret:Secret": only("name", "namePrefix"),
  "aws:secretsmanager/secretVersion:SecretVersion": only(
    "secretId",
    "secretString",
    "secretBinary",
  ),
  "pulumi:providers:docker": only("host"),
  "pulumi:providers:aws": only("region"),
};

/** Whether a change of the top-level input `input` makes the provider replace a `type` resource. */
export function inputForcesReplacement(type: string, input: string): boolean {
  const rule = REPLACE_RULES[type];
  if (rule === undefined) return false;
  return rule.kind === "all-except" ? !rule.inPlace.has(input) : rule.replacing.has(input);
}
