// The one place that decides how an inventory host is reached: today always ssh2 with
// the cluster's key and known_hosts. A connector of another kind (docker exec, ssh
// through a jump host) is chosen here, from the host's inventory entry.
import type { ClusterSpec, HostSpec } from '../config/types.js';
import { SshConnector, type ConnectOptions, type SshTarget } from './connection.js';
import type { Connector } from './connector.js';

export function sshTarget(cluster: ClusterSpec, host: HostSpec): SshTarget {
  return { name: host.name, address: host.connectAddress, port: host.ssh.port, user: host.ssh.user, privateKeyFile: cluster.sshKeyFile };
}

export function hostConnector(cluster: ClusterSpec, host: HostSpec, opts: ConnectOptions): Connector {
  return new SshConnector(sshTarget(cluster, host), opts);
}

/** A connector for each of the cluster's hosts, by inventory name. */
export function clusterConnectors(cluster: ClusterSpec, opts: ConnectOptions): (name: string) => Connector {
  return (name) => {
    const host = cluster.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`internal error: ${name} is not in the inventory of cluster ${cluster.name}`);
    return hostConnector(cluster, host, opts);
  };
}
