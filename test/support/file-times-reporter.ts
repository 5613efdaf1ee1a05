// A vitest reporter for .ci/run's timings: the seconds of each integration file per
// project (kind of lab host), hooks included, so a lab's start-up and fixture deploy
// count; longest first. The JSON reporter's times cover the tests only.
//   vitest run --reporter=default --reporter=./test/support/file-times-reporter.ts
// writes the table to $TPA_BARMAN_FILE_TIMES (nothing without it).
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { TestModule } from 'vitest/node';
import type { Reporter } from 'vitest/reporters';

export default class FileTimesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const out = process.env.TPA_BARMAN_FILE_TIMES;
    if (!out) return;
    const rows = modules
      .filter((m) => m.project.name.startsWith('integration'))
      .map((m) => ({ s: m.diagnostic().duration / 1000, project: m.project.name, file: relative(m.project.config.root, m.moduleId), state: m.state() }))
      .sort((a, b) => b.s - a.s);
    const width = Math.max(0, ...rows.map((r) => r.project.length));
    const total = rows.reduce((sum, r) => sum + r.s, 0);
    const lines = rows.map((r) => `${r.s.toFixed(0).padStart(6)}  ${r.project.padEnd(width)}  ${r.file}${r.state === 'passed' ? '' : `  ${r.state}`}`);
    lines.push(`${total.toFixed(0).padStart(6)}  sum over ${rows.length} integration files`);
    writeFileSync(out, `${lines.join('\n')}\n`);
  }
}
