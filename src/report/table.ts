// A plain text table: columns padded to their widest cell, two spaces apart. Colours are
// applied after padding so escape codes never upset the alignment.

export interface TableOptions {
  /** Style a padded cell (row -1 is the header). */
  style?: (row: number, col: number, padded: string) => string;
}

export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, opts: TableOptions = {}): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const style = opts.style ?? ((_r: number, _c: number, s: string): string => s);
  const line = (cells: readonly string[], row: number): string =>
    cells
      .map((c, i) => style(row, i, i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers, -1), ...rows.map((r, i) => line(r, i))].join('\n') + '\n';
}
