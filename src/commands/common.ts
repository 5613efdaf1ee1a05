// Options shared by every command that talks to hosts.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSpec, HostSpec } from '../config/types.js';
import type { ConnectOptions, SshTarget } from '../transport/connection.js';

export interface ConnectionFlags {
  forks?: number;
  acceptNewHostKeys?: boolean;
  connectTimeout?: number;
}

export function sshTarget(cluster: ClusterSpec, host: HostSpec): SshTarget {
  return { name: host.name, address: host.connectAddress, port: host.ssh.port, user: host.ssh.user, privateKeyFile: cluster.sshKeyFile };
}

export function connectOptions(cluster: ClusterSpec, flags: ConnectionFlags): Omit<ConnectOptions, 'readOnly'> {
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
