// Aligned columns the way kubectl's tabwriter lays them out (minwidth 6, padding 3, widths remembered).

const MIN_WIDTH = 6;
const PADDING = 3;

function width(cell: string): number {
  return [...cell].length; // tabwriter counts runes, not UTF-16 units
}

/**
 * Lays out rows; every cell but the last in a row is padded to its column's width. Like kubectl's
 * tabwriter.RememberWidths, a TableLayout keeps its widths across calls, so the rows that
 * `get -w` prints later stay aligned with the first table (widths only grow).
 */
export class TableLayout {
  private widths: number[] = [];

  format(rows: string[][]): string {
    for (const row of rows) {
      row.slice(0, -1).forEach((cell, i) => {
        this.widths[i] = Math.max(this.widths[i] ?? MIN_WIDTH, width(cell) + PADDING);
      });
    }
    return rows
      .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(this.widths[i]! - width(cell)))).join('') + '\n')
      .join('');
  }
}

export function formatTable(rows: string[][]): string {
  return new TableLayout().format(rows);
}
