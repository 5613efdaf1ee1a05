// A short excerpt of the file around an error, Ansible/Babel style:
//    9 |   - Name: one
// > 10 |     backup: tow
//      |             ^
import { printable } from './printable.js';

const MAX_WIDTH = 120;

/** Cut a long line to a window around `col` so huge one-line files don't flood the terminal. */
function window(line: string, col: number): { text: string; caret: number } {
  if (line.length <= MAX_WIDTH) return { text: line, caret: col };
  const start = Math.max(0, Math.min(col - MAX_WIDTH / 2, line.length - MAX_WIDTH));
  const prefix = start > 0 ? '...' : '';
  const body = line.slice(start, start + MAX_WIDTH);
  const suffix = start + MAX_WIDTH < line.length ? '...' : '';
  return { text: prefix + body + suffix, caret: col - start + prefix.length };
}

/** Render lines around (line, col) (1-based) with `context` lines either side and a caret. */
export function codeFrame(text: string, line: number, col: number, context = 2): string {
  const lines = text.split(/\r?\n/);
  // A final newline does not start a line worth showing.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  if (line < 1 || line > lines.length) return '';
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const raw = (lines[n - 1] ?? '').replace(/\t/g, ' ');
    const marker = n === line ? '>' : ' ';
    const gutter = `${marker} ${String(n).padStart(width)} | `;
    if (n !== line) {
      out.push(gutter + printable(window(raw, 1).text).trimEnd());
      continue;
    }
    const { text: shown, caret } = window(raw, col);
    // Escapes widen the text; count them so the caret still lands under the right character.
    const before = printable(shown.slice(0, Math.max(0, caret - 1)));
    out.push(gutter + printable(shown).trimEnd());
    out.push(`  ${' '.repeat(width)} | ${' '.repeat(before.length)}^`);
  }
  return out.join('\n');
}
