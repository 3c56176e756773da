// Go's text/tabwriter as kubectl describe sets it up (minwidth 0, padding 2, spaces): cells aligned per column block.
//
// A cell is text ended by a tab; the text after a line's last tab is not aligned. A column block
// is a run of consecutive lines that all have a cell in that column, so "Name:\t..." lines align
// with each other but not across a line without tabs ("Containers:").

const PADDING = 2;

function width(s: string): number {
  return [...s].length; // runes, as Go counts them
}

/** Lays out text the way tabwriter.NewWriter(out, 0, 8, 2, ' ', 0) does. */
export function tabwrite(text: string): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];

  const write = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out[i] = cells.map((c, j) => (j < cells.length - 1 ? c + ' '.repeat(widths[j]! - width(c)) : c)).join('');
    }
  };

  // tabwriter.format: find each column block, size it, and recurse into the next column.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      write(line0, i);
      line0 = i;
      let w = 0;
      for (; i < line1 && column < lines[i]!.length - 1; i++) w = Math.max(w, width(lines[i]![column]!) + PADDING);
      widths.push(w);
      format(line0, i);
      widths.pop();
      line0 = i;
      i--;
    }
    write(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
