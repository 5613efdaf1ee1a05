// Parsing of check reports in the "Server NAME:\n\tcheck: OK|FAILED (why)" shape that
// `barman check` prints. Generic: any tool reporting checks this way fits.
export interface CheckReport {
  server: string;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

export function parseCheckOutput(text: string): CheckReport[] {
  const reports: CheckReport[] = [];
  let cur: CheckReport | undefined;
  for (const line of text.split('\n')) {
    const server = /^Server (.+):\s*$/.exec(line);
    if (server) {
      cur = { server: server[1] ?? '', checks: [] };
      reports.push(cur);
      continue;
    }
    const check = /^\s+(.+?): (OK|FAILED)\b\s*(.*)$/.exec(line);
    if (check && cur) cur.checks.push({ name: check[1] ?? '', ok: check[2] === 'OK', detail: (check[3] ?? '').replace(/^\(|\)$/g, '') });
  }
  return reports;
}
