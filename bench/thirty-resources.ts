// A 30-resource play covering every engine resource type, used by the engine
// integration test and the no-op benchmark.
import type { Resource } from '../src/engine/resource.js';
import { handler, serviceRunning } from '../src/engine/resources/command.js';
import { DirectoryResource } from '../src/engine/resources/directory.js';
import { FileResource } from '../src/engine/resources/file.js';
import { LinesResource } from '../src/engine/resources/lines.js';
import { PackagesResource } from '../src/engine/resources/packages.js';
import { PgFunctionGrantResource, PgMembershipResource, PgRoleResource } from '../src/engine/resources/postgres.js';
import { PgSettingResource } from '../src/engine/resources/postgres-setting.js';
import { GroupResource, UserResource } from '../src/engine/resources/user.js';

export function thirtyResources(ip: string, big: string, password: string): Resource[] {
  const rs: Resource[] = [
    new GroupResource('tpabtest', ['t']),
    new UserResource({ name: 'tpabtest', group: 'tpabtest', home: '/srv/tpabtest', shell: '/bin/sh', tags: ['t'] }),
    new PackagesResource([{ name: 'rsync' }], ['pkg']),
    serviceRunning({ name: 'marker-daemon', check: 'test -e /run/tpab-marker', start: 'touch /run/tpab-marker', tags: ['t'] }),
    new DirectoryResource({ path: '/srv/tpabtest', owner: 'tpabtest', group: 'tpabtest', mode: '0750', tags: ['t'] }),
    new FileResource({ path: '/srv/tpabtest/big.bin', content: big, owner: 'root', group: 'root', mode: '0644', tags: ['t'] }),
    new LinesResource({
      path: '/srv/tpabtest/lines',
      owner: 'root',
      group: 'root',
      mode: '0600',
      entries: [
        { match: 'alpha=', line: 'alpha=1' },
        { match: 'beta=', line: 'beta=2' },
      ],
      matchMode: 'prefix',
      insert: 'bottom',
      tags: ['t'],
    }),
    new LinesResource({
      path: '/etc/postgresql/15/main/pg_hba.conf',
      owner: 'postgres',
      group: 'postgres',
      mode: '0640',
      entries: [{ match: 'host postgres tpabtest 10.213.255.1/32', line: 'host postgres tpabtest 10.213.255.1/32 scram-sha-256' }],
      matchMode: 'prefix',
      insert: 'top',
      notify: ['handler:reload'],
      tags: ['t'],
    }),
    new PgRoleResource({ name: 'tpabtest_group', attrs: { login: false, superuser: false }, tags: ['t'] }),
    new PgFunctionGrantResource('tpabtest_group', 'pg_catalog.pg_switch_wal()', ['t']),
    new PgMembershipResource('pg_read_all_stats', 'tpabtest_group', ['t']),
    new PgRoleResource({ name: 'tpabtest', attrs: { login: true, superuser: false, inherit: true }, password, tags: ['t'] }),
    new PgMembershipResource('tpabtest_group', 'tpabtest', ['t']),
    new PgSettingResource({
      name: 'listen_addresses',
      path: '/etc/postgresql/15/main/conf.d/tpab-test.conf',
      owner: 'postgres',
      group: 'postgres',
      want: (cur) => (cur.split(',').map((s) => s.trim()).includes(ip) ? null : `${cur},${ip}`),
      reloadHandler: 'handler:reload',
      restartHandler: 'handler:restart',
      tags: ['t'],
    }),
    handler({ id: 'handler:reload', tags: ['t'], summary: 'reload', action: 'reload', run: 'pg_ctlcluster 15 main reload' }),
    handler({ id: 'handler:restart', tags: ['t'], summary: 'restart', action: 'restart', run: 'pg_ctlcluster 15 main restart' }),
  ];
  for (let i = 0; rs.length < 30; i++) {
    rs.push(new FileResource({ path: `/srv/tpabtest/f${i}.conf`, content: `value = ${i}\n`, owner: 'tpabtest', group: 'tpabtest', mode: '0640', tags: ['t'] }));
  }
  return rs;
}
