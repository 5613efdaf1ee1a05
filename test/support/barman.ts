// What Barman itself reports on a lab's Barman host (its JSON), for assertions.
import type { Lab } from './lab.js';

/** `barman -f json list-backups <server>` as the barman user: the DONE backups. */
export async function doneBackups(lab: Lab, host: string, server: string): Promise<number> {
  const r = await lab.exec(host, `runuser -u barman -- barman -f json list-backups ${server}`);
  if (r.code !== 0) throw new Error(`barman list-backups ${server} on ${host} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  const doc = JSON.parse(r.stdout) as Record<string, Array<{ status?: string }> | undefined>;
  const list = doc[server];
  if (!Array.isArray(list)) throw new Error(`barman list-backups on ${host} does not list ${server}: ${r.stdout}`);
  return list.filter((b) => b.status === 'DONE').length;
}

/** `barman --version` on a lab host: [major, minor]. */
export async function barmanVersion(lab: Lab, host: string): Promise<[number, number]> {
  const r = await lab.exec(host, 'runuser -u barman -- barman --version');
  const m = /^(\d+)\.(\d+)/.exec(r.stdout.trim());
  if (r.code !== 0 || !m) throw new Error(`barman --version on ${host}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  return [Number(m[1]), Number(m[2])];
}
