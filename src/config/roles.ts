// The roles a host ends up with at deploy time, as TPA's roles/init/tasks/roles.yml
// derives them from the roles written in config.yml and a few host variables.

/** Roles that make an instance run PostgreSQL (TPA adds `postgres` for them). */
export const POSTGRES_ROLES: readonly string[] = ['primary', 'replica', 'witness', 'bdr'];

export interface RoleContext {
  /** The host's failover_manager, if set (efm turns a witness into an efm-witness). */
  failoverManager?: unknown;
  /** bdr_node_pause_in_standby: a BDR logical standby also gets `readonly`. */
  pauseInStandby?: unknown;
  /** Whether any instance of the cluster has the pem-server role. */
  clusterHasPemServer: boolean;
}

function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return typeof v === 'string' && /^(true|yes|on|y|1)$/i.test(v.trim());
}

/**
 * TPA's implied roles, in TPA's order: pem-server and bdr instances are primaries unless
 * replicas; a witness under EFM becomes an `efm-witness` (which runs no PostgreSQL);
 * primary/replica/witness/bdr add `postgres`; PostgreSQL instances of a cluster with a
 * PEM server add `pem-agent`.
 */
export function impliedRoles(written: readonly string[], ctx: RoleContext): string[] {
  const roles = [...new Set(written)];
  const add = (r: string): void => {
    if (!roles.includes(r)) roles.push(r);
  };
  if (roles.includes('pem-server') && !roles.includes('replica')) add('primary');
  if (roles.includes('bdr') && !roles.includes('replica')) add('primary');
  if (truthy(ctx.pauseInStandby)) add('readonly');
  if (roles.includes('witness') && ctx.failoverManager === 'efm') {
    add('efm-witness');
    roles.splice(roles.indexOf('witness'), 1);
  }
  if (POSTGRES_ROLES.some((r) => roles.includes(r))) add('postgres');
  if (ctx.clusterHasPemServer && roles.includes('postgres') && !roles.includes('pem-server')) add('pem-agent');
  return roles;
}
