// The one place that decides how an inventory host is reached, from its inventory entry
// (see src/config/connection.ts): docker exec for TPA's docker platform, else ssh2,
// directly or through the bastions of ssh_config's ProxyJump, with the keys and
// known_hosts files ssh_config names (else the cluster's).
import { existsSync } from 'node:fs';
import type { ClusterSpec, HostSpec, JumpHost } from '../config/types.js';
import { SshConnector, type ConnectOptions, type SshTarget } from './connection.js';
import type { Connector } from './connector.js';
import { DockerExecConnector } from './docker.js';
import type { JumpHop } from './jump.js';

/**
 * The key to offer: the first of ssh_config's IdentityFile lines that exists (as ssh
 * skips missing ones), else the cluster's ssh_key_file; undefined means the ssh-agent.
 */
function keyFile(cluster: ClusterSpec, files: readonly string[] | undefined): string | undefined {
  if (files?.length) return files.find((f) => existsSync(f)) ?? files[0];
  return cluster.sshKeyFile;
}

function hop(cluster: ClusterSpec, j: JumpHost): JumpHop {
  const out: JumpHop = { spec: j.spec, address: j.address, port: j.port, user: j.user };
  const key = keyFile(cluster, j.identityFiles);
  if (key !== undefined) out.privateKeyFile = key;
  if (j.knownHostsFiles) out.knownHostsFiles = j.knownHostsFiles;
  return out;
}

export function sshTarget(cluster: ClusterSpec, host: HostSpec): SshTarget {
  const target: SshTarget = { name: host.name, address: host.connectAddress, port: host.ssh.port, user: host.ssh.user, privateKeyFile: keyFile(cluster, host.ssh.identityFiles) };
  if (host.ssh.jumps?.length) target.jumps = host.ssh.jumps.map((j) => hop(cluster, j));
  return target;
}

export function hostConnector(cluster: ClusterSpec, host: HostSpec, opts: ConnectOptions): Connector {
  if (host.ssh.transport === 'docker') return new DockerExecConnector(host.name, host.ssh.container ?? host.name);
  // ssh_config's UserKnownHostsFile replaces the cluster's files, as it does for ssh.
  const hostOpts = host.ssh.knownHostsFiles ? { ...opts, knownHostsFiles: host.ssh.knownHostsFiles } : opts;
  return new SshConnector(sshTarget(cluster, host), hostOpts);
}

/** A connector for each of the cluster's hosts, by inventory name. */
export function clusterConnectors(cluster: ClusterSpec, opts: ConnectOptions): (name: string) => Connector {
  return (name) => {
    const host = cluster.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`internal error: ${name} is not in the inventory of cluster ${cluster.name}`);
    return hostConnector(cluster, host, opts);
  };
}
