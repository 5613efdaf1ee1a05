// The pino JSON log in the cluster directory. Secrets are scrubbed from every string of
// every record — messages, fields and error stacks — not only from named paths, since
// pino's path redaction misses values that end up inside messages.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

export function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const secret of secrets) if (secret.length >= 4) s = s.split(secret).join('********');
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = v instanceof Error ? scrub({ message: v.message, stack: v.stack }, secrets) : scrub(v, secrets);
    }
    return out;
  }
  return value;
}

export function createRunLog(clusterDir: string, secrets: readonly string[]): Logger {
  return pino(
    {
      base: undefined,
      hooks: {
        logMethod(args, method) {
          method.apply(this, scrub(args, secrets) as Parameters<typeof method>);
        },
      },
      formatters: { log: (obj) => scrub(obj, secrets) as Record<string, unknown> },
    },
    pino.destination({ dest: join(clusterDir, 'tpa-barman.log'), append: true, sync: true, mode: 0o600 }),
  );
}
