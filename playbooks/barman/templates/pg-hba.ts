// The pg_hba.conf lines for one Barman host (TPA pg_hba.conf.j2:105-108): `barman` may
// connect to database postgres, `streaming_barman` may open replication connections.

import { isIP } from 'node:net';
import { TemplateError } from './values.js';

export type HbaConnectionType = 'hostssl' | 'host' | 'hostnossl';

/** `<ip>/32` or `<ip>/128`; a hostname is kept as is (pg_hba matches it by DNS). */
export function hbaAddress(address: string): string {
  const family = isIP(address);
  if (family === 4) return `${address}/32`;
  if (family === 6) return `${address}/128`;
  if (/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(address)) {
    return address;
  }
  throw new TemplateError(`not an IP address or host name: ${JSON.stringify(address)}`);
}

export function pgHbaLines(
  ipAddress: string,
  connectionType: HbaConnectionType = 'hostssl',
  method = 'scram-sha-256',
): string[] {
  if (!['hostssl', 'host', 'hostnossl'].includes(connectionType)) {
    throw new TemplateError(`invalid pg_hba connection type ${JSON.stringify(connectionType)}`);
  }
  if (!/^[a-z0-9-]+( [a-z_]+=[A-Za-z0-9_.@/-]+)*$/.test(method)) {
    throw new TemplateError(`invalid pg_hba method ${JSON.stringify(method)}`);
  }
  const addr = hbaAddress(ipAddress);
  return [
    `${connectionType} postgres barman ${addr} ${method}`,
    `${connectionType} replication streaming_barman ${addr} ${method}`,
  ];
}
