// Fixed-width text tables for the benches' console output (bench/fleet, bench/csr, bench/runs).

/**
 * Prints rows (a header row included, if any) as fixed-width columns: each cell right-aligned to its column's width
 * (`widths`: one per column, or one for all), the first column left-aligned when `labels` (rows named by their first
 * cell); cells joined by `gap`, each line starting with `indent`.
 * @param {unknown[][]} rows
 * @param {{ widths: number | number[], gap?: string, indent?: string, labels?: boolean }} layout
 */
export function printTable(rows, { widths, gap = ' ', indent = '', labels = false }) {
  for (const row of rows) {
    const cells = row.map((cell, i) => {
      const width = typeof widths === 'number' ? widths : widths[i];
      return labels && i === 0 ? String(cell).padEnd(width) : String(cell).padStart(width);
    });
    console.log(`${indent}${cells.join(gap)}`);
  }
}
