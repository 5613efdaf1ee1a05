// PostgreSQL roles, function EXECUTE grants, role memberships and settings. Facts come
// from the host's single psql probe; changes run in the host's single transaction.
// Passwords never leave the controller: a SCRAM-SHA-256 verifier is computed locally
// (re-using the existing salt when the password is unchanged, so nothing rotates).
import { sqlJsonProbe, type JsonOf, type Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { alterRoleSql, createRoleSql, grantExecuteSql, grantRoleSql, quoteIdent, quoteLiteral, type RoleAttribute } from '../../postgres/sql.js';
import { scramSha256Verifier, scramVerifierMatches } from '../../postgres/scram.js';
import { KNOWN_AFTER_APPLY, type MaybeKnown } from './file.js';

export interface RoleAttrs {
  superuser?: boolean;
  createdb?: boolean;
  createrole?: boolean;
  login?: boolean;
  inherit?: boolean;
  replication?: boolean;
}

type BoolColumn = 'rolsuper' | 'rolcreatedb' | 'rolcreaterole' | 'rolcanlogin' | 'rolinherit' | 'rolreplication';
const ATTR_COLUMNS: Record<keyof RoleAttrs, [BoolColumn, RoleAttribute, RoleAttribute]> = {
  superuser: ['rolsuper', 'SUPERUSER', 'NOSUPERUSER'],
  createdb: ['rolcreatedb', 'CREATEDB', 'NOCREATEDB'],
  createrole: ['rolcreaterole', 'CREATEROLE', 'NOCREATEROLE'],
  login: ['rolcanlogin', 'LOGIN', 'NOLOGIN'],
  inherit: ['rolinherit', 'INHERIT', 'NOINHERIT'],
  replication: ['rolreplication', 'REPLICATION', 'NOREPLICATION'],
};

export interface RoleSpec {
  name: string;
  attrs: RoleAttrs;
  /** Plain password (never sent); undefined = leave the password alone. */
  password?: MaybeKnown<string>;
  connLimit?: number;
  /**
   * Memberships we manage for this role. Others found on it were granted by hand: they
   * are never revoked, only reported as a note.
   */
  managedMemberships?: string[];
  tags: string[];
}

const ROLE_SHAPE = {
  rolsuper: 'boolean',
  rolcreatedb: 'boolean',
  rolcreaterole: 'boolean',
  rolcanlogin: 'boolean',
  rolinherit: 'boolean',
  rolreplication: 'boolean',
  rolconnlimit: 'number',
  rolpassword: 'string|null',
  member_of: 'string[]|null',
} as const;
/** A role as pg_authid has it; null: no such role. */
export type RoleFact = JsonOf<typeof ROLE_SHAPE> | null;

export class PgRoleResource implements Resource<RoleFact> {
  readonly kind = 'pg_role';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: RoleSpec) {
    this.id = `pg_role:${spec.name}`;
    this.tags = spec.tags;
  }

  probe(): Probe<RoleFact> {
    return sqlJsonProbe(
      `role ${this.spec.name}`,
      `SELECT row_to_json(r) FROM (SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolinherit, rolreplication, rolconnlimit, rolpassword, (SELECT json_agg(g.rolname ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = a.oid) AS member_of FROM pg_authid a WHERE rolname = ${quoteLiteral(this.spec.name)}) r`,
      ROLE_SHAPE,
    );
  }

  notes(cur: RoleFact): string[] {
    const managed = this.spec.managedMemberships;
    if (!managed || !cur?.member_of) return [];
    return cur.member_of
      .filter((g) => !managed.includes(g))
      .map((g) => `role ${this.spec.name} is also a member of ${g}, granted outside tpa-barman: left as it is`);
  }

  plan(cur: RoleFact): Change | null {
    const s = this.spec;
    const name = quoteIdent(s.name);
    const attrWords = (Object.keys(s.attrs) as Array<keyof RoleAttrs>).map((k) => {
      const [, yes, no] = ATTR_COLUMNS[k];
      return s.attrs[k] ? yes : no;
    });
    const sql: string[] = [];
    const details: string[] = [];
    const notes: string[] = [];
    // Statements come from the validated builders (src/postgres/sql.ts).
    if (cur === null) {
      const words = [...attrWords, ...(s.connLimit !== undefined ? [`CONNECTION LIMIT ${s.connLimit}`] : [])];
      sql.push(createRoleSql({ name: s.name, attributes: attrWords, connectionLimit: s.connLimit }));
      notes.push(`create role ${s.name} (${words.join(' ')})`);
    } else {
      const changes: RoleAttribute[] = [];
      let connectionLimit: number | undefined;
      for (const k of Object.keys(s.attrs) as Array<keyof RoleAttrs>) {
        const [col, yes, no] = ATTR_COLUMNS[k];
        const want = s.attrs[k] ?? false;
        const have = cur[col];
        if (want !== have) {
          changes.push(want ? yes : no);
          notes.push(`${have ? yes : no} → ${want ? yes : no}`);
        }
      }
      if (s.connLimit !== undefined && cur.rolconnlimit !== s.connLimit) {
        connectionLimit = s.connLimit;
        notes.push(`connection limit ${cur.rolconnlimit} → ${s.connLimit}`);
      }
      if (changes.length || connectionLimit !== undefined) sql.push(alterRoleSql({ name: s.name, attributes: changes, connectionLimit }));
    }
    const secretSql: string[] = [];
    let passwordUnknown = false;
    if (s.password === KNOWN_AFTER_APPLY) {
      passwordUnknown = true;
      notes.push('password (known after apply)');
    } else if (s.password !== undefined) {
      const existing = cur?.rolpassword ?? null;
      if (!existing || !existing.startsWith('SCRAM-SHA-256$') || !scramVerifierMatches(existing, s.password)) {
        secretSql.push(alterRoleSql({ name: s.name, attributes: [], passwordVerifier: scramSha256Verifier(s.password) }));
        notes.push('set password (SCRAM-SHA-256)');
      }
    }
    if (sql.length === 0 && secretSql.length === 0 && !passwordUnknown) return null;
    details.push(...sql, ...secretSql.map(() => `ALTER ROLE ${name} WITH PASSWORD '********'`));
    return {
      action: cur === null ? 'create' : 'alter',
      summary: cur === null ? notes.join('; ') : `role ${s.name}: ${notes.join(', ')}`,
      details,
      sql,
      secretSql,
      knownAfterApply: passwordUnknown && sql.length === 0 && secretSql.length === 0 ? true : undefined,
    };
  }
}

const GRANT_SHAPE = { fn: 'boolean', granted: 'boolean' } as const;
export type GrantFact = JsonOf<typeof GRANT_SHAPE> | null;

export class PgFunctionGrantResource implements Resource<GrantFact> {
  readonly kind = 'pg_grant';
  readonly id: string;
  /** Built (and the signature checked) up front: a bad signature never reaches a host. */
  private readonly grantSql: string;
  constructor(
    readonly role: string,
    /** regprocedure signature, e.g. `pg_catalog.pg_backup_start(text, boolean)`. */
    readonly signature: string,
    readonly tags: readonly string[],
  ) {
    this.id = `pg_grant:${role}:${signature}`;
    this.grantSql = grantExecuteSql(signature, role);
  }
  probe(): Probe<GrantFact> {
    return sqlJsonProbe(
      `EXECUTE on ${this.signature} for ${this.role}`,
      `SELECT json_build_object('fn', to_regprocedure(${quoteLiteral(this.signature)}) IS NOT NULL, 'granted', EXISTS (SELECT 1 FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE p.oid = to_regprocedure(${quoteLiteral(this.signature)}) AND a.privilege_type = 'EXECUTE' AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = ${quoteLiteral(this.role)})))`,
      GRANT_SHAPE,
    );
  }
  plan(cur: GrantFact): Change | null {
    if (cur?.granted) return null;
    return { action: 'grant', summary: `grant EXECUTE on ${this.signature} to ${this.role}`, details: [this.grantSql], sql: [this.grantSql] };
  }
}

const MEMBER_SHAPE = { member: 'boolean' } as const;
export type MembershipFact = JsonOf<typeof MEMBER_SHAPE> | null;

export class PgMembershipResource implements Resource<MembershipFact> {
  readonly kind = 'pg_membership';
  readonly id: string;
  constructor(
    /** The role granted (group). */
    readonly group: string,
    readonly member: string,
    readonly tags: readonly string[],
  ) {
    this.id = `pg_membership:${group}:${member}`;
  }
  probe(): Probe<MembershipFact> {
    return sqlJsonProbe(
      `membership of ${this.member} in ${this.group}`,
      `SELECT json_build_object('member', EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = ${quoteLiteral(this.group)} AND u.rolname = ${quoteLiteral(this.member)}))`,
      MEMBER_SHAPE,
    );
  }
  plan(cur: MembershipFact): Change | null {
    if (cur?.member) return null;
    const sql = grantRoleSql(this.group, this.member);
    return { action: 'grant', summary: `grant role ${this.group} to ${this.member}`, details: [sql], sql: [sql] };
  }
}
