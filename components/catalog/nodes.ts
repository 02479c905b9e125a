import type { DatastoreEntry } from "./catalog";

/** One named datastore node: `mongodb-cluster-a-node-1`. */
export interface DatastoreNode {
  readonly name: string;
  readonly datastore: string;
  readonly cluster: string;
  readonly index: number;
}

export function nodeName(datastore: string, cluster: string, index: number): string {
  return `${datastore}-${cluster}-node-${index}`;
}

/** Every node of a datastore, clusters and nodes in sorted, numbered order. */
export function datastoreNodes(entry: DatastoreEntry): DatastoreNode[] {
  return Object.keys(entry.clusters)
    .sort()
    .flatMap((cluster) =>
      Array.from({ length: entry.clusters[cluster] ?? 0 }, (_, i) => ({
        name: nodeName(entry.name, cluster, i + 1),
        datastore: entry.name,
        cluster,
        index: i + 1,
      })),
    );
}
