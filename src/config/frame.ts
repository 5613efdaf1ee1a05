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

/** Lines `first`..`last` (1-based) of `text`, reading only as far as needed. */
function linesBetween(text: string, first: number, last: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (let n = 1; n <= last && start <= text.length; n++) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (n >= first) out.push(text.slice(start, end).replace(/\r$/, ''));
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

/** Render lines around (line, col) (1-based) with `context` lines either side and a caret. */
export function codeFrame(text: string, line: number, col: number, context = 2): string {
  if (line < 1) return '';
  const first = Math.max(1, line - context);
  const lines = linesBetween(text, first, line + context);
  // A final newline does not start a line worth showing.
  if (lines.length > 1 && lines[lines.length - 1] === '' && first + lines.length - 1 > line) lines.pop();
  if (first + lines.length - 1 < line) return '';
  const last = first + lines.length - 1;
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const raw = (lines[n - first] ?? '').replace(/\t/g, ' ');
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
