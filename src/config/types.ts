// The generic shape of a loaded TPA cluster directory. Nothing here knows about
// Barman: playbooks read their own variables out of `vars`.

// SourcePos and ConfigIssue live in src/errors.ts (the bottom layer, which ConfigError needs).
import type { ConfigIssue, SourcePos } from '../errors.js';
export type { ConfigIssue, SourcePos };

/** Where a resolved variable's value came from (lowest to highest precedence). */
export type VarSource =
  | 'default'
  | 'cluster_vars'
  | 'instance_defaults'
  | 'location'
  | 'instance'
  | 'instance_vars'
  | 'inventory'
  | 'derived';

export interface ResolvedVar {
  value: unknown;
  source: VarSource;
  pos?: SourcePos;
  /** Where in config.yml the value was set, e.g. `cluster_vars.barman_home`; unset for defaults. */
  key?: string;
}

export interface HostSpec {
  /** inventory_hostname: the normalised instance Name. */
  name: string;
  node: number;
  /** Normalised roles; `primary`/`replica`/`witness`/`bdr` imply `postgres`. */
  roles: string[];
  platform: string;
  /** Why the platform was inferred, when config.yml does not set it. */
  platformInferred?: string;
  /** Address the controller connects to (public_ip, else ip_address, else private_ip). */
  connectAddress: string;
  /** ip_address as TPA derives it (ip_address, else private_ip, else public_ip). */
  ipAddress: string;
  location?: string;
  /** Names of the Barman instances this host is backed up to (string or list flattened). */
  backup: string[];
  upstream?: string;
  /**
   * Host variables: cluster_vars overridden by instance fields and instance `vars`,
   * each with its source. Role defaults are a playbook's business, not added here.
   */
  vars: Record<string, ResolvedVar>;
  ssh: SshSettings;
  /** Things `inventory` should point out about this host (assumptions made). */
  notes?: string[];
  /** Position of the instance in config.yml. */
  pos: SourcePos;
  /** Key path of the instance, e.g. `instances[2]`. */
  key?: string;
}

/** A bastion host on the way to a target (ssh_config ProxyJump), already resolved. */
export interface JumpHost {
  /** The hop as written in ProxyJump, e.g. `admin@bastion:2222`. */
  spec: string;
  address: string;
  port: number;
  user: string;
  /** Keys to offer; empty: the cluster's ssh_key_file (or the agent). */
  identityFiles: string[];
  /** known_hosts files for this hop; unset: the cluster's. */
  knownHostsFiles?: string[];
}

/** How the controller reaches a host. */
export interface SshSettings {
  user: string;
  port: number;
  /**
   * `docker`: TPA's docker platform, where Ansible runs `docker exec` in the container
   * (inventory line `ansible_connection=docker`); unset means ssh.
   */
  transport?: 'ssh' | 'docker';
  /** The container to exec in (docker transport). */
  container?: string;
  /** Keys from ssh_config's IdentityFile lines, in order; unset: the cluster's ssh_key_file. */
  identityFiles?: string[];
  /** From ssh_config's UserKnownHostsFile; unset: the cluster's tpa_known_hosts and ~/.ssh/known_hosts. */
  knownHostsFiles?: string[];
  /** ssh_config ProxyJump: the hops, first one connected to directly. */
  jumps?: JumpHost[];
  /** Where each connection setting came from when not from config.yml (`ssh_config:12`). */
  from?: Record<string, string>;
}

/** Where a variable assignment sits in config.yml (playbooks lint their own names with these). */
export type VarScope = 'top' | 'cluster_vars' | 'instance_defaults' | 'location' | 'instance';

/** One `name: value` variable assignment written in config.yml. */
export interface VarDefinition {
  name: string;
  value: unknown;
  scope: VarScope;
  /** Key path, e.g. `instances[2].vars.backup_name`. */
  key: string;
  pos: SourcePos;
}

export interface ClusterSpec {
  name: string;
  /** Absolute path of the cluster directory. */
  dir: string;
  configFile: string;
  /** Absolute path of the controller's private key, if configured. */
  sshKeyFile?: string;
  /** Set when ssh_key_file does not exist (only with requireKeyFile: false). */
  sshKeyMissing?: boolean;
  /** `<dir>/inventory/00-<cluster_name>`, when `tpaexec provision` has written it. */
  inventoryFile?: string;
  /** `<dir>/ssh_config`, when present (its settings are in each host's ssh). */
  sshConfigFile?: string;
  /** Options in ssh_config that tpa-barman reads no value from. */
  sshConfigIgnored?: string[];
  /** Instances left out of the hosts, with why (provision_only: true). */
  skippedInstances?: Array<{ name: string; reason: string }>;
  /** Which keys of config.yml this tool reads, and which it only validates. */
  configKeys?: ConfigKeyUse;
  /** `<dir>/tpa_known_hosts`. */
  knownHostsFile: string;
  clusterVars: Record<string, unknown>;
  hosts: HostSpec[];
  /**
   * Every variable assignment in the file: top-level keys, cluster_vars, and the `vars` of
   * instance_defaults, locations and instances. Lets playbooks validate their own variables
   * where they are written, once, with positions.
   */
  varDefinitions?: VarDefinition[];
  /** The text of config.yml, so later checks can draw code frames (see issueAt in config/issues.ts). */
  configText?: string;
}

/** Key paths of config.yml by what tpa-barman does with them. */
export interface ConfigKeyUse {
  /** Read and acted on. */
  honoured: string[];
  /** Only `tpaexec provision` uses them (instance types, images, subnets...): validated, then ignored. */
  provisioningOnly: string[];
  /** Top-level settings for other parts of TPA (architecture, keyring...): not read. */
  notRead: string[];
}
