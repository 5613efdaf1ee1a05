// Options shared by every command that talks to hosts.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSpec } from '../config/types.js';
import type { ConnectOptions } from '../transport/connection.js';
import type { Connector } from '../transport/connector.js';
import { clusterConnectors } from '../transport/reach.js';

export interface ConnectionFlags {
  forks?: number;
  acceptNewHostKeys?: boolean;
  connectTimeout?: number;
}

export function connectOptions(cluster: ClusterSpec, flags: ConnectionFlags): ConnectOptions {
  return {
    // Cluster-local file first (new keys are appended there), then the user's own.
    knownHostsFiles: [cluster.knownHostsFile, join(homedir(), '.ssh', 'known_hosts')],
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    connectTimeoutMs: (flags.connectTimeout ?? 20) * 1000,
  };
}

export function defaultForks(hosts: number, flags: ConnectionFlags): number {
  return flags.forks ?? Math.min(Math.max(hosts, 1), 32);
}

/** How to reach each host of the cluster, by inventory name (the connector seam). */
export function connectors(cluster: ClusterSpec, flags: ConnectionFlags): (host: string) => Connector {
  return clusterConnectors(cluster, connectOptions(cluster, flags));
}
