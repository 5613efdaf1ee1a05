// The generic shape of a loaded TPA cluster directory. Nothing here knows about
// Barman: playbooks read their own variables out of `vars`.

/** A position in a source file, 1-based, for error messages like config.yml:12:5. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** Where a resolved variable's value came from (lowest to highest precedence). */
export type VarSource =
  | 'default'
  | 'cluster_vars'
  | 'instance_defaults'
  | 'location'
  | 'instance'
  | 'instance_vars'
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
  ssh: { user: string; port: number };
  /** Position of the instance in config.yml. */
  pos: SourcePos;
  /** Key path of the instance, e.g. `instances[2]`. */
  key?: string;
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

/** One problem found in a cluster directory. */
export interface ConfigIssue {
  message: string;
  /** The offending key path, e.g. `instances[2].vars.backup_name`. */
  key?: string;
  pos?: SourcePos;
  /** A short excerpt of the file around pos, already formatted. */
  frame?: string;
  hint?: string;
}
