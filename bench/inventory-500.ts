// Benchmark: load + validate + resolve + render the inventory of a 500-instance cluster.
// Usage: node dist/bench/inventory-500.js [runs=20]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBarman } from '../playbooks/barman/inventory.js';
import { inventoryDocument, inventoryText } from '../src/commands/inventory.js';
import { loadCluster } from '../src/config/load.js';
import { median } from './stats.js';

const INSTANCES = 500;
const BARMAN_HOSTS = 10;

/** 490 Postgres instances spread over 10 Barman hosts, with a few per-instance overrides. */
export function bigConfig(): string {
  const lines = [
    'cluster_name: bench',
    'cluster_vars:',
    '  postgres_version: 15',
    '  barman_retention_policy: RECOVERY WINDOW OF 2 WEEKS',
    '  barman_client_dsn_attributes: sslmode=require',
    'instances:',
  ];
  for (let b = 1; b <= BARMAN_HOSTS; b++) {
    lines.push(`- Name: barman-${b}`, `  node: ${b}`, '  role: [barman]', `  ip_address: 10.1.0.${b}`);
  }
  for (let i = BARMAN_HOSTS + 1; i <= INSTANCES; i++) {
    lines.push(
      `- Name: pg-${i}`,
      `  node: ${i}`,
      `  role: [${i % 3 === 0 ? 'replica' : 'primary'}]`,
      `  backup: barman-${(i % BARMAN_HOSTS) + 1}`,
      `  ip_address: 10.2.${Math.floor(i / 250)}.${i % 250}`,
      '  vars:',
      `    backup_name: db-${i}`,
      `    barman_backup_interval: "${i % 60} ${i % 24} * * *"`,
    );
    if (i % 3 === 0) lines.push(`  upstream: pg-${i - 1}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  const dir = mkdtempSync(join(tmpdir(), 'tpa-barman-bench-'));
  try {
    writeFileSync(join(dir, 'config.yml'), bigConfig());
    const times: number[] = [];
    let size = 0;
    // One untimed warm-up run: ajv compiles the schema once per process.
    for (let r = -1; r < runs; r++) {
      const start = performance.now();
      const cluster = await loadCluster(dir);
      const model = resolveBarman(cluster);
      size = JSON.stringify(inventoryDocument(cluster, model)).length + inventoryText(cluster, model).length;
      if (r >= 0) times.push(performance.now() - start);
    }
    console.log(
      `inventory-500: ${INSTANCES} instances, ${runs} runs, median ${median(times).toFixed(1)} ms ` +
        `(min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), output ${size} bytes`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
